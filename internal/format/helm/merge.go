package helm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
)

// Merge implements format.Merger: entries of every member, chart by chart;
// for a chart version listed by several members the first member wins.
// Each member's (stored, sorted by chart name) index is read as a stream
// and only one chart's versions per member are held at a time, so memory
// does not grow with the indexes. Chart URLs get the member's prefix, so
// they resolve to the member that listed them.
func (Type) Merge(w io.Writer, _ string, members []format.MergeInput) (string, error) {
	return "application/x-yaml", merge(w, members, nil, func(i int) func(string) string {
		return withPrefix("../../" + members[i].Root)
	})
}

// merge writes the charts of members' indexes as one index: keep (nil:
// all) chooses the versions, link(i) maps member i's chart URLs.
func merge(w io.Writer, members []format.MergeInput, keep func(name string, it item) bool, link func(i int) func(string) string) error {
	sorted := true
	for _, m := range members {
		ok, err := isSorted(m)
		if err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
		sorted = sorted && ok
	}
	sources := make([]chartSource, len(members))
	for i, m := range members {
		rc, err := m.Open()
		if err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
		defer rc.Close()
		r := &chartReader{br: bufio.NewReaderSize(rc, 64<<10), strict: sorted}
		if sorted {
			sources[i] = r
		} else {
			// A hand-written index out of order: its charts are held in
			// memory (as text, a fraction of a YAML tree) to merge them.
			all, err := readAll(r)
			if err != nil {
				return fmt.Errorf("member %s: %w", m.Name, err)
			}
			sources[i] = all
		}
		if err := sources[i].advance(); err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("apiVersion: v1\nentries:\n")
	for {
		name := ""
		for _, src := range sources {
			if c := src.current(); c != nil && (name == "" || c.name < name) {
				name = c.name
			}
		}
		if name == "" {
			break
		}
		seen := map[string]bool{}
		named := false
		for i, src := range sources {
			c := src.current()
			if c == nil || c.name != name {
				continue
			}
			for _, it := range c.items {
				if it.version != "" && seen[it.version] || keep != nil && !keep(name, it) {
					continue
				}
				seen[it.version] = true
				if !named { // a chart with no version left is left out
					fmt.Fprintf(bw, "  %s:\n", name)
					named = true
				}
				// Small reader, same writer: one chart version costs no buffers.
				if err := mapURLs(bufio.NewReaderSize(strings.NewReader(it.text), 256), bw, link(i)); err != nil {
					return fmt.Errorf("member %s, chart %s: %w", members[i].Name, name, err)
				}
			}
			if err := src.advance(); err != nil {
				return fmt.Errorf("member %s: %w", members[i].Name, err)
			}
		}
	}
	fmt.Fprintf(bw, "generated: %q\n", time.Now().UTC().Format(time.RFC3339Nano))
	return bw.Flush()
}

// isSorted reads a member's index once, checking its charts come in name
// order (as every generator writes them).
func isSorted(m format.MergeInput) (bool, error) {
	rc, err := m.Open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	r := &chartReader{br: bufio.NewReaderSize(rc, 64<<10), strict: true}
	for {
		err := r.advance()
		if errors.Is(err, errUnsorted) {
			return false, nil
		}
		if err != nil || r.cur == nil {
			return err == nil, err
		}
	}
}

func withPrefix(prefix string) func(string) string {
	return func(u string) string {
		if strings.Contains(u, "://") {
			return u // absolute (pre-signed): reached as it is
		}
		return prefix + u
	}
}

// chartSource yields one member's charts in name order.
type chartSource interface {
	current() *chart
	advance() error
}

// sortedCharts is a member's charts read whole and sorted.
type sortedCharts struct {
	charts []*chart
	i      int
}

func (s *sortedCharts) current() *chart {
	if s.i == 0 || s.i > len(s.charts) {
		return nil
	}
	return s.charts[s.i-1]
}

func (s *sortedCharts) advance() error { s.i++; return nil }

func readAll(r *chartReader) (*sortedCharts, error) {
	byName := map[string]*chart{}
	var names []string
	for {
		if err := r.advance(); err != nil {
			return nil, err
		}
		if r.cur == nil {
			break
		}
		if c, ok := byName[r.cur.name]; ok {
			c.items = append(c.items, r.cur.items...)
			continue
		}
		byName[r.cur.name] = r.cur
		names = append(names, r.cur.name)
	}
	slices.Sort(names)
	out := &sortedCharts{}
	for _, n := range names {
		out.charts = append(out.charts, byName[n])
	}
	return out, nil
}

// chart is one chart's versions from one member index.
type chart struct {
	name  string
	items []item
}

type item struct {
	version string
	created string
	text    string // the item's lines, re-indented to two spaces
}

// chartReader yields the charts under "entries:" one at a time.
type chartReader struct {
	br      *bufio.Reader
	strict  bool // charts must come in name order
	cur     *chart
	started bool   // inside entries:
	indent  int    // column of chart names
	next    string // a line read ahead
	done    bool
}

var errUnsorted = errors.New("index entries are not sorted by chart name")

func (r *chartReader) current() *chart { return r.cur }

func (r *chartReader) line() (string, bool) {
	if r.next != "" {
		l := r.next
		r.next = ""
		return l, true
	}
	if r.done {
		return "", false
	}
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.done = true
		if l == "" {
			return "", false
		}
		l += "\n"
	}
	return l, true
}

