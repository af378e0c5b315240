#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: the same CCI commands through usb-cxl-mctp and through the
# switch mailbox CCI on the same switch, measured side by side.
#   1. qtest wall time per command and the ratio (usb-cxl-mctp-test -m perf;
#      mostly the qtest protocol's own cost, so read it as a ratio);
#   2. QEMU instructions per command under callgrind: the device's USB data
#      path (usb_cxl_mctp_handle_data: framing, MCTP, binding, CCI) against
#      the mailbox registers (mailbox_reg_read/write), as the difference of
#      two runs of different lengths, so set-up cost cancels out.
# Results: build/bench/results.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$BUILD/bench
mkdir -p "$out"
test_bin=$QBUILD/tests/qtest/usb-cxl-mctp-test
[ -x "$test_bin" ] || die "$test_bin missing: run make first"
command -v valgrind >/dev/null || die "valgrind missing: make deps (or apt-get install valgrind)"

perf() { # PATH-FILTER...
    (cd "$QBUILD" && QTEST_QEMU_BINARY=${QTEST_QEMU_BINARY:-./qemu-system-x86_64} \
        "$test_bin" \
        --tap -k -m perf "$@")
}

say "qtest timing: 200 commands per path..."
perf -p /x86_64/usb-cxl-mctp/perf/identify \
     -p /x86_64/usb-cxl-mctp/perf/get-log-1k > "$out/qtest.tap" 2>&1 ||
    { cat "$out/qtest.tap" >&2; die "benchmark qtest failed"; }

# instructions BENCH-CASE PATH N: callgrind total of the path's functions
instructions() {
    local case=$1 path=$2 n=$3 toggles
    case $path in
    mctp) toggles=(--toggle-collect=usb_cxl_mctp_handle_data) ;;
    mailbox) toggles=(--toggle-collect=mailbox_reg_write
                      --toggle-collect=mailbox_reg_read) ;;
    esac
    rm -f "$out"/cg.*
    BENCH_PATH=$path BENCH_ITERATIONS=$n \
        QTEST_QEMU_BINARY="valgrind --tool=callgrind --callgrind-out-file=$out/cg.%p ${toggles[*]} ./qemu-system-x86_64" \
        perf -p "/x86_64/usb-cxl-mctp/perf/$case" > "$out/cg.log" 2>&1 ||
        { tail -n 20 "$out/cg.log" >&2; die "callgrind run failed"; }
    cat "$out"/cg.* | sed -n 's/^totals: //p' | awk '{ s += $1 } END { print s }'
}

declare -A ipc
for case in identify get-log-1k; do
    for path in mctp mailbox; do
        say "callgrind: $case through $path (2 runs)..."
        a=$(instructions "$case" "$path" 20)
        b=$(instructions "$case" "$path" 120)
        ipc[$case.$path]=$(( (b - a) / 100 ))
    done
done

us() { # CASE DEVICE
    sed -n "s/^# BENCH $1 $2 \([0-9.]*\) us.*/\1/p" "$out/qtest.tap"
}
{
    echo "usb-cxl-mctp vs cxl-switch-mailbox-cci, same switch, $(date -u +%F)"
    echo "QEMU $(cat "$WORK/VERSION"), $(nproc) cores, TCG/qtest"
    echo
    printf '%-12s %14s %14s %7s   %16s %16s %7s\n' command "mctp us/cmd" \
        "mailbox us/cmd" ratio "mctp instr/cmd" "mailbox instr/cmd" ratio
    for case in identify get-log-1k; do
        m=$(us "$case" usb-cxl-mctp) x=$(us "$case" switch-mailbox-cci)
        im=${ipc[$case.mctp]} ix=${ipc[$case.mailbox]}
        printf '%-12s %14s %14s %7s   %16s %16s %7s\n' "$case" "$m" "$x" \
            "$(echo "scale=2; $m / $x" | bc)" "$im" "$ix" \
            "$(echo "scale=2; $im / $ix" | bc)"
    done
    echo
    echo "us/cmd: qtest wall time (qtest protocol included); instr/cmd: QEMU"
    echo "instructions in the device's data path per command (callgrind)."
    echo "In-guest round trips over mctp-usb: not measured yet."
} > "$out/results.txt"
cat "$out/results.txt"
