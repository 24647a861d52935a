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
ORAS_VERSION=v1.3.6 # the OCI referrers end-to-end test: attach, discover, pull
if [ ! -x bin/oras ]; then
  echo "install-clients: building oras $ORAS_VERSION into bin/" >&2
  GOBIN="$root/bin" go install "oras.land/oras/cmd/oras@$ORAS_VERSION"
fi
TOFU_VERSION=v1.10.10
if [ ! -x bin/tofu ]; then
  # go install refuses OpenTofu's module (replace directives): build it in
  # its module folder instead (about 5 minutes, once).
  echo "install-clients: building OpenTofu $TOFU_VERSION into bin/" >&2
  dir=$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$root/bin/tofu" ./cmd/tofu)
fi
# The OCI distribution-spec conformance suites, pinned: the ginkgo suite of
# spec v1.1 (a test binary) and the current one (a program).
OCI_V11=v0.0.0-20231101194043-f2182352d4cc
OCI_CURRENT=v0.0.0-20260831232431-97274622c111
oci_src() { # a writable copy of the suite's module at version $1
  local dir tmp
  dir=$(go mod download -json "github.com/opencontainers/distribution-spec/conformance@$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  tmp=$(mktemp -d)
  cp -r "$dir/." "$tmp" && chmod -R u+w "$tmp"
  echo "$tmp"
}
if [ ! -x bin/oci-conformance-v1.1.test ]; then
  echo "install-clients: building the OCI conformance suite (spec v1.1) into bin/" >&2
  src=$(oci_src "$OCI_V11")
  (cd "$src" && go test -c -o "$root/bin/oci-conformance-v1.1.test" .)
  rm -rf "$src"
fi
if [ ! -x bin/oci-conformance ]; then
  echo "install-clients: building the current OCI conformance suite into bin/" >&2
  src=$(oci_src "$OCI_CURRENT")
  # Its results writer dereferences test data that a read-only run (no
  # pushes: a pull-through cache takes none) never generates, and crashes
  # before writing junit.xml; skip the entries that do not exist.
  line='		results.Data[r.State.Data[k].name] = v'
  grep -qxF "$line" "$src/run.go" || { echo "install-clients: the conformance suite's results writer changed; revisit the patch" >&2; exit 1; }
  sed -i 's|^\t\tresults.Data\[r.State.Data\[k\].name\] = v$|\t\tif r.State.Data[k] == nil {\n\t\t\tcontinue\n\t\t}\n&|' "$src/run.go"
  (cd "$src" && go build -o "$root/bin/oci-conformance" .)
  rm -rf "$src"
fi
need=()
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v apt-ftparchive >/dev/null || need+=(apt-utils)
command -v dnf >/dev/null || need+=(dnf)
command -v createrepo_c >/dev/null || need+=(createrepo-c)
command -v rpmbuild >/dev/null || need+=(rpm)
command -v puppet >/dev/null || need+=(puppet)
command -v tmux >/dev/null || need+=(tmux) # the TUI's end-to-end test
[ -x /usr/bin/chromium ] || need+=(chromium) # the web UI's end-to-end tests
[ ${#need[@]} -eq 0 ] && exit 0
echo "install-clients: installing ${need[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
