#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The +ds source has no firmware blobs.  Link Debian's SeaBIOS and iPXE and
# the x86 option ROMs QEMU's build made (pc-bios/optionrom: linuxboot_dma.bin,
# pvh.bin, ... - without linuxboot_dma.bin, -kernel silently falls through to
# iPXE) into the bundle directory the built QEMU searches.
#
# firmware.sh [BUILDDIR [ROMDIR]]: for QEMU's build directory BUILDDIR
# (default: the build `make` makes; series.sh passes the series' build),
# with the option ROMs of ROMDIR (default: BUILDDIR's; a clang build has
# none, sanitize.sh passes the gcc build's).
set -euo pipefail
. "$(dirname "$0")/common.sh"
romdir=${2:-${1:-$QBUILD}/pc-bios/optionrom}
QBUILD=${1:-$QBUILD}

dest=$QBUILD/qemu-bundle/usr/local/share/qemu
mkdir -p "$dest"

[ -f /usr/share/seabios/bios-256k.bin ] || die "SeaBIOS missing: apt-get install seabios (or: make deps)"
[ -d /usr/lib/ipxe/qemu ] || die "iPXE ROMs missing: apt-get install ipxe-qemu (or: make deps)"
[ -f "$romdir/linuxboot_dma.bin" ] ||
    die "$romdir/linuxboot_dma.bin was not built (configure needs gcc-multilib to build the x86 option ROMs: make deps, then rm -rf $QBUILD and make)"

n=0
for f in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom \
         "$romdir"/*.bin; do
    ln -sfn "$f" "$dest/$(basename "$f")"
    n=$((n + 1))
done
say "$n firmware files linked into $dest"
