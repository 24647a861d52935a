package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

// virtualResource is artifactapi_virtual.
type virtualResource struct{ client *client.Client }

// NewVirtualResource returns the artifactapi_virtual resource.
func NewVirtualResource() resource.Resource { return &virtualResource{} }

var (
	_ resource.ResourceWithConfigure   = &virtualResource{}
	_ resource.ResourceWithImportState = &virtualResource{}
	_ resource.ResourceWithModifyPlan  = &virtualResource{}
)

type virtualModel struct {
	Name        types.String `tfsdk:"name"`
	PackageType types.String `tfsdk:"package_type"`
	Members     types.List   `tfsdk:"members"`
}

func (r *virtualResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_virtual"
}

func (r *virtualResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "An ArtifactAPI virtual repository: several remotes of one package type behind one URL, with merged indexes.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{Required: true, Validators: []validator.String{nameValidator{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description:   "Name of the virtual: its URL is /api/v1/virtual/{name}/."},
			"package_type": schema.StringAttribute{Required: true, Validators: []validator.String{stringvalidator.OneOf(PackageTypes...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description:   "Package type of the virtual and of every member."},
			"members": schema.ListAttribute{ElementType: types.StringType, Required: true,
				Validators:  []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues()},
				Description: "Member remotes in precedence order (the first wins a conflict)."},
		},
	}
}

func (r *virtualResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client.Client); ok {
		r.client = c
	}
}

// ModifyPlan checks members against the server at plan time: a member
// that exists with another package type is an error now, not at apply.
// A member not on the server yet may be created by this same apply; the
// server refuses the virtual then if it still is missing.
func (r *virtualResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.client == nil || req.Plan.Raw.IsNull() {
		return
	}
	var m virtualModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Members.IsUnknown() || m.PackageType.IsUnknown() {
		return
	}
	for i, e := range m.Members.Elements() {
		name, ok := e.(types.String)
		if !ok || name.IsUnknown() || name.IsNull() {
			continue
		}
		got, err := r.client.GetRemote(ctx, name.ValueString())
		switch {
		case errors.Is(err, client.ErrNotFound):
			continue
		case err != nil:
			resp.Diagnostics.AddWarning("Members not checked", err.Error())
			return
		case got.PackageType != m.PackageType.ValueString():
			resp.Diagnostics.AddAttributeError(path.Root("members").AtListIndex(i), "Member of another package type",
				fmt.Sprintf("remote %s is %s; a %s virtual can only have %s members", got.Name, got.PackageType, m.PackageType.ValueString(), m.PackageType.ValueString()))
		}
	}
}

func (r *virtualResource) toAPI(ctx context.Context, m virtualModel, resp interface{ AddError(string, string) }) client.Virtual {
	var members []string
	if d := m.Members.ElementsAs(ctx, &members, false); d.HasError() {
		resp.AddError("Invalid members", fmt.Sprint(d))
	}
	return client.Virtual{Name: m.Name.ValueString(), PackageType: m.PackageType.ValueString(), Members: members}
}

func virtualFromAPI(v *client.Virtual) virtualModel {
	return virtualModel{Name: types.StringValue(v.Name), PackageType: types.StringValue(v.PackageType), Members: list(v.Members)}
}

func (r *virtualResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m virtualModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.CreateVirtual(ctx, r.toAPI(ctx, m, &resp.Diagnostics))
	if err != nil {
		resp.Diagnostics.AddError("Cannot create virtual "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, virtualFromAPI(got))...)
}

func (r *virtualResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m virtualModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.GetVirtual(ctx, m.Name.ValueString())
	if errors.Is(err, client.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read virtual "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, virtualFromAPI(got))...)
}

func (r *virtualResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m virtualModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, err := r.client.UpdateVirtual(ctx, r.toAPI(ctx, m, &resp.Diagnostics))
	if err != nil {
		resp.Diagnostics.AddError("Cannot update virtual "+m.Name.ValueString(), err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, virtualFromAPI(got))...)
}

func (r *virtualResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m virtualModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if err := r.client.DeleteVirtual(ctx, m.Name.ValueString()); err != nil && !errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddError("Cannot delete virtual "+m.Name.ValueString(), err.Error())
	}
}

func (r *virtualResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
