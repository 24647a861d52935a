package warm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

// Client starts and follows warming jobs over the management API (the
// artifactapi warm command).
type Client struct {
	Endpoint string
	Token    string
	HTTP     *http.Client
}

func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.Endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Start sends file (named name) to be warmed on remote.
func (c *Client) Start(ctx context.Context, remote, name, kind string, file io.Reader) (Report, error) {
	q := url.Values{"remote": {remote}, "file": {filepath.Base(name)}}
	if kind != "" {
		q.Set("kind", kind)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/api/v2/warm?"+q.Encode(), file)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	return rep, c.do(req, &rep)
}

// Get reads a job's report.
func (c *Client) Get(ctx context.Context, id string) (Report, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.Endpoint, "/")+"/api/v2/warm/"+url.PathEscape(id), nil)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	return rep, c.do(req, &rep)
}
