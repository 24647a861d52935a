package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

var (
	titleStyle = lipgloss.NewStyle().Bold(true)
	tabStyle   = lipgloss.NewStyle().Bold(true).Reverse(true)
	faint      = lipgloss.NewStyle().Faint(true)
	errStyle   = lipgloss.NewStyle().Foreground(lipgloss.Color("9"))
	okStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("10"))
	selStyle   = lipgloss.NewStyle().Reverse(true)
	headStyle  = lipgloss.NewStyle().Bold(true).Underline(true)
)

// View draws the frame: a title and tab line, a status line, the view,
// and a help line, exactly the terminal's height.
func (m *Model) View() string {
	w, h := max(m.width, 20), max(m.height, 5)
	var tabs []string
	for i, n := range viewNames {
		if view(i) == m.view {
			tabs = append(tabs, tabStyle.Render(" "+n+" "))
		} else {
			tabs = append(tabs, " "+n+" ")
		}
	}
	live := okStyle.Render("● live")
	if !m.stream.Connected {
		live = errStyle.Render("○ reconnecting")
	}
	top := titleStyle.Render("ArtifactAPI") + " " + strings.Join(tabs, "") + "  " + live + "  " + faint.Render(m.c.Endpoint)
	status := ""
	switch {
	case m.confirm != nil:
		status = errStyle.Render("Evict " + m.confirm.what + "? y/n")
	case m.failed:
		status = errStyle.Render(m.status)
	default:
		status = faint.Render(m.status)
	}
	var body []string
	bh := h - 3
	switch m.view {
	case viewRemotes:
		body = m.remotesView(w, bh)
	case viewObjects:
		body = m.objectsView(w, bh)
	case viewEvents:
		body = m.eventsView(w, bh)
	case viewHealth:
		body = m.healthView(w, bh)
	}
	return fit([]string{top}, w, 1) + "\n" + fit([]string{status}, w, 1) + "\n" + fit(body, w, bh) + "\n" + fit([]string{faint.Render(m.help())}, w, 1)
}

func (m *Model) help() string {
	common := "1-4/tab view · r refresh · q quit"
	short := "1-4 view · q quit"
	switch {
	case m.confirm != nil:
		return "y evict · n keep"
	case m.filtering:
		return "type a path prefix · enter apply · esc cancel"
	case m.view == viewRemotes:
		return "↑↓ select · enter objects · " + common
	case m.view == viewObjects:
		return "/ prefix · n/p page · d evict · D evict prefix · esc back · " + short
	}
	return common
}

func (m *Model) remotesView(w, h int) []string {
	if !m.loaded {
		return []string{"loading…"}
	}
	cols := []column{{title: "NAME", width: 16}, {title: "TYPE", width: 9}, {title: "UPSTREAM", width: 12, flex: true},
		{title: "HIT%", width: 6, right: true}, {title: "STORED", width: 9, right: true}, {title: "CIRCUIT", width: 7}}
	rows := make([][]string, len(m.remotes))
	for i, r := range m.remotes {
		c := m.stats.Remotes[r.Name]
		circuit := m.stats.Upstreams[r.Name].Circuit
		rows[i] = []string{r.Name, r.PackageType, r.BaseURL, HitRatio(c), Bytes(c.StoredBytes), circuit}
	}
	head, lines := table(cols, rows, w-2)
	out := []string{headStyle.Render(fmt.Sprintf("Remotes (%d)", len(m.remotes))), "  " + faint.Render(head)}
	vh := min(len(m.virtuals), 5)
	if vh > 0 {
		vh += 3
	}
	from, to := window(len(lines), m.sel, h-2-vh)
	for i := from; i < to; i++ {
		if i == m.sel {
			out = append(out, "› "+selStyle.Render(lines[i]))
		} else {
			out = append(out, "  "+lines[i])
		}
	}
	if len(m.remotes) == 0 {
		out = append(out, "  no remotes yet: create one with POST /api/v2/remotes or Terraform")
	}
	if len(m.virtuals) > 0 {
		vcols := []column{{title: "NAME", width: 16}, {title: "TYPE", width: 9}, {title: "MEMBERS", width: 10, flex: true}}
		vrows := make([][]string, len(m.virtuals))
		for i, v := range m.virtuals {
			vrows[i] = []string{v.Name, v.PackageType, strings.Join(v.Members, ", ")}
		}
		vhead, vlines := table(vcols, vrows, w-2)
		out = append(out, "", headStyle.Render(fmt.Sprintf("Virtuals (%d)", len(m.virtuals))), "  "+faint.Render(vhead))
		for _, l := range vlines {
			out = append(out, "  "+l)
		}
	}
	return out
}

