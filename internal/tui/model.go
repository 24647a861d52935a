package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

type view int

const (
	viewRemotes view = iota
	viewObjects
	viewEvents
	viewHealth
)

var viewNames = [...]string{"1 Remotes", "2 Objects", "3 Events", "4 Health"}

// refreshEvery is how often the lists and counters are read again; the
// event stream makes the events view live between reads.
const refreshEvery = 2 * time.Second

// objectsPerPage is the page size of the objects view.
const objectsPerPage = 200

// Model is the whole TUI.
type Model struct {
	c      *Client
	ctx    context.Context
	events chan any

	width, height int
	view          view

	remotes  []Remote
	virtuals []Virtual
	stats    Stats
	health   Health
	loaded   bool
	sel      int

	objRemote string
	prefix    textinput.Model
	filtering bool
	page      ObjectPage
	cursors   []string // the cursor of every page before the shown one
	cursor    string
	objSel    int
	confirm   *evictReq

	live   *Live
	stream StreamState
	status string
	failed bool
	bar    progress.Model
}

type evictReq struct{ remote, path, prefix, what string }

// New returns the model and starts following the event stream until ctx
// ends.
func New(ctx context.Context, c *Client) *Model {
	ti := textinput.New()
	ti.Prompt = "prefix: "
	ti.CharLimit = 512
	m := &Model{c: c, ctx: ctx, events: make(chan any, 1024), width: 80, height: 24, prefix: ti,
		live: NewLive(200), bar: progress.New(progress.WithoutPercentage(), progress.WithWidth(20))}
	go c.Stream(ctx, m.events)
	return m
}

// Init reads everything once and starts the clock and the event pump.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.refresh(), tick(), m.nextEvent())
}

type snapshotMsg struct {
	remotes  []Remote
	virtuals []Virtual
	stats    Stats
	health   Health
	err      error
}

type objectsMsg struct {
	remote, prefix, cursor string
	page                   ObjectPage
	err                    error
}

type evictedMsg struct {
	what string
	n    int
	err  error
}

type tickMsg time.Time

func tick() tea.Cmd {
	return tea.Tick(refreshEvery, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) nextEvent() tea.Cmd {
	return func() tea.Msg {
		select {
		case v := <-m.events:
			return v
		case <-m.ctx.Done():
			return nil
		}
	}
}

func (m *Model) refresh() tea.Cmd {
	c, ctx := m.c, m.ctx
	return func() tea.Msg {
		var s snapshotMsg
		var errs [4]error
		s.remotes, errs[0] = c.Remotes(ctx)
		s.virtuals, errs[1] = c.Virtuals(ctx)
		s.stats, errs[2] = c.Stats(ctx)
		s.health, errs[3] = c.Health(ctx)
		s.err = errors.Join(errs[:]...)
		return s
	}
}

func (m *Model) loadObjects(cursor string) tea.Cmd {
	c, ctx, remote, prefix := m.c, m.ctx, m.objRemote, m.prefix.Value()
	return func() tea.Msg {
		p, err := c.Objects(ctx, remote, prefix, cursor, objectsPerPage)
		return objectsMsg{remote: remote, prefix: prefix, cursor: cursor, page: p, err: err}
	}
}

func (m *Model) evict(req evictReq) tea.Cmd {
	c, ctx := m.c, m.ctx
	return func() tea.Msg {
		n, err := c.Evict(ctx, req.remote, req.path, req.prefix)
		return evictedMsg{what: req.what, n: n, err: err}
	}
}

func (m *Model) say(err error, format string, args ...any) {
	if err != nil {
		// One line: the joined errors of a refresh usually say the same.
		m.status, m.failed = strings.ReplaceAll(err.Error(), "\n", "; "), true
		return
	}
	m.status, m.failed = fmt.Sprintf(format, args...), false
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tickMsg:
		return m, tea.Batch(m.refresh(), tick())
	case snapshotMsg:
		if msg.err != nil {
			m.say(msg.err, "")
		} else if m.failed && m.stream.Connected {
			m.status, m.failed = "", false
		}
		if msg.remotes != nil || msg.err == nil {
			m.remotes, m.virtuals, m.stats, m.health, m.loaded = msg.remotes, msg.virtuals, msg.stats, msg.health, true
		}
		m.sel = clamp(m.sel, len(m.remotes))
		return m, nil
	case objectsMsg:
		if msg.remote != m.objRemote || msg.prefix != m.prefix.Value() {
			return m, nil // an answer for a view already left
		}
		if msg.err != nil {
			m.say(msg.err, "")
			return m, nil
		}
		m.page, m.cursor = msg.page, msg.cursor
		m.objSel = clamp(m.objSel, len(m.page.Objects))
		return m, nil
	case evictedMsg:
		m.say(msg.err, "evicted %d object(s): %s", msg.n, msg.what)
		return m, tea.Batch(m.loadObjects(m.cursor), m.refresh())
	case Event:
		cmds := []tea.Cmd{m.nextEvent()}
		if m.live.Apply(msg, time.Now()) {
			cmds = append(cmds, m.refresh())
		}
		if m.view == viewObjects && msg.Remote == m.objRemote && (msg.Type == "fetch.finished" || msg.Type == "evict") {
			cmds = append(cmds, m.loadObjects(m.cursor))
		}
		return m, tea.Batch(cmds...)
	case StreamState:
		was := m.stream.Connected
		m.stream = msg
		if msg.Connected && !was {
			// Back after a restart: what changed meanwhile is not in the
			// stream, so read it all again.
			return m, tea.Batch(m.nextEvent(), m.refresh())
		}
		return m, m.nextEvent()
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func clamp(i, n int) int {
	return max(0, min(i, n-1))
}
