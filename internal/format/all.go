package format

import (
	"fmt"
	"sort"
)

// Registry is the explicit, sorted list of package types the server serves.
type Registry struct {
	byName map[string]Type
	names  []string
}

// NewRegistry indexes types by name; a duplicate name is a programming error.
func NewRegistry(types ...Type) *Registry {
	r := &Registry{byName: map[string]Type{}}
	for _, t := range types {
		if _, dup := r.byName[t.Name()]; dup {
			panic(fmt.Sprintf("package type %q registered twice", t.Name()))
		}
		r.byName[t.Name()] = t
		r.names = append(r.names, t.Name())
	}
	sort.Strings(r.names)
	return r
}

// Get returns the type called name.
func (r *Registry) Get(name string) (Type, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// Names lists the served types, sorted.
func (r *Registry) Names() []string { return r.names }
