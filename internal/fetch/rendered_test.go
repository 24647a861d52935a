package fetch

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"testing"
)

func renderThrough(t *testing.T, files *renderFiles, small *smallCache, key string, data []byte) []byte {
	t.Helper()
	var sent bytes.Buffer
	tee := &renderTee{w: &sent, files: files, memMax: small.max / 8}
	for p := data; len(p) > 0; {
		n := min(len(p), 7000) // a presenter writes in pieces
		if _, err := tee.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	tee.finish(key, small)
	return sent.Bytes()
}

func readKept(t *testing.T, files *renderFiles, key string) ([]byte, bool) {
	t.Helper()
	f, size, ok := files.open(key)
	if !ok {
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || int64(len(b)) != size {
		t.Fatalf("kept %s: %d of %d bytes, %v", key, len(b), size, err)
	}
	return b, true
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A small rendering is kept in memory; a large one in a file, whole, and
// a client is sent the same bytes either way.
func TestRenderingsKeptInMemoryOrFile(t *testing.T) {
	parent := t.TempDir()
	files := newRenderFiles(parent, 1<<20)
	small := newSmallCache(400_000) // renderings over 50 KB go to files
	little, large := bytes.Repeat([]byte("a"), 1000), randomBytes(100_000)
	if sent := renderThrough(t, files, small, "little", little); !bytes.Equal(sent, little) {
		t.Fatal("little: the client got other bytes")
	}
	if n := dirNames(t, parent); len(n) != 0 {
		t.Fatalf("a directory made before any file: %v", n)
	}
	if sent := renderThrough(t, files, small, "large", large); !bytes.Equal(sent, large) {
		t.Fatal("large: the client got other bytes")
	}
	if b, ok := small.get("little"); !ok || !bytes.Equal(b, little) {
		t.Fatalf("little not in memory: %v", ok)
	}
	if _, _, ok := files.open("little"); ok {
		t.Fatal("little kept in a file")
	}
	if b, ok := readKept(t, files, "large"); !ok || !bytes.Equal(b, large) {
		t.Fatalf("large not kept whole: %v", ok)
	}
	if _, ok := small.get("large"); ok {
		t.Fatal("large kept in memory")
	}
	if n := dirNames(t, files.dir); len(n) != 1 {
		t.Fatalf("files: %v", n)
	}
	// Rendered twice at once: the second copy is not left behind.
	renderThrough(t, files, small, "large", large)
	if n := dirNames(t, files.dir); len(n) != 1 {
		t.Fatalf("after a second rendering: %v", n)
	}
	files.close()
	if _, err := os.Stat(files.dir); !os.IsNotExist(err) {
		t.Fatalf("directory left at close: %v", err)
	}
}

// Past max bytes a rendering not used since the others were goes, file
// and all; a request that had it open still reads it whole.
func TestRenderFilesEvictUnused(t *testing.T) {
	files := newRenderFiles(t.TempDir(), 250_000)
	small := newSmallCache(400_000) // renderings over 50 KB go to files
	docs := map[string][]byte{"a": randomBytes(100_000), "b": randomBytes(100_000), "c": randomBytes(100_000)}
	renderThrough(t, files, small, "a", docs["a"])
	renderThrough(t, files, small, "b", docs["b"])
	open, _, ok := files.open("a") // a is now the most recent
	if !ok {
		t.Fatal("a not kept")
	}
	defer open.Close()
	renderThrough(t, files, small, "c", docs["c"])
	if _, _, ok := files.open("b"); ok {
		t.Fatal("b, the least recently used, was kept past max")
	}
	for _, k := range []string{"a", "c"} {
		if b, ok := readKept(t, files, k); !ok || !bytes.Equal(b, docs[k]) {
			t.Fatalf("%s lost", k)
		}
	}
	if n := dirNames(t, files.dir); len(n) != 2 {
		t.Fatalf("files after eviction: %v", n)
	}
	// Evicting a while it is open leaves the open copy readable.
	renderThrough(t, files, small, "d", randomBytes(100_000))
	renderThrough(t, files, small, "e", randomBytes(100_000))
	if _, _, ok := files.open("a"); ok {
		t.Fatal("a not evicted")
	}
	if b, err := io.ReadAll(open); err != nil || !bytes.Equal(b, docs["a"]) {
		t.Fatalf("open copy of a: %d bytes, %v", len(b), err)
	}
}

// A rendering that failed midway keeps nothing, in memory or on disk.
func TestFailedRenderingKeepsNothing(t *testing.T) {
	files := newRenderFiles(t.TempDir(), 1<<20)
	small := newSmallCache(400_000) // renderings over 50 KB go to files
	tee := &renderTee{w: io.Discard, files: files, memMax: small.max / 8}
	tee.Write(randomBytes(90_000))
	tee.drop()
	tee.finish("broken", small)
	if _, _, ok := files.open("broken"); ok {
		t.Fatal("a failed rendering was kept")
	}
	if n := dirNames(t, files.dir); len(n) != 0 {
		t.Fatalf("files left: %v", n)
	}
	files.close()
	if _, err := files.create(); err == nil {
		t.Fatal("a file made after close")
	}
	// Without files, a large rendering is not kept at all.
	tee = &renderTee{w: io.Discard, memMax: small.max / 8}
	tee.Write(randomBytes(90_000))
	tee.finish("nofiles", small)
	if _, ok := small.get("nofiles"); ok {
		t.Fatal("a large rendering kept in memory without files")
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// A document rendered whole before sending is returned whole however it
// is kept: in memory without render files, in a file of its own even when
// too large to keep, and not at all when rendering failed.
func TestRenderKept(t *testing.T) {
	doc := randomBytes(100_000)
	render := func(w io.Writer) error { _, err := w.Write(doc); return err }
	for _, tc := range []struct {
		name  string
		files *renderFiles
	}{
		{"no files", nil},
		{"kept file", newRenderFiles(t.TempDir(), 1<<20)},
		{"file too large to keep", newRenderFiles(t.TempDir(), 50_000)},
	} {
		e := &Engine{small: newSmallCache(400_000), rendered: tc.files}
		data, f, size, err := e.renderKept("k", render)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f != nil {
			if data, err = io.ReadAll(f); err != nil || int64(len(data)) != size {
				t.Fatalf("%s: read %d of %d: %v", tc.name, len(data), size, err)
			}
			f.Close()
		}
		if !bytes.Equal(data, doc) {
			t.Fatalf("%s: returned other bytes", tc.name)
		}
		_, _, kept := tc.files.open("k")
		if want := tc.name == "kept file"; kept != want {
			t.Fatalf("%s: kept in a file %v, want %v", tc.name, kept, want)
		}
	}
	e := &Engine{small: newSmallCache(400_000), rendered: newRenderFiles(t.TempDir(), 1<<20)}
	failing := func(w io.Writer) error { w.Write(doc); return io.ErrUnexpectedEOF }
	if _, _, _, err := e.renderKept("bad", failing); err == nil {
		t.Fatal("a failed rendering was returned")
	}
	if _, _, kept := e.rendered.open("bad"); kept {
		t.Fatal("a failed rendering was kept")
	}
}
