package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccVirtualAndDataSources(t *testing.T) {
	server(t)
	cfg := func(members string) string {
		return `resource "artifactapi_remote_helm" "a" {
  name = "charts-a"
  base_url = "https://a.example.com"
}
resource "artifactapi_remote_helm" "b" {
  name = "charts-b"
  base_url = "https://b.example.com"
  mutable_ttl = 30
}
resource "artifactapi_virtual" "v" {
  name = "charts"
  package_type = "helm"
  members = [` + members + `]
}
data "artifactapi_remote" "b" {
  name = artifactapi_remote_helm.b.name
}
data "artifactapi_virtual" "v" {
  name = artifactapi_virtual.v.name
}`
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{
		{Config: cfg(`artifactapi_remote_helm.a.name`), Check: resource.ComposeTestCheckFunc(
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.#", "1"),
			resource.TestCheckResourceAttr("data.artifactapi_remote.b", "package_type", "helm"),
			resource.TestCheckResourceAttr("data.artifactapi_remote.b", "mutable_ttl", "30"),
			resource.TestCheckResourceAttr("data.artifactapi_virtual.v", "members.0", "charts-a"))},
		{ResourceName: "artifactapi_virtual.v", ImportState: true, ImportStateId: "charts", ImportStateVerify: true,
			ImportStateVerifyIdentifierAttribute: "name"},
		{Config: cfg(`artifactapi_remote_helm.b.name, artifactapi_remote_helm.a.name`), Check: resource.ComposeTestCheckFunc(
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.0", "charts-b"),
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.1", "charts-a"))},
	}})
}
