// Package pullauth decides who may pull from a remote or virtual that
// requires authentication: the admin token, or a named read token whose
// scope covers the repository, sent the way clients send registry
// credentials (Basic, with the token as the password; or Bearer).
package pullauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Prefix starts every pull token, so one is recognised in a config file.
const Prefix = "aapt_"

// NewSecret returns a new token secret and the hash that is stored.
func NewSecret() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = Prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, Hash(secret), nil
}

// Hash is what is stored of a secret: tokens are random, so a plain
// sha256 cannot be reversed by guessing.
func Hash(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Tokens finds tokens by hash.
type Tokens interface {
	TokenByHash(ctx context.Context, hash string) (meta.Token, error)
}

// Checker admits pulls. Tokens are cached for a short while (a revocation
// reaches other replicas within cacheFor; this one forgets at once).
type Checker struct {
	Tokens Tokens
	Admin  string

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	tok   meta.Token
	found bool
	until time.Time
}

const cacheFor = 15 * time.Second

// Credential is the secret a request carries: a Bearer token, or the
// password of Basic credentials (whatever the user name).
func Credential(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "bearer"):
		return strings.TrimSpace(rest)
	case strings.EqualFold(scheme, "basic"):
		if _, pass, ok := r.BasicAuth(); ok {
			return pass
		}
	}
	return ""
}

// ErrRequired is the answer to a pull without (valid) credentials.
var ErrRequired = apierr.New(apierr.ErrUnauthorized, "authentication required: send a pull token (Basic password or Bearer)")

// Allow admits r to read repo (a remote or virtual name), or says why not;
// with repo "", any valid credential admits (a registry's version check,
// which names no repository).
func (c *Checker) Allow(ctx context.Context, r *http.Request, repo string) error {
	secret := Credential(r)
	if secret == "" {
		return ErrRequired
	}
	if c.Admin != "" {
		a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(c.Admin))
		if subtle.ConstantTimeCompare(a[:], b[:]) == 1 {
			return nil
		}
	}
	tok, found, err := c.lookup(ctx, Hash(secret))
	switch {
	case err != nil:
		return err
	case !found || tok.Expired(time.Now()):
		return apierr.New(apierr.ErrUnauthorized, "unknown, revoked or expired pull token")
	case repo != "" && len(tok.Repos) > 0 && !slices.Contains(tok.Repos, repo):
		return apierr.New(apierr.ErrForbidden, "pull token %q does not cover %s", tok.Name, repo)
	}
	return nil
}

func (c *Checker) lookup(ctx context.Context, hash string) (meta.Token, bool, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.cache[hash]; ok && now.Before(e.until) {
		c.mu.Unlock()
		return e.tok, e.found, nil
	}
	c.mu.Unlock()
	tok, err := c.Tokens.TokenByHash(ctx, hash)
	found := err == nil
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return tok, false, apierr.New(apierr.ErrUnavailable, "metadata store unavailable")
	}
	c.mu.Lock()
	if c.cache == nil || len(c.cache) > 10000 {
		c.cache = map[string]cached{} // guessed secrets must not grow it without bound
	}
	c.cache[hash] = cached{tok: tok, found: found, until: now.Add(cacheFor)}
	c.mu.Unlock()
	return tok, found, nil
}

// Forget drops cached tokens (after a revocation).
func (c *Checker) Forget() {
	c.mu.Lock()
	c.cache = nil
	c.mu.Unlock()
}
