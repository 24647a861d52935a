package tui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Event is one server event (see the README's /api/v2/events).
type Event struct {
	Type       string    `json:"type"`
	Time       time.Time `json:"time"`
	Remote     string    `json:"remote"`
	Path       string    `json:"path"`
	Size       int64     `json:"size"`
	Bytes      int64     `json:"bytes"`
	DurationMS int64     `json:"duration_ms"`
	Count      int       `json:"count"`
	Error      string    `json:"error"`
}

// StreamState says whether the event stream is up.
type StreamState struct {
	Connected bool
	Err       error
}

// silence is how long the stream may say nothing before it is taken as
// dead: the server pings every 15 s.
const silence = 40 * time.Second

// Stream follows /api/v2/events until ctx ends, reconnecting by itself
// (a server restart, a proxy timeout) with a backoff up to 5 s. Events and
// state changes go to out.
func (c *Client) Stream(ctx context.Context, out chan<- any) {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		connected, err := c.streamOnce(ctx, out)
		if ctx.Err() != nil {
			return
		}
		send(ctx, out, StreamState{Err: err})
		if connected {
			backoff = 500 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func send(ctx context.Context, out chan<- any, v any) {
	select {
	case out <- v:
	case <-ctx.Done():
	}
}

func (c *Client) streamOnce(ctx context.Context, out chan<- any) (connected bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/api/v2/events", nil)
	if err != nil {
		return false, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	// No client timeout: the stream is meant to stay open; the silence
	// timer below ends a dead one.
	resp, err := (&http.Client{Transport: c.HTTP.Transport}).Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("events: %s", resp.Status)
	}
	send(ctx, out, StreamState{Connected: true})
	dead := time.AfterFunc(silence, cancel)
	defer dead.Stop()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for lines.Scan() {
		dead.Reset(silence)
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		var e Event
		if json.Unmarshal([]byte(data), &e) == nil {
			send(ctx, out, e)
		}
	}
	if err := lines.Err(); err != nil {
		return true, err
	}
	return true, fmt.Errorf("event stream ended")
}
