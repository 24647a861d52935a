#!/usr/bin/env bash
# Installs the real package-manager clients the suite drives through the
# built binary when they are missing: Debian's packages, and helm built
# from the Go module proxy into bin/ (about 2 minutes, once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p bin
HELM_VERSION=v3.22.0
if ! command -v helm >/dev/null && [ ! -x bin/helm ]; then
  echo "install-clients: building helm $HELM_VERSION into bin/" >&2
  GOBIN="$root/bin" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
TOFU_VERSION=v1.10.10
if [ ! -x bin/tofu ]; then
  # go install refuses OpenTofu's module (replace directives): build it in
  # its module folder instead (about 5 minutes, once).
  echo "install-clients: building OpenTofu $TOFU_VERSION into bin/" >&2
  dir=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$root/bin/tofu" ./cmd/tofu)
fi
need=()
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
[ ${#need[@]} -eq 0 ] && exit 0
echo "install-clients: installing ${need[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
