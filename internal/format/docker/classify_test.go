package docker

import "github.com/artifactapi/artifactapi/internal/format"

// Shorthands for the questions Classify answers in one call.
func classify(p string) format.Class { c, _ := Type{}.Classify(p); return c }

func mutable(p string) bool { return classify(p).Mutable }
