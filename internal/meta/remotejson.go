package meta

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
)

// remoteFields is the core fields' JSON names: every other key of a
// remote's JSON is a setting of its package type.
var remoteFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[Remote]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// IsCoreField reports whether name is a field every remote has (not a
// package-type setting).
func IsCoreField(name string) bool { return remoteFields[name] }

type plainRemote Remote // the same fields without these methods

// MarshalJSON writes the settings beside the core fields: the stored form
// of a remote is the API's, and remotes stored before settings were per
// type (ban_tags at the top level) read back unchanged.
func (r Remote) MarshalJSON() ([]byte, error) {
	core, err := json.Marshal(plainRemote(r))
	if err != nil || len(r.Settings) == 0 {
		return core, err
	}
	all := map[string]json.RawMessage{}
	if err := json.Unmarshal(core, &all); err != nil {
		return nil, err
	}
	for k, v := range r.Settings {
		if !remoteFields[k] {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// UnmarshalJSON reads the core fields and keeps every other key as a
// setting.
func (r *Remote) UnmarshalJSON(b []byte) error {
	var p plainRemote
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	maps.DeleteFunc(all, func(k string, _ json.RawMessage) bool { return remoteFields[k] })
	p.Settings = nil
	if len(all) > 0 {
		p.Settings = all
	}
	*r = Remote(p)
	return nil
}
