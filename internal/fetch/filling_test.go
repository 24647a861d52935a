package fetch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// A request for a path whose first fill is under way joins it without
// reading the database: the fill found no row, and none is written before
// it commits. A second request after the commit is a hit from memory.
func TestJoiningAFirstFillSkipsTheDatabase(t *testing.T) {
	release := make(chan struct{})
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "12")
		io.WriteString(w, "first ")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "bytes!")
	})
	rem, err := registry.Compile(meta.Remote{Name: "j", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
	if err != nil {
		t.Fatal(err)
	}
	e, ms, _ := newEngine(t)
	reads := &countingGets{Objects: ms}
	e.Objects = reads
	gets := func() int {
		n, _ := reads.since(0, 0)
		return n
	}
	type answer struct {
		o    format.Outcome
		body string
		err  error
	}
	get := func() chan answer {
		ch := make(chan answer, 1)
		go func() {
			w := httptest.NewRecorder()
			o, err := e.Serve(w, httptest.NewRequest("GET", "/p", nil), rem, "p", "")
			ch <- answer{o, w.Body.String(), err}
		}()
		return ch
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				close(release)
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	first := get()
	waitFor("the first client's fill", func() bool { return e.Waiters("j", "p") == 1 })
	before := gets()
	second := get()
	waitFor("the second client to join", func() bool { return e.Waiters("j", "p") == 2 })
	joinReads := gets() - before
	close(release)
	for i, ch := range []chan answer{first, second} {
		if a := <-ch; a.err != nil || a.o != format.Miss || a.body != "first bytes!" {
			t.Fatalf("client %d: %s %q %v", i+1, a.o, a.body, a.err)
		}
	}
	if joinReads != 0 {
		t.Fatalf("joining a first fill read the database %d times", joinReads)
	}
	if up.asked("/p") != 1 {
		t.Fatalf("upstream asked %d times, want 1", up.asked("/p"))
	}
	e.Settle(t.Context(), "", "")
	before = gets()
	if a := <-get(); a.err != nil || a.o != format.Hit || a.body != "first bytes!" || gets() != before {
		t.Fatalf("after the fill: %s %q %v, %d database reads", a.o, a.body, a.err, gets()-before)
	}
}
