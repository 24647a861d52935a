package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxPane is a terminal the test types into and reads the screen of.
type tmuxPane struct {
	t    *testing.T
	name string
}

func newPane(t *testing.T, cols, rows int) *tmuxPane {
	needClient(t, "tmux")
	p := &tmuxPane{t: t, name: fmt.Sprintf("artifactapi-e2e-%d", time.Now().UnixNano())}
	// A plain shell inside: after the TUI quits, the screen must be the
	// shell's again.
	out, err := exec.Command("tmux", "new-session", "-d", "-s", p.name, "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), "sh").CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", p.name).Run() })
	return p
}

func (p *tmuxPane) keys(keys ...string) {
	p.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", p.name}, keys...)...).CombinedOutput(); err != nil {
		p.t.Fatalf("send-keys %v: %v\n%s", keys, err, out)
	}
}

func (p *tmuxPane) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", p.name).Output()
	return string(out)
}

// waitFor polls the screen until every want is on it.
func (p *tmuxPane) waitFor(what string, wants ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := p.screen()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: %q not on the screen:\n%s", what, wants, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTUIInTmux runs the built binary's TUI in a real terminal against the
// built server: a remote listed, an event after a fetch, a slow fill's
// progress bar, the stream back after a server restart, a clean exit.
func TestTUIInTmux(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small.txt":
			w.Write([]byte("small"))
		case "/big.bin":
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			for i := 0; i < len(big); i += 128 << 10 {
				if _, err := io.WriteString(w, big[i:i+128<<10]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(150 * time.Millisecond)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer up.Close()
	dir, addr := t.TempDir(), freePort(t)
	const token = "tui-e2e-token-0123456789"
	p := startOn(t, addr, dir, "ADMIN_TOKEN="+token)
	if resp, b := p.do("POST", "/api/v2/remotes", token, map[string]any{"name": "files", "package_type": "generic", "base_url": up.URL + "/"}); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}

	pane := newPane(t, 100, 30)
	pane.keys("clear; echo shell-before-tui", "Enter")
	pane.waitFor("shell", "shell-before-tui")
	pane.keys(fmt.Sprintf("ARTIFACTAPI_TOKEN=%s %s tui --endpoint %s", token, binary, p.url), "Enter")
	pane.waitFor("remote listed", "Remotes (1)", "files", "generic", up.URL, "● live")

	pane.keys("3")
	pane.waitFor("events view", "In flight (0)")
	p.do("GET", "/api/v1/remote/files/small.txt", "", nil)
	pane.waitFor("the fetch's event", "MISS", "small.txt")

	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get(p.url + "/api/v1/remote/files/big.bin"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	// Part of the bar filled: bytes arrived, the file is not whole yet.
	pane.waitFor("progress bar", "In flight (1)", "files/big.bin", "█", "░", "KiB of 2.00 MiB")
	<-done
	pane.waitFor("fill finished", "In flight (0)", "2.00 MiB")

	// A server restart: the TUI says so, then reconnects by itself.
	p.stop()
	pane.waitFor("stream down", "reconnecting")
	p = startOn(t, addr, dir, "ADMIN_TOKEN="+token)
	pane.waitFor("stream back", "● live")
	p.do("GET", "/api/v1/remote/files/small.txt", "", nil)
	pane.waitFor("events after the restart", "HIT")

	// 80×24 still shows the view and its help line.
	exec.Command("tmux", "resize-window", "-t", pane.name, "-x", "80", "-y", "24").Run()
	pane.keys("1")
	s := pane.waitFor("80x24", "Remotes (1)", "q quit")
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if len([]rune(l)) > 80 {
			t.Fatalf("line wider than 80 columns: %q", l)
		}
	}

	pane.keys("q")
	s = pane.waitFor("shell back", "shell-before-tui")
	if strings.Contains(s, "Remotes (1)") {
		t.Fatalf("the TUI left its frame on the terminal:\n%s", s)
	}
}

// TestTUIRefusesBadEndpointAndToken: a clear message and a non-zero exit.
func TestTUIRefusesBadEndpointAndToken(t *testing.T) {
	p := start(t, t.TempDir(), "ADMIN_TOKEN=tui-e2e-token-0123456789")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tui", "--endpoint", "http://" + freePort(t), "--token", "x"}, "cannot reach"},
		{[]string{"tui", "--endpoint", p.url, "--token", "wrong"}, "refused the token"},
		{[]string{"tui", "--endpoint", "ftp://x"}, "want a URL like"},
	} {
		out, err := exec.Command(binary, c.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: err %v, output %q; want a failure saying %q", c.args, err, out, c.want)
		}
	}
}
