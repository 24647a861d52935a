package fetch

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// sumsType's index lists "path alg hex" (a digest of the whole file) or
// "path part N hex" (the sha1 of the file's first N bytes, checked by the
// type itself, as Alpine's control-segment digest is).
type sumsType struct{}

func (sumsType) Name() string { return "sums" }

func (sumsType) Classify(p string) (format.Class, error) {
	if p == "index" {
		return format.Class{Kind: format.Index, Mutable: true}, nil
	}
	return format.Class{Kind: format.Artifact, ListedIn: []string{"index"}, MustBeListed: true}, nil
}

func (sumsType) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	m := map[string]blob.Expect{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3:
			m[f[0]] = blob.Expect{Size: -1, Sums: []blob.Sum{{Alg: f[1], Hex: f[2]}}}
		case len(f) == 4 && f[1] == "part":
			n, _ := strconv.Atoi(f[2])
			want := f[3]
			m[f[0]] = blob.Expect{Size: -1, Check: func() blob.Check { return blobtest.HeadSHA1(n, want) }}
		}
	}
	return m, sc.Err()
}

// Digests other than sha256, and a type's own check over part of a file,
// refuse bytes that differ and store nothing; matching bytes are served.
func TestPublishedDigestsOfEveryKind(t *testing.T) {
	body := []byte(strings.Repeat("package bytes\n", 500))
	hexOf := func(h []byte) string { return hex.EncodeToString(h) }
	md, s1, s512, head := md5.Sum(body), sha1.Sum(body), sha512.Sum512(body), sha1.Sum(body[:64])
	index := strings.Join([]string{
		"good-md5 md5 " + hexOf(md[:]),
		"good-sha1 sha1 " + hexOf(s1[:]),
		"good-sha512 sha512 " + hexOf(s512[:]),
		"good-part part 64 " + hexOf(head[:]),
		"bad-md5 md5 " + strings.Repeat("0", 32),
		"bad-sha1 sha1 " + strings.Repeat("1", 40),
		"bad-sha512 sha512 " + strings.Repeat("2", 128),
		"bad-part part 65 " + hexOf(head[:]),
	}, "\n")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index" {
			io.WriteString(w, index)
			return
		}
		w.Write(body) // every file has the same bytes; the index says which digests are right
	}))
	defer up.Close()
	e, ms, _ := newEngine(t)
	rem, err := registry.Compile(meta.Remote{Name: "s", PackageType: "sums", BaseURL: up.URL}, format.NewRegistry(sumsType{}))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) (w *httptest.ResponseRecorder, err error, aborted bool) {
		w = httptest.NewRecorder()
		defer func() {
			if p := recover(); p == http.ErrAbortHandler {
				aborted = true
			} else if p != nil {
				panic(p)
			}
		}()
		_, err = e.Serve(w, httptest.NewRequest("GET", "/x", nil), rem, path, "")
		return w, err, false
	}
	if w, err, _ := serve("index"); err != nil || w.Code != 200 {
		t.Fatalf("index: %v %d", err, w.Code)
	}
	for _, kind := range []string{"md5", "sha1", "sha512", "part"} {
		if w, err, aborted := serve("good-" + kind); err != nil || aborted || w.Body.String() != string(body) {
			t.Errorf("%s matches but was not served: %v aborted=%v", kind, err, aborted)
		}
		w, err, aborted := serve("bad-" + kind)
		if !aborted && err == nil {
			t.Errorf("%s differs but was served whole: %d", kind, w.Code)
		}
		if _, err := ms.GetObject(context.Background(), "s", "bad-"+kind); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("%s differs but a row was stored: %v", kind, err)
		}
	}
	if _, err, _ := serve("unlisted"); err == nil || !strings.Contains(fmt.Sprint(err), "not listed") {
		t.Errorf("an unlisted path that must be listed: %v", err)
	}
}