// advance reads the next chart into cur (nil at the end).
func (r *chartReader) advance() error {
	prev := r.cur
	r.cur = nil
	for {
		raw, ok := r.line()
		if !ok {
			return nil
		}
		l := split(raw)
		if blankOrComment(l) {
			continue
		}
		if !r.started {
			if k, _, ok := l.key(); ok && k == "entries" && l.indent == 0 {
				r.started, r.indent = true, -1
			}
			continue
		}
		if l.indent == 0 {
			r.started = false // past entries:
			continue
		}
		k, rest, ok := l.key()
		if !ok || rest != "" || l.keyIndent != l.indent || (r.indent >= 0 && l.indent != r.indent) {
			return fmt.Errorf("unexpected line in entries: %q", strings.TrimSpace(raw))
		}
		r.indent = l.indent
		c := &chart{name: k}
		if err := r.items(c); err != nil {
			return err
		}
		if r.strict && prev != nil && c.name <= prev.name {
			return errUnsorted
		}
		r.cur = c
		return nil
	}
}

// items reads a chart's version items: sequence items at or below the
// chart name's indentation, until the next chart or top-level key.
func (r *chartReader) items(c *chart) error {
	var cur *bytes.Buffer
	var curVersion, curCreated string
	itemIndent := -1
	flush := func() {
		if cur != nil {
			c.items = append(c.items, item{version: curVersion, created: curCreated, text: cur.String()})
		}
		cur, curVersion, curCreated = nil, "", ""
	}
	// keep adds a line to the item, re-indented to two spaces.
	keep := func(raw string) {
		cur.WriteString("  ")
		cur.WriteString(strings.TrimPrefix(raw, strings.Repeat(" ", itemIndent)))
	}
	var open spanning // what an item's line left open (see spanning)
	for {
		raw, ok := r.line()
		if !ok {
			break
		}
		l := split(raw)
		if open.advance(l) && cur != nil {
			// The text of a value: as it is, a block scalar's blank lines
			// included, and never the item's keys.
			keep(raw)
			continue
		}
		if blankOrComment(l) {
			continue
		}
		if l.indent < r.indent || (l.indent == r.indent && l.keyIndent == l.indent) {
			r.next = raw // the next chart, or a top-level key
			break
		}
		if l.keyIndent > l.indent && (itemIndent < 0 || l.indent == itemIndent) {
			flush()
			itemIndent, cur = l.indent, &bytes.Buffer{}
		}
		if cur == nil {
			return fmt.Errorf("chart %s: expected a list of versions", c.name)
		}
		if k, v, ok := l.key(); ok && l.keyIndent == itemIndent+2 {
			switch k {
			case "version":
				curVersion, _ = scalar(v)
			case "created":
				curCreated, _ = scalar(v)
			}
		}
		keep(raw)
	}
	flush()
	return nil
}
