package format

import (
	"fmt"
	"slices"
	"sort"
)

// Registry is the explicit, sorted list of package types the server serves,
// each with its capabilities resolved.
type Registry struct {
	byName map[string]*Caps
	names  []string
}

// NewRegistry indexes types by name; a duplicate name is a programming error.
func NewRegistry(types ...Type) *Registry {
	r := &Registry{byName: map[string]*Caps{}}
	for _, t := range types {
		if _, dup := r.byName[t.Name()]; dup {
			panic(fmt.Sprintf("package type %q registered twice", t.Name()))
		}
		r.byName[t.Name()] = Resolve(t)
		r.names = append(r.names, t.Name())
	}
	sort.Strings(r.names)
	return r
}

// Get returns the type called name.
func (r *Registry) Get(name string) (*Caps, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// Declares reports whether any type declares the setting name.
func (r *Registry) Declares(name string) bool {
	for _, c := range r.byName {
		if slices.Contains(c.SettingNames(), name) {
			return true
		}
	}
	return false
}

// Names lists the served types, sorted.
func (r *Registry) Names() []string { return r.names }
