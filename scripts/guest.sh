#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest.sh: build the guest used by the end-to-end tests:
#   $GUEST/bzImage           Linux 7.x from Debian's newest linux-source-7.N
#                            (sid, only ever apt-get download'ed), tinyconfig
#                            + tests/guest/kernel.config
#   $GUEST/initramfs.cpio    busybox-static + tests/guest/init + $GUEST/extra/*
#   $GUEST/kernel-version.txt  the package and version the kernel came from
# With ARCH=aarch64 (common.sh) the same for QEMU's virt board, in
# build/guest-aarch64: $GUEST/Image from the same source, cross-compiled by
# clang (Debian's gcc-aarch64-linux-gnu conflicts with gcc-multilib, which
# QEMU's x86 option ROMs need) with binutils-aarch64-linux-gnu, tinyconfig +
# kernel.config + kernel-aarch64.config, in its own kbuild dir
# ($BUILD/kernel/obj-aarch64); the client cross-compiled static against
# libc6-dev-arm64-cross; busybox from Debian's busybox-static:arm64.
#
# Cached: the kernel is rebuilt only when the config fragment or the
# package version changes (incrementally, kbuild O= dir in $BUILD/kernel),
# the cpio only when its inputs change.  GUEST_FORCE=1 redoes both steps
# (the kernel build stays incremental: remove $BUILD/kernel/obj for a clean one).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KDIR=$BUILD/kernel
FRAGMENTS=("$REPO/tests/guest/kernel.config")
INIT=$REPO/tests/guest/init
EXTRA=$GUEST/extra
if [ "$ARCH" = aarch64 ]; then
    OBJ=$KDIR/obj-aarch64
    FRAGMENTS+=("$REPO/tests/guest/kernel-aarch64.config")
    # clang >= 17 (Linux 7's minimum), the GNU assembler and linker of
    # binutils-aarch64-linux-gnu
    KCLANG=clang-19
    KMAKE_VARS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="ccache $KCLANG"
                KBUILD_BUILD_USER=cxlmctp KBUILD_BUILD_HOST=guest)
    KTARGET=Image KIMAGE=arch/arm64/boot/Image
    KSTAMP=$KDIR/kernel-aarch64.stamp KLOG=$KDIR/aarch64-
    CLIENT_CC=("$KCLANG" --target=aarch64-linux-gnu)
    BUSYBOX=$BUILD/busybox-arm64/bin/busybox
else
    OBJ=$KDIR/obj
    KMAKE_VARS=(CC="ccache gcc" KBUILD_BUILD_USER=cxlmctp KBUILD_BUILD_HOST=guest)
    KTARGET=bzImage KIMAGE=arch/x86/boot/bzImage
    KSTAMP=$KDIR/kernel.stamp KLOG=$KDIR/
    CLIENT_CC=(gcc)
    BUSYBOX=/bin/busybox
fi

for f in "${FRAGMENTS[@]}"; do
    [ -f "$f" ] || die "$f not found"
done
[ -f "$INIT" ] || die "$INIT not found"
mkdir -p "$DL" "$KDIR" "$GUEST"
# One build at a time (kbuild and the cpio staging do not lock).
exec 8>"$KDIR.lock"
flock 8

# --- 1. Which linux-source-7.N ------------------------------------------------
# Every apt-cache call costs ~1.5 s here (no pkgcache.bin), so the answer is
# kept in $KDIR/apt-pick until apt's package lists change.
pick=$KDIR/apt-pick
lists_changed() {
    [ ! -s "$pick" ] ||
        [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -newer "$pick" 2>/dev/null)" ]
}
if lists_changed; then
    pkgs=$(apt-cache pkgnames linux-source-7. | grep -E '^linux-source-7\.[0-9]+$' || true)
    best_pkg='' best_ver=''
    for p in $pkgs; do
        # All versions apt knows of this package; keep the newest.
        for v in $(apt-cache show "$p" 2>/dev/null | sed -n 's/^Version: //p'); do
            if [ -z "$best_ver" ] || dpkg --compare-versions "$v" gt "$best_ver"; then
                best_pkg=$p best_ver=$v
            fi
        done
    done
    if [ -n "$best_pkg" ]; then
        echo "$best_pkg $best_ver" > "$pick"
    elif [ -s "$pick" ]; then
        say "warning: apt offers no linux-source-7.N any more; keeping $(cat "$pick")"
        touch "$pick"
    else
        die "apt offers no linux-source-7.N package; run scripts/apt-sources.sh (as root) to add the sid entry"
    fi
