#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-sanitize: make check's qtests and unit tests, and one guest
# boot of the fabric-manager test, in a second QEMU
# build of the same tree (build/qemu/build-san), with clang's
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer.  Any
# sanitizer report fails the run and is printed.  The same tree is built
# with --enable-fuzzing, so it also has the libFuzzer targets make fuzz
# runs (qemu-fuzz-x86_64).
set -euo pipefail
. "$(dirname "$0")/common.sh"

exec 9>"$WORK.lock"
flock 9
qemu_configure "$WORK" "$SBUILD" $(sanitize_configure_args) || die "configure failed"
say "building it (a full build the first time: about 5 minutes on 2 cores with ccache, 15 without)..."
t=$(date +%s)
CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=1 make -C "$SBUILD" -j"$JOBS" --no-print-directory \
    > "$SBUILD/make.log" 2>&1 ||
    { grep -E 'error|FAILED' "$SBUILD/make.log" | head -n 20 >&2; die "build failed (log: $SBUILD/make.log)"; }
say "built in $(( $(date +%s) - t )) s"
"$REPO/scripts/firmware.sh" "$SBUILD" "$QBUILD/pc-bios/optionrom" >/dev/null
flock -u 9

log=$BUILD/check-sanitize.log
# What a sanitizer report starts with, in a log
REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1
rc=0
# An ASan + UBSan QEMU runs two to three times slower than the gcc build
# the qtests' meson timeouts are set for (usb-cxl-mctp-test: 22 s of its
# 60 s alone, over 60 s on a loaded machine): three times the timeouts.
"$SBUILD/pyvenv/bin/meson" test -C "$SBUILD" --no-rebuild --print-errorlogs \
    --timeout-multiplier 3 \
    "${QTESTS[@]/#/qtest-x86_64/}" "${UNIT_TESTS[@]}" > "$log" 2>&1 || rc=1
grep -E '^ *[0-9]+/[0-9]+ ' "$log" || true
reports=$(grep -cE "$REPORT" \
              "$SBUILD/meson-logs/testlog.txt" || true)
if [ "$rc" != 0 ] || [ "$reports" != 0 ]; then
    grep -E -A15 "$REPORT" \
        "$SBUILD/meson-logs/testlog.txt" | head -n 200
    die "$reports sanitizer reports (full log: $SBUILD/meson-logs/testlog.txt)"
fi
say "no sanitizer report in ${#QTESTS[@]} qtests and ${#UNIT_TESTS[@]} unit tests"

# One guest boot of the fabric-manager test on the sanitized QEMU: the
# stock Linux drivers over both transports, dynamic capacity, vPPB unbind
# and bind, with fewer concurrent commands than make check's.
glog=$BUILD/check-sanitize-guest.log
gtap=$BUILD/check-sanitize-guest.tap
say "guest fabric-manager test on the sanitized QEMU..."
grc=0
CXL_MCTP_QEMU=$SBUILD/qemu-system-x86_64 FM_CLIENT_LOG=$glog \
    CONCURRENT_COMMANDS=${SANITIZE_CONCURRENT:-300} BOOT_TIMEOUT=900 \
    "$REPO/tests/guest/fm-client-test.sh" ehci > "$gtap" 2>&1 || grc=$?
reports=$(grep -cE "$REPORT" "$glog" || true)
if [ "$grc" != 0 ] || [ "$reports" != 0 ]; then
    grep -E '^not ok' "$gtap" | head -n 20
    grep -E -A25 "$REPORT" "$glog" | head -n 200
    die "guest test: exit $grc, $reports sanitizer reports (TAP: $gtap, QEMU: $glog)"
fi
say "guest test: $(grep -c '^ok' "$gtap") checks passed, no sanitizer report"
