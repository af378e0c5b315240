#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest.sh: build the guest used by the end-to-end tests:
#   $GUEST/bzImage           Linux 7.x from Debian's newest linux-source-7.N
#                            (sid, only ever apt-get download'ed), tinyconfig
#                            + tests/guest/kernel.config
#   $GUEST/initramfs.cpio    busybox-static + tests/guest/init + $GUEST/extra/*
#   $GUEST/kernel-version.txt  the package and version the kernel came from
#
# Cached: the kernel is rebuilt only when the config fragment or the
# package version changes (incrementally, kbuild O= dir in $BUILD/kernel),
# the cpio only when its inputs change.  GUEST_FORCE=1 redoes both steps
# (the kernel build stays incremental: remove $BUILD/kernel/obj for a clean one).
set -euo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KDIR=$BUILD/kernel
OBJ=$KDIR/obj
FRAGMENT=$REPO/tests/guest/kernel.config
INIT=$REPO/tests/guest/init
EXTRA=$GUEST/extra
BUSYBOX=/bin/busybox
KMAKE_VARS=(CC="ccache gcc" KBUILD_BUILD_USER=cxlmctp KBUILD_BUILD_HOST=guest)

[ -f "$FRAGMENT" ] || die "$FRAGMENT not found"
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
# kbuild, isolated from the flags of a make that may be running this script.
kmake() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
        make -C "$SRC" O="$OBJ" "${KMAKE_VARS[@]}" "$@"
}
kernelversion=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" kernelversion)

# --- 3. Configure and build ---------------------------------------------------
kstamp=$KDIR/kernel.stamp
# Only the settings of the fragment count, not its comments.
want=$(printf '%s\n%s\n%s\n' "$KPKG $KVER" "${KMAKE_VARS[*]}" \
           "$(grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' "$FRAGMENT")" |
       sha256sum | cut -d' ' -f1)
if [ "${GUEST_FORCE:-0}" = 1 ] || [ ! -f "$GUEST/bzImage" ] || [ ! -f "$kstamp" ] ||
   [ "$(cat "$kstamp")" != "$want" ]; then
    # An O= dir configured against another source tree is of no use.
    if [ -f "$OBJ/.source" ] && [ "$(cat "$OBJ/.source")" != "$SRC" ]; then
        rm -rf "$OBJ"
    fi
    # Until the build succeeds, $OBJ and bzImage do not match any stamp.
    rm -f "$kstamp"
    mkdir -p "$OBJ"
    echo "$SRC" > "$OBJ/.source"

    say "configuring kernel $kernelversion: tinyconfig + ${FRAGMENT#"$REPO"/}"
    run_logged "$KDIR/config.log" kmake tinyconfig
    run_logged "$KDIR/merge.log" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
        "$OBJ/.config" "$FRAGMENT"
    run_logged "$KDIR/olddefconfig.log" kmake olddefconfig
    # Kconfig silently drops what has unmet dependencies; refuse that.
    dropped=()
    while IFS= read -r line; do
        grep -qxF "$line" "$OBJ/.config" || dropped+=("${line%%=*}")
    done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$FRAGMENT")
    if [ ${#dropped[@]} -gt 0 ]; then
        die "options of ${FRAGMENT#"$REPO"/} dropped by Kconfig (unmet dependencies?): ${dropped[*]}"
    fi
    # Options to leave out that something else selects are only worth a note.
    kept=()
    while read -r _ opt _; do
        grep -q "^$opt=" "$OBJ/.config" && kept+=("$opt")
    done < <(grep -E '^# CONFIG_[A-Za-z0-9_]+ is not set' "$FRAGMENT")
    if [ ${#kept[@]} -gt 0 ]; then
        say "note: selected by other options despite ${FRAGMENT#"$REPO"/}: ${kept[*]}"
    fi

    say "building kernel $kernelversion (${JOBS} jobs, ~10-15 min from scratch on 2 cores, less with ccache)... log: $KDIR/build.log"
    start=$(date +%s)
    run_logged "$KDIR/build.log" kmake -j"$JOBS" bzImage
    cp "$OBJ/arch/x86/boot/bzImage" "$GUEST/bzImage.tmp"
    mv "$GUEST/bzImage.tmp" "$GUEST/bzImage"
    echo "$want" > "$kstamp"
    say "kernel built in $(( $(date +%s) - start )) s: $GUEST/bzImage"
else
    say "kernel $kernelversion up to date ($GUEST/bzImage)"
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
# uapi headers, into $EXTRA/bin (and so into the cpio); rebuilt only when
# the source, the flags or the compiler change.
CLIENT_SRC=$REPO/tests/guest/cxl-mctp-client.c
CLIENT_BIN=$EXTRA/bin/cxl-mctp-client
CLIENT_CFLAGS=(-static -O2 -Wall -Wextra -Werror)
if [ -f "$CLIENT_SRC" ]; then
    clstamp=$GUEST/client.stamp
    clwant=$( { sha256sum "$CLIENT_SRC"; echo "${CLIENT_CFLAGS[*]}"; gcc --version | head -n 1; } |
              sha256sum | cut -d' ' -f1)
    if [ "${GUEST_FORCE:-0}" = 1 ] || [ ! -x "$CLIENT_BIN" ] || [ ! -f "$clstamp" ] ||
       [ "$(cat "$clstamp")" != "$clwant" ]; then
        mkdir -p "$EXTRA/bin"
        run_logged "$GUEST/client-build.log" \
            gcc "${CLIENT_CFLAGS[@]}" -o "$CLIENT_BIN.tmp" "$CLIENT_SRC"
        mv "$CLIENT_BIN.tmp" "$CLIENT_BIN"
        echo "$clwant" > "$clstamp"
        say "client built: $CLIENT_BIN"
    else
        say "client up to date ($CLIENT_BIN)"
    fi
fi

# --- 5. Initramfs -------------------------------------------------------------
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found: install busybox-static"
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
    for applet in $("$BUSYBOX" --list); do
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
