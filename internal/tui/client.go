// Package tui is the terminal UI: it talks to a running server over
// /api/v2 only, so it works against any replica.
package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the management API.
type Client struct {
	Endpoint string // e.g. http://localhost:8000
	Token    string
	HTTP     *http.Client
}

// NewClient returns a client for endpoint; calls other than the event
// stream time out after 10 s.
func NewClient(endpoint, token string) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/"), Token: token, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// ErrTokenRefused is returned when the server answers 401 or 403.
var ErrTokenRefused = errors.New("token refused")

// Remote is what the TUI shows of a remote.
type Remote struct {
	Name        string `json:"name"`
	PackageType string `json:"package_type"`
	BaseURL     string `json:"base_url"`
}

// Virtual is a virtual repository.
type Virtual struct {
	Name        string   `json:"name"`
	PackageType string   `json:"package_type"`
	Members     []string `json:"members"`
}

// Counters are a remote's (or the total) usage.
type Counters struct {
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	Stale        int64 `json:"stale"`
	Revalidated  int64 `json:"revalidated"`
	Errors       int64 `json:"errors"`
	BytesServed  int64 `json:"bytes_served"`
	BytesFetched int64 `json:"bytes_fetched"`
	Objects      int64 `json:"objects"`
	StoredBytes  int64 `json:"stored_bytes"`
}

// UpstreamHealth is a remote's circuit and last failure.
type UpstreamHealth struct {
	Circuit   string `json:"circuit"`
	LastError *struct {
		Time  time.Time `json:"time"`
		Error string    `json:"error"`
	} `json:"last_error"`
	Budget *struct {
		Remaining int64     `json:"remaining"`
		Limit     int64     `json:"limit"`
		ResetAt   time.Time `json:"reset_at"`
		Throttled bool      `json:"throttled"`
	} `json:"budget"`
	BudgetLow bool `json:"budget_low"`
}

// Stats is /api/v2/stats.
type Stats struct {
	Totals    Counters                  `json:"totals"`
	Remotes   map[string]Counters       `json:"remotes"`
	Upstreams map[string]UpstreamHealth `json:"upstreams"`
	Storage   *struct {
		MaxSize   int64 `json:"max_size"`
		MinFree   int64 `json:"min_free"`
		FreeBytes int64 `json:"free_bytes"`
		Evicted   int64 `json:"evicted"`
	} `json:"storage"`
}

// Health is /api/v2/health.
type Health struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Backend string `json:"backend"`
		Status  string `json:"status"`
		Error   string `json:"error"`
	} `json:"checks"`
}

// Object is one cached object.
type Object struct {
	Path       string     `json:"path"`
	SHA256     string     `json:"sha256"`
	Size       int64      `json:"size"`
	Mutable    bool       `json:"mutable"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastAccess time.Time  `json:"last_access"`
	Hits       int64      `json:"hits"`
}

// ObjectPage is one page of a remote's objects.
type ObjectPage struct {
	Objects    []Object `json:"objects"`
	NextCursor string   `json:"next_cursor"`
}

// call does one request and decodes a JSON answer into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+path, nil)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	// Health answers 503 with its JSON when a backend is down: still data.
	if resp.StatusCode >= 300 && !(path == "/api/v2/health" && resp.StatusCode == http.StatusServiceUnavailable) {
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(body))
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("%w: %s %s: %d %s", ErrTokenRefused, method, path, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, e.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// Check tells whether the endpoint answers and accepts the token, with an
// error a person can act on.
func (c *Client) Check(ctx context.Context) error {
	if err := c.call(ctx, http.MethodGet, "/api/v2/health", nil); err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.Endpoint, err)
	}
	if err := c.call(ctx, http.MethodGet, "/api/v2/remotes", nil); err != nil {
		if errors.Is(err, ErrTokenRefused) {
			return fmt.Errorf("%s refused the token (give --token or ARTIFACTAPI_TOKEN): %w", c.Endpoint, err)
		}
		return err
	}
	return nil
}

// Remotes lists the remotes.
func (c *Client) Remotes(ctx context.Context) ([]Remote, error) {
	var out struct{ Remotes []Remote }
	err := c.call(ctx, http.MethodGet, "/api/v2/remotes", &out)
	return out.Remotes, err
}

// Virtuals lists the virtual repositories.
func (c *Client) Virtuals(ctx context.Context) ([]Virtual, error) {
	var out struct{ Virtuals []Virtual }
	err := c.call(ctx, http.MethodGet, "/api/v2/virtuals", &out)
	return out.Virtuals, err
}

// Stats reads the usage counters.
func (c *Client) Stats(ctx context.Context) (Stats, error) {
	var out Stats
	err := c.call(ctx, http.MethodGet, "/api/v2/stats", &out)
	return out, err
}

// Health reads the backends' health.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var out Health
	err := c.call(ctx, http.MethodGet, "/api/v2/health", &out)
	return out, err
}

// Objects lists one page of a remote's objects under prefix.
func (c *Client) Objects(ctx context.Context, remote, prefix, cursor string, limit int) (ObjectPage, error) {
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out ObjectPage
	err := c.call(ctx, http.MethodGet, "/api/v2/remotes/"+url.PathEscape(remote)+"/objects?"+q.Encode(), &out)
	return out, err
}

// Evict removes one object (path) or every object under prefix; both empty
// evicts the remote's whole cache.
func (c *Client) Evict(ctx context.Context, remote, path, prefix string) (int, error) {
	q := url.Values{}
	if path != "" {
		q.Set("path", path)
	} else if prefix != "" {
		q.Set("prefix", prefix)
	}
	var out struct{ Evicted int }
	err := c.call(ctx, http.MethodDelete, "/api/v2/remotes/"+url.PathEscape(remote)+"/objects?"+q.Encode(), &out)
	return out.Evicted, err
}
