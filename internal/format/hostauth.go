package format

import (
	"net/http"

	"github.com/artifactapi/artifactapi/internal/egress"
)

// Credentials are a remote's upstream credentials, and the origin
// (scheme://host:port of its base URL) they were given for.
type Credentials struct {
	Username, Password, Token string
	Origin                    string
}

// Empty reports whether there are no credentials.
func (c Credentials) Empty() bool { return c.Token == "" && c.Username == "" && c.Password == "" }

// For reports whether a request to req's URL may carry the credentials:
// only to the exact origin they were given for (another port or scheme of
// the same host is another server).
func (c Credentials) For(req *http.Request) bool {
	return !c.Empty() && egress.Origin(req.URL) == c.Origin
}

// HostAuth sends c's credentials (Bearer token, else Basic) to their own
// origin only, redirects included.
func HostAuth(next http.RoundTripper, c Credentials) http.RoundTripper {
	return hostAuth{next, c}
}

type hostAuth struct {
	next http.RoundTripper
	c    Credentials
}

func (h hostAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if !h.c.For(req) {
		if req.Header.Get("Authorization") != "" {
			req = req.Clone(req.Context())
			req.Header.Del("Authorization")
		}
		return h.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	if h.c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.c.Token)
	} else {
		req.SetBasicAuth(h.c.Username, h.c.Password)
	}
	return h.next.RoundTrip(req)
}
