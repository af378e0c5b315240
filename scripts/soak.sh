#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check-soak: tests/qtest/cxl-mctp-soak-test in QEMU's slow mode on the
# gcc build of `make qemu`: 200000 commands (SOAK_COMMANDS) mixed across
# usb-cxl-mctp (EHCI and UHCI) and i2c_mctp_cxl (designware-i2c-pci), to the
# switch and both type 3 devices of the qtests' topology, mixed sizes,
# malformed input interleaved, every answer checked, QEMU's resident memory
# at 10% and at 100% of the run at most 2 MiB apart.  Prints the figures
# (commands per transport and endpoint, malformed inputs, duration,
# commands/s, VmRSS) and keeps the test's output in build/soak/soak.log.
# SOAK_SEED changes the PRNG's seed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

test_bin=$QBUILD/tests/qtest/cxl-mctp-soak-test
[ -x "$test_bin" ] || die "$test_bin missing: run make qemu first"
out=$BUILD/soak
mkdir -p "$out"
log=$out/soak.log

say "${SOAK_COMMANDS:-200000} commands over MCTP (200000: about 10 minutes)..."
start=$(date +%s)
if ! (cd "$QBUILD" &&
      QTEST_QEMU_BINARY=${QTEST_QEMU_BINARY:-./qemu-system-x86_64} \
      nice "$test_bin" --tap -m slow) > "$log" 2>&1; then
    grep -v '^# starting QEMU' "$log" | tail -n 30 >&2
    die "the soak failed; full log: $log"
fi
grep -q '^ok .*/cxl-mctp-soak/full' "$log" ||
    die "the soak did not run (missing devices?); full log: $log"
sed -n 's/^# SOAK /  /p' "$log"
say "passed in $(($(date +%s) - start)) s; log: $log"
