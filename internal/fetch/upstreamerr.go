package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

// UpstreamError is the last failed fill of a remote, for operators.
type UpstreamError struct {
	Time  time.Time `json:"time"`
	Error string    `json:"error"`
}

// upstreamErrorTTL bounds how long a remote shows its last failure: a day
// old error is history, not health.
const upstreamErrorTTL = 24 * time.Hour

func upstreamErrorKey(remote string) string { return "upstream:" + remote + ":last_error" }

// noteUpstreamError keeps err as the remote's last failure in the state
// store, so every replica's API shows it. Only the upstream's own failures
// count: a refusal because the circuit is open, or a full disk, would hide
// the error that matters.
func (e *Engine) noteUpstreamError(remote string, err error) {
	if !upstreamFault(err) {
		return
	}
	b, _ := json.Marshal(UpstreamError{Time: time.Now().UTC(), Error: err.Error()})
	ctx, cancel := context.WithTimeout(e.base, time.Second)
	defer cancel()
	if serr := e.State.Set(ctx, upstreamErrorKey(remote), string(b), upstreamErrorTTL); serr != nil {
		e.Log.Debug("last upstream error not kept", "remote", remote, "err", serr)
	}
}

// LastUpstreamError is the remote's last failed fill within a day, if any.
func (e *Engine) LastUpstreamError(ctx context.Context, remote string) (UpstreamError, bool) {
	v, err := e.State.Get(ctx, upstreamErrorKey(remote))
	if err != nil {
		return UpstreamError{}, false
	}
	var ue UpstreamError
	if json.Unmarshal([]byte(v), &ue) != nil {
		return UpstreamError{}, false
	}
	return ue, true
}

func upstreamFault(err error) bool {
	for _, k := range []error{apierr.ErrUpstream, apierr.ErrUpstreamTimeout, apierr.ErrRateLimited, apierr.ErrUpstreamDenied, apierr.ErrEgressRefused} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
