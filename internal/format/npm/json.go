package npm

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// walk copies a JSON document token by token, so memory stays flat
// whatever its size (a full packument of a popular package is tens of MB).
// distString may replace a string value of the object under a "dist" key;
// distEnd is called when such an object closes.
func walk(r io.Reader, w io.Writer, distString func(key, v string) string, distEnd func()) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	bw := bufio.NewWriterSize(w, 64<<10)
	type frame struct {
		obj, wantKey bool
		n            int
		key, name    string // current key; the key this container is the value of
	}
	var stack []frame
	var qbuf bytes.Buffer
	enc := json.NewEncoder(&qbuf)
	enc.SetEscapeHTML(false)
	quote := func(s string) {
		qbuf.Reset()
		enc.Encode(s)
		bw.Write(bytes.TrimSuffix(qbuf.Bytes(), []byte("\n")))
	}
	valueDone := func() {
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			top.n++
			top.wantKey = top.obj
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		end := tok == json.Delim('}') || tok == json.Delim(']')
		if len(stack) > 0 && !end {
			top := &stack[len(stack)-1]
			switch {
			case top.obj && top.wantKey && top.n > 0, !top.obj && top.n > 0:
				bw.WriteByte(',')
			case top.obj && !top.wantKey:
				bw.WriteByte(':')
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			bw.WriteByte(byte(t))
			if end {
				if f := stack[len(stack)-1]; f.obj && f.name == "dist" && distEnd != nil {
					distEnd()
				}
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			name := ""
			if len(stack) > 0 {
				name = stack[len(stack)-1].key
			}
			stack = append(stack, frame{obj: t == '{', wantKey: t == '{', name: name})
		case string:
			if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantKey {
				quote(t)
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
				continue
			}
			if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].name == "dist" && distString != nil {
				t = distString(stack[len(stack)-1].key, t)
			}
			quote(t)
			valueDone()
		case json.Number:
			bw.WriteString(t.String())
			valueDone()
		case bool:
			fmt.Fprint(bw, t)
			valueDone()
		case nil:
			bw.WriteString("null")
			valueDone()
		}
	}
	return bw.Flush()
}

// Rewrite implements format.Rewriter: every dist.tarball becomes a path
// relative to the remote (Present makes it absolute for each client).
// A tarball on another host becomes {package}/-/_ext/..., so that its path
// names the document that lists it.
func (Type) Rewrite(doc string, base *url.URL, r io.Reader, w io.Writer) error {
	name, _, _ := split(doc)
	return walk(r, w, func(key, v string) string {
		if key != "tarball" {
			return v
		}
		p := format.LinkPath(base, v)
		if strings.HasPrefix(p, format.ExtPrefix) {
			p = name + "/-/" + p
		}
		return p
	}, nil)
}

// Present implements format.Presenter: npm needs absolute tarball URLs, on
// the address this client reaches the remote by.
func (Type) Present(_, self string, r io.Reader, w io.Writer) error {
	return walk(r, w, func(key, v string) string {
		if key == "tarball" && !strings.Contains(v, "://") {
			return self + "/" + v
		}
		return v
	}, nil)
}

// Digests implements format.Published: each tarball path of a stored
// document with its dist.integrity (or shasum, as sha1 integrity).
func (Type) Digests(r io.Reader) (map[string]blob.Expect, error) {
	out := map[string]blob.Expect{}
	var tarball, integrity, shasum string
	err := walk(r, io.Discard, func(key, v string) string {
		switch key {
		case "tarball":
			tarball = v
		case "integrity":
			integrity = v
		case "shasum":
			shasum = v
		}
		return v
	}, func() {
		if integrity == "" && len(shasum) == 40 {
			if b, err := hexDecode(shasum); err == nil {
				integrity = "sha1-" + b
			}
		}
		if p, err := url.PathUnescape(tarball); err == nil && tarball != "" && integrity != "" && !strings.Contains(tarball, "://") {
			out[p] = blob.Expect{Integrity: integrity, Size: -1}
		}
		tarball, integrity, shasum = "", "", ""
	})
	return out, err
}

// hexDecode turns a hex sha1 into the base64 an SRI string carries.
func hexDecode(h string) (string, error) {
	b, err := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b), err
}
