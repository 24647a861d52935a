// Package types is the explicit list of package types this build serves.
// Adding a type is adding its package and one line here.
package types

import (
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/alpine"
	"github.com/artifactapi/artifactapi/internal/format/apt"
	"github.com/artifactapi/artifactapi/internal/format/docker"
	"github.com/artifactapi/artifactapi/internal/format/generic"
	"github.com/artifactapi/artifactapi/internal/format/goproxy"
	"github.com/artifactapi/artifactapi/internal/format/helm"
	"github.com/artifactapi/artifactapi/internal/format/npm"
	"github.com/artifactapi/artifactapi/internal/format/puppet"
	"github.com/artifactapi/artifactapi/internal/format/pypi"
	"github.com/artifactapi/artifactapi/internal/format/rpm"
	"github.com/artifactapi/artifactapi/internal/format/terraform"
)

// All returns every served package type.
func All() *format.Registry {
	return format.NewRegistry(
		alpine.Type{},
		apt.Type{},
		generic.Type{},
		docker.Type{},
		goproxy.Type{},
		helm.Type{},
		npm.Type{},
		puppet.Type{},
		pypi.Type{},
		rpm.Type{},
		terraform.Type{},
	)
}
