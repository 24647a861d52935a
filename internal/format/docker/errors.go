package docker

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

// ErrCode is a registry error code with the message for the client.
type ErrCode struct{ Code, Message string }

func (e *ErrCode) Error() string { return e.Message }

// writeError writes err in the registry's JSON error form.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status, msg := "UNKNOWN", apierr.Status(err), apierr.Message(err)
	path := r.URL.Path
	var dc *ErrCode
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		code, status, msg = "UNSUPPORTED", http.StatusMethodNotAllowed, "this registry is a read-only pull-through cache"
	case errors.As(err, &dc):
		code, msg = dc.Code, dc.Message
		status = map[string]int{"NAME_UNKNOWN": 404, "MANIFEST_UNKNOWN": 404, "BLOB_UNKNOWN": 404, "DENIED": 403, "UNSUPPORTED": 405}[code]
		if status == 0 {
			status = http.StatusBadRequest
		}
	case status == http.StatusNotFound:
		code = "MANIFEST_UNKNOWN"
		if strings.Contains(path, "/blobs/") {
			code = "BLOB_UNKNOWN"
		} else if strings.HasSuffix(path, "/tags/list") {
			code = "NAME_UNKNOWN"
		}
	case status == http.StatusUnauthorized:
		code = "UNAUTHORIZED"
	case status == http.StatusForbidden:
		code = "DENIED"
	case status == http.StatusTooManyRequests:
		code = "TOOMANYREQUESTS"
	case errors.Is(err, apierr.ErrUpstreamDenied):
		code, status = "DENIED", http.StatusForbidden
		msg += " (check the remote's credentials)"
	case status == http.StatusBadRequest:
		code = "NAME_INVALID"
	case status >= 500:
		code = "UNAVAILABLE"
	}
	h := w.Header()
	// An error is not the blob or manifest the request named: none of its
	// headers may stay.
	for _, k := range []string{"Docker-Content-Digest", "ETag", "Last-Modified", "Accept-Ranges", "X-Checksum-Sha256", "Content-Range"} {
		h.Del(k)
	}
	apierr.SetRetryAfter(h, err)
	h.Set("Content-Type", "application/json")
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "detail": nil}}})
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
