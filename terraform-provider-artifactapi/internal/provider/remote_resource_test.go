package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

func TestAccRemoteEveryType(t *testing.T) {
	c := server(t)
	for _, pt := range PackageTypes {
		t.Run(pt, func(t *testing.T) {
			res := "artifactapi_remote_" + pt + ".r"
			cfg := func(ttl int, patterns string) string {
				extra := ""
				switch pt {
				case "docker":
					extra = "ban_tags_enabled = true\n  ban_tags = [\"latest\"]"
				case "npm", "pypi", "goproxy", "helm":
					extra = "min_age = \"72h\"\n  min_age_exempt = [\"internal-*\"]\n  blocked_versions = [\"bad@1.0.0 || >=2.0.0 <2.0.3\"]"
				}
				return fmt.Sprintf(`resource "artifactapi_remote_%s" "r" {
  name = "acc-%s"
  base_url = "https://example.com/%s"
  mutable_ttl = %d
  patterns = [%s]
  password = "s3cret"
  max_size = 1048576
  unused_days = 30
  %s
}`, pt, pt, pt, ttl, patterns, extra)
			}
			if !served[pt] {
				resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{{
					Config: cfg(60, ""), ExpectError: regexp.MustCompile(`unknown package_type`),
				}}})
				return
			}
			name := "acc-" + pt
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				CheckDestroy: func(*terraform.State) error {
					if _, err := c.GetRemote(context.Background(), name); err == nil {
						return fmt.Errorf("remote %s still exists", name)
					}
					return nil
				},
				Steps: []resource.TestStep{
					{Config: cfg(60, `"^a/"`), Check: resource.ComposeTestCheckFunc(
						resource.TestCheckResourceAttr(res, "mutable_ttl", "60"),
						resource.TestCheckResourceAttr(res, "immutable_ttl", "0"),
						resource.TestCheckResourceAttr(res, "negative_ttl", "60"),
						resource.TestCheckResourceAttr(res, "patterns.0", "^a/"),
						resource.TestCheckResourceAttr(res, "auth_required", "true"), // it has upstream credentials
						func(*terraform.State) error {
							r, err := c.GetRemote(context.Background(), name)
							if err != nil || r.MutableTTL != 60 || r.PackageType != pt || r.MaxSize != 1048576 || r.UnusedDays != 30 {
								return fmt.Errorf("on the server: %+v %v", r, err)
							}
							if _, policed := typeFields[pt]; policed && pt != "docker" && string(r.Settings["min_age"]) != `"72h"` {
								return fmt.Errorf("min_age on the server: %s", r.Settings["min_age"])
							}
							return nil
						})},
					{ResourceName: res, ImportState: true, ImportStateId: name, ImportStateVerify: true,
						ImportStateVerifyIdentifierAttribute: "name", ImportStateVerifyIgnore: []string{"password"}},
					{Config: cfg(120, `"^a/", "^b/"`), Check: resource.ComposeTestCheckFunc(
						resource.TestCheckResourceAttr(res, "mutable_ttl", "120"),
						resource.TestCheckResourceAttr(res, "patterns.#", "2"))},
				},
			})
		})
	}
}

func TestAccDrift(t *testing.T) {
	c := server(t)
	cfg := `resource "artifactapi_remote_generic" "d" {
  name = "drift"
  base_url = "https://example.com"
}`
	ctx := context.Background()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{
		{Config: cfg},
		{PreConfig: func() { // changed outside Terraform
			r, _ := c.GetRemote(ctx, "drift")
			r.BaseURL = "https://elsewhere.example"
			if _, err := c.UpdateRemote(ctx, *r); err != nil {
				t.Fatal(err)
			}
		}, Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
		{Config: cfg}, // applied back
		{PreConfig: func() { // deleted outside Terraform
			if err := c.DeleteRemote(ctx, "drift"); err != nil {
				t.Fatal(err)
			}
		}, Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
	}})
}

func TestAccPlanTimeErrors(t *testing.T) {
	c := server(t)
	if _, err := c.CreateRemote(context.Background(), client.Remote{Name: "gen", PackageType: "generic", BaseURL: "https://example.com"}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ cfg, want string }{
		"bad name": {`resource "artifactapi_remote_generic" "x" {
  name = "-x"
  base_url = "https://e.com"
}`, `Invalid name`},
		"bad regex": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "https://e.com"
  patterns = ["(["]
}`, `Invalid regular expression`},
		"negative ttl": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "https://e.com"
  mutable_ttl = -1
}`, `at least 0`},
		"bad url": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "ftp://e.com"
}`, `Invalid base_url`},
		"bad type": {`resource "artifactapi_virtual" "v" {
  name = "v"
  package_type = "maven"
  members = ["gen"]
}`, `value must be one of`},
		"member type": {`resource "artifactapi_virtual" "v" {
  name = "v"
  package_type = "helm"
  members = ["gen"]
}`, `Member of another package type`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{{
				Config: tc.cfg, PlanOnly: true, ExpectError: regexp.MustCompile(tc.want),
			}}})
		})
	}
}
