#!/usr/bin/env bash
# Installs the real package-manager clients the suite drives through the
# built binary, from Debian's packages, when they are missing.
set -euo pipefail
need=()
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
[ ${#need[@]} -eq 0 ] && exit 0
echo "install-clients: installing ${need[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
