// Package jsonstream rewrites JSON documents as token streams, for types
// whose indexes are JSON (npm packuments, PEP 691 pages).
package jsonstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// lenient reads what registries publish as encoding/json did: a repeated
// key or a string with invalid UTF-8 (mended as U+FFFD) is not an error.
var lenient = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// Walk copies a JSON document token by token, so memory stays flat
// whatever its size. onString may replace any string value: it is told the
// key it is under and the name of the container holding it (the key the
// container is the value of; an object in an array takes the array's
// name). onClose is called as each object closes, with its name.
//
// jsontext reads and writes tokens without allocating for each one (the
// standard library's Decoder.Token allocated an error per value, and
// dominated the rewrite of a large npm document).
func Walk(r io.Reader, w io.Writer, onString func(container, key, v string) string, onClose func(container string)) error {
	dec := jsontext.NewDecoder(r, lenient...)
	bw := bufio.NewWriterSize(w, 64<<10)
	// U+2028 and U+2029 escaped, as encoding/json did: valid JSON either
	// way, but older JavaScript cannot take them raw in a string.
	enc := jsontext.NewEncoder(noNewlines{bw}, append(lenient, jsontext.EscapeForHTML(false), jsontext.EscapeForJS(true))...)
	type frame struct {
		obj, wantKey bool
		key, name    string // current key; the key this container is the value of
	}
	var stack []frame
	started := false
	valueDone := func() {
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			top.wantKey = top.obj
		}
	}
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(stack) == 0 {
			// A document is one value; a second one copied after it would
			// run into the first ("0.0 1" out as "0.01") or be unreadable.
			if started {
				return errors.New("data after the JSON document")
			}
			started = true
		}
		switch kind := tok.Kind(); kind {
		case '{', '[':
			name := ""
			if len(stack) > 0 {
				if parent := stack[len(stack)-1]; parent.obj {
					name = parent.key
				} else {
					name = parent.name
				}
			}
			stack = append(stack, frame{obj: kind == '{', wantKey: kind == '{', name: name})
		case '}', ']':
			if f := stack[len(stack)-1]; f.obj && onClose != nil {
				onClose(f.name)
			}
			stack = stack[:len(stack)-1]
			valueDone()
		case '"':
			top := len(stack) - 1
			switch {
			case top >= 0 && stack[top].obj && stack[top].wantKey:
				stack[top].key, stack[top].wantKey = tok.String(), false
			case top >= 0 && onString != nil:
				key := stack[top].key
				if !stack[top].obj {
					key = ""
				}
				v := tok.String()
				if nv := onString(stack[top].name, key, v); nv != v {
					tok = jsontext.String(nv)
				}
				valueDone()
			default:
				valueDone()
			}
		default:
			valueDone()
		}
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// noNewlines drops the newline the encoder ends a top-level value with, so
// the copy is byte for byte what encoding/json wrote. Compact JSON has no
// other raw newline: inside strings they are escaped.
type noNewlines struct{ w io.Writer }

func (n noNewlines) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			i = len(p)
		}
		if _, err := n.w.Write(p[:i]); err != nil {
			return 0, err
		}
		p = p[min(i+1, len(p)):]
	}
	return total, nil
}
