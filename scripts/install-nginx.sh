#!/usr/bin/env bash
# Installs nginx from Debian's packages for make bench (the origin and the
# proxy_cache reference), without starting Debian's own service: the bench
# runs its own instances on loopback ports.
set -euo pipefail
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-nginx: installing nginx-light" >&2
$sudo apt-get update -qq
# policy-rc.d keeps the package from starting nginx on port 80.
printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
$sudo chmod +x /usr/sbin/policy-rc.d
trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
