#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: the same CCI commands through usb-cxl-mctp, through
# i2c_mctp_cxl (MCTP over SMBus/I2C, on designware-i2c-pci), through
# cxl-mctp-serial (MCTP over a serial line, on a socket chardev) and through
# the switch mailbox CCI, on the same switch, measured side by side.
#   1. qtest wall time per command (usb-cxl-mctp-test, i2c-cxl-mctp-test
#      and cxl-mctp-serial-test -m perf; mostly the qtest protocol's own
#      cost, so read it as a ratio; the serial test writes the socket
#      itself, with no qtest protocol in between);
#   2. QEMU instructions per command under callgrind, as the difference of
#      two runs of different lengths, so set-up cost cancels out: the
#      device's USB data path (usb_cxl_mctp_handle_data: framing, MCTP,
#      binding, CCI); the I2C data path, controller included (the
#      DesignWare controller's MMIO handlers, through which the host
#      writes the request and reads the response out of the target-mode RX
#      FIFO and which run the endpoint's frame check, MCTP, binding and
#      CCI at the request's STOP, and the bottom halves and timer that
#      master the response onto the bus byte by byte); the serial data
#      path (cxl_mctp_serial_receive, which runs framing, MCTP, binding,
#      CCI and writes the response frames, and the chardev-writable
#      watch); the mailbox registers (mailbox_reg_read/write);
#   3. in the guest, round trips per second over the Linux mctp-usb driver
#      (EHCI and xHCI), over mctp-i2c and through a type 3 device's in-band
#      mailbox;
#   4. from a BMC VM (scripts/run.sh bmc-bench: a second QEMU whose serial
#      ports are connected to the host QEMU's cxl-mctp-serial endpoints),
#      round trips per second over Linux's mctp-serial.
# Results: build/bench/results.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$BUILD/bench
mkdir -p "$out"
usb_test=$QBUILD/tests/qtest/usb-cxl-mctp-test
i2c_test=$QBUILD/tests/qtest/i2c-cxl-mctp-test
serial_test=$QBUILD/tests/qtest/cxl-mctp-serial-test
for t in "$usb_test" "$i2c_test" "$serial_test"; do
    [ -x "$t" ] || die "$t missing: run make first"
done
command -v valgrind >/dev/null || die "valgrind missing: make deps (or apt-get install valgrind)"

perf() { # TEST-BINARY PATH-FILTER...
    local test_bin=$1
    shift
    (cd "$QBUILD" && QTEST_QEMU_BINARY=${QTEST_QEMU_BINARY:-./qemu-system-x86_64} \
        "$test_bin" \
        --tap -k -m perf "$@")
}

say "qtest timing: 200 commands per path through usb-cxl-mctp and the mailbox..."
perf "$usb_test" -p /x86_64/usb-cxl-mctp/perf/identify \
     -p /x86_64/usb-cxl-mctp/perf/get-log-1k > "$out/qtest.tap" 2>&1 ||
    { cat "$out/qtest.tap" >&2; die "benchmark qtest failed"; }
# Over I2C a command takes hundreds of qtest round trips (every register
# access of the polling driver, byte by byte): fewer commands
say "qtest timing: 100 commands through i2c_mctp_cxl..."
BENCH_ITERATIONS=100 perf "$i2c_test" -p /x86_64/i2c-cxl-mctp/perf/identify \
     -p /x86_64/i2c-cxl-mctp/perf/get-log-1k > "$out/qtest-i2c.tap" 2>&1 ||
    { cat "$out/qtest-i2c.tap" >&2; die "benchmark qtest failed"; }
say "qtest timing: 200 commands through cxl-mctp-serial..."
perf "$serial_test" -p /x86_64/cxl-mctp-serial/perf/identify \
     -p /x86_64/cxl-mctp-serial/perf/get-log-1k > "$out/qtest-serial.tap" 2>&1 ||
    { cat "$out/qtest-serial.tap" >&2; die "benchmark qtest failed"; }

