package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Documents (npm packuments, PyPI pages, helm indexes) are asked for by
// every install and compress five to ten times; npm, pip and helm all send
// Accept-Encoding: gzip. A gzip copy of a hot document is made once, off
// the request path, and kept beside its identity copy (in memory, or in a
// render file when large); the stored bytes stay the upstream's (or the
// rewritten ones) and are what every digest names.
const gzipMin = 1024 // smaller documents save less than their headers

// gzipKey names the gzip copy of what key names.
func gzipKey(key string) string { return "gzip\x00" + key }

// acceptsGzip reports whether r accepts a gzip body and asks for nothing a
// gzip copy does not answer (a range of it, or a date condition, which
// the identity path handles).
func acceptsGzip(r *http.Request) bool {
	ae := r.Header["Accept-Encoding"]
	if len(ae) == 0 {
		return false
	}
	for k := range r.Header {
		if k == "Range" || k == "If-Range" || (strings.HasPrefix(k, "If-") && k != "If-None-Match") {
			return false
		}
	}
	for _, v := range ae {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" {
				continue
			}
			return !zeroQ(params)
		}
	}
	return false
}

// zeroQ reports whether parameters of an Accept-Encoding item say q=0.
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q == 0
		}
	}
	return false
}

// compressible reports whether obj, a document, may be worth a gzip copy:
// of some size, and not typed as compressed or binary. Upstreams often
// call documents application/octet-stream (an index.yaml, a packument
// file served as is), so that type is tried; a copy that does not come
// out smaller is not kept (gzipLater). Container manifests (vnd.oci,
// vnd.docker) are left as they are: their digests name the bytes on the
// wire.
func compressible(obj meta.Object) bool {
	if obj.Size < gzipMin {
		return false
	}
	ct := strings.ToLower(obj.ContentType)
	for _, s := range []string{"vnd.oci.", "vnd.docker.", "gzip", "zstd", "xz", "bzip", "zip", "compress", "image/", "video/", "audio/", "font/"} {
		if strings.Contains(ct, s) {
			return false
		}
	}
	return true
}

var (
	valVaryEncoding = []string{"Accept-Encoding"}
	valGzip         = []string{"gzip"}
)

// varyEncoding tells caches between that the body depends on the
// request's Accept-Encoding, beside whatever else it names.
func varyEncoding(h http.Header) {
	if h["Vary"] == nil {
		h["Vary"] = valVaryEncoding
	} else {
		h.Add("Vary", "Accept-Encoding")
	}
}

// gzipped is the gzip copy kept under key, when r accepts one. When none
// is kept, the caller starts one (gzipLater) once the identity copy it
// is made from exists, and this request gets the identity copy.
func (e *Engine) gzipped(r *http.Request, key string) ([]byte, *os.File, int64, bool) {
	if !acceptsGzip(r) {
		return nil, nil, 0, false
	}
	return e.kept(gzipKey(key))
}

// earnsGzip reports whether answering r should start a gzip copy: r
// accepts one, and the document was asked for before (this is not its
// miss). A cold install asks for each document once; compressing them
// all would take a core from it (a second or more over a real npm
// install) and serve no one.
func earnsGzip(r *http.Request, cache format.Outcome) bool {
	return cache != format.Miss && acceptsGzip(r)
}

// sendGzipped answers r with a gzip copy; etag is the identity copy's,
// and the gzip copy has its own. The caller has set the other headers.
func sendGzipped(w http.ResponseWriter, r *http.Request, etag string, data []byte, f *os.File, size int64) {
	h := w.Header()
	h["Content-Encoding"] = valGzip
	if etag == "" { // a filtered document has none
		sendKept(w, r, data, f, size)
		return
	}
	tag := strings.TrimSuffix(etag, `"`) + `+gzip"`
	h.Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, tag) {
		if f != nil {
			f.Close()
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	sendKept(w, r, data, f, size)
}

// gzipLater makes key's gzip copy from src (size bytes) in the
// background, unless an earlier try found it not worth it, one document
// per free place at a time: a burst of new documents is served as it is
// until a place frees, and their next requests ask again. Without a memory cache nothing would keep the copy,
// and a document larger than that cache is not worth one.
func (e *Engine) gzipLater(key string, size int64, src func(context.Context) (io.ReadCloser, error)) {
	if e.rendered == nil || size > e.small.max {
		return
	}
	if _, no := e.plain.get(key); no {
		return
	}
	select {
	case e.gzipping <- struct{}{}:
	default:
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.base.Err() != nil {
		<-e.gzipping
		return // closing: Close waits only for what started before
	}
	e.fills.Go(func() {
		defer func() { <-e.gzipping }()
		if _, f, _, ok := e.kept(gzipKey(key)); ok {
			if f != nil {
				f.Close()
			}
			return // made while this request waited
		}
		rc, err := src(e.base)
		if err != nil {
			return
		}
		defer rc.Close()
		t := &renderTee{w: io.Discard, files: e.rendered, memMax: e.keptMemMax()}
		zw, _ := gzip.NewWriterLevel(t, gzip.DefaultCompression)
		n, err := io.Copy(zw, rc)
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			t.drop()
			e.Log.Warn("compressing a document failed", "err", err)
			return
		}
		if t.n > n-n/10 {
			// Compressed already (an apt Packages.xz, an APKINDEX.tar.gz)
			// or random: not worth a copy, nor another try.
			t.drop()
			e.plain.add(key, struct{}{}, 1)
			return
		}
		t.finish(gzipKey(key), e.small)
	})
}

// keptSource reads the rendering kept under key, when there is one.
func (e *Engine) keptSource(key string) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) {
		data, f, _, ok := e.kept(key)
		switch {
		case !ok:
			return nil, os.ErrNotExist
		case f != nil:
			return f, nil
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
}

// blobSource reads obj's stored bytes: from memory when they are there.
func (e *Engine) blobSource(obj meta.Object) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		if data, ok := e.small.get(obj.SHA256); ok {
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		rc, _, err := blob.OpenSized(ctx, e.Blobs, obj.SHA256, obj.Size)
		return rc, err
	}
}

// serveGzipDocument answers r from the gzip copy of a stored document
// (a PyPI page, a helm index; compressible, an index of its type) when r
// accepts one and one is kept. Copies are keyed by digest, so remotes
// that store the same bytes share one.
func (e *Engine) serveGzipDocument(w http.ResponseWriter, r *http.Request, obj meta.Object, cache format.Outcome) bool {
	varyEncoding(w.Header())
	data, f, size, ok := e.gzipped(r, obj.SHA256)
	if !ok {
		if earnsGzip(r, cache) {
			e.gzipLater(obj.SHA256, obj.Size, e.blobSource(obj))
		}
		return false
	}
	e.objectHeaders(w, obj, cache)
	lastModified(w.Header(), obj)
	sendGzipped(w, r, `"sha256:`+obj.SHA256+`"`, data, f, size)
	return true
}

// plainMax is how many documents found not worth a gzip copy are
// remembered (a key each, about 100 bytes).
const plainMax = 16384
