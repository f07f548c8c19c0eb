#!/usr/bin/env bash
# What the engine and the web playground need on a Debian machine (run as root). Idempotent.
set -euo pipefail
need=()
command -v unshare >/dev/null || need+=(util-linux)
command -v newuidmap >/dev/null || need+=(uidmap)
[ -e /usr/lib/x86_64-linux-gnu/libseccomp.so.2 ] || need+=(libseccomp2)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
command -v gcc >/dev/null || need+=(gcc libc6-dev)   # NativeAOT links init with it; the workshop compiles with it
command -v file >/dev/null || need+=(file)
command -v bwrap >/dev/null || need+=(bubblewrap)     # a peer for `playground bench start`
command -v bc >/dev/null || need+=(bc)
command -v npm >/dev/null || need+=(nodejs npm)          # the web build installs xterm.js and SignalR's client from npm
command -v strace >/dev/null || need+=(strace)        # the workshop's tools
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/sbin/debootstrap ] || need+=(debootstrap)  # "Debian, minimal" roots (from deb.debian.org, cached)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)  # each person's root filesystem store is an ext4 image
command -v losetup >/dev/null || need+=(mount)        # ...loop-mounted
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The `unshare … --map-users` peer of the benchmark maps ids through newuidmap, which only
# grants ranges listed for root here (the engine writes its maps itself and needs none).
grep -q '^root:' /etc/subuid 2>/dev/null || echo 'root:100000:6553600' >> /etc/subuid
grep -q '^root:' /etc/subgid 2>/dev/null || echo 'root:100000:6553600' >> /etc/subgid
command -v dotnet >/dev/null || { echo "install the .NET 10 SDK first (dotnet not found)"; exit 1; }
