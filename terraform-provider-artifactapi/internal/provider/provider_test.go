package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The provider's schemas are valid: the server the framework builds
// checks every resource and data source schema.
func TestSchemasValid(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("%s: %s", d.Summary, d.Detail)
	}
	for _, pt := range PackageTypes {
		s, ok := resp.ResourceSchemas["artifactapi_remote_"+pt]
		if !ok {
			t.Fatalf("no resource for package type %s", pt)
		}
		attrs := map[string]*tfprotov6.SchemaAttribute{}
		for _, a := range s.Block.Attributes {
			attrs[a.Name] = a
		}
		if !attrs["password"].Sensitive || !attrs["token"].Sensitive || !attrs["name"].Required || !attrs["base_url"].Required {
			t.Errorf("%s: credentials must be sensitive, name and base_url required", pt)
		}
		if _, has := attrs["ban_tags"]; has != (pt == "docker") {
			t.Errorf("%s: ban_tags present = %v; only docker has it", pt, has)
		}
	}
	for _, name := range []string{"artifactapi_virtual"} {
		if _, ok := resp.ResourceSchemas[name]; !ok {
			t.Errorf("missing resource %s", name)
		}
	}
	for _, name := range []string{"artifactapi_remote", "artifactapi_virtual"} {
		if _, ok := resp.DataSourceSchemas[name]; !ok {
			t.Errorf("missing data source %s", name)
		}
	}
}

func TestValidators(t *testing.T) {
	ctx := context.Background()
	str := func(v validator.String, s string) bool {
		resp := &validator.StringResponse{}
		v.ValidateString(ctx, validator.StringRequest{ConfigValue: types.StringValue(s)}, resp)
		return !resp.Diagnostics.HasError()
	}
	for s, ok := range map[string]bool{"github": true, "a.b_c-1": true, "-bad": false, "": false, "has space": false, "..": false} {
		if str(nameValidator{}, s) != ok {
			t.Errorf("name %q: valid = %v", s, !ok)
		}
	}
	for s, ok := range map[string]bool{"https://github.com": true, "http://127.0.0.1:8080/x": true, "ftp://x": false,
		"https://u:p@x": false, "https://x?q=1": false, "x": false} {
		if str(urlValidator{}, s) != ok {
			t.Errorf("url %q: valid = %v", s, !ok)
		}
	}
	lst := func(vals ...string) bool {
		l, _ := types.ListValueFrom(ctx, types.StringType, vals)
		resp := &validator.ListResponse{}
		regexListValidator{}.ValidateList(ctx, validator.ListRequest{ConfigValue: l}, resp)
		return !resp.Diagnostics.HasError()
	}
	if !lst(`^library/postgres`, `.*\.tar\.gz$`) || lst(`([unclosed`) {
		t.Error("regex list validation")
	}
}