func (m *Model) objectsView(w, h int) []string {
	if m.objRemote == "" {
		return []string{"no remote selected: pick one in view 1"}
	}
	prefix := m.prefix.Value()
	if m.filtering {
		prefix = m.prefix.View()
	} else if prefix == "" {
		prefix = faint.Render("prefix: (all) — / to filter")
	} else {
		prefix = "prefix: " + prefix
	}
	pageNo := len(m.cursors) + 1
	more := ""
	if m.page.NextCursor != "" {
		more = ", more: n"
	}
	out := []string{headStyle.Render(fmt.Sprintf("Objects of %s", m.objRemote)) + faint.Render(fmt.Sprintf("  page %d (%d shown%s)", pageNo, len(m.page.Objects), more)), prefix}
	cols := []column{{title: "PATH", width: 20, flex: true}, {title: "SIZE", width: 9, right: true}, {title: "KIND", width: 9},
		{title: "HITS", width: 5, right: true}, {title: "EXPIRES", width: 11}, {title: "SHA256", width: 12}}
	rows := make([][]string, len(m.page.Objects))
	for i, o := range m.page.Objects {
		kind, exp := "immutable", "never"
		if o.Mutable {
			kind = "mutable"
		}
		if o.ExpiresAt != nil {
			exp = until(*o.ExpiresAt)
		}
		rows[i] = []string{o.Path, Bytes(o.Size), kind, fmt.Sprint(o.Hits), exp, o.SHA256}
	}
	head, lines := table(cols, rows, w-2)
	out = append(out, "  "+faint.Render(head))
	from, to := window(len(lines), m.objSel, h-3)
	for i := from; i < to; i++ {
		if i == m.objSel {
			out = append(out, "› "+selStyle.Render(lines[i]))
		} else {
			out = append(out, "  "+lines[i])
		}
	}
	if len(lines) == 0 {
		out = append(out, "  nothing cached here")
	}
	return out
}

func until(t time.Time) string {
	d := time.Until(t)
	switch {
	case d <= 0:
		return "expired"
	case d < time.Hour:
		return fmt.Sprintf("in %dm", int(d.Minutes())+1)
	case d < 48*time.Hour:
		return fmt.Sprintf("in %dh", int(d.Hours()))
	}
	return fmt.Sprintf("in %dd", int(d.Hours()/24))
}

