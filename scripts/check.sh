#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every test through meson's test runner:
#   1. QEMU's qtests that cover what we touch, from QEMU's own build dir
#      (QEMU's harness, environment and timeouts), with ours among them:
#      QTESTS on qemu-system-x86_64, or with ARCH=aarch64 QTESTS_AARCH64 on
#      qemu-system-aarch64 (the arm virt machine);
#   2. the project's own tests (tests/project/meson.build): pipeline checks
#      and the guest boot.  Not with --qtests-only (the aarch64 qtests step
#      of make ci).
# Ends with one line "N passed, N failed" summing meson's counts of both.
set -uo pipefail
. "$(dirname "$0")/common.sh"

export BUILD QEMU_SRC
rc=0
qtests_only=
[ "${1:-}" = --qtests-only ] && qtests_only=1

qlog=$BUILD/check-qtest.log
case "${ARCH:-x86_64}" in
x86_64)
    qtests=("${QTESTS[@]/#/qtest-x86_64/}" "${UNIT_TESTS[@]}")
    say "QEMU qtests: ${QTESTS[*]}; unit tests: ${UNIT_TESTS[*]}"
    ;;
aarch64)
    qlog=$BUILD/check-qtest-aarch64.log
    qtests=("${QTESTS_AARCH64[@]/#/qtest-aarch64/}")
    say "QEMU qtests on aarch64: ${QTESTS_AARCH64[*]}"
    ;;
*) die "ARCH=$ARCH: x86_64 or aarch64" ;;
esac
"$QBUILD/pyvenv/bin/meson" test -C "$QBUILD" --no-rebuild --print-errorlogs \
    "${qtests[@]}" 2>&1 | tee "$qlog"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1

tdir=$BUILD/tests
plog=$BUILD/check-project.log
logs=("$qlog")
if [ -z "$qtests_only" ]; then
    logs+=("$plog")
    if [ ! -f "$tdir/build.ninja" ]; then
        run_logged "$BUILD/tests-setup.log" meson setup "$tdir" "$REPO/tests/project"
    fi
    # the guest tests on the arm virt board are the suite "aarch64"
    # (tests/project/meson.build), run with ARCH=aarch64 only
    if [ "$ARCH" = aarch64 ]; then
        plog=$BUILD/check-project-aarch64.log
        logs=("$qlog" "$plog")
        suites=(--suite aarch64)
    else
        suites=(--no-suite aarch64)
    fi
    say "project tests (${suites[*]})"
    meson test -C "$tdir" --print-errorlogs "${suites[@]}" 2>&1 | tee "$plog"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi

# Sum meson's summary counts of both runs.
count() { # FIELD
    cat "${logs[@]}" | sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" |
        awk '{ s += $1 } END { print s + 0 }'
}
passed=$(( $(count 'Ok') + $(count 'Expected Fail') ))
failed=$(( $(count 'Fail') + $(count 'Unexpected Pass') + $(count 'Timeout') ))
skipped=$(count 'Skipped')
# A runner that crashed before its summary must not look green.
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
[ "$passed" -gt 0 ] || rc=1

echo
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
exit $rc
