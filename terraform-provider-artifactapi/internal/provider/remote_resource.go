package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

// remoteResource is artifactapi_remote_{packageType}: one implementation,
// one resource per package type, so each type shows only its own fields.
type remoteResource struct {
	packageType string
	client      *client.Client
}

var (
	_ resource.ResourceWithConfigure   = &remoteResource{}
	_ resource.ResourceWithImportState = &remoteResource{}
)

// commonModel is the schema every remote type has.
type commonModel struct {
	Name              types.String `tfsdk:"name"`
	BaseURL           types.String `tfsdk:"base_url"`
	ImmutableTTL      types.Int64  `tfsdk:"immutable_ttl"`
	MutableTTL        types.Int64  `tfsdk:"mutable_ttl"`
	NegativeTTL       types.Int64  `tfsdk:"negative_ttl"`
	Patterns          types.List   `tfsdk:"patterns"`
	Blocklist         types.List   `tfsdk:"blocklist"`
	MutablePatterns   types.List   `tfsdk:"mutable_patterns"`
	ImmutablePatterns types.List   `tfsdk:"immutable_patterns"`
	AllowedHosts      types.List   `tfsdk:"allowed_hosts"`
	AuthRequired      types.Bool   `tfsdk:"auth_required"`
	MaxSize           types.Int64  `tfsdk:"max_size"`
	UnusedDays        types.Int64  `tfsdk:"unused_days"`
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	Token             types.String `tfsdk:"token"`
}

// remoteModel is a remote in Terraform: the common fields, and the type's
// own settings (typeFields) by attribute name.
type remoteModel struct {
	commonModel
	settings map[string]attr.Value
}

func (r *remoteResource) fields() []typeField { return typeFields[r.packageType] }

func (r *remoteResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_remote_" + r.packageType
}

var emptyList = types.ListValueMust(types.StringType, []attr.Value{})

func patternList(desc string) schema.ListAttribute {
	return schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyList),
		Validators: []validator.List{regexListValidator{}}, Description: desc}
}

func ttl(desc string, def int64) schema.Int64Attribute {
	return schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(def),
		Validators: []validator.Int64{int64validator.AtLeast(0)}, Description: desc}
}

func (r *remoteResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.schema()
}

func (r *remoteResource) schema() schema.Schema {
	attrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{Required: true, Validators: []validator.String{nameValidator{}},
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			Description:   "Name of the remote: its URL is /api/v1/remote/{name}/. Changing it replaces the remote (and drops its cache)."},
		"base_url": schema.StringAttribute{Required: true, Validators: []validator.String{urlValidator{}},
			Description: "The upstream repository's URL."},
		"immutable_ttl":      ttl("Seconds an immutable artifact stays fresh; 0 keeps it forever.", 0),
		"mutable_ttl":        ttl("Seconds a mutable artifact (index, tag, listing) stays fresh before it is revalidated.", 3600),
		"negative_ttl":       ttl("Seconds an upstream 404 is remembered; 0 disables.", 60),
		"max_size":           ttl("Bytes this remote's cache may hold; the least recently used objects go first. 0: only the server's CACHE_MAX_SIZE.", 0),
		"unused_days":        ttl("Objects nobody asked for in this many days are evicted; 0: never.", 0),
		"patterns":           patternList("Allowlist of path regular expressions; empty allows every path."),
		"blocklist":          patternList("Path regular expressions that are always refused (checked first)."),
		"mutable_patterns":   patternList("Paths treated as mutable whatever the package type says."),
		"immutable_patterns": patternList("Paths treated as immutable whatever the package type says."),
		// No UseStateForUnknown: the default follows the credentials, so an
		// unset value is known only after apply when anything changes.
		"auth_required": schema.BoolAttribute{Optional: true, Computed: true,
			Description: "Pulls need a pull token. Unset: on exactly when the remote has upstream credentials."},
		"allowed_hosts": schema.ListAttribute{ElementType: types.StringType, Optional: true, Computed: true, Default: listdefault.StaticValue(emptyList),
			Description: "Hosts (\"host\" or \"host:port\") this remote may reach whatever address they resolve to: a private host an index links to, or a link-local base_url. Other hosts the upstream names must be public unless the server runs with UPSTREAM_ALLOW_PRIVATE."},
		"username": schema.StringAttribute{Optional: true, Description: "Upstream user name. Write-only: the server never returns it."},
		"password": schema.StringAttribute{Optional: true, Sensitive: true, Description: "Upstream password. Write-only: the server never returns it."},
		"token":    schema.StringAttribute{Optional: true, Sensitive: true, Description: "Upstream bearer token. Write-only: the server never returns it."},
	}
	for _, f := range r.fields() {
		attrs[f.Name] = f.resourceAttr()
	}
	return schema.Schema{Description: fmt.Sprintf("An ArtifactAPI remote of package type %s.", r.packageType), Attributes: attrs}
}

