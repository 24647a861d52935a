package jsonstream

import (
	"bufio"
	"errors"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// Edit copies the JSON object r to w member by member. edit is called
// with each top-level key before its value is read: it returns false to
// have the member copied as it is, or true when it took the member itself
// (read its value from dec; wrote the key and a value to enc, or nothing
// to leave the member out).
func Edit(r io.Reader, w io.Writer, edit func(key string, dec *jsontext.Decoder, enc *jsontext.Encoder) (bool, error)) error {
	dec := jsontext.NewDecoder(r, lenient...)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := jsontext.NewEncoder(noNewlines{bw}, append(lenient, jsontext.EscapeForHTML(false), jsontext.EscapeForJS(true))...)
	if err := Members(dec, func(key string) error {
		took, err := edit(key, dec, enc)
		if err != nil || took {
			return err
		}
		if err := enc.WriteToken(jsontext.String(key)); err != nil {
			return err
		}
		return copyValue(dec, enc)
	}, enc); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON document")
	}
	return bw.Flush()
}

// Members reads an object from dec, calling each with a member's key
// before its value, which each must read. With enc set, the object's
// braces are written to it.
func Members(dec *jsontext.Decoder, each func(key string) error, enc *jsontext.Encoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return errors.New("not a JSON object")
	}
	if enc != nil {
		if err := enc.WriteToken(jsontext.BeginObject); err != nil {
			return err
		}
	}
	for dec.PeekKind() != '}' {
		k, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := each(k.String()); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if enc != nil {
		return enc.WriteToken(jsontext.EndObject)
	}
	return nil
}

// KeepMembers copies the object value at dec to enc under key, with only
// the members keep accepts.
func KeepMembers(key string, dec *jsontext.Decoder, enc *jsontext.Encoder, keep func(member string) bool) error {
	if err := enc.WriteToken(jsontext.String(key)); err != nil {
		return err
	}
	return Members(dec, func(m string) error {
		if !keep(m) {
			return dec.SkipValue()
		}
		if err := enc.WriteToken(jsontext.String(m)); err != nil {
			return err
		}
		return copyValue(dec, enc)
	}, enc)
}

func copyValue(dec *jsontext.Decoder, enc *jsontext.Encoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return enc.WriteValue(v)
}

// Elements reads an array from dec, calling each for every element, which
// each must read. With enc set, the brackets are written to it.
func Elements(dec *jsontext.Decoder, each func() error, enc *jsontext.Encoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '[' {
		return errors.New("not a JSON array")
	}
	if enc != nil {
		if err := enc.WriteToken(jsontext.BeginArray); err != nil {
			return err
		}
	}
	for dec.PeekKind() != ']' {
		if err := each(); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if enc != nil {
		return enc.WriteToken(jsontext.EndArray)
	}
	return nil
}

// KeepElements copies the array value at dec to enc under key, with only
// the elements keep accepts.
func KeepElements(key string, dec *jsontext.Decoder, enc *jsontext.Encoder, keep func(jsontext.Value) bool) error {
	if err := enc.WriteToken(jsontext.String(key)); err != nil {
		return err
	}
	return Elements(dec, func() error {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if !keep(v) {
			return nil
		}
		return enc.WriteValue(v)
	}, enc)
}
