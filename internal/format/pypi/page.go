package pypi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// Pages live at simple/{project}/: a link relative to the page reaches
// the remote's root through "../../".
const toRoot = "../../"

// Rewrite implements format.Rewriter: every file link on the page (HTML
// or PEP 691 JSON) becomes relative to the page and inside the remote;
// files on another host become _ext/{scheme}/{host}/{path}. Fragments
// (#sha256=...) and data-* attributes are kept.
func (Type) Rewrite(p string, base *url.URL, r io.Reader, w io.Writer) error {
	project, _ := page(p)
	pageURL := *base
	pageURL.Path = strings.TrimSuffix(base.Path, "/") + "/simple/" + project + "/"
	pageURL.RawPath = ""
	link := func(raw string) string { return relink(base, &pageURL, raw) }
	br := bufio.NewReaderSize(r, 64<<10)
	if isJSON(br) {
		return jsonstream.Walk(br, w, func(container, key, v string) string {
			if container == "files" && key == "url" {
				return link(v)
			}
			return v
		}, nil)
	}
	return rewriteHTML(br, w, link)
}

// relink maps one link from the page at pageURL.
func relink(base, pageURL *url.URL, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" {
		return raw // pre-signed or unparsable: left as it is
	}
	frag := u.Fragment
	u.Fragment = ""
	abs := pageURL.ResolveReference(u)
	p := format.LinkPath(base, abs.String())
	if strings.Contains(p, "://") {
		return raw
	}
	if frag != "" {
		p += "#" + frag
	}
	return toRoot + p
}

func isJSON(br *bufio.Reader) bool {
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(head) > 0 && head[0] == '{'
}

// rewriteHTML streams the page, changing only <a href>.
func rewriteHTML(r io.Reader, w io.Writer, link func(string) string) error {
	z := html.NewTokenizer(r)
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return bw.Flush()
			}
			return z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data != "a" {
				bw.WriteString(t.String())
				continue
			}
			for i, a := range t.Attr {
				if a.Key == "href" {
					t.Attr[i].Val = link(a.Val)
				}
			}
			bw.WriteString(t.String())
		default:
			bw.Write(z.Raw())
		}
	}
}

// Digests implements format.Published: each file of a stored page (and
// its PEP 658 metadata file) with the sha256 the page publishes.
func (Type) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	out := map[string]blob.Expect{}
	add := func(href, fileHash, metaHash string) {
		u, err := url.Parse(href)
		if err != nil || !strings.HasPrefix(u.Path, toRoot) {
			return
		}
		p := path.Clean(strings.TrimPrefix(u.Path, toRoot))
		if h, ok := strings.CutPrefix(u.Fragment, "sha256="); ok && fileHash == "" {
			fileHash = h
		}
		if blob.ValidDigest(fileHash) {
			out[p] = blob.Expect{SHA256: fileHash, Size: -1}
		}
		if blob.ValidDigest(metaHash) {
			out[p+".metadata"] = blob.Expect{SHA256: metaHash, Size: -1}
		}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if isJSON(br) {
		var href, fileHash, metaHash string
		err := jsonstream.Walk(br, io.Discard, func(container, key, v string) string {
			switch {
			case container == "files" && key == "url":
				href = v
			case container == "hashes" && key == "sha256":
				fileHash = v
			case (container == "core-metadata" || container == "data-dist-info-metadata") && key == "sha256":
				metaHash = v
			}
			return v
		}, func(container string) {
			if container == "files" {
				add(href, fileHash, metaHash)
				href, fileHash, metaHash = "", "", ""
			}
		})
		return out, err
	}
	z := html.NewTokenizer(br)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return out, nil
			}
			return out, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data != "a" {
				continue
			}
			var href, metaHash string
			for _, a := range t.Attr {
				switch a.Key {
				case "href":
					href = a.Val
				case "data-core-metadata", "data-dist-info-metadata":
					metaHash = strings.TrimPrefix(a.Val, "sha256=")
				}
			}
			add(href, "", metaHash)
		}
	}
}
