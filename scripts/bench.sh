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
#      two runs of different lengths, so set-up cost cancels out;
#   3. in the guest, round trips per second over the Linux mctp-usb driver
#      (EHCI and xHCI) and through a type 3 device's in-band mailbox.
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

# In the guest: round trips per second over mctp-usb, with the switch's
# endpoint behind EHCI and the DCD's behind xHCI, then swapped; and the
# type 3 devices' in-band mailbox (CXL_MEM_SEND_COMMAND).  Each guest
# runs BENCH_RUNS times (1000 round trips per command each time); the
# table gives the median and the range.
runs=${BENCH_RUNS:-9}
for run in $(seq "$runs"); do
    for swap in 0 1; do
        say "guest: cxl-mctp-client bench (run $run of $runs, swap=$swap)..."
        MCTP_SWAP_HC=$swap
        . "$REPO/scripts/topology.sh"
        default_topology_args
        log=$out/guest-$swap-$run.log
        timeout 300 "$QEMU" "${TOPOLOGY_ARGS[@]}" -nodefaults -nographic \
            -serial mon:stdio -no-reboot -kernel "$GUEST/bzImage" \
            -initrd "$GUEST/initramfs.cpio" \
            -append "console=ttyS0 panic=-1 cxlmctp.mode=bench cxlmctp.usbdevs=$USB_NUM_MCTP" \
            </dev/null 2>&1 | tr -d '\r' > "$log" || true
        grep -q '^GUEST: client exit=0$' "$log" ||
            { tail -n 20 "$log" >&2; die "guest benchmark failed"; }
    done
done
# stats: "median (min-max)" of the numbers on standard input
stats() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (!NR) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
        printf "%d (%d-%d)\n", m, v[1], v[NR] }'
}
# rate SWAP KIND OPCODE: round trips per second of each run
rate() {
    cat "$out"/guest-"$1"-*.log |
        sed -n "s|^CLIENT: bench mctp eid [0-9]* $2 $3 .*: \([0-9]*\)/s.*|\1|p" |
        stats
}
mbox=$(cat "$out"/guest-0-*.log |
       sed -n 's|^CLIENT: bench mailbox mem0 type3 0400h .*: \([0-9]*\)/s|\1|p' |
       stats)

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
    echo
    echo "In the guest (Linux mctp-usb, TCG, cxl-mctp-client bench), round"
    echo "trips per second, median (min-max) of $runs runs of 1000:"
    printf '%-40s %-20s %-20s\n' "" "behind EHCI" "behind xHCI"
    printf '%-40s %-20s %-20s\n' "switch, Identify (0001h)" \
        "$(rate 0 switch 0001h)" "$(rate 1 switch 0001h)"
    printf '%-40s %-20s %-20s\n' "switch, Get Supported Logs (0400h)" \
        "$(rate 0 switch 0400h)" "$(rate 1 switch 0400h)"
    printf '%-40s %-20s %-20s\n' "type 3 DCD, Identify (0001h)" \
        "$(rate 1 type3 0001h)" "$(rate 0 type3 0001h)"
    printf '%-40s %-20s %-20s\n' "type 3 DCD, Get Supported Logs (0400h)" \
        "$(rate 1 type3 0400h)" "$(rate 0 type3 0400h)"
    printf '%-40s %s\n' "type 3, Get Supported Logs, in-band mailbox" "$mbox"
    echo "(no Linux driver reaches the switch mailbox CCI, so the in-band"
    echo "comparison uses a type 3 device's primary mailbox)"
} > "$out/results.txt"
cat "$out/results.txt"
