#!/usr/bin/env bash
# Installs what the tests need, then runs every test (as root: the tests make real namespaces,
# cgroups and mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dotnet build tests/unit -nologo -v:q
dotnet test tests/unit --no-build -nologo