# instructions BENCH-CASE PATH N: callgrind total of the path's functions.
# None of the functions of a path calls another (--toggle-collect toggles
# on entry and on return: nested, they would switch counting off).
instructions() {
    local case=$1 path=$2 n=$3 test_bin=$usb_test test=usb-cxl-mctp toggles
    case $path in
    mctp) toggles=(--toggle-collect=usb_cxl_mctp_handle_data) ;;
    mailbox) toggles=(--toggle-collect=mailbox_reg_write
                      --toggle-collect=mailbox_reg_read) ;;
    i2c)
        # MMIO (which runs the endpoint's receive path and the CCI at the
        # request's STOP); the endpoint's bottom half, one run per byte it
        # sends, and its timer; the controller's bottom halves (bus
        # granted to it, end of a target transfer)
        toggles=(--toggle-collect=dw_i2c_read --toggle-collect=dw_i2c_write
                 --toggle-collect=i2c_mctp_bh --toggle-collect=i2c_mctp_timeout
                 --toggle-collect=dw_i2c_master_bh
                 --toggle-collect=dw_i2c_kick_bh)
        test_bin=$i2c_test test=i2c-cxl-mctp ;;
    serial)
        toggles=(--toggle-collect=cxl_mctp_serial_receive
                 --toggle-collect=cxl_mctp_serial_tx_writable)
        test_bin=$serial_test test=cxl-mctp-serial ;;
    esac
    rm -f "$out"/cg.*
    BENCH_PATH=$path BENCH_ITERATIONS=$n \
        QTEST_QEMU_BINARY="valgrind --tool=callgrind --callgrind-out-file=$out/cg.%p ${toggles[*]} ./qemu-system-x86_64" \
        perf "$test_bin" -p "/x86_64/$test/perf/$case" > "$out/cg.log" 2>&1 ||
        { tail -n 20 "$out/cg.log" >&2; die "callgrind run failed"; }
    cat "$out"/cg.* | sed -n 's/^totals: //p' | awk '{ s += $1 } END { print s }'
}

declare -A ipc
for case in identify get-log-1k; do
    for path in mctp i2c serial mailbox; do
        say "callgrind: $case through $path (2 runs)..."
        a=$(instructions "$case" "$path" 20)
        b=$(instructions "$case" "$path" 120)
        ipc[$case.$path]=$(( (b - a) / 100 ))
    done
done

# In the guest: round trips per second over mctp-usb, with the switch's
# endpoint behind EHCI and the DCD's behind xHCI, then swapped; over
# mctp-i2c to the switch's and the persistent-memory device's I2C
# endpoints (the same in both guests); and the type 3 devices' in-band
# mailbox (CXL_MEM_SEND_COMMAND).  Each guest runs BENCH_RUNS times (1000
# round trips per command each time); the table gives the median and the
# range.
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
            -append "$(guest_append bench)" \
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
# rate SWAP TRANSPORT KIND OPCODE: round trips per second of each run with
# the USB endpoints swapped or not (SWAP 1 or 0; "all" for all runs) over
# TRANSPORT (usb or i2c) to the endpoint of the switch or type 3 device
# (KIND)
rate() {
    local logs=("$out"/guest-"$1"-*.log)

    [ "$1" = all ] && logs=("$out"/guest-*-*.log)
    cat "${logs[@]}" |
        sed -n "s|^CLIENT: $2 bench mctp eid [0-9]* $3 $4 .*: \([0-9]*\)/s.*|\1|p" |
        stats
}
# From the BMC VM over mctp-serial: the host VM idles, the BMC runs the
# same bench over its two serial links (the switch's and the
# persistent-memory device's endpoints); BENCH_BMC_RUNS pairs of VMs.
bmc_runs=${BENCH_BMC_RUNS:-3}
rm -f "$out"/bmc-*.log
for run in $(seq "$bmc_runs"); do
    say "two VMs: cxl-mctp-client bench in the BMC VM over mctp-serial (run $run of $bmc_runs)..."
    log=$out/bmc-$run.log
    timeout -k 10 600 "$REPO/scripts/run.sh" bmc-bench </dev/null >"$log" 2>&1 || true
    grep -q '^bmc  | GUEST: client exit=0$' "$log" ||
        { tail -n 20 "$log" >&2; die "BMC benchmark failed (log: $log)"; }
done
# bmc_rate KIND OPCODE: round trips per second from the BMC to the
# endpoint of the switch or the type 3 device (KIND) over mctp-serial
bmc_rate() {
    cat "$out"/bmc-*.log |
        sed -n "s#^bmc  | CLIENT: serial bench mctp eid [0-9]* $1 $2 .*: \([0-9]*\)/s.*#\1#p" |
        stats
}
mbox=$(cat "$out"/guest-0-*.log |
       sed -n 's|^CLIENT: bench mailbox mem0 type3 0400h .*: \([0-9]*\)/s|\1|p' |
       stats)