// attrTypes are the types of every attribute, and of the common ones.
func (r *remoteResource) attrTypes() (all, common map[string]attr.Type) {
	all = r.schema().Type().(types.ObjectType).AttrTypes
	common = maps.Clone(all)
	for _, f := range r.fields() {
		delete(common, f.Name)
	}
	return all, common
}

func (r *remoteResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client.Client); ok {
		r.client = c
	}
}

// getter is a plan, state or config.
type getter interface {
	Get(context.Context, any) diag.Diagnostics
}

// read takes the common fields into their struct and the type's settings
// by name: the attributes differ per type, one struct could not hold them.
func (r *remoteResource) read(ctx context.Context, src getter) (remoteModel, diag.Diagnostics) {
	var m remoteModel
	var obj types.Object
	diags := src.Get(ctx, &obj)
	if diags.HasError() {
		return m, diags
	}
	_, commonTypes := r.attrTypes()
	values := obj.Attributes()
	common := map[string]attr.Value{}
	for name := range commonTypes {
		common[name] = values[name]
	}
	cobj, d := types.ObjectValue(commonTypes, common)
	diags.Append(d...)
	if diags.HasError() {
		return m, diags
	}
	diags.Append(cobj.As(ctx, &m.commonModel, basetypes.ObjectAsOptions{})...)
	m.settings = map[string]attr.Value{}
	for _, f := range r.fields() {
		m.settings[f.Name] = values[f.Name]
	}
	return m, diags
}

func (r *remoteResource) write(ctx context.Context, dst *tfsdk.State, m remoteModel) diag.Diagnostics {
	allTypes, _ := r.attrTypes()
	obj, diags := withSettings(ctx, allTypes, m.commonModel, m.settings)
	if diags.HasError() {
		return diags
	}
	return append(diags, dst.Set(ctx, obj)...)
}

func stringsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []string {
	out := []string{}
	if !l.IsNull() && !l.IsUnknown() {
		diags.Append(l.ElementsAs(ctx, &out, false)...)
	}
	return out
}

func list(v []string) types.List {
	elems := make([]attr.Value, len(v))
	for i, s := range v {
		elems[i] = types.StringValue(s)
	}
	return types.ListValueMust(types.StringType, elems)
}

func (r *remoteResource) toAPI(ctx context.Context, m remoteModel, diags *diag.Diagnostics) client.Remote {
	return client.Remote{
		Name: m.Name.ValueString(), PackageType: r.packageType, BaseURL: m.BaseURL.ValueString(),
		ImmutableTTL: m.ImmutableTTL.ValueInt64(), MutableTTL: m.MutableTTL.ValueInt64(), NegativeTTL: m.NegativeTTL.ValueInt64(),
		Patterns: stringsOf(ctx, m.Patterns, diags), Blocklist: stringsOf(ctx, m.Blocklist, diags),
		MutablePatterns: stringsOf(ctx, m.MutablePatterns, diags), ImmutablePatterns: stringsOf(ctx, m.ImmutablePatterns, diags),
		AllowedHosts: stringsOf(ctx, m.AllowedHosts, diags), AuthRequired: boolPtr(m.AuthRequired),
		MaxSize: m.MaxSize.ValueInt64(), UnusedDays: m.UnusedDays.ValueInt64(),
		Username: m.Username.ValueString(), Password: m.Password.ValueString(), Token: m.Token.ValueString(),
		Settings: r.settingsToAPI(ctx, m, diags),
	}
}

