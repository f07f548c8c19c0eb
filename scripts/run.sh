#!/usr/bin/env bash
# Installs what is missing, builds, and starts the playground on its embedded default: a
# shell in a sandbox (all namespaces but time, Docker's capabilities and seccomp profile,
# no_new_privs, proc, a minimal /dev) over a busybox root filesystem. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dotnet build src/Cli -c Release -nologo -v:q
data=${PLAYGROUND_DATA:-/var/lib/playground}
cli="dotnet src/Cli/bin/Release/net10.0/playground.dll"
[ -x "$data/rootfs/busybox/bin/busybox" ] || $cli rootfs busybox "$data/rootfs/busybox" >/dev/null
chmod o+rx "$data" "$data/rootfs"   # the sandbox's root is an unprivileged uid on the host
exec $cli run --rootfs "$data/rootfs/busybox" --hostname playground --story "$@" -- /bin/sh
