package tui

import (
	tea "github.com/charmbracelet/bubbletea"
)

func (m *Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.Type == tea.KeyCtrlC {
		return m, tea.Quit
	}
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !m.filtering {
		// Keys typed faster than the terminal is read arrive as one
		// message ("/big"): take them one by one, as typed.
		var cmds []tea.Cmd
		for _, r := range k.Runes {
			_, cmd := m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	if m.confirm != nil {
		req := m.confirm
		switch k.String() {
		case "y", "Y":
			m.confirm = nil
			return m, m.evict(*req)
		case "n", "N", "esc":
			m.confirm = nil
			m.say(nil, "kept: %s", req.what)
		}
		return m, nil
	}
	if m.filtering {
		switch k.Type {
		case tea.KeyEnter:
			m.filtering = false
			m.prefix.Blur()
			return m, m.openObjects(m.objRemote)
		case tea.KeyEsc:
			m.filtering = false
			m.prefix.Blur()
			return m, nil
		}
		var cmd tea.Cmd
		m.prefix, cmd = m.prefix.Update(k)
		return m, cmd
	}
	switch s := k.String(); s {
	case "q":
		return m, tea.Quit
	case "1", "2", "3", "4":
		return m, m.show(view(s[0] - '1'))
	case "tab":
		return m, m.show((m.view + 1) % 4)
	case "shift+tab":
		return m, m.show((m.view + 3) % 4)
	case "r":
		cmds := []tea.Cmd{m.refresh()}
		if m.view == viewObjects {
			cmds = append(cmds, m.loadObjects(m.cursor))
		}
		return m, tea.Batch(cmds...)
	}
	switch m.view {
	case viewRemotes:
		return m.remotesKey(k)
	case viewObjects:
		return m.objectsKey(k)
	}
	return m, nil
}

func (m *Model) show(v view) tea.Cmd {
	m.view = v
	if v == viewObjects && m.objRemote == "" && len(m.remotes) > 0 {
		return m.openObjects(m.remotes[m.sel].Name)
	}
	return nil
}

// openObjects shows remote's objects under the current prefix, from the
// first page.
func (m *Model) openObjects(remote string) tea.Cmd {
	if remote != m.objRemote {
		m.prefix.SetValue("")
	}
	m.view, m.objRemote, m.cursors, m.cursor, m.objSel, m.page = viewObjects, remote, nil, "", 0, ObjectPage{}
	return m.loadObjects("")
}

func (m *Model) remotesKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "up", "k":
		m.sel = clamp(m.sel-1, len(m.remotes))
	case "down", "j":
		m.sel = clamp(m.sel+1, len(m.remotes))
	case "enter", "o":
		if len(m.remotes) > 0 {
			return m, m.openObjects(m.remotes[m.sel].Name)
		}
	}
	return m, nil
}

func (m *Model) objectsKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	objs := m.page.Objects
	switch k.String() {
	case "up", "k":
		m.objSel = clamp(m.objSel-1, len(objs))
	case "down", "j":
		m.objSel = clamp(m.objSel+1, len(objs))
	case "/":
		m.filtering = true
		m.prefix.CursorEnd()
		return m, m.prefix.Focus()
	case "n", "pgdown":
		if m.page.NextCursor != "" {
			m.cursors = append(m.cursors, m.cursor)
			m.objSel = 0
			return m, m.loadObjects(m.page.NextCursor)
		}
	case "p", "pgup":
		if n := len(m.cursors); n > 0 {
			prev := m.cursors[n-1]
			m.cursors, m.objSel = m.cursors[:n-1], 0
			return m, m.loadObjects(prev)
		}
	case "d":
		if len(objs) > 0 {
			o := objs[m.objSel]
			m.confirm = &evictReq{remote: m.objRemote, path: o.Path, what: m.objRemote + "/" + o.Path}
		}
	case "D":
		what := "every object of " + m.objRemote
		if p := m.prefix.Value(); p != "" {
			what = "every object of " + m.objRemote + " under " + p
		}
		m.confirm = &evictReq{remote: m.objRemote, prefix: m.prefix.Value(), what: what}
	case "esc":
		m.view = viewRemotes
	}
	return m, nil
}
