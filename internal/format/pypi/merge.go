package pypi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"path"
	"strings"

	xhtml "golang.org/x/net/html"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// file is one distribution listed on a page, in either representation.
type file struct {
	name, href, sha256, requiresPython, metaHash string
	yanked                                       *string
	raw                                          map[string]any // the PEP 691 entry, when the page was JSON
}

// Merge implements format.Merger: every file any member lists, the first
// member's entry winning for a file name, each linked to that member. The
// answer is PEP 691 JSON when it was asked for and every member's page is
// JSON, HTML otherwise. Members' pages are read one file at a time.
func (Type) Merge(w io.Writer, p string, members []format.MergeInput) (string, error) {
	project, _ := page(p)
	allJSON := strings.HasSuffix(p, asJSON)
	for _, m := range members {
		ok, err := sniffJSON(m)
		if err != nil {
			return "", fmt.Errorf("member %s: %w", m.Name, err)
		}
		allJSON = allJSON && ok
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	seen := map[string]bool{}
	var versions []string
	seenVersion := map[string]bool{}
	if allJSON {
		name, _ := json.Marshal(project)
		fmt.Fprintf(bw, `{"meta":{"api-version":"1.1"},"name":%s,"files":[`, name)
	} else {
		fmt.Fprintf(bw, "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for %s</title></head>\n<body>\n<h1>Links for %s</h1>\n",
			html.EscapeString(project), html.EscapeString(project))
	}
	for _, m := range members {
		// The merged page is virtual/{v}/simple/{project}/: four levels
		// below /api/v1/, where the member's root is.
		toMember := "../../../../" + m.Root
		vs, err := eachFile(m, func(f file) error {
			if seen[f.name] {
				return nil
			}
			first := len(seen) == 0
			seen[f.name] = true
			href := f.href
			if rel, ok := strings.CutPrefix(href, toRoot); ok {
				href = toMember + rel
			}
			if allJSON {
				f.raw["url"] = href
				b, err := json.Marshal(f.raw)
				if err != nil {
					return err
				}
				if !first {
					bw.WriteByte(',')
				}
				_, err = bw.Write(b)
				return err
			}
			return writeAnchor(bw, f, href)
		})
		if err != nil {
			return "", fmt.Errorf("member %s: %w", m.Name, err)
		}
		for _, v := range vs {
			if !seenVersion[v] {
				seenVersion[v] = true
				versions = append(versions, v)
			}
		}
	}
	if allJSON {
		vj, _ := json.Marshal(versions)
		fmt.Fprintf(bw, `],"versions":%s}`, vj)
		return JSONType, bw.Flush()
	}
	bw.WriteString("</body>\n</html>\n")
	return "text/html; charset=utf-8", bw.Flush()
}

func writeAnchor(bw *bufio.Writer, f file, href string) error {
	if f.sha256 != "" && !strings.Contains(href, "#") {
		href += "#sha256=" + f.sha256
	}
	fmt.Fprintf(bw, `<a href="%s"`, html.EscapeString(href))
	if f.requiresPython != "" {
		fmt.Fprintf(bw, ` data-requires-python="%s"`, html.EscapeString(f.requiresPython))
	}
	if blob.ValidDigest(f.metaHash) {
		fmt.Fprintf(bw, ` data-dist-info-metadata="sha256=%s" data-core-metadata="sha256=%s"`, f.metaHash, f.metaHash)
	}
	if f.yanked != nil {
		fmt.Fprintf(bw, ` data-yanked="%s"`, html.EscapeString(*f.yanked))
	}
	_, err := fmt.Fprintf(bw, ">%s</a><br/>\n", html.EscapeString(f.name))
	return err
}

func sniffJSON(m format.MergeInput) (bool, error) {
	rc, err := m.Open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	return isJSON(bufio.NewReader(rc)), nil
}

// eachFile calls fn for every file on a member's stored page and returns
// the versions a JSON page lists.
func eachFile(m format.MergeInput, fn func(file) error) ([]string, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if isJSON(br) {
		return eachJSONFile(br, fn)
	}
	return nil, eachHTMLFile(br, fn)
}

func eachJSONFile(r io.Reader, fn func(file) error) ([]string, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a PEP 691 page")
	}
	var versions []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t {
		case "files":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return nil, errors.New("files is not a list")
			}
			for dec.More() {
				var raw map[string]any
				if err := dec.Decode(&raw); err != nil {
					return nil, err
				}
				f := file{raw: raw}
				f.name, _ = raw["filename"].(string)
				f.href, _ = raw["url"].(string)
				if h, ok := raw["hashes"].(map[string]any); ok {
					f.sha256, _ = h["sha256"].(string)
				}
				f.requiresPython, _ = raw["requires-python"].(string)
				for _, k := range []string{"core-metadata", "data-dist-info-metadata"} {
					if h, ok := raw[k].(map[string]any); ok {
						f.metaHash, _ = h["sha256"].(string)
					}
				}
				if y, ok := raw["yanked"].(string); ok {
					f.yanked = &y
				} else if y, ok := raw["yanked"].(bool); ok && y {
					empty := ""
					f.yanked = &empty
				}
				if f.name == "" {
					f.name = path.Base(f.href)
				}
				if err := fn(f); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
		case "versions":
			if err := dec.Decode(&versions); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	return versions, nil
}

func eachHTMLFile(r io.Reader, fn func(file) error) error {
	z := xhtml.NewTokenizer(r)
	var cur *file
	var text strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return z.Err()
		case xhtml.StartTagToken:
			t := z.Token()
			if t.Data != "a" {
				continue
			}
			cur = &file{}
			text.Reset()
			for _, a := range t.Attr {
				switch a.Key {
				case "href":
					cur.href = a.Val
				case "data-requires-python":
					cur.requiresPython = a.Val
				case "data-core-metadata", "data-dist-info-metadata":
					cur.metaHash = strings.TrimPrefix(a.Val, "sha256=")
				case "data-yanked":
					y := a.Val
					cur.yanked = &y
				}
			}
		case xhtml.TextToken:
			if cur != nil {
				text.Write(z.Text())
			}
		case xhtml.EndTagToken:
			if t := z.Token(); t.Data != "a" || cur == nil {
				continue
			}
			cur.name = strings.TrimSpace(text.String())
			if u, err := url.Parse(cur.href); err == nil && cur.name == "" {
				cur.name = path.Base(u.Path)
			}
			if err := fn(*cur); err != nil {
				return err
			}
			cur = nil
		}
	}
}