us() { # TAP-FILE CASE DEVICE
    sed -n "s/^# BENCH $2 $3 \([0-9.]*\) us.*/\1/p" "$out/$1"
}
ratio() { # A B: A / B, two decimals
    awk -v a="$1" -v b="$2" 'BEGIN { if (b) printf "%.2f\n", a / b; else print "-" }'
}
row() { # COMMAND USB I2C SERIAL MAILBOX USB/MBOX I2C/MBOX SERIAL/MBOX
    printf '%-12s %9s %9s %9s %9s %9s %9s %11s\n' "$@"
}
guest_row() { # WHAT RATE [RATE]
    printf '%-40s %-20s %s\n' "$@" | sed 's/ *$//'
}
{
    echo "usb-cxl-mctp, i2c_mctp_cxl and cxl-mctp-serial vs cxl-switch-mailbox-cci,"
    echo "same switch,"
    echo "$(date -u +%F), QEMU $(cat "$WORK/VERSION"), $(nproc) cores, TCG/qtest"
    echo
    echo "qtest wall time, us/cmd:"
    row command usb i2c serial mailbox usb/mbox i2c/mbox serial/mbox
    for case in identify get-log-1k; do
        m=$(us qtest.tap "$case" usb-cxl-mctp)
        i=$(us qtest-i2c.tap "$case" i2c-cxl-mctp)
        r=$(us qtest-serial.tap "$case" cxl-mctp-serial)
        x=$(us qtest.tap "$case" switch-mailbox-cci)
        row "$case" "$m" "$i" "$r" "$x" "$(ratio "$m" "$x")" \
            "$(ratio "$i" "$x")" "$(ratio "$r" "$x")"
    done
    echo
    echo "QEMU instructions per command (callgrind):"
    row command usb i2c serial mailbox usb/mbox i2c/mbox serial/mbox
    for case in identify get-log-1k; do
        m=${ipc[$case.mctp]} i=${ipc[$case.i2c]} r=${ipc[$case.serial]}
        x=${ipc[$case.mailbox]}
        row "$case" "$m" "$i" "$r" "$x" "$(ratio "$m" "$x")" \
            "$(ratio "$i" "$x")" "$(ratio "$r" "$x")"
    done
    echo
    echo "Wall time includes the qtest protocol (over I2C, a register access"
    echo "at a time).  Instructions: usb, the device's data path; i2c, the"
    echo "controller's MMIO (every access of the polling qtest driver) and the"
    echo "endpoint's bottom halves and timer (frame checks, MCTP, CCI, sending"
    echo "byte by byte); serial, the endpoint's chardev handlers (frames in"
    echo "and out, MCTP, CCI; not the socket chardev itself); mailbox, its"
    echo "registers.  The serial qtest writes the socket directly: no qtest"
    echo "protocol in its wall time."
    echo
    echo "In the guest (Linux mctp-usb and mctp-i2c, TCG, cxl-mctp-client"
    echo "bench), round trips per second, median (min-max) of $runs runs of"
    echo "1000 (over I2C, of all $((2 * runs)) guests):"
    guest_row "" "behind EHCI" "behind xHCI"
    guest_row "switch, Identify (0001h)" \
        "$(rate 0 usb switch 0001h)" "$(rate 1 usb switch 0001h)"
    guest_row "switch, Get Supported Logs (0400h)" \
        "$(rate 0 usb switch 0400h)" "$(rate 1 usb switch 0400h)"
    guest_row "type 3 DCD, Identify (0001h)" \
        "$(rate 1 usb type3 0001h)" "$(rate 0 usb type3 0001h)"
    guest_row "type 3 DCD, Get Supported Logs (0400h)" \
        "$(rate 1 usb type3 0400h)" "$(rate 0 usb type3 0400h)"
    guest_row "" "over mctp-i2c"
    guest_row "switch, Identify (0001h)" "$(rate all i2c switch 0001h)"
    guest_row "switch, Get Supported Logs (0400h)" \
        "$(rate all i2c switch 0400h)"
    guest_row "type 3 pmem, Identify (0001h)" \
        "$(rate all i2c type3 0001h)"
    guest_row "type 3 pmem, Get Supported Logs (0400h)" \
        "$(rate all i2c type3 0400h)"
    guest_row "" "from the BMC VM, mctp-serial"
    guest_row "switch, Identify (0001h)" "$(bmc_rate switch 0001h)"
    guest_row "switch, Get Supported Logs (0400h)" \
        "$(bmc_rate switch 0400h)"
    guest_row "type 3 pmem, Identify (0001h)" "$(bmc_rate type3 0001h)"
    guest_row "type 3 pmem, Get Supported Logs (0400h)" \
        "$(bmc_rate type3 0400h)"
    echo "(round trips per second from the BMC VM, median (min-max) of"
    echo "$bmc_runs runs of 1000: BMC and host are two TCG QEMUs on the same"
    echo "cores, joined by unix sockets, 115200 baud set on the BMC's UARTs)"
    guest_row "" "in-band"
    guest_row "type 3, Get Supported Logs, mailbox" "$mbox"
    echo "(no Linux driver reaches the switch mailbox CCI, so the in-band"
    echo "comparison uses a type 3 device's primary mailbox)"
} > "$out/results.txt"
cat "$out/results.txt"
