// Package generic is the package type for plain files: everything is
// immutable unless a remote's mutable_patterns say otherwise.
package generic

// Type is the generic package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "generic" }

// Mutable implements format.Type: generic artifacts never change by default.
func (Type) Mutable(string) bool { return false }