fi
read -r KPKG KVER < "$pick"
KSERIES=${KPKG#linux-source-}                     # 7.N
deb=$DL/${KPKG}_${KVER/:/%3a}_all.deb
if [ ! -f "$deb" ]; then
    say "downloading $KPKG $KVER (~160 MB)..."
    (cd "$DL" && run_logged "$KDIR/apt-download.log" apt-get download "$KPKG=$KVER")
    [ -f "$deb" ] || die "apt-get download did not produce $deb"
fi

# --- 2. Unpack it -------------------------------------------------------------
SRC=$KDIR/linux-source-$KVER
if [ ! -f "$SRC/.unpacked" ]; then
    say "unpacking $KPKG $KVER into $SRC..."
    # Older trees are of no further use; drop them (they are ~1.5 GB each).
    rm -rf "$KDIR"/linux-source-* "$KDIR/deb.tmp"
    mkdir -p "$KDIR/deb.tmp" "$SRC.tmp"
    dpkg-deb -x "$deb" "$KDIR/deb.tmp"
    tarball=$KDIR/deb.tmp/usr/src/linux-source-$KSERIES.tar.xz
    [ -f "$tarball" ] || die "$deb has no /usr/src/linux-source-$KSERIES.tar.xz"
    tar -xf "$tarball" -C "$SRC.tmp"
    [ -f "$SRC.tmp/linux-source-$KSERIES/Makefile" ] ||
        die "$tarball does not unpack to linux-source-$KSERIES/"
    mv "$SRC.tmp/linux-source-$KSERIES" "$SRC"
    rm -rf "$SRC.tmp" "$KDIR/deb.tmp"
    touch "$SRC/.unpacked"
fi
# kbuild, isolated from the flags of a make that may be running this script
# (and from our ARCH, spelt x86_64 or aarch64: KMAKE_VARS gives kbuild's).
# kbuild passes ccache absolute paths ($SRC, $OBJ); CCACHE_BASEDIR makes
# them relative so that another clone's build (CI's) hits the cache.
kmake() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u ARCH \
        CCACHE_BASEDIR="$KDIR" CCACHE_NOHASHDIR=1 \
        make -C "$SRC" O="$OBJ" "${KMAKE_VARS[@]}" "$@"
}
kernelversion=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u ARCH make -s -C "$SRC" kernelversion)

