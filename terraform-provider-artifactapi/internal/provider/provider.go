// Package provider is the ArtifactAPI Terraform provider: a resource per
// package type for remotes, one for virtual repositories, and data sources.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

// PackageTypes are the package types a remote can have; each gets its own
// resource, artifactapi_remote_{type}. A type the server does not serve
// yet is refused by the server with its own clear message.
var PackageTypes = []string{"generic", "docker", "helm", "pypi", "npm", "rpm", "alpine", "puppet", "terraform", "goproxy", "apt"}

type artifactapiProvider struct{ version string }

// New returns the provider factory.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &artifactapiProvider{version: version} }
}

type providerModel struct {
	Endpoint types.String `tfsdk:"endpoint"`
	Token    types.String `tfsdk:"token"`
}

func (p *artifactapiProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "artifactapi"
	resp.Version = p.version
}

func (p *artifactapiProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages ArtifactAPI remotes and virtual repositories through its /api/v2 management API.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{Optional: true,
				Description: "Base URL of the ArtifactAPI server, e.g. http://localhost:8000 (or ARTIFACTAPI_ENDPOINT)."},
			"token": schema.StringAttribute{Optional: true, Sensitive: true,
				Description: "The server's ADMIN_TOKEN (or ARTIFACTAPI_TOKEN)."},
		},
	}
}

func (p *artifactapiProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	endpoint, token := os.Getenv("ARTIFACTAPI_ENDPOINT"), os.Getenv("ARTIFACTAPI_TOKEN")
	if !m.Endpoint.IsNull() && !m.Endpoint.IsUnknown() {
		endpoint = m.Endpoint.ValueString()
	}
	if !m.Token.IsNull() && !m.Token.IsUnknown() {
		token = m.Token.ValueString()
	}
	if endpoint == "" {
		endpoint = "http://localhost:8000"
	}
	if token == "" {
		resp.Diagnostics.AddError("Missing ArtifactAPI token",
			"Set the provider's token argument or ARTIFACTAPI_TOKEN to the server's ADMIN_TOKEN (make run prints where it keeps a generated one).")
		return
	}
	c := client.New(endpoint, token)
	resp.ResourceData, resp.DataSourceData = c, c
}

func (p *artifactapiProvider) Resources(context.Context) []func() resource.Resource {
	out := []func() resource.Resource{NewVirtualResource}
	for _, t := range PackageTypes {
		out = append(out, func() resource.Resource { return &remoteResource{packageType: t} })
	}
	return out
}

func (p *artifactapiProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewRemoteDataSource, NewVirtualDataSource}
}