// boolPtr is nil for an unset (null or unknown) value: the server decides.
func boolPtr(v types.Bool) *bool {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	b := v.ValueBool()
	return &b
}

func (r *remoteResource) settingsToAPI(ctx context.Context, m remoteModel, diags *diag.Diagnostics) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, f := range r.fields() {
		if v, ok := f.toJSON(ctx, m.settings[f.Name], diags); ok {
			out[f.Name] = v
		}
	}
	return out
}

// fromAPI takes what the server holds; credentials, which it never
// returns, stay as they were in m.
func (r *remoteResource) fromAPI(a *client.Remote, m remoteModel, diags *diag.Diagnostics) remoteModel {
	m.Name, m.BaseURL = types.StringValue(a.Name), types.StringValue(a.BaseURL)
	m.ImmutableTTL, m.MutableTTL, m.NegativeTTL = types.Int64Value(a.ImmutableTTL), types.Int64Value(a.MutableTTL), types.Int64Value(a.NegativeTTL)
	m.Patterns, m.Blocklist = list(a.Patterns), list(a.Blocklist)
	m.MutablePatterns, m.ImmutablePatterns = list(a.MutablePatterns), list(a.ImmutablePatterns)
	m.AllowedHosts = list(a.AllowedHosts)
	m.AuthRequired = types.BoolValue(a.AuthRequired != nil && *a.AuthRequired)
	m.MaxSize, m.UnusedDays = types.Int64Value(a.MaxSize), types.Int64Value(a.UnusedDays)
	m.settings = map[string]attr.Value{}
	for _, f := range r.fields() {
		m.settings[f.Name] = f.fromJSON(a.Settings[f.Name], diags)
	}
	return m
}

func (r *remoteResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	m, diags := r.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.CreateRemote(ctx, r.toAPI(ctx, m, &resp.Diagnostics))
	if err != nil {
		resp.Diagnostics.AddError("Cannot create remote "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(r.write(ctx, &resp.State, r.fromAPI(got, m, &resp.Diagnostics))...)
}

func (r *remoteResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	m, diags := r.read(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.GetRemote(ctx, m.Name.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.State.RemoveResource(ctx) // deleted outside Terraform: the next plan creates it
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read remote "+m.Name.ValueString(), err.Error())
		return
	}
	if got.PackageType != r.packageType {
		resp.Diagnostics.AddError("Remote has another package type",
			fmt.Sprintf("remote %s is %s on the server, not %s", got.Name, got.PackageType, r.packageType))
		return
	}
	resp.Diagnostics.Append(r.write(ctx, &resp.State, r.fromAPI(got, m, &resp.Diagnostics))...)
}

func (r *remoteResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	m, diags := r.read(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.UpdateRemote(ctx, r.toAPI(ctx, m, &resp.Diagnostics))
	if err != nil {
		resp.Diagnostics.AddError("Cannot update remote "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(r.write(ctx, &resp.State, r.fromAPI(got, m, &resp.Diagnostics))...)
}

func (r *remoteResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var name types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &name)...)
	if err := r.client.DeleteRemote(ctx, name.ValueString()); err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddError("Cannot delete remote "+name.ValueString(), err.Error())
	}
}

// ImportState imports by name; Read fills the rest (credentials stay
// unknown to Terraform until configured).
func (r *remoteResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
