package format

import "net/http"

// Credentials are a remote's upstream credentials, and the host (of its
// base URL) they belong to.
type Credentials struct {
	Username, Password, Token string
	Host                      string
}

// HostAuth sends c's credentials (Bearer token, else Basic) to c.Host only.
func HostAuth(next http.RoundTripper, c Credentials) http.RoundTripper {
	return hostAuth{next, c}
}

type hostAuth struct {
	next http.RoundTripper
	c    Credentials
}

func (h hostAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != h.c.Host || (h.c.Token == "" && h.c.Username == "" && h.c.Password == "") {
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
