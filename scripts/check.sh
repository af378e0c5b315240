#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every test through meson's test runner:
#   1. QEMU's qtests that cover what we touch, from QEMU's own build dir
#      (QEMU's harness, environment and timeouts), with ours among them;
#   2. the project's own tests (tests/project/meson.build): pipeline checks
#      and the guest boot.
# Ends with one line "N passed, N failed" summing meson's counts of both.
set -uo pipefail
. "$(dirname "$0")/common.sh"

export BUILD QEMU_SRC
rc=0

qlog=$BUILD/check-qtest.log
say "QEMU qtests: ${QTESTS[*]}; unit tests: ${UNIT_TESTS[*]}"
"$QBUILD/pyvenv/bin/meson" test -C "$QBUILD" --no-rebuild --print-errorlogs \
    "${QTESTS[@]/#/qtest-x86_64/}" "${UNIT_TESTS[@]}" 2>&1 | tee "$qlog"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1

tdir=$BUILD/tests
plog=$BUILD/check-project.log
if [ ! -f "$tdir/build.ninja" ]; then
    run_logged "$BUILD/tests-setup.log" meson setup "$tdir" "$REPO/tests/project"
fi
say "project tests"
meson test -C "$tdir" --print-errorlogs 2>&1 | tee "$plog"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1

# Sum meson's summary counts of both runs.
count() { # FIELD
    cat "$qlog" "$plog" | sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" |
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
