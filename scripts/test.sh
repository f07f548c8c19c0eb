#!/usr/bin/env bash
# Installs what the tests need, then runs every test (as root: the tests make real namespaces,
# cgroups and mounts, and drive the real web app in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Chromium for the end-to-end tests; dockerd (the Docker tests start one of their own, vfs
# storage, no network); xz and zstd: the importer's tests compress with the real tools;
# PostgreSQL's server binaries: the database tests run a private cluster of their own (the
# package's own cluster is not used).
test_need=()
command -v chromium >/dev/null || test_need+=(chromium)
[ -x /usr/sbin/dockerd ] || test_need+=(docker.io)
command -v xz >/dev/null || test_need+=(xz-utils)
command -v zstd >/dev/null || test_need+=(zstd)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || test_need+=(postgresql)
if [ ${#test_need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${test_need[@]}" >/dev/null
fi
dotnet build Playground.sln -nologo -v:q
status=0
dotnet test tests/unit --no-build -nologo || status=$?
dotnet test tests/e2e --no-build -nologo || status=$?
exit $status
