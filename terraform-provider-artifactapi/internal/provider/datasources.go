package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
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
	BanTagsEnabled    types.Bool   `tfsdk:"ban_tags_enabled"`
	BanTags           types.List   `tfsdk:"ban_tags"`
}

func (d *remoteDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_remote"
}

func (d *remoteDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	strs := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{ElementType: types.StringType, Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
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
			"ban_tags_enabled":   schema.BoolAttribute{Computed: true},
			"ban_tags":           strs("Banned docker tags."),
		},
	}
}

func (d *remoteDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client.Client); ok {
		d.client = c
	}
}

func (d *remoteDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m remoteDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	a, err := d.client.GetRemote(ctx, m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read remote "+m.Name.ValueString(), err.Error())
		return
	}
	m = remoteDataModel{Name: types.StringValue(a.Name), PackageType: types.StringValue(a.PackageType), BaseURL: types.StringValue(a.BaseURL),
		ImmutableTTL: types.Int64Value(a.ImmutableTTL), MutableTTL: types.Int64Value(a.MutableTTL), NegativeTTL: types.Int64Value(a.NegativeTTL),
		Patterns: list(a.Patterns), Blocklist: list(a.Blocklist), MutablePatterns: list(a.MutablePatterns), ImmutablePatterns: list(a.ImmutablePatterns),
		BanTagsEnabled: types.BoolValue(a.BanTagsEnabled), BanTags: list(a.BanTags)}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
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
