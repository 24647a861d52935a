package fetch

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// ProbeResult is what a probe learned about an upstream artifact.
type ProbeResult struct {
	Status     int    `json:"status"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256,omitempty"`
	Mutable    bool   `json:"mutable"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// Probe fetches path from the upstream and hashes it, without serving or
// caching anything. Access policy applies as for a client.
func (e *Engine) Probe(ctx context.Context, rem *registry.Remote, path string) (ProbeResult, error) {
	class, err := rem.Classify(path)
	if err != nil {
		return ProbeResult{}, err
	}
	start := time.Now()
	res := ProbeResult{Mutable: class.Mutable, Size: -1}
	resp, err := e.do(ctx, &fill{rem: rem, path: path, class: class})
	if err != nil {
		res.Error = err.Error()
		res.DurationMS = time.Since(start).Milliseconds()
		return res, nil
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	if resp.StatusCode == http.StatusOK {
		h := blob.NewHasher()
		if _, err := io.Copy(h, resp.Body); err != nil {
			res.Error = "body: " + err.Error()
		} else {
			info := h.Info()
			res.Size, res.SHA256 = info.Size, info.SHA256
		}
	}
	res.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}
