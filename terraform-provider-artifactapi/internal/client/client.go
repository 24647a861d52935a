// Package client is the provider's own small client of ArtifactAPI's
// management API (/api/v2); it shares no code with the server.
package client

import (
	"bytes"
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

// ErrNotFound is the API's 404.
var ErrNotFound = errors.New("not found")

// Client talks to one ArtifactAPI server.
type Client struct {
	Endpoint string
	Token    string
	HTTP     *http.Client
}

// New returns a client for endpoint (e.g. http://localhost:8000).
func New(endpoint, token string) *Client {
	return &Client{Endpoint: strings.TrimSuffix(endpoint, "/"), Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Remote is a remote repository as the API has it.
type Remote struct {
	Name              string   `json:"name"`
	PackageType       string   `json:"package_type"`
	BaseURL           string   `json:"base_url"`
	ImmutableTTL      int64    `json:"immutable_ttl"`
	MutableTTL        int64    `json:"mutable_ttl"`
	NegativeTTL       int64    `json:"negative_ttl"`
	Patterns          []string `json:"patterns"`
	Blocklist         []string `json:"blocklist"`
	MutablePatterns   []string `json:"mutable_patterns"`
	ImmutablePatterns []string `json:"immutable_patterns"`
	AllowedHosts      []string `json:"allowed_hosts"`
	AuthRequired      *bool    `json:"auth_required,omitempty"`
	MaxSize           int64    `json:"max_size"`
	UnusedDays        int64    `json:"unused_days"`
	Username          string   `json:"username,omitempty"`
	Password          string   `json:"password,omitempty"`
	Token             string   `json:"token,omitempty"`
	// Settings are the package type's own settings (docker's ban_tags),
	// which the API keeps beside the fields above.
	Settings map[string]json.RawMessage `json:"-"`
}

type plainRemote Remote

// MarshalJSON puts the settings beside the other fields.
func (r Remote) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(plainRemote(r))
	if err != nil || len(r.Settings) == 0 {
		return b, err
	}
	all := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range r.Settings {
		if _, core := all[k]; !core {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// remoteFields are the keys that are not settings.
var remoteFields = map[string]bool{"name": true, "package_type": true, "base_url": true, "immutable_ttl": true, "mutable_ttl": true,
	"negative_ttl": true, "patterns": true, "allowed_hosts": true, "auth_required": true, "max_size": true, "unused_days": true, "blocklist": true, "mutable_patterns": true, "immutable_patterns": true,
	"username": true, "password": true, "token": true, "auth": true, "created_at": true, "updated_at": true}

// UnmarshalJSON keeps every key that is not a field above as a setting.
func (r *Remote) UnmarshalJSON(b []byte) error {
	var p plainRemote
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	p.Settings = map[string]json.RawMessage{}
	for k, v := range all {
		if !remoteFields[k] {
			p.Settings[k] = v
		}
	}
	*r = Remote(p)
	return nil
}

// Virtual is a virtual repository.
type Virtual struct {
	Name        string   `json:"name"`
	PackageType string   `json:"package_type"`
	Members     []string `json:"members"`
}

// APIError is an answer other than success, with the server's message.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("ArtifactAPI answered %d: %s", e.Status, e.Message)
}

func (e *APIError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Endpoint+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("ArtifactAPI at %s: %w", c.Endpoint, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

func esc(name string) string { return url.PathEscape(name) }

// GetRemote reads a remote; ErrNotFound when it does not exist.
func (c *Client) GetRemote(ctx context.Context, name string) (*Remote, error) {
	var r Remote
	return &r, c.do(ctx, http.MethodGet, "/api/v2/remotes/"+esc(name), nil, &r)
}

// CreateRemote creates a remote and returns it as stored.
func (c *Client) CreateRemote(ctx context.Context, r Remote) (*Remote, error) {
	var out Remote
	return &out, c.do(ctx, http.MethodPost, "/api/v2/remotes", r, &out)
}

// UpdateRemote replaces a remote's settings.
func (c *Client) UpdateRemote(ctx context.Context, r Remote) (*Remote, error) {
	var out Remote
	return &out, c.do(ctx, http.MethodPut, "/api/v2/remotes/"+esc(r.Name), r, &out)
}

// DeleteRemote deletes a remote (and its cache).
func (c *Client) DeleteRemote(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v2/remotes/"+esc(name), nil, nil)
}

// GetVirtual reads a virtual; ErrNotFound when it does not exist.
func (c *Client) GetVirtual(ctx context.Context, name string) (*Virtual, error) {
	var v Virtual
	return &v, c.do(ctx, http.MethodGet, "/api/v2/virtuals/"+esc(name), nil, &v)
}

// CreateVirtual creates a virtual.
func (c *Client) CreateVirtual(ctx context.Context, v Virtual) (*Virtual, error) {
	var out Virtual
	return &out, c.do(ctx, http.MethodPost, "/api/v2/virtuals", v, &out)
}

// UpdateVirtual replaces a virtual's members.
func (c *Client) UpdateVirtual(ctx context.Context, v Virtual) (*Virtual, error) {
	var out Virtual
	return &out, c.do(ctx, http.MethodPut, "/api/v2/virtuals/"+esc(v.Name), v, &out)
}

// DeleteVirtual deletes a virtual.
func (c *Client) DeleteVirtual(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v2/virtuals/"+esc(name), nil, nil)
}
