package helm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// The index is rewritten and scanned line by line, so memory stays flat
// whatever its size (public indexes reach tens of MB; a YAML tree of one
// costs over ten times that). Helm and every index generator write chart
// URLs as block or flow sequences under a "urls:" key; anything else under
// that key is refused rather than passed on unrewritten.

// line is one physical line, split for the little YAML the scan needs.
type line struct {
	raw       string // with its line ending
	indent    int    // column of the first non-space character
	keyIndent int    // column of the mapping key, after any "- " markers
	content   string // from keyIndent, without the line ending
	// itemIndent is, for a urls key, the column of its items' "-", kept
	// when they are written anew (what follows them depends on it).
	itemIndent int
	text       bool // inside a scalar begun on an earlier line
}

func split(raw string) line {
	body := strings.TrimRight(raw, "\r\n")
	trimmed := strings.TrimLeft(body, " ")
	l := line{raw: raw, indent: len(body) - len(trimmed), content: trimmed}
	l.keyIndent = l.indent
	for strings.HasPrefix(l.content, "- ") {
		rest := strings.TrimLeft(l.content[2:], " ")
		l.keyIndent += len(l.content) - len(rest)
		l.content = rest
	}
	return l
}

// key returns "k" and the rest of "k: rest" or "k:".
func (l line) key() (string, string, bool) {
	i := strings.Index(l.content, ":")
	if i <= 0 || (i+1 < len(l.content) && l.content[i+1] != ' ') {
		return "", "", false
	}
	k := l.content[:i]
	if strings.ContainsAny(k, " \"'{[") {
		return "", "", false
	}
	return k, strings.TrimSpace(l.content[i+1:]), true
}

// seqItem returns the value of a "- value" line ("" for "- " or
// "- # comment", an empty item).
func (l line) seqItem() (string, bool) {
	if l.keyIndent > l.indent {
		if strings.HasPrefix(l.content, "#") {
			return "", true
		}
		return l.content, true
	}
	if strings.TrimRight(l.content, " ") == "-" {
		return "", true
	}
	return "", false
}

// blankOrComment reports a line with nothing, or only a comment, on it.
// A "- " marker makes a line a sequence item, never blank: "- " alone is
// an empty item, and taken for a blank line inside a urls block it was
// dropped from the rewrite, which then no longer parsed.
func blankOrComment(l line) bool {
	return l.blank() || l.keyIndent == l.indent && strings.HasPrefix(l.content, "#")
}

// blank reports a line with nothing on it but spaces ("- " is an item).
func (l line) blank() bool { return l.keyIndent == l.indent && l.content == "" }

