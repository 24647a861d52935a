package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/artifactapi/artifactapi/internal/config"
	"github.com/artifactapi/artifactapi/internal/server"
)

const testToken = "tui-test-token-0123456789"

// serve starts a whole server on temp backends; the TUI reaches it over
// real HTTP only, as it would any replica.
func serve(t *testing.T) string {
	t.Helper()
	vars := map[string]string{"DATA_DIR": t.TempDir(), "ADMIN_TOKEN": testToken, "UPSTREAM_ALLOW_PRIVATE": "true"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	app, err := server.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Server.Handler())
	t.Cleanup(func() {
		app.EndStreams()
		srv.CloseClientConnections()
		srv.Close()
		app.Close()
	})
	return srv.URL
}

func call(t *testing.T, method, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
}

// upstream serves small.txt at once and big.bin (1 MiB) dripped over about
// two seconds, so a fill stays in flight long enough to be drawn.
func upstream(t *testing.T) string {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small.txt":
			w.Write([]byte("small"))
		case "/big.bin":
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			for i := 0; i < len(body); i += 64 << 10 {
				if _, err := w.Write(body[i : i+64<<10]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(120 * time.Millisecond)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(up.Close)
	return up.URL
}

func waitScreen(t *testing.T, tm *teatest.TestModel, what string, wants ...string) {
	t.Helper()
	t.Logf("waiting for %s", what) // shown with the failure WaitFor reports
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range wants {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func TestTUIViewsAgainstAServer(t *testing.T) {
	base, up := serve(t), upstream(t)
	call(t, "POST", base+"/api/v2/remotes", `{"name":"files","package_type":"generic","base_url":"`+up+`/"}`)
	call(t, "POST", base+"/api/v2/remotes", `{"name":"other","package_type":"generic","base_url":"`+up+`/"}`)
	call(t, "POST", base+"/api/v2/virtuals", `{"name":"all","package_type":"generic","members":["files","other"]}`)
	call(t, "GET", base+"/api/v1/remote/files/small.txt", "")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := teatest.NewTestModel(t, New(ctx, NewClient(base, testToken)), teatest.WithInitialTermSize(100, 30))

	waitScreen(t, tm, "remotes listed", "files", "generic", up, "closed", "Virtuals (1)", "files, other", "● live")

	// Objects of the selected remote, then evict with a confirmation.
	tm.Send(key("enter"))
	waitScreen(t, tm, "objects", "Objects of files", "small.txt", "5 B", "immutable")
	tm.Send(key("d"))
	waitScreen(t, tm, "confirmation", "Evict files/small.txt? y/n")
	tm.Send(key("n"))
	waitScreen(t, tm, "kept", "kept: files/small.txt")
	tm.Send(key("d"))
	tm.Send(key("y"))
	waitScreen(t, tm, "evicted", "evicted 1 object(s): files/small.txt", "nothing cached here")

	// Live events: a miss, then a slow fill's progress bar.
	tm.Send(key("3"))
	waitScreen(t, tm, "events view", "In flight (0)", "Recent")
	call(t, "GET", base+"/api/v1/remote/files/small.txt", "")
	waitScreen(t, tm, "the miss", "MISS", "small.txt")
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Get(base + "/api/v1/remote/files/big.bin")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	waitScreen(t, tm, "progress bar", "In flight (1)", "files/big.bin", "% ", "of 1.00 MiB")
	<-done
	waitScreen(t, tm, "the fill's end", "In flight (0)", "big.bin", "1.00 MiB")

	// Health and the bandwidth saved.
	call(t, "GET", base+"/api/v1/remote/files/big.bin", "")
	tm.Send(key("4"))
	waitScreen(t, tm, "health", "Server ok", "sqlite", "hit ratio", "saved", "Upstreams")

	// Prefix filter typed as one burst, as a fast typist or a paste gives it.
	tm.Send(key("1"))
	tm.Send(key("enter"))
	tm.Send(key("/big"))
	tm.Send(key("enter"))
	waitScreen(t, tm, "filtered", "prefix: big", "big.bin")

	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestTUIResizesToEightyByTwentyFour(t *testing.T) {
	base := serve(t)
	call(t, "POST", base+"/api/v2/remotes", `{"name":"a-remote-with-a-rather-long-name","package_type":"generic","base_url":"http://127.0.0.1:9/a/very/long/upstream/path/that/cannot/fit"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, NewClient(base, testToken))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "listed", "a-remote-with-a")
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	tm.Send(key("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	frame := final.View()
	lines := strings.Split(frame, "\n")
	if len(lines) != 24 {
		t.Fatalf("frame is %d lines at 80x24", len(lines))
	}
	for i, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Fatalf("line %d is %d cells wide at 80x24: %q", i, w, l)
		}
	}
	if !strings.Contains(lines[23], "q quit") || !strings.Contains(frame, "a-remote-with-a…") {
		t.Fatalf("frame at 80x24:\n%s", frame)
	}
}

func TestCheckSaysWhatIsWrong(t *testing.T) {
	base := serve(t)
	ctx := context.Background()
	if err := NewClient(base, testToken).Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := NewClient(base, "wrong").Check(ctx); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Fatalf("wrong token: %v", err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if err := NewClient(dead.URL, testToken).Check(ctx); err == nil || !strings.Contains(err.Error(), "cannot reach "+dead.URL) {
		t.Fatalf("closed port: %v", err)
	}
}
