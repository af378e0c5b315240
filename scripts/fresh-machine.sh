#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fresh-machine.sh [COMMAND...]: run the README's commands as a newcomer on
# a fresh machine would, in a fresh Debian of the host's release (a
# debootstrap chroot, $FRESH_ROOT, by default build/fresh): only what a new
# machine of this kind has (gcc, g++, make, git, perl, python3) is
# installed before; the repository's HEAD is cloned into it; each COMMAND
# (default: "make run" then "make check") runs there as root with an empty
# ccache and an empty apt cache of the project's packages, and its wall
# time is printed.  Everything the commands need they must install or
# download themselves.
#
#   scripts/fresh-machine.sh "make run ARCH=aarch64" "make check ARCH=aarch64"
#
# The mirror is read from the host's /etc/apt/sources.list.d/debian.sources
# at run time (as scripts/apt-sources.sh does), never written here.  The
# chroot is made anew on every run (FRESH_KEEP=1 keeps and reuses it:
# not a fresh machine any more, for debugging a failure).  Needs root.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ROOTFS=${FRESH_ROOT:-$BUILD/fresh}
SRCS=/etc/apt/sources.list.d/debian.sources
[ "$(id -u)" = 0 ] || die "fresh-machine.sh needs root (debootstrap, chroot)"
[ -r "$SRCS" ] || die "$SRCS not found: cannot find the host's mirror"
[ $# -gt 0 ] || set -- "make run" "make check"
case "$ROOTFS" in
/|/usr|/usr/*|/etc|/etc/*|"$REPO") die "FRESH_ROOT=$ROOTFS: refusing" ;;
esac

# The host's release and main archive (first stanza of debian.sources).
. /etc/os-release
suite=$VERSION_CODENAME
mirror=$(sed -n '1,/^[[:space:]]*$/s/^URIs:[[:space:]]*//p' "$SRCS" | awk '{ print $1; exit }')
[ -n "$suite" ] && [ -n "$mirror" ] || die "cannot read the release or mirror of this host"

# mounts_under: the mount points at or below $ROOTFS, deepest first
mounts_under() {
    awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 { print $2 }' \
        /proc/mounts | sort -r
}
unmount_all() {
    local m
    for m in $(mounts_under); do
        umount -l "$m" 2>/dev/null || true
    done
}
trap unmount_all EXIT
unmount_all
[ -z "$(mounts_under)" ] || die "something is still mounted under $ROOTFS"

if [ "${FRESH_KEEP:-0}" != 1 ] || [ ! -f "$ROOTFS/.fresh-ready" ]; then
    command -v debootstrap >/dev/null || {
        say "installing debootstrap on the host..."
        apt-get install -y -q debootstrap >/dev/null
    }
    rm -rf --one-file-system "$ROOTFS"
    mkdir -p "$ROOTFS"
    say "debootstrap $suite (minbase + gcc g++ make git perl python3) into $ROOTFS..."
    start=$(date +%s)
    run_logged "$ROOTFS.debootstrap.log" debootstrap --variant=minbase \
        --include=gcc,g++,make,git,perl,python3,ca-certificates \
        "$suite" "$ROOTFS" "$mirror"
    # apt as on the host: deb822 sources, nothing else, and the machine's
    # apt settings (its mirror may serve Release files past their
    # Valid-Until), but no hook of a package the chroot does not have.
    rm -f "$ROOTFS/etc/apt/sources.list"
    cp "$SRCS" "$ROOTFS/etc/apt/sources.list.d/"
    for f in /etc/apt/apt.conf.d/*; do
        [ -f "$f" ] && [ ! -e "$ROOTFS$f" ] && ! grep -q Invoke "$f" &&
            cp "$f" "$ROOTFS$f"
    done
    say "fresh $suite ready in $(( $(date +%s) - start )) s"
    touch "$ROOTFS/.fresh-ready"
fi
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
# rslave: unmounting the chroot's view must not unmount the host's.
mount --rbind /sys "$ROOTFS/sys"
mount --make-rslave "$ROOTFS/sys"
mount --rbind /dev "$ROOTFS/dev"
mount --make-rslave "$ROOTFS/dev"

# The committed state of this repository, as a clone from the project's
# remote would give it.
clone=/root/$(basename "$REPO")
rm -rf "${ROOTFS:?}$clone"
git clone -q --no-hardlinks "$REPO" "$ROOTFS$clone"
say "cloned $(git -C "$REPO" rev-parse --short HEAD) into the chroot's $clone"

times=()
rc=0
for cmd in "$@"; do
    say "fresh machine: $cmd"
    start=$(date +%s)
    if chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd $clone && $cmd" </dev/null; then
        status=ok
    else
        status="FAILED ($?)"
        rc=1
    fi
    took=$(( $(date +%s) - start ))
    times+=("$(printf '%-40s %-10s %d min %02d s' "$cmd" "$status" $((took / 60)) $((took % 60)))")
    [ "$rc" = 0 ] || break
done
say "fresh machine ($suite, $(nproc) cores), wall time of each command:"
printf '    %s\n' "${times[@]}"
exit "$rc"
