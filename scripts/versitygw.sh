#!/usr/bin/env bash
# Builds the S3 server the tests and the fault suite run (versitygw, pinned)
# into bin/ once.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSITYGW_VERSION=v1.8.0
if [ ! -x bin/versitygw ]; then
  echo "building versitygw $VERSITYGW_VERSION into bin/ (once, about 1.5 min)" >&2
  GOBIN="$PWD/bin" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi
