// Package generic is the package type for plain files: everything is
// immutable unless a remote's mutable_patterns say otherwise.
package generic

import "github.com/artifactapi/artifactapi/internal/format"

// Type is the generic package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "generic" }

// Classify implements format.Type: generic artifacts never change by
// default and nothing indexes them.
func (Type) Classify(string) (format.Class, error) { return format.Class{Kind: format.Artifact}, nil }