# --- 3. Configure and build ---------------------------------------------------
kstamp=$KSTAMP
frag_names=$(for f in "${FRAGMENTS[@]}"; do echo "${f#"$REPO"/}"; done | paste -sd+)
# The settings asked for, the last fragment's where they differ ("NAME=VALUE"
# or "# NAME is not set"): only they count for the stamp, not the comments.
wanted=$(cat "${FRAGMENTS[@]}" |
         sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=.*/\1 &/p; s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1 &/p' |
         awk '{ k = $1; sub(/^[^ ]+ /, ""); if (!(k in v)) o[n++] = k; v[k] = $0 }
              END { for (i = 0; i < n; i++) print v[o[i]] }')
want=$(printf '%s\n%s\n%s\n' "$KPKG $KVER" "${KMAKE_VARS[*]}" "$wanted" |
       sha256sum | cut -d' ' -f1)
if [ "${GUEST_FORCE:-0}" = 1 ] || [ ! -f "$GUEST_KERNEL" ] || [ ! -f "$kstamp" ] ||
   [ "$(cat "$kstamp")" != "$want" ]; then
    # An O= dir configured against another source tree is of no use.
    if [ -f "$OBJ/.source" ] && [ "$(cat "$OBJ/.source")" != "$SRC" ]; then
        rm -rf "$OBJ"
    fi
    # Until the build succeeds, $OBJ and bzImage do not match any stamp.
    rm -f "$kstamp"
    mkdir -p "$OBJ"
    echo "$SRC" > "$OBJ/.source"

    say "configuring kernel $kernelversion ($ARCH): tinyconfig + $frag_names"
    run_logged "${KLOG}config.log" kmake tinyconfig
    run_logged "${KLOG}merge.log" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
        "$OBJ/.config" "${FRAGMENTS[@]}"
    run_logged "${KLOG}olddefconfig.log" kmake olddefconfig
    # Kconfig silently drops what has unmet dependencies; refuse that.
    dropped=()
    while IFS= read -r line; do
        grep -qxF "$line" "$OBJ/.config" || dropped+=("${line%%=*}")
    done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=' <<<"$wanted")
    if [ ${#dropped[@]} -gt 0 ]; then
        die "options of $frag_names dropped by Kconfig (unmet dependencies?): ${dropped[*]}"
    fi
    # Options to leave out that something else selects are only worth a note.
    kept=()
    while read -r _ opt _; do
        grep -q "^$opt=" "$OBJ/.config" && kept+=("$opt")
    done < <(grep -E '^# CONFIG_[A-Za-z0-9_]+ is not set' <<<"$wanted")
    if [ ${#kept[@]} -gt 0 ]; then
        say "note: selected by other options despite $frag_names: ${kept[*]}"
    fi

    say "building kernel $kernelversion $KTARGET (${JOBS} jobs, ~10-15 min from scratch on 2 cores, less with ccache)... log: ${KLOG}build.log"
    start=$(date +%s)
    run_logged "${KLOG}build.log" kmake -j"$JOBS" "$KTARGET"
    cp "$OBJ/$KIMAGE" "$GUEST_KERNEL.tmp"
    mv "$GUEST_KERNEL.tmp" "$GUEST_KERNEL"
    echo "$want" > "$kstamp"
    say "kernel built in $(( $(date +%s) - start )) s: $GUEST_KERNEL"
else
    say "kernel $kernelversion up to date ($GUEST_KERNEL)"
fi
echo "$KPKG $KVER (Linux $kernelversion)" > "$GUEST/kernel-version.txt.tmp"
if ! cmp -s "$GUEST/kernel-version.txt.tmp" "$GUEST/kernel-version.txt"; then
    mv "$GUEST/kernel-version.txt.tmp" "$GUEST/kernel-version.txt"
else
    rm -f "$GUEST/kernel-version.txt.tmp"
fi
say "kernel from $(cat "$GUEST/kernel-version.txt")"

# --- 4. The in-guest fabric manager client ------------------------------------
# tests/guest/cxl-mctp-client.c, static against the host's glibc and Linux
# uapi headers (aarch64: libc6-dev-arm64-cross's), into $EXTRA/bin (and so
# into the cpio); rebuilt only when the source, the flags or the compiler
# change.
CLIENT_SRC=$REPO/tests/guest/cxl-mctp-client.c
CLIENT_BIN=$EXTRA/bin/cxl-mctp-client
CLIENT_CFLAGS=(-static -O2 -Wall -Wextra -Werror)
if [ -f "$CLIENT_SRC" ]; then
    clstamp=$GUEST/client.stamp
    clwant=$( { sha256sum "$CLIENT_SRC"; echo "${CLIENT_CC[*]} ${CLIENT_CFLAGS[*]}";
                "${CLIENT_CC[@]}" --version | head -n 1; } |
              sha256sum | cut -d' ' -f1)
    if [ "${GUEST_FORCE:-0}" = 1 ] || [ ! -x "$CLIENT_BIN" ] || [ ! -f "$clstamp" ] ||
       [ "$(cat "$clstamp")" != "$clwant" ]; then
        mkdir -p "$EXTRA/bin"
        run_logged "$GUEST/client-build.log" \
            "${CLIENT_CC[@]}" "${CLIENT_CFLAGS[@]}" -o "$CLIENT_BIN.tmp" "$CLIENT_SRC"
        mv "$CLIENT_BIN.tmp" "$CLIENT_BIN"
        echo "$clwant" > "$clstamp"
        say "client built: $CLIENT_BIN"
    else
        say "client up to date ($CLIENT_BIN)"
    fi
fi

# --- 5. Initramfs -------------------------------------------------------------
# aarch64: Debian's busybox-static:arm64 (apt-get download, dpkg -x; the
# arm64 architecture is added by deps.sh), the same version as the host's
# busybox-static, whose applet list (the arm64 binary does not run here)
# names the links.
if [ "$ARCH" = aarch64 ]; then
    bbver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) ||
        die "busybox-static is not installed (make deps)"
    bbdeb=$DL/busybox-static_${bbver/:/%3a}_arm64.deb
    if [ ! -f "$bbdeb" ]; then
        say "downloading busybox-static:arm64 $bbver..."
        mkdir -p "$GUEST"
        if ! (cd "$DL" && apt-get download "busybox-static:arm64=$bbver") \
               >"$GUEST/busybox-download.log" 2>&1; then
            # another version: its applets may differ a little from the
            # host's list (a link to an applet it lacks fails when run)
            say "note: no busybox-static:arm64 $bbver; taking apt's candidate"
            (cd "$DL" && run_logged "$GUEST/busybox-download.log" \
                 apt-get download busybox-static:arm64)
            # shellcheck disable=SC2012 # Debian's file names
            bbdeb=$(ls -t "$DL"/busybox-static_*_arm64.deb | head -n 1)
        fi
        [ -f "$bbdeb" ] || die "apt-get download did not produce $bbdeb"
    fi
    bbdir=$(dirname "$(dirname "$BUSYBOX")")
    if [ ! -x "$BUSYBOX" ] || [ "$bbdeb" -nt "$BUSYBOX" ]; then
        rm -rf "$bbdir" "$bbdir.tmp"
        mkdir -p "$bbdir.tmp"
        dpkg-deb -x "$bbdeb" "$bbdir.tmp"
        mkdir -p "$bbdir/bin"
        cp "$bbdir.tmp/bin/busybox" "$BUSYBOX"
        rm -rf "$bbdir.tmp"
    fi
    applets=$(/bin/busybox --list)
else
    [ -x "$BUSYBOX" ] || die "$BUSYBOX not found: install busybox-static"
    applets=$("$BUSYBOX" --list)
fi
cstamp=$GUEST/initramfs.stamp
# Inputs: busybox, /init, and the extra files (names, modes and contents).
cwant=$( {
    sha256sum "$BUSYBOX" "$INIT"
    if [ -d "$EXTRA" ]; then
        (cd "$EXTRA" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
             find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    fi
} | sha256sum | cut -d' ' -f1)
if [ "${GUEST_FORCE:-0}" = 1 ] || [ ! -f "$GUEST/initramfs.cpio" ] || [ ! -f "$cstamp" ] ||
   [ "$(cat "$cstamp")" != "$cwant" ]; then
    stage=$GUEST/initramfs.stage
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,dev,proc,sys,tmp,root,etc}
    ln -s bin "$stage/sbin"
    mkdir -p "$stage/usr"
    ln -s ../bin "$stage/usr/bin"
    ln -s ../bin "$stage/usr/sbin"
    cp "$BUSYBOX" "$stage/bin/busybox"
    # Every applet, so that the shell mode is usable too.
    for applet in $applets; do
        [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
    done
    install -m 0755 "$INIT" "$stage/init"
    if [ -d "$EXTRA" ]; then
        cp -a "$EXTRA"/. "$stage"/
    fi
    # Reproducible: fixed times and owners, sorted names.
    find "$stage" -exec touch -h -d @0 {} +
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
         cpio -o -H newc -R 0:0 --reproducible --quiet) > "$GUEST/initramfs.cpio.tmp"
    mv "$GUEST/initramfs.cpio.tmp" "$GUEST/initramfs.cpio"
    rm -rf "$stage"
    echo "$cwant" > "$cstamp"
    say "initramfs built: $GUEST/initramfs.cpio ($(du -k "$GUEST/initramfs.cpio" | cut -f1) KiB)"
else
    say "initramfs up to date ($GUEST/initramfs.cpio)"
fi
