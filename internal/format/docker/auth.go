package docker

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/egress"
	"github.com/artifactapi/artifactapi/internal/format"
)

// tokenCache keeps bearer tokens per (registry, scope, user) until shortly
// before they expire, so one token serves every pull of a repository.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token   string
	expires time.Time
}

var tokens = &tokenCache{m: map[string]cachedToken{}}

func (c *tokenCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	if !ok || time.Now().After(t.expires) {
		delete(c.m, key)
		return "", false
	}
	return t.token, true
}

func (c *tokenCache) put(key, token string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m) // tokens are cheap to fetch again; memory is bounded
	}
	c.m[key] = cachedToken{token, time.Now().Add(ttl)}
}

// authTransport answers a registry's 401 challenge: Bearer (fetch a token
// from its realm, anonymously or with the remote's credentials) or Basic.
// Only the registry's own origin gets credentials and tokens: a blob
// redirected to a CDN is fetched without them.
type authTransport struct {
	next   http.RoundTripper
	creds  format.Credentials
	tokens *tokenCache
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if egress.Origin(req.URL) != t.creds.Origin {
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
		return t.next.RoundTrip(req)
	}
	scope := scopeOf(req.URL.Path)
	key := t.creds.Origin + "|" + scope + "|" + t.creds.Username
	first := req.Clone(req.Context())
	switch {
	case t.creds.Token != "":
		first.Header.Set("Authorization", "Bearer "+t.creds.Token)
	default:
		if tok, ok := t.tokens.get(key); ok {
			first.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	resp, err := t.next.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || t.creds.Token != "" {
		return resp, err
	}
	scheme, params := parseChallenge(resp.Header.Get("WWW-Authenticate"))
	retry := req.Clone(req.Context())
	switch scheme {
	case "bearer":
		if params["scope"] == "" {
			params["scope"] = scope
		}
		tok, ttl, err := t.fetchToken(req, params)
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		t.tokens.put(key, tok, ttl)
		retry.Header.Set("Authorization", "Bearer "+tok)
	case "basic":
		if t.creds.Username == "" && t.creds.Password == "" {
			return resp, nil
		}
		retry.SetBasicAuth(t.creds.Username, t.creds.Password)
	default:
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.next.RoundTrip(retry)
}

// scopeOf guesses the pull scope from /v2/{repo}/(manifests|blobs|tags)/...
func scopeOf(path string) string {
	p := strings.TrimPrefix(path, "/v2/")
	for _, sep := range []string{"/manifests/", "/blobs/", "/tags/"} {
		if i := strings.LastIndex(p, sep); i > 0 {
			return "repository:" + p[:i] + ":pull"
		}
	}
	return ""
}

func (t *authTransport) fetchToken(orig *http.Request, params map[string]string) (string, time.Duration, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || (realm.Scheme != "http" && realm.Scheme != "https") {
		return "", 0, fmt.Errorf("registry token realm %q is not a URL", params["realm"])
	}
	q := realm.Query()
	if s := params["service"]; s != "" {
		q.Set("service", s)
	}
	if s := params["scope"]; s != "" {
		q.Set("scope", s)
	}
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(orig.Context(), http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("User-Agent", orig.Header.Get("User-Agent"))
	// The realm is the upstream's choice: the remote's credentials go there
	// only over TLS, or to the registry's own origin.
	if (t.creds.Username != "" || t.creds.Password != "") && (realm.Scheme == "https" || egress.Origin(realm) == t.creds.Origin) {
		req.SetBasicAuth(t.creds.Username, t.creds.Password)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return "", 0, fmt.Errorf("registry token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("registry token endpoint answered %s", resp.Status)
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", 0, fmt.Errorf("registry token: %w", err)
	}
	tok := body.Token
	if tok == "" {
		tok = body.AccessToken
	}
	if tok == "" {
		return "", 0, fmt.Errorf("registry token endpoint sent no token")
	}
	ttl := 60 * time.Second // the spec's default
	if body.ExpiresIn > 0 {
		ttl = time.Duration(body.ExpiresIn) * time.Second
	}
	// Renew a little early so a token never expires in flight.
	return tok, max(ttl-10*time.Second, ttl/2), nil
}

// parseChallenge parses `Bearer realm="...",service="...",scope="..."`.
func parseChallenge(h string) (scheme string, params map[string]string) {
	params = map[string]string{}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	scheme = strings.ToLower(scheme)
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				params[k] = v[1:]
				break
			}
			params[k], rest = v[1:end+1], v[end+2:]
		} else {
			val, r, _ := strings.Cut(v, ",")
			params[k], rest = strings.TrimSpace(val), r
		}
	}
	return scheme, params
}
