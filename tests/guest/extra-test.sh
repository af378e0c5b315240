#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# extra-test.sh: bringing one's own fabric-manager tools into the guest
# (GUEST_EXTRA, scripts/run.sh).  Builds tests/guest/extra-probe.c (static),
# puts it in a directory with a file for /etc and a guest-extra.sh that runs
# it, boots the guest with `GUEST_EXTRA=<dir> scripts/run.sh report` and
# checks that the files landed, the script ran, the probe found every kernel
# interface mctpd and a D-Bus daemon need, the guest powered off and the
# temporary initrd is gone.  Also that a GUEST_EXTRA that is not a
# directory stops run.sh before it boots.  TAP output; the console log is
# kept in $GUEST/extra-test.log.
#
# Environment: BOOT_TIMEOUT  seconds before QEMU is killed (default 240)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/../../scripts/common.sh"
# shellcheck source=tests/guest/tap.sh
. "$here/tap.sh"

timeout_s=${BOOT_TIMEOUT:-240}
log=$GUEST/extra-test.log
probe=$GUEST/extra-probe
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done
if ! out=$(gcc -static -O2 -Wall -Wextra -Werror -o "$probe" "$here/extra-probe.c" 2>&1); then
    echo "Bail out! extra-probe.c does not build:"
    printf '%s\n' "$out" | sed 's/^/#   /'
    exit 1
fi

# 1. Not a directory: a clear error, no boot.
out=$(GUEST_EXTRA=$GUEST/no-such-dir timeout 60 "$REPO/scripts/run.sh" report </dev/null 2>&1)
status=$?
[ "$status" != 0 ] && grep -q 'GUEST_EXTRA=.*no-such-dir is not a directory' <<<"$out" &&
    ! grep -q 'booting' <<<"$out"
tap_result "GUEST_EXTRA not a directory: run.sh stops before booting, with an error" $? \
    "status $status, output: $out"

# 2. The directory: the probe in bin/, a file for /etc, the script.
dir=$(mktemp -d "$GUEST/extra-test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/etc"
cp "$probe" "$dir/bin/extra-probe"
echo "from GUEST_EXTRA" >"$dir/etc/extra-test.conf"
cat >"$dir/guest-extra.sh" <<'EOF'
#!/bin/sh
echo "EXTRA: mode=$1 conf=\"$(cat /etc/extra-test.conf)\" run=$(stat -f -c %T /run)"
extra-probe /run
EOF
cpio_sum=$(sha256sum <"$GUEST/initramfs.cpio")

start=$(date +%s.%N)
GUEST_EXTRA=$dir timeout "$timeout_s" "$REPO/scripts/run.sh" report </dev/null >"$log" 2>&1
status=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
printf '# run.sh (QEMU) exited with status %s after %.1f s; console log: %s\n' \
    "$status" "$elapsed" "$log"
console=$(tr -d '\r' <"$log")

tap_match "guest ran /guest-extra.sh in report mode" "$console" \
    '^GUEST: extra begin script=/guest-extra\.sh mode=report$'
tap_match "script got its mode; etc/ landed in /etc; /run is a tmpfs" "$console" \
    '^EXTRA: mode=report conf="from GUEST_EXTRA" run=tmpfs$'
for what in epoll-timerfd signalfd eventfd memfd 'flock ok path=/run/[^ ]* fs=tmpfs' \
            inotify unix 'mctp ok bound type=0x00'; do
    case $what in *' ok '*) re="^PROBE: $what" ;; *) re="^PROBE: $what ok" ;; esac
    tap_match "probe (bin/ landed in /bin): ${what%% *}" "$console" "$re"
done
tap_match "probe: no failure" "$console" '^PROBE: done failures=0$'
tap_match "guest reports the script's exit status 0" "$console" '^GUEST: extra exit=0$'
[ "$status" = 0 ] && grep -q '^GUEST: done' <<<"$console"
tap_result "guest finished its report and QEMU exited by itself with status 0" $? \
    "status $status$([ "$status" != 124 ] || echo ": killed after ${timeout_s} s")"
initrd=$(grep -o -- '-initrd [^ ]*' <<<"$console" | head -n 1 | cut -d' ' -f2)
[ -n "$initrd" ] && [ "$initrd" != "$GUEST/initramfs.cpio" ] && [ ! -e "$initrd" ] &&
    [ "$(sha256sum <"$GUEST/initramfs.cpio")" = "$cpio_sum" ]
tap_result "temporary initrd used and removed; initramfs.cpio unchanged" $? \
    "initrd '${initrd:-none}'"

tap_end "console" "$(tail -n 60 <<<"$console")" "$log"
