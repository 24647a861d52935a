package provider

import (
	"context"
	"encoding/json"
	"maps"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// fieldKind is the shape of a package type's setting.
type fieldKind int

const (
	boolField fieldKind = iota
	stringField
	intField
	patternsField // a list of regular expressions, checked at plan time
	listField     // a list of strings the server checks
)

// typeField is one setting a package type declares for its remotes.
type typeField struct {
	Name        string
	Kind        fieldKind
	Description string
}

// typeFields is the one table of per-type remote settings, as each type
// declares them on the server (its format.Configurable): every
// artifactapi_remote_<type> schema, the artifactapi_remote data source
// and the values sent to and read from the API come from it. A type with
// settings of its own is one entry here.
var typeFields = map[string][]typeField{
	"docker": {
		{"ban_tags_enabled", boolField, "Refuse the tags in ban_tags."},
		{"ban_tags", patternsField, "Tags to refuse: regular expressions matched against the whole tag (\"latest\" bans only latest)."},
	},
	"npm":     releasePolicy,
	"pypi":    releasePolicy,
	"goproxy": releasePolicy,
	"helm":    releasePolicy,
}

// releasePolicy is the release policy every type with dated versions takes.
var releasePolicy = []typeField{
	{"min_age", stringField, "Hide and refuse versions published less than this long ago (\"72h\", \"7d\"; empty: no minimum age)."},
	{"min_age_exempt", listField, "Packages min_age does not apply to (names; * matches within a path segment)."},
	{"blocked_versions", listField, "Versions hidden and refused: name@range (lodash@4.17.20, ua-parser-js@>=0.7.29 <0.7.30 || 0.8.0, requests@>=2.32.0,<2.32.2)."},
}

// resourceAttr is f's attribute in a remote resource: optional, with the
// server's default (the zero value).
func (f typeField) resourceAttr() schema.Attribute {
	switch f.Kind {
	case boolField:
		return schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false), Description: f.Description}
	case stringField:
		return schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(""), Description: f.Description}
	case intField:
		return schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(0), Description: f.Description}
	case listField:
		return schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyList), Description: f.Description}
	}
	return patternList(f.Description)
}

// dataAttr is f's attribute in the data source (null for other types).
func (f typeField) dataAttr(types []string) dsschema.Attribute {
	desc := f.Description + " (" + strings.Join(types, ", ") + " remotes)"
	switch f.Kind {
	case boolField:
		return dsschema.BoolAttribute{Computed: true, Description: desc}
	case stringField:
		return dsschema.StringAttribute{Computed: true, Description: desc}
	case intField:
		return dsschema.Int64Attribute{Computed: true, Description: desc}
	}
	return dsschema.ListAttribute{ElementType: basetypes.StringType{}, Computed: true, Description: desc}
}

// null is f's value where a remote's type does not have it.
func (f typeField) null() attr.Value {
	switch f.Kind {
	case boolField:
		return types.BoolNull()
	case stringField:
		return types.StringNull()
	case intField:
		return types.Int64Null()
	}
	return types.ListNull(types.StringType)
}

// toJSON is the API's form of v (nothing for a null or unknown value).
func (f typeField) toJSON(ctx context.Context, v attr.Value, diags *diag.Diagnostics) (json.RawMessage, bool) {
	if v == nil || v.IsNull() || v.IsUnknown() {
		return nil, false
	}
	var x any
	switch v := v.(type) {
	case types.Bool:
		x = v.ValueBool()
	case types.String:
		x = v.ValueString()
	case types.Int64:
		x = v.ValueInt64()
	case types.List:
		x = stringsOf(ctx, v, diags)
	}
	b, _ := json.Marshal(x)
	return b, true
}

// fromJSON is f's value from the API (its zero value when absent).
func (f typeField) fromJSON(raw json.RawMessage, diags *diag.Diagnostics) attr.Value {
	bad := func(err error) {
		diags.AddError("Unexpected value of "+f.Name+" from the server", err.Error())
	}
	switch f.Kind {
	case boolField:
		var b bool
		if err := unmarshalOpt(raw, &b); err != nil {
			bad(err)
		}
		return types.BoolValue(b)
	case stringField:
		var s string
		if err := unmarshalOpt(raw, &s); err != nil {
			bad(err)
		}
		return types.StringValue(s)
	case intField:
		var n int64
		if err := unmarshalOpt(raw, &n); err != nil {
			bad(err)
		}
		return types.Int64Value(n)
	}
	var l []string
	if err := unmarshalOpt(raw, &l); err != nil {
		bad(err)
	}
	return list(l)
}

func unmarshalOpt(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// withSettings is the object of every attribute in all: the common ones
// from model (a tfsdk struct of exactly those), the settings from values.
func withSettings(ctx context.Context, all map[string]attr.Type, model any, settings map[string]attr.Value) (types.Object, diag.Diagnostics) {
	common := maps.Clone(all)
	for k := range settings {
		delete(common, k)
	}
	cobj, diags := types.ObjectValueFrom(ctx, common, model)
	if diags.HasError() {
		return types.Object{}, diags
	}
	values := maps.Clone(cobj.Attributes())
	maps.Copy(values, settings)
	obj, d := types.ObjectValue(all, values)
	return obj, append(diags, d...)
}
