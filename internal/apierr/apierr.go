// Package apierr holds the few error kinds the server distinguishes and maps
// them to HTTP status codes, in this one place.
package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Kinds. Wrap them with %w to add detail; Status finds them with errors.Is.
var (
	ErrInvalid         = errors.New("invalid request")
	ErrUnauthorized    = errors.New("unauthorized")
	ErrForbidden       = errors.New("forbidden")
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrUpstream        = errors.New("upstream error")
	ErrUpstreamTimeout = errors.New("upstream timeout")
	// ErrRateLimited: the upstream answered 429 and nothing cached could stand in.
	ErrRateLimited = errors.New("upstream rate limit")
	// ErrUpstreamDenied: the upstream refused the remote's credentials (401/403).
	ErrUpstreamDenied = errors.New("upstream denied")
	// ErrEgressRefused: the upstream named a host the egress guard refuses
	// (a redirect or a listed file on a private address).
	ErrEgressRefused = errors.New("egress refused")
	ErrUnavailable   = errors.New("service unavailable")
	// ErrBusy: too much work in flight; the client should retry soon.
	ErrBusy = errors.New("busy")
	// ErrNoSpace: the cache's disk is below its free-space reserve.
	ErrNoSpace = errors.New("insufficient storage")
)

// New wraps kind with a formatted message that is shown to the client.
func New(kind error, format string, args ...any) error {
	return &Error{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Error is a client-facing error of a kind.
type Error struct {
	kind error
	msg  string
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.kind }

// Status maps an error to its HTTP status.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound), errors.Is(err, meta.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict), errors.Is(err, meta.ErrExists):
		return http.StatusConflict
	case errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrUpstreamTimeout):
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, ErrUpstream), errors.Is(err, ErrUpstreamDenied), errors.Is(err, ErrEgressRefused):
		return http.StatusBadGateway
	default:
		// Anything unclassified is a backend failing us, never a miss.
		return http.StatusServiceUnavailable
	}
}

// Message is the text shown to clients: the classified message, or a generic
// one for internal errors whose detail belongs in the log only.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) || errors.Is(err, meta.ErrNotFound) || errors.Is(err, meta.ErrExists) {
		return err.Error()
	}
	return "backend unavailable"
}

// RetryAfterSeconds is what a busy server asks clients to wait.
const RetryAfterSeconds = "2"

// SetRetryAfter adds Retry-After to an answer that asks to come back.
func SetRetryAfter(h http.Header, err error) {
	if errors.Is(err, ErrBusy) {
		h.Set("Retry-After", RetryAfterSeconds)
	}
}

// WriteJSON writes {"error": message} with the mapped status.
func WriteJSON(w http.ResponseWriter, err error) {
	SetRetryAfter(w.Header(), err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(Status(err))
	json.NewEncoder(w).Encode(map[string]string{"error": Message(err)})
}
