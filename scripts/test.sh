#!/usr/bin/env bash
# Installs what the tests need, then runs every test (as root: the tests make real namespaces,
# cgroups and mounts, and drive the real web app in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
dotnet build Playground.sln -nologo -v:q
status=0
dotnet test tests/unit --no-build -nologo || status=$?
dotnet test tests/e2e --no-build -nologo || status=$?
exit $status