// scalar decodes a plain, single- or double-quoted YAML scalar. Anything
// else (an alias, a tag, a block or flow collection) is refused: read as
// plain text it would be rewritten into a different value.
func scalar(v string) (string, error) {
	switch {
	case v != "" && strings.ContainsRune("|>!&*%@`{[", rune(v[0])):
		return "", fmt.Errorf("unsupported value %q", v)
	case strings.HasPrefix(v, `"`):
		end := strings.LastIndex(v, `"`)
		if end <= 0 {
			return "", fmt.Errorf("unterminated string %s", v)
		}
		return strconv.Unquote(v[:end+1])
	case strings.HasPrefix(v, "'"):
		end := strings.LastIndex(v, "'")
		if end <= 0 {
			return "", fmt.Errorf("unterminated string %s", v)
		}
		return strings.ReplaceAll(v[1:end], "''", "'"), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// lastItem is the last sequence item of a pending urls block.
func lastItem(pending []line) line {
	for i := len(pending) - 1; i > 0; i-- {
		if !blankOrComment(pending[i]) {
			return pending[i]
		}
	}
	return pending[0]
}

// flowItems splits "[a, 'b', "c"]".
func flowItems(v string) ([]string, error) {
	end := strings.LastIndex(v, "]")
	if !strings.HasPrefix(v, "[") || end < 0 {
		return nil, fmt.Errorf("unsupported urls value %q", v)
	}
	var out []string
	for _, part := range strings.Split(v[1:end], ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		s, err := scalar(part)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// scan calls onLine for every line and onURLs for each urls sequence,
// whose items it may replace.
func scan(r io.Reader, onLine func(l line) error, onURLs func(l line, urls []string, flow bool) error) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	var pending []line // the urls: key and its items, until the sequence ends
	var urls []string
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		key := pending[0]
		key.itemIndent = key.keyIndent
		for _, it := range pending[1:] {
			if !blankOrComment(it) {
				key.itemIndent = it.indent
				break
			}
		}
		err := onURLs(key, urls, false)
		pending, urls = nil, nil
		return err
	}
	var open spanning // text a line left open for the lines after it
	for {
		raw, err := br.ReadString('\n')
		l := split(raw)
		if raw != "" && open.advance(l) {
			if len(pending) > 0 {
				return fmt.Errorf("unsupported urls item: a string spanning lines")
			}
			l.text = true
			if err := onLine(l); err != nil {
				return err
			}
			raw = ""
		}
		if raw != "" {
			if len(pending) > 0 {
				if blankOrComment(l) {
					pending = append(pending, l)
					continue
				}
				if v, ok := l.seqItem(); ok && l.indent >= pending[0].keyIndent {
					if len(pending) > 1 && l.indent != lastItem(pending).indent {
						// "- a\n    - b" is the one scalar "a - b" in YAML.
						return fmt.Errorf("unsupported urls item: a value spanning lines")
					}
					u, err := scalar(v)
					if err != nil {
						return err
					}
					if strings.TrimSpace(v) == "" {
						return fmt.Errorf("unsupported urls item: empty, or its value on the next line")
					}
					pending, urls = append(pending, l), append(urls, u)
					continue
				}
				if len(pending) > 1 && l.indent > lastItem(pending).indent {
					return fmt.Errorf("unsupported urls item: a value spanning lines")
				}
				if err := flush(); err != nil {
					return err
				}
			}
			if k, rest, ok := l.key(); ok && k == "urls" {
				switch {
				case rest == "" || strings.HasPrefix(rest, "#"):
					pending = []line{l}
					continue
				case strings.HasPrefix(rest, "["):
					items, err := flowItems(rest)
					if err != nil {
						return err
					}
					if err := onURLs(l, items, true); err != nil {
						return err
					}
					continue
				default:
					return fmt.Errorf("unsupported urls value %q", rest)
				}
			}
			if err := onLine(l); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			return err
		}
	}
}

// Rewrite implements format.Rewriter: every chart URL becomes a path
// relative to the remote (helm resolves it against the repository URL, so
// it comes back through the proxy whatever host name clients use).
func (Type) Rewrite(_ string, base *url.URL, r io.Reader, w io.Writer) error {
	return mapURLs(r, w, func(u string) string { return RewriteURL(base, u) })
}

// mapURLs copies an index, passing every chart URL through f.
func mapURLs(r io.Reader, w io.Writer, f func(string) string) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	write := func(l line) error { _, err := bw.WriteString(l.raw); return err }
	err := scan(r, write, func(l line, urls []string, flow bool) error {
		prefix := l.raw[:l.keyIndent] // indentation and any "- " markers, as they were
		if flow {
			quoted := make([]string, len(urls))
			for i, u := range urls {
				quoted[i] = strconv.Quote(f(u))
			}
			_, err := fmt.Fprintf(bw, "%surls: [%s]\n", prefix, strings.Join(quoted, ", "))
			return err
		}
		if _, err := fmt.Fprintf(bw, "%surls:\n", prefix); err != nil {
			return err
		}
		for _, u := range urls {
			if _, err := fmt.Fprintf(bw, "%s- %s\n", strings.Repeat(" ", l.itemIndent), strconv.Quote(f(u))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// RewriteURL maps a chart URL from the upstream index to a path relative
// to the remote (see format.LinkPath).
func RewriteURL(base *url.URL, raw string) string { return format.LinkPath(base, raw) }

// Digests implements format.Published: the stored (rewritten) index's
// chart paths, each with its entry's digest.
func (Type) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	out := map[string]blob.Expect{}
	var digest string
	var urls []string
	entryIndent := -1 // column of the current entry's keys
	done := func() {
		if blob.ValidDigest(digest) {
			for _, u := range urls {
				if p, err := url.PathUnescape(u); err == nil && !strings.Contains(u, "://") {
					out[p] = blob.Expect{SHA256: digest, Size: -1}
				}
			}
		}
		digest, urls = "", nil
	}
	// enter notes where entries start ("- key: ..." items) and end (a
	// line less indented than their keys).
	enter := func(l line) {
		switch {
		case l.keyIndent > l.indent:
			done()
			entryIndent = l.keyIndent
		case l.indent < entryIndent:
			done()
			entryIndent = -1
		}
	}
	err := scan(r, func(l line) error {
		if l.text || blankOrComment(l) {
			return nil
		}
		enter(l)
		if k, v, ok := l.key(); ok && k == "digest" && l.keyIndent == entryIndent {
			d, _ := scalar(v) // a malformed digest simply verifies nothing
			digest = strings.TrimPrefix(d, "sha256:")
		}
		return nil
	}, func(l line, us []string, _ bool) error {
		enter(l)
		if l.keyIndent == entryIndent {
			urls = append(urls, us...)
		}
		return nil
	})
	done()
	return out, err
}
