package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy is what one remote's upstream requests may reach.
type Policy struct {
	// Base is the remote's base_url: its origin is the operator's choice.
	Base *url.URL
	// Allowed are hosts ("host" or "host:port") the operator allowed
	// whatever they resolve to (but reserved addresses).
	Allowed []string
}

type policyKey struct{}

// WithPolicy makes requests sent with ctx follow p.
func WithPolicy(ctx context.Context, p Policy) context.Context {
	return context.WithValue(ctx, policyKey{}, p)
}

// Origin is scheme://host:port of u, with the scheme's default port.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

// Allows reports whether the operator allowed u's host by name.
func (p Policy) Allows(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	_, hostPort, _ := strings.Cut(Origin(u), "://")
	for _, a := range p.Allowed {
		a = strings.ToLower(a)
		if a == host || a == hostPort {
			return true
		}
	}
	return false
}

// Transport sends each request over connections dialled under the rule
// its host gets, one pool per rule, so a connection dialled for a
// permitted host is never reused for one that is not.
type Transport struct {
	pools   map[Rule]*http.Transport
	foreign Rule
}

// NewTransport builds the pools from tmpl (timeouts, TLS, proxy). With
// allowPrivate, hosts the upstream chooses may be private or loopback
// (never link-local or metadata).
func NewTransport(tmpl *http.Transport, allowPrivate bool) *Transport {
	t := &Transport{pools: map[Rule]*http.Transport{}, foreign: Foreign}
	if allowPrivate {
		t.foreign = ForeignPrivate
	}
	for _, r := range []Rule{Foreign, ForeignPrivate, Chosen, Allowed} {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: control(r)}
		p := tmpl.Clone()
		p.DialContext = d.DialContext
		t.pools[r] = p
	}
	return t
}

// control checks the address a connection is about to be made to: after
// DNS, so a name that resolves (or rebinds) to a refused address fails.
func control(r Rule) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("egress: unexpected dial address %q", address)
		}
		return r.Check(ap.Addr())
	}
}

// RuleFor is the rule a request's host gets.
func (t *Transport) RuleFor(req *http.Request) Rule {
	if p, ok := req.Context().Value(policyKey{}).(Policy); ok {
		switch {
		case p.Allows(req.URL):
			return Allowed
		case p.Base != nil && Origin(p.Base) == Origin(req.URL):
			return Chosen
		}
	}
	return t.foreign
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.RuleFor(req)
	// A literal address is checked before any proxy sees the request.
	if a, err := netip.ParseAddr(req.URL.Hostname()); err == nil {
		if err := r.Check(a); err != nil {
			return nil, err
		}
	}
	return t.pools[r].RoundTrip(req)
}

// CloseIdleConnections closes every pool's idle connections.
func (t *Transport) CloseIdleConnections() {
	for _, p := range t.pools {
		p.CloseIdleConnections()
	}
}

// Refused reports whether err is (or wraps) a refused connection.
func Refused(err error) (*RefusedError, bool) {
	var r *RefusedError
	ok := errors.As(err, &r)
	return r, ok
}
