#!/usr/bin/env bash
# Installs what is missing, builds, and starts the web playground on http://127.0.0.1:5000
# with its embedded default (appsettings.json): state in /var/lib/playground, a busybox root
# filesystem for every visitor. Run as root: sandboxes are made of namespaces, cgroups and
# mounts. Ctrl-C stops it (and every sandbox). For a shell without the browser, see README.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dotnet build src/Web -c Release -nologo -v:q
cd src/Web   # content root: appsettings.json and wwwroot are here
exec dotnet bin/Release/net10.0/Playground.Web.dll "$@"
