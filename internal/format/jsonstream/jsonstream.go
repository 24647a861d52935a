// Package jsonstream rewrites JSON documents as token streams, for types
// whose indexes are JSON (npm packuments, PEP 691 pages).
package jsonstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Walk copies a JSON document token by token, so memory stays flat
// whatever its size. onString may replace any string value: it is told the
// key it is under and the name of the container holding it (the key the
// container is the value of; an object in an array takes the array's
// name). onClose is called as each object closes, with its name.
func Walk(r io.Reader, w io.Writer, onString func(container, key, v string) string, onClose func(container string)) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	bw := bufio.NewWriterSize(w, 64<<10)
	type frame struct {
		obj, wantKey bool
		n            int
		key, name    string // current key; the key this container is the value of
	}
	var stack []frame
	started := false
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
		if len(stack) == 0 {
			// A document is one value; a second one copied after it would
			// run into the first ("0.0 1" out as "0.01") or be unreadable.
			if started {
				return errors.New("data after the JSON document")
			}
			started = true
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
				if f := stack[len(stack)-1]; f.obj && onClose != nil {
					onClose(f.name)
				}
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			name := ""
			if len(stack) > 0 {
				if parent := stack[len(stack)-1]; parent.obj {
					name = parent.key
				} else {
					name = parent.name
				}
			}
			stack = append(stack, frame{obj: t == '{', wantKey: t == '{', name: name})
		case string:
			if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantKey {
				quote(t)
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
				continue
			}
			if len(stack) > 0 && onString != nil {
				top := stack[len(stack)-1]
				key := top.key
				if !top.obj {
					key = ""
				}
				t = onString(top.name, key, t)
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
