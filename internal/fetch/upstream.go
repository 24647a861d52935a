package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/egress"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// do sends the fill's upstream request: conditional when a stale copy
// exists, with the remote's credentials (Go's client drops them on a
// redirect to another host).
func (e *Engine) do(ctx context.Context, f *fill) (*http.Response, error) {
	if hr := f.rem.Type.HeadRevalidator; hr != nil && f.stale != nil {
		if e.currentByHead(ctx, f, hr) {
			return &http.Response{StatusCode: http.StatusNotModified, Status: "304 Not Modified (HEAD)", Body: http.NoBody, Header: http.Header{}}, nil
		}
	}
	req, client, err := e.upstreamRequest(ctx, http.MethodGet, f.rem, f.path)
	if err != nil {
		return nil, err
	}
	if f.stale != nil {
		if f.stale.ETag != "" {
			req.Header.Set("If-None-Match", f.stale.ETag)
		}
		if f.stale.LastModified != "" {
			req.Header.Set("If-Modified-Since", f.stale.LastModified)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, upstreamErr(f.rem.Name, err)
	}
	return resp, nil
}

// upstreamRequest builds the request for path on rem and the client to send
// it with: the type's own URL mapping, headers and authentication when it
// has them, the remote's credentials for its own origin otherwise. Every
// connection goes through the egress guard under the remote's policy: its
// base URL is the operator's choice, other hosts are the upstream's.
func (e *Engine) upstreamRequest(ctx context.Context, method string, rem *registry.Remote, path string) (*http.Request, *http.Client, error) {
	ctx = egress.WithPolicy(ctx, egress.Policy{Base: rem.Base, Allowed: rem.AllowedHosts})
	up := rem.Type.Upstream
	target := path
	if up != nil {
		target = up.UpstreamPath(path)
	}
	req, err := http.NewRequestWithContext(ctx, method, rem.UpstreamURL(target), nil)
	if err != nil {
		return nil, nil, apierr.New(apierr.ErrInvalid, "%s: cannot build upstream request: %v", rem.Name, err)
	}
	req.Header.Set("User-Agent", e.UserAgent)
	req.Header.Set("Accept-Encoding", "identity")
	creds := format.Credentials{Username: rem.Username, Password: rem.Password, Token: rem.Token, Origin: egress.Origin(rem.Base)}
	c := *e.opt.Client
	base := budgetTransport{next: transportOf(e.opt.Client), e: e, remote: rem.Name}
	if up == nil {
		c.Transport = format.HostAuth(base, creds)
		return req, &c, nil
	}
	up.Prepare(req, path)
	c.Transport = up.Transport(base, creds)
	return req, &c, nil
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

// Upstream sends one uncached request for path on rem with extra headers
// (a docker client's own Accept list, a paginated query): the caller relays
// the answer and closes it.
func (e *Engine) Upstream(ctx context.Context, method string, rem *registry.Remote, path, rawQuery string, hdr http.Header) (*http.Response, error) {
	req, client, err := e.upstreamRequest(ctx, method, rem, path)
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = rawQuery
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, upstreamErr(rem.Name, err)
	}
	return resp, nil
}

// currentByHead asks the upstream with a HEAD whether the stale copy is
// still current; any doubt (an error, another status) means a GET follows.
func (e *Engine) currentByHead(ctx context.Context, f *fill, hr format.HeadRevalidator) bool {
	req, client, err := e.upstreamRequest(ctx, http.MethodHead, f.rem, f.path)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && hr.Current(f.path, resp.Header, f.stale.SHA256)
}

func upstreamErr(remote string, err error) error {
	if r, ok := egress.Refused(err); ok {
		return apierr.New(apierr.ErrEgressRefused, "%s: %v", remote, r)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return apierr.New(apierr.ErrUpstreamTimeout, "%s: upstream timed out: %v", remote, err)
	}
	return apierr.New(apierr.ErrUpstream, "%s: upstream unreachable: %v", remote, err)
}
