package pypi

import (
	"net/http"

	"github.com/artifactapi/artifactapi/internal/format"
)

// Shorthands for the questions Classify answers in one call.
func classify(p string) format.Class { c, _ := Type{}.Classify(p); return c }

func check(p string) error { _, err := Type{}.Classify(p); return err }

func mutable(p string) bool { return classify(p).Mutable }

// withHeader is a request carrying h, for Variant.
func withHeader(h http.Header) *http.Request { return &http.Request{Header: h} }
