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
# type 3 devices' in-band mailbox (CXL_MEM_SEND_COMMAND).
. "$REPO/scripts/topology.sh"
for swap in 0 1; do
    say "guest: cxl-mctp-client bench (1000 round trips per command, swap=$swap)..."
    MCTP_SWAP_HC=$swap
    . "$REPO/scripts/topology.sh"
    default_topology_args
    timeout 300 "$QEMU" "${TOPOLOGY_ARGS[@]}" -nodefaults -nographic \
        -serial mon:stdio -no-reboot -kernel "$GUEST/bzImage" \
        -initrd "$GUEST/initramfs.cpio" \
        -append "console=ttyS0 panic=-1 cxlmctp.mode=bench cxlmctp.usbdevs=$USB_NUM_MCTP" \
        </dev/null 2>&1 | tr -d '\r' > "$out/guest-$swap.log" || true
    grep -q '^GUEST: client exit=0$' "$out/guest-$swap.log" ||
        { tail -n 20 "$out/guest-$swap.log" >&2; die "guest benchmark failed"; }
done
# rate LOG KIND OPCODE: round trips per second of the first matching line
rate() {
    sed -n "s|^CLIENT: bench mctp eid [0-9]* $2 $3 .*: \([0-9]*\)/s|\1|p" \
        "$out/guest-$1.log" | head -n 1
}
mbox=$(sed -n 's|^CLIENT: bench mailbox mem[0-9]* type3 0400h .*: \([0-9]*\)/s|\1|p' \
       "$out/guest-0.log" | head -n 1)

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
    echo "In the guest (Linux mctp-usb, TCG), round trips per second:"
    printf '%-44s %8s %8s\n' "" EHCI xHCI
    printf '%-44s %8s %8s\n' "switch, Identify over MCTP" \
        "$(rate 0 switch 0001h)" "$(rate 1 switch 0001h)"
    printf '%-44s %8s %8s\n' "type 3, Get Supported Logs over MCTP" \
        "$(rate 1 type3 0400h)" "$(rate 0 type3 0400h)"
    printf '%-44s %8s\n' "type 3, Get Supported Logs, in-band mailbox" "$mbox"
    echo "ratio mailbox/MCTP (xHCI): $(echo "scale=1; $mbox / $(rate 0 type3 0400h)" | bc)"
    echo "(no Linux driver reaches the switch mailbox CCI, so the in-band"
    echo "comparison uses a type 3 device's primary mailbox)"
} > "$out/results.txt"
cat "$out/results.txt"
