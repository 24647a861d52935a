package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

// do sends the fill's upstream request: conditional when a stale copy
// exists, with the remote's credentials (Go's client drops them on a
// redirect to another host).
func (e *Engine) do(ctx context.Context, f *fill) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.rem.UpstreamURL(f.path), nil)
	if err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "%s: cannot build upstream request: %v", f.rem.Name, err)
	}
	setAuth(req, f.rem.Username, f.rem.Password, f.rem.Token)
	req.Header.Set("User-Agent", e.UserAgent)
	req.Header.Set("Accept-Encoding", "identity")
	if f.stale != nil {
		if f.stale.ETag != "" {
			req.Header.Set("If-None-Match", f.stale.ETag)
		}
		if f.stale.LastModified != "" {
			req.Header.Set("If-Modified-Since", f.stale.LastModified)
		}
	}
	resp, err := e.opt.Client.Do(req)
	if err != nil {
		return nil, upstreamErr(f.rem.Name, err)
	}
	return resp, nil
}

func setAuth(req *http.Request, user, pass, token string) {
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case user != "" || pass != "":
		req.SetBasicAuth(user, pass)
	}
}

func upstreamErr(remote string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return apierr.New(apierr.ErrUpstreamTimeout, "%s: upstream timed out: %v", remote, err)
	}
	return apierr.New(apierr.ErrUpstream, "%s: upstream unreachable: %v", remote, err)
}
