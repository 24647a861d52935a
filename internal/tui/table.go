package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// column is one column of a table: a fixed width, or (flex) whatever the
// others leave, at least min.
type column struct {
	title string
	width int
	flex  bool
	right bool
}

// table lays rows out in width columns; cells are cut with an ellipsis, so
// no line ever wraps (a wrapped line would scroll the screen).
func table(cols []column, rows [][]string, width int) (header string, lines []string) {
	fixed := -1 // no separator after the last column
	for _, c := range cols {
		fixed += c.width + 1
	}
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = c.width
		if c.flex {
			widths[i] = max(c.width, width-fixed+c.width)
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i, w := range widths {
			cell := ""
			if i < len(cells) {
				cell = ansi.Truncate(cells[i], w, "…")
			}
			pad := strings.Repeat(" ", w-ansi.StringWidth(cell))
			if cols[i].right {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
			if i < len(widths)-1 {
				b.WriteByte(' ')
			}
		}
		return strings.TrimRight(b.String(), " ")
	}
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	for _, r := range rows {
		lines = append(lines, line(r))
	}
	return line(titles), lines
}

// window picks which of n rows to show in h lines so that sel is visible.
func window(n, sel, h int) (from, to int) {
	if h <= 0 {
		return 0, 0
	}
	if n <= h {
		return 0, n
	}
	from = max(0, min(sel-h/2, n-h))
	return from, from + h
}

// fit makes exactly h lines of at most w cells: the frame never grows past
// the terminal, so nothing scrolls and nothing is left over from the last
// frame.
func fit(lines []string, w, h int) string {
	// A line with a newline in it (an error joined from several) would
	// push the frame down a line: each part becomes its own line.
	lines = strings.Split(strings.Join(lines, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = ansi.Truncate(lines[i], w, "…")
		}
	}
	return strings.Join(out, "\n")
}