func (m *Model) eventsView(w, h int) []string {
	fills := m.live.Fills()
	out := []string{headStyle.Render(fmt.Sprintf("In flight (%d)", len(fills)))}
	maxFills := min(len(fills), max(1, h/2-1))
	barW := min(30, max(10, w/4))
	m.bar.Width = barW
	for _, f := range fills[:maxFills] {
		name := f.Remote + "/" + f.Path
		var right string
		if f.Size > 0 {
			pct := float64(f.Bytes) / float64(f.Size)
			right = fmt.Sprintf("%s %3.0f%% %s of %s", m.bar.ViewAs(pct), 100*pct, Bytes(f.Bytes), Bytes(f.Size))
		} else {
			right = fmt.Sprintf("%s received (size not known)", Bytes(f.Bytes))
		}
		nw := max(10, w-2-ansi.StringWidth(right)-1)
		out = append(out, "  "+pad(name, nw)+" "+right)
	}
	if len(fills) == 0 {
		out = append(out, faint.Render("  nothing downloading"))
	} else if len(fills) > maxFills {
		out = append(out, faint.Render(fmt.Sprintf("  … and %d more", len(fills)-maxFills)))
	}
	recent := m.live.Recent()
	out = append(out, "", headStyle.Render("Recent"))
	cols := []column{{title: "TIME", width: 8}, {title: "CACHE", width: 7}, {title: "REMOTE", width: 12}, {title: "PATH", width: 12, flex: true},
		{title: "SIZE", width: 9, right: true}, {title: "TOOK", width: 8, right: true}}
	rows := make([][]string, 0, len(recent))
	for _, d := range recent {
		status := d.Status
		if d.Count > 1 {
			status = fmt.Sprintf("%s×%d", d.Status, d.Count)
		}
		path, size := d.Path, ""
		if d.Error != "" {
			path = d.Path + ": " + d.Error
		}
		if d.Size > 0 {
			size = Bytes(d.Size)
		}
		rows = append(rows, []string{d.Time.Local().Format("15:04:05"), status, d.Remote, path, size, Duration(d.Duration)})
	}
	head, lines := table(cols, rows, w-2)
	out = append(out, "  "+faint.Render(head))
	for _, l := range lines {
		out = append(out, "  "+l)
	}
	if len(lines) == 0 {
		out = append(out, faint.Render("  no requests since the TUI started"))
	}
	return out
}

// pad cuts or fills s to exactly w cells.
func pad(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

func (m *Model) healthView(w, h int) []string {
	if !m.loaded {
		return []string{"loading…"}
	}
	state := func(s string) string {
		if s == "ok" || s == "closed" {
			return okStyle.Render(s)
		}
		return errStyle.Render(s)
	}
	out := []string{headStyle.Render("Server") + " " + state(m.health.Status)}
	names := make([]string, 0, len(m.health.Checks))
	for n := range m.health.Checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := m.health.Checks[n]
		line := fmt.Sprintf("  %-8s %-10s %s", n, c.Backend, state(c.Status))
		if c.Error != "" {
			line += "  " + c.Error
		}
		out = append(out, line)
	}
	t := m.stats.Totals
	saved, pct := Saved(t)
	out = append(out, "", headStyle.Render("Totals"),
		fmt.Sprintf("  requests %d · hits %d · misses %d · stale %d · errors %d · hit ratio %s",
			t.Hits+t.Misses+t.Stale, t.Hits, t.Misses, t.Stale, t.Errors, HitRatio(t)),
		fmt.Sprintf("  served %s · fetched from upstream %s · saved %s (%s)", Bytes(t.BytesServed), Bytes(t.BytesFetched), Bytes(saved), pct),
		fmt.Sprintf("  objects %d · stored %s", t.Objects, Bytes(t.StoredBytes)))
	if s := m.stats.Storage; s != nil {
		limit := "unbounded"
		if s.MaxSize > 0 {
			limit = Bytes(s.MaxSize)
		}
		out = append(out, fmt.Sprintf("  cache limit %s · disk free %s · evicted %d", limit, Bytes(s.FreeBytes), s.Evicted))
	}
	out = append(out, "", headStyle.Render("Upstreams"))
	for _, r := range m.remotes {
		u := m.stats.Upstreams[r.Name]
		line := fmt.Sprintf("  %-16s %s", r.Name, state(u.Circuit))
		if b := u.Budget; b != nil {
			left := fmt.Sprintf("%d of %d left", b.Remaining, b.Limit)
			if b.Throttled {
				left = "throttled (429)"
			}
			if u.BudgetLow {
				left = "rate limit low: " + left + ", serving stale"
			}
			line += fmt.Sprintf("  %s until %s", left, b.ResetAt.Local().Format("15:04:05"))
		}
		if u.LastError != nil {
			line += fmt.Sprintf("  last error %s: %s", u.LastError.Time.Local().Format("15:04:05"), u.LastError.Error)
		}
		out = append(out, line)
	}
	return out
}
