package helm

import "strings"

// spanning is the YAML text a line leaves open for the lines after it: a
// quoted scalar that does not close on it, a block scalar ("|", ">"), or
// a plain scalar that lines indented past its key continue (generators
// wrap long descriptions at 80 columns). Those lines are text, never keys
// or the start of a quote: a "urls:" inside a description is not the
// chart's, and a wrapped line that begins with "'s" opens no string.
type spanning struct {
	quote    byte // the quote of a scalar still open
	indented bool // lines indented past column are text (block or plain)
	column   int
	plain    bool // indented is a plain scalar's (see advance)
}

// advance moves past a line and reports whether it is text of a scalar
// begun on an earlier line. A blank line is text of a quoted or block
// scalar; after a plain one it is folded into it, or ends nothing, and is
// a blank line to the caller (one between urls items is allowed).
func (s *spanning) advance(l line) bool {
	switch {
	case s.quote != 0:
		if closeIndex(strings.TrimRight(l.raw, "\r\n"), s.quote, 0) >= 0 {
			s.quote = 0
		}
		return true
	case s.indented && l.blank():
		return !s.plain
	case s.indented && l.indent > s.column:
		return true
	}
	*s = opened(l)
	return false
}

// opened returns what a line that is not text itself leaves open. It walks
// the line as YAML's indicators do: a quote, "|" or ">" starts a scalar
// only where a value may begin (the line's start, after "- ", "? ", a key's
// ": ", node properties, or "[", "{" and "," in flow), never inside a plain
// scalar ("it's") or a comment.
func opened(l line) spanning {
	s := strings.TrimRight(l.raw, "\r\n")
	owner := l.indent - 1 // the column of the node a value here belongs to
	start, flow, token := true, 0, l.indent
	plain := false // a plain scalar in block context is what the line ends with
	i := l.indent
	if i == 0 && (s == "---" || strings.HasPrefix(s, "--- ")) {
		i, owner = 3, -1 // a document's own value
	}
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return spanning{}
		case start && (c == '"' || c == '\''):
			token = i
			j := closeIndex(s, c, i+1)
			if j < 0 {
				return spanning{quote: c}
			}
			i, start = j, false
		case start && flow == 0 && (c == '|' || c == '>'):
			if blockHeader(s[i+1:]) {
				return spanning{indented: true, column: owner}
			}
			start = false
		case start && (c == '!' || c == '&'):
			for i+1 < len(s) && s[i+1] != ' ' && (flow == 0 || !strings.ContainsRune(",[]{}", rune(s[i+1]))) {
				i++
			}
		case start && flow == 0 && (c == '-' || c == '?') && (i+1 == len(s) || s[i+1] == ' '):
			owner = i
		case c == ':' && (i+1 == len(s) || s[i+1] == ' ' || flow > 0):
			start, owner, plain = true, token, false
		case start && (c == '[' || c == '{'):
			flow++
		case flow > 0 && c == ',':
			start = true
		case flow > 0 && (c == ']' || c == '}'):
			flow--
		default:
			if start {
				token, plain = i, flow == 0
			}
			start = false
			// Inside a plain scalar only these can end it: the walk skips
			// to the next (most of an index is "key: plain value" lines).
			stops := ":#"
			if flow > 0 {
				stops = ":#,[]{}"
			}
			if j := strings.IndexAny(s[i+1:], stops); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		}
	}
	if plain {
		return spanning{indented: true, column: owner, plain: true}
	}
	return spanning{}
}

// blockHeader reports whether what follows a "|" or ">" is a block
// scalar's header: indentation and chomping indicators, then nothing or a
// comment.
func blockHeader(rest string) bool {
	rest = strings.TrimLeft(rest, "0123456789+-")
	t := strings.TrimLeft(rest, " \t")
	return t == "" || (t[0] == '#' && len(t) < len(rest))
}

// closeIndex returns where a scalar quoted with q closes in s, reading from
// index from: an unescaped '"', or a "'" that is not doubled; -1 if it does
// not close in s.
func closeIndex(s string, q byte, from int) int {
	for i := from; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}
