// Command terraform-provider-artifactapi manages ArtifactAPI remotes and
// virtual repositories from Terraform / OpenTofu.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/provider"
)

var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers like delve")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/artifactapi/artifactapi",
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
