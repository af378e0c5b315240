#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch (once), prepare and build QEMU with this repository's series applied.
#   base     Debian's source package qemu $QEMU_DEB_VERSION, or $QEMU_SRC
#   work     $WORK = base + overlay + patches (scripts/prepare.sh)
#   build    $QBUILD, configured once, then rebuilt incrementally by ninja
set -euo pipefail
. "$(dirname "$0")/common.sh"

fetch_debian_source() {
    [ -f "$PRISTINE/.cxl-mctp-unpacked" ] && return 0
    mkdir -p "$DL"
    local want=$QEMU_DEB_VERSION got=
    local versions
    # Unstable versions vanish from the mirror: take the wanted one if it
    # downloads, else the newest 10.2.x that does.
    versions=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' |
               grep -E '^1:10\.2\.' | sort -rV | grep -vxF "$want" || true)
    for v in "$want" $versions; do
        say "downloading Debian source package qemu=$v..."
        rm -f "$DL"/qemu_*
        if (cd "$DL" && apt-get source -qq --download-only "qemu=$v") \
               >"$DL/apt-get-source.log" 2>&1; then
            got=$v
            break
        fi
        say "qemu=$v could not be downloaded ($(grep -m1 -E '^(E|Err):' "$DL/apt-get-source.log" || true))"
    done
    [ -n "$got" ] || die "no QEMU 10.2.x source package downloads from the configured mirror; set QEMU_SRC=/path/to/qemu (a QEMU 10.2 tree) and re-run"
    [ "$got" = "$want" ] || say "NOTE: using qemu=$got instead of $want, which is gone from the mirror"
    say "unpacking with Debian's patches applied..."
    rm -rf "$PRISTINE"
    run_logged "$DL/dpkg-source.log" dpkg-source --no-copy -x "$DL"/qemu_*.dsc "$PRISTINE"
    echo "$got" > "$PRISTINE/.cxl-mctp-unpacked"
}

configure_args=($(qemu_configure_args gcc))

if [ -n "${QEMU_SRC:-}" ]; then
    [ -f "$PRISTINE/VERSION" ] && [ -x "$PRISTINE/configure" ] ||
        die "QEMU_SRC=$QEMU_SRC does not look like a QEMU source tree (no VERSION/configure)"
    say "base: $PRISTINE (QEMU $(cat "$PRISTINE/VERSION")) from QEMU_SRC"
else
    fetch_debian_source
    say "base: Debian qemu $(cat "$PRISTINE/.cxl-mctp-unpacked")"
fi

# One prepare+build at a time on a work tree (ninja does not lock).
mkdir -p "$BUILD"
exec 9>"$WORK.lock"
flock 9

"$REPO/scripts/prepare.sh" "$PRISTINE" "$WORK"

qemu_configure "$WORK" "$QBUILD" "${configure_args[@]}" ||
    die "configure failed; full log: $QBUILD/configure.log"

say "building QEMU with ninja (first build takes ~5 min, then incremental)..."
# QEMU's Makefile runs ninja and then the x86 option ROMs (linuxboot_dma.bin...).
# Paths relative to the tree and the build directory left out of the hash
# (-g would put it in): the series' builds (series.sh) of the same sources
# in another directory then hit the cache.
export CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=1
# -Werror (qemu_configure_args): a warning anywhere fails the build.
if ! make -C "$QBUILD" -j"$JOBS" --no-print-directory > "$QBUILD/make.log" 2>&1; then
    grep -E 'error|Error|FAILED' "$QBUILD/make.log" | head -n 20 >&2
    die "QEMU build failed; full log: $QBUILD/make.log"
fi
n=$(grep -cE '^\[[0-9]+/[0-9]+\] (Compiling|Linking)' "$QBUILD/make.log" || true)
say "done: $QEMU ($n files compiled or linked)"
