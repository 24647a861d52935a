package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

// remoteDataSource reads any remote by name (artifactapi_remote).
type remoteDataSource struct{ client *client.Client }

// NewRemoteDataSource returns the artifactapi_remote data source.
func NewRemoteDataSource() datasource.DataSource { return &remoteDataSource{} }

type remoteDataModel struct {
	Name              types.String `tfsdk:"name"`
	PackageType       types.String `tfsdk:"package_type"`
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
}

func (d *remoteDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_remote"
}

func (d *remoteDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = d.schema()
}

func (d *remoteDataSource) schema() schema.Schema {
	strs := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{ElementType: types.StringType, Computed: true, Description: desc}
	}
	s := schema.Schema{
		Description: "Reads a remote of any package type by name (credentials are never returned).",
		Attributes: map[string]schema.Attribute{
			"name":               schema.StringAttribute{Required: true, Description: "Name of the remote."},
			"package_type":       schema.StringAttribute{Computed: true},
			"base_url":           schema.StringAttribute{Computed: true},
			"immutable_ttl":      schema.Int64Attribute{Computed: true},
			"mutable_ttl":        schema.Int64Attribute{Computed: true},
			"negative_ttl":       schema.Int64Attribute{Computed: true},
			"patterns":           strs("Allowlist of path regular expressions."),
			"blocklist":          strs("Refused path regular expressions."),
			"mutable_patterns":   strs("Paths forced mutable."),
			"immutable_patterns": strs("Paths forced immutable."),
			"allowed_hosts":      strs("Hosts the remote may reach whatever address they resolve to."),
			"auth_required":      schema.BoolAttribute{Computed: true, Description: "Pulls need a pull token."},
			"max_size":           schema.Int64Attribute{Computed: true, Description: "Bytes the remote's cache may hold (0: no own bound)."},
			"unused_days":        schema.Int64Attribute{Computed: true, Description: "Days after which unused objects are evicted (0: never)."},
		},
	}
	// Every type's settings, null on remotes of other types.
	for _, s2 := range allSettings() {
		s.Attributes[s2.field.Name] = s2.field.dataAttr(s2.types)
	}
	return s
}

// setting is a setting and the types that declare it.
type setting struct {
	field typeField
	types []string
}

func allSettings() []setting {
	byName := map[string]*setting{}
	var names []string
	for _, t := range PackageTypes {
		for _, f := range typeFields[t] {
			if byName[f.Name] == nil {
				byName[f.Name] = &setting{field: f}
				names = append(names, f.Name)
			}
			byName[f.Name].types = append(byName[f.Name].types, t)
		}
	}
	out := make([]setting, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

func (d *remoteDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client.Client); ok {
		d.client = c
	}
}

func (d *remoteDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var name types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() {
		return
	}
	a, err := d.client.GetRemote(ctx, name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read remote "+name.ValueString(), err.Error())
		return
	}
	m := remoteDataModel{Name: types.StringValue(a.Name), PackageType: types.StringValue(a.PackageType), BaseURL: types.StringValue(a.BaseURL),
		ImmutableTTL: types.Int64Value(a.ImmutableTTL), MutableTTL: types.Int64Value(a.MutableTTL), NegativeTTL: types.Int64Value(a.NegativeTTL),
		Patterns: list(a.Patterns), Blocklist: list(a.Blocklist), MutablePatterns: list(a.MutablePatterns), ImmutablePatterns: list(a.ImmutablePatterns),
		AllowedHosts: list(a.AllowedHosts), AuthRequired: types.BoolValue(a.AuthRequired != nil && *a.AuthRequired),
		MaxSize: types.Int64Value(a.MaxSize), UnusedDays: types.Int64Value(a.UnusedDays)}
	values := map[string]attr.Value{}
	for _, s := range allSettings() {
		values[s.field.Name] = s.field.null()
		if slices.Contains(s.types, a.PackageType) {
			values[s.field.Name] = s.field.fromJSON(a.Settings[s.field.Name], &resp.Diagnostics)
		}
	}
	obj, diags := withSettings(ctx, d.schema().Type().(types.ObjectType).AttrTypes, m, values)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, obj)...)
}

// virtualDataSource reads a virtual by name (artifactapi_virtual).
type virtualDataSource struct{ client *client.Client }

// NewVirtualDataSource returns the artifactapi_virtual data source.
func NewVirtualDataSource() datasource.DataSource { return &virtualDataSource{} }

func (d *virtualDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_virtual"
}

func (d *virtualDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Reads a virtual repository by name.",
		Attributes: map[string]schema.Attribute{
			"name":         schema.StringAttribute{Required: true},
			"package_type": schema.StringAttribute{Computed: true},
			"members":      schema.ListAttribute{ElementType: types.StringType, Computed: true},
		},
	}
}

func (d *virtualDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client.Client); ok {
		d.client = c
	}
}

func (d *virtualDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m virtualModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	v, err := d.client.GetVirtual(ctx, m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read virtual "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, virtualFromAPI(v))...)
}
