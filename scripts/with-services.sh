#!/usr/bin/env bash
# Runs a command with the test services up and named by ARTIFACTAPI_TEST_*:
# PostgreSQL and Redis on this machine (started if they are installed but
# down), and an S3 server (versitygw, built into bin/ on first use) on a free
# loopback port with a throw-away folder, stopped when the command ends.
# Variables already set are kept, so the suite can point at other servers.
set -euo pipefail
cd "$(dirname "$0")/.."

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -z "${ARTIFACTAPI_TEST_POSTGRES:-}" ]; then
  if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  up 5432 || { echo "with-services: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
  export ARTIFACTAPI_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
fi
if [ -z "${ARTIFACTAPI_TEST_REDIS:-}" ]; then
  if ! up 6379 && command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
    sleep 0.5
  fi
  up 6379 || { echo "with-services: Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
  export ARTIFACTAPI_TEST_REDIS="redis://127.0.0.1:6379/15"
fi
if [ -z "${ARTIFACTAPI_TEST_S3:-}" ]; then
  scripts/versitygw.sh
  s3dir=$(mktemp -d)
  port=17070
  while up "$port"; do port=$((port + 1)); done
  # Keep-alive as every production S3 does (versitygw closes each
  # connection by default), and no line logged per request.
  ROOT_ACCESS_KEY=testkey ROOT_SECRET_KEY=testsecret12345 \
    bin/versitygw --port "127.0.0.1:$port" --keep-alive --quiet posix "$s3dir" >"$s3dir.log" 2>&1 &
  vgw=$!
  trap 'kill $vgw 2>/dev/null; wait $vgw 2>/dev/null; rm -rf "$s3dir" "$s3dir.log"' EXIT
  for _ in $(seq 100); do up "$port" && break; sleep 0.1; done
  up "$port" || { echo "with-services: versitygw did not start:" >&2; cat "$s3dir.log" >&2; exit 1; }
  export ARTIFACTAPI_TEST_S3="http://testkey:testsecret12345@127.0.0.1:$port"
fi
"$@"
