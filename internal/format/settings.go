package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

// FieldKind is the JSON shape of a type's remote setting.
type FieldKind string

// Shapes of settings.
const (
	Bool    FieldKind = "bool"
	String  FieldKind = "string"
	Int     FieldKind = "int"
	Strings FieldKind = "strings" // a list of strings
)

// Field declares one remote setting of a type. Settings sit in a remote's
// JSON beside the core fields (ban_tags_enabled beside base_url).
type Field struct {
	Name        string
	Kind        FieldKind
	Description string
}

// Configurable is implemented by types with remote settings of their own.
type Configurable interface {
	// Fields declares the settings, in the order they are documented.
	Fields() []Field
	// Configure validates a remote's settings (raw holds only declared
	// fields; an absent one takes its zero value) and compiles them into
	// what the type's own code reads back (Remote.Settings). An error
	// names the field.
	Configure(raw map[string]json.RawMessage) (any, error)
}

// DecodeSettings decodes raw into v, a struct whose json tags are the
// declared fields; a value of the wrong shape is an error naming its field.
func DecodeSettings(raw map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apierr.New(apierr.ErrInvalid, "%s: want %s, got %s", te.Field, te.Type, te.Value)
		}
		return apierr.New(apierr.ErrInvalid, "settings: %v", err)
	}
	return nil
}

// IsZeroSetting reports whether a setting's JSON value is its type's zero
// (false, "", 0, [], {} or null): what remotes of every type carried for
// another type's settings before settings were per type.
func IsZeroSetting(v json.RawMessage) bool {
	switch strings.TrimSpace(string(v)) {
	case "", "null", "false", `""`, "0", "[]", "{}":
		return true
	}
	return false
}

// ZeroSetting is the JSON zero value of a setting of kind k.
func ZeroSetting(k FieldKind) json.RawMessage {
	switch k {
	case Bool:
		return json.RawMessage("false")
	case String:
		return json.RawMessage(`""`)
	case Int:
		return json.RawMessage("0")
	}
	return json.RawMessage("[]")
}

// SettingNames lists the settings c declares.
func (c *Caps) SettingNames() []string {
	if c.Settings == nil {
		return nil
	}
	var names []string
	for _, f := range c.Settings.Fields() {
		names = append(names, f.Name)
	}
	return names
}

// SplitSettings keeps the settings c declares and reports the first other
// one that carries a value (an undeclared one that is zero is dropped).
func (c *Caps) SplitSettings(raw map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	names := c.SettingNames()
	keep := map[string]json.RawMessage{}
	for k, v := range raw {
		switch {
		case slices.Contains(names, k):
			keep[k] = v
		case !IsZeroSetting(v):
			if len(names) == 0 {
				return nil, apierr.New(apierr.ErrInvalid, "%s: not a setting of package type %s (it has none)", k, c.Name())
			}
			return nil, apierr.New(apierr.ErrInvalid, "%s: not a setting of package type %s (it has: %s)", k, c.Name(), strings.Join(names, ", "))
		}
	}
	return keep, nil
}

// Configure compiles a remote's settings for c (nil for a type without).
func (c *Caps) Configure(raw map[string]json.RawMessage) (any, error) {
	keep, err := c.SplitSettings(raw)
	if err != nil || c.Settings == nil {
		return nil, err
	}
	return c.Settings.Configure(keep)
}
