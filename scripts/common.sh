# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared settings for the scripts in this directory; source it, do not run it.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
DL=$BUILD/dl                        # downloaded Debian packages
# ARCH (make run|check|guest ARCH=aarch64): the guest's architecture,
# x86_64 (the default: q35, bzImage) or aarch64 (virt with UEFI, Image);
# kbuild's spellings x86 and arm64 are taken too.
case "${ARCH:-x86_64}" in
x86_64|x86) ARCH=x86_64 ;;
aarch64|arm64) ARCH=aarch64 ;;
*) echo "ARCH=$ARCH: x86_64 or aarch64" >&2; exit 1 ;;
esac
export ARCH
if [ "$ARCH" = aarch64 ]; then
    GUEST=$BUILD/guest-aarch64      # Image, initramfs
    GUEST_KERNEL=$GUEST/Image
else
    GUEST=$BUILD/guest              # bzImage, initramfs
    GUEST_KERNEL=$GUEST/bzImage
fi
# QEMU base: Debian's source package unless QEMU_SRC names a user's tree.
QEMU_DEB_VERSION=${QEMU_DEB_VERSION:-1:10.2.2+ds-1}
if [ -n "${QEMU_SRC:-}" ]; then
    if [ ! -d "$QEMU_SRC" ]; then
        echo "QEMU_SRC=$QEMU_SRC: no such directory" >&2
        exit 1
    fi
    PRISTINE=$(cd "$QEMU_SRC" && pwd)
    WORK=$BUILD/qemu-user
else
    PRISTINE=$BUILD/qemu-pristine
    WORK=$BUILD/qemu
fi
QBUILD=$WORK/build                  # QEMU's build directory
# CXL_MCTP_QEMU: another build of the same tree (make check-sanitize's)
QEMU=${CXL_MCTP_QEMU:-$QBUILD/qemu-system-$ARCH}
# Debian's python, not whatever python3 comes first in PATH: meson and
# pycotap are Debian packages.
PYTHON=/usr/bin/python3
JOBS=${JOBS:-$(nproc)}

# qemu_configure_args gcc|clang [TARGETS]: how every QEMU build of this
# project is configured (TARGETS, by default x86_64-softmmu and
# aarch64-softmmu, the latter with only the virt board's devices; minimal
# features, -Werror), with ccache.  The build of `make` and the series'
# builds (series.sh) share it, so ccache serves one from the other.
QEMU_TARGETS=x86_64-softmmu,aarch64-softmmu
qemu_configure_args() {
    local cc=$1 targets=${2:-$QEMU_TARGETS} cxx
    case "$cc" in
    gcc) cxx=g++ ;;
    clang) cxx=clang++ ;;
    *) die "qemu_configure_args: gcc or clang, not '$cc'" ;;
    esac
    case ",$targets," in
    *,aarch64-softmmu,*) echo --with-devices-aarch64=minimal ;;
    esac
    echo --target-list="$targets" --without-default-features --enable-tcg \
         --enable-werror --disable-docs --disable-install-blobs \
         --disable-download --disable-tools --python="$PYTHON" \
         --cc=/usr/lib/ccache/$cc --cxx=/usr/lib/ccache/$cxx --host-cc=$cc
}

# The clang ASan + UBSan tree of make check-sanitize, also configured with
# --enable-fuzzing for make fuzz: qemu_configure_args clang (x86_64 only)
# without -Werror, plus the sanitizers and libFuzzer's instrumentation.
SBUILD=$WORK/build-san
sanitize_configure_args() {
    local a
    for a in $(qemu_configure_args clang x86_64-softmmu) --enable-asan --enable-ubsan \
             --enable-fuzzing; do
        [ "$a" = --enable-werror ] || echo "$a"
    done
}

# qemu_configure SRC BUILDDIR ARG...: configure QEMU's tree SRC in BUILDDIR
# with ARG..., unless it was configured with the same arguments already
# (the stamp .cxl-mctp-configure-args), saying so; configure's output is in
# BUILDDIR/configure.log, its tail printed if it fails.
qemu_configure() {
    local src=$1 bdir=$2
    shift 2
    local stamp=$bdir/.cxl-mctp-configure-args
    if [ -f "$bdir/build.ninja" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$*" ]; then
        return 0
    fi
    say "configuring QEMU in $bdir..."
    mkdir -p "$bdir"
    rm -f "$stamp"
    if ! (cd "$bdir" && "$src/configure" "$@") > "$bdir/configure.log" 2>&1; then
        tail -n 20 "$bdir/configure.log" >&2
        return 1
    fi
    echo "$*" > "$stamp"
}

# What `make check` runs of QEMU's tests (scripts/check.sh; series.sh runs
# them on the series' last step too).
# QEMU qtests (tests/qtest), named as QEMU's meson registers them.
QTESTS=(
    cxl-test
    usb-hcd-uhci-test
    usb-hcd-ehci-test
    usb-hcd-xhci-test
    usb-cxl-mctp-test
    cxl-mctp-sweep-test
    designware-i2c-test
    i2c-cxl-mctp-test
    cxl-reset-test
    cxl-dcd-test
    cxl-mctp-lifecycle-test
    cxl-mctp-soak-test
    cxl-mctp-serial-test
)
# The same on qemu-system-aarch64 (the arm virt machine; make check
# ARCH=aarch64 and make ci): all but QEMU's usb-hcd tests, which QEMU
# registers for x86 only
QTESTS_AARCH64=()
for _t in "${QTESTS[@]}"; do
    case $_t in
    usb-hcd-*) ;;
    *) QTESTS_AARCH64+=("$_t") ;;
    esac
done
unset _t

# QEMU unit tests (tests/unit) of ours
UNIT_TESTS=(
    test-smbus-pec
)

# Say what a long step is doing, with a prefix naming the script.
say() { echo "[$(basename "$0" .sh)] $*"; }
die() { echo "[$(basename "$0" .sh)] error: $*" >&2; exit 1; }

# run_logged LOG CMD...: run CMD with its output in LOG; on failure show the
# tail of LOG and fail.
run_logged() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "'$*' failed; full log: $log"
    fi
}

# guest_initrd_with DIR OUT: write to OUT the guest's initramfs.cpio followed
# by a newc archive of what is in DIR (owned by root, at its path under DIR:
# DIR/bin/x is /bin/x in the guest).  Linux unpacks concatenated archives in
# order, so a file of DIR replaces the guest's file of the same name.
# Used by run.sh for GUEST_EXTRA.
guest_initrd_with() {
    local dir=$1 out=$2
    [ -d "$dir" ] || die "$dir is not a directory"
    {
        cat "$GUEST/initramfs.cpio" &&
            (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
                 cpio -o -H newc -R 0:0 --quiet)
    } >"$out" || die "could not archive $dir into $out"
}
