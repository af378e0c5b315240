#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install what building and testing needs, from Debian only.  As root it
# installs what is missing (apt sources are derived by apt-sources.sh); as
# any other user it prints exactly what is missing and stops.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# From the machine's own suite (bookworm).
pkgs=(
    build-essential gcc-multilib ninja-build pkg-config
    libglib2.0-dev libpixman-1-dev flex bison python3-venv
    ccache quilt patchutils rsync dpkg-dev git
    bc libelf-dev cpio xz-utils busybox-static
    seabios ipxe-qemu valgrind
    clang python3-sphinx python3-sphinx-rtd-theme
    # clang's sanitizer and libFuzzer runtimes (make check-sanitize,
    # check-fuzz), llvm-symbolizer (make fuzz-coverage, symbolized reports)
    libclang-rt-dev llvm
    # socat and ldattach (util-linux): tests/project/host-fm-test.sh
    socat util-linux
    # tests/project/ci-definitions-test.sh reads .gitlab-ci.yml
    python3-yaml
    # ARCH=aarch64 (qemu-system-aarch64 is always built: libfdt): UEFI for
    # virt; the guest cross-built by clang (>= 17 for Linux 7) with GNU
    # binutils, the client static against the arm64 cross libc and libgcc
    # (gcc-aarch64-linux-gnu itself conflicts with gcc-multilib);
    # busybox-static:arm64 is apt-get download'ed by guest.sh
    libfdt-dev qemu-efi-aarch64
    clang-19 binutils-aarch64-linux-gnu libc6-dev-arm64-cross
    libgcc-12-dev-arm64-cross
)
# From bookworm-backports: QEMU 10.2 wants meson >= 1.5; pycotap for TAP.
bpo_pkgs=(meson python3-pycotap)
MESON_MIN=1.5

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# Sources for apt-get source qemu / linux-source (sid) and bookworm-backports.
if [ "$(id -u)" = 0 ]; then
    "$REPO/scripts/apt-sources.sh"
elif [ ! -f /etc/apt/sources.list.d/cxl-mctp-overlay.sources ]; then
    die "apt has no sid/bookworm-backports entries yet. As root run: make deps"
fi

# apt-get download busybox-static:arm64 (guest.sh, ARCH=aarch64) needs
# the arm64 package lists
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    [ "$(id -u)" = 0 ] ||
        die "apt has no arm64 package lists (for busybox-static:arm64). As root run: make deps"
    say "adding the arm64 architecture to dpkg (package lists only)..."
    dpkg --add-architecture arm64
    apt-get update -q >/tmp/cxl-mctp-deps-update.log 2>&1 ||
        { tail -n 5 /tmp/cxl-mctp-deps-update.log >&2; die "apt-get update failed"; }
fi

missing=()
for p in "${pkgs[@]}" "${bpo_pkgs[@]}"; do
    installed "$p" || missing+=("$p")
done
meson_old=
if installed meson; then
    v=$(dpkg-query -W -f='${Version}' meson)
    dpkg --compare-versions "$v" ge "$MESON_MIN" || meson_old=$v
fi

if [ ${#missing[@]} -eq 0 ] && [ -z "$meson_old" ]; then
    exit 0
fi

need=${missing[*]}${meson_old:+ meson>=$MESON_MIN (have $meson_old)}
if [ "$(id -u)" != 0 ]; then
    die "missing: $need. As root run: make deps (installs them from Debian, meson and python3-pycotap from bookworm-backports)"
fi

export DEBIAN_FRONTEND=noninteractive
base=() bpo=()
for p in "${missing[@]}"; do
    case " ${bpo_pkgs[*]} " in
    *" $p "*) bpo+=("$p") ;;
    *) base+=("$p") ;;
    esac
done
[ -n "$meson_old" ] && bpo+=(meson)
log=/tmp/cxl-mctp-deps.log
if [ ${#base[@]} -gt 0 ]; then
    say "installing ${base[*]}..."
    apt-get install -y -q --no-install-recommends "${base[@]}" >"$log" 2>&1 ||
        { tail -n 5 "$log" >&2; die "apt-get install ${base[*]} failed (log: $log)"; }
fi
if [ ${#bpo[@]} -gt 0 ]; then
    say "installing ${bpo[*]} from bookworm-backports..."
    apt-get install -y -q --no-install-recommends -t bookworm-backports "${bpo[@]}" >>"$log" 2>&1 ||
        { tail -n 5 "$log" >&2; die "apt-get install -t bookworm-backports ${bpo[*]} failed (log: $log)"; }
fi
say "build dependencies installed"
