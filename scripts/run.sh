#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [shell|report|bmc|bmc-bench]: boot the guest on the default topology
# (scripts/topology.sh) with its console on this terminal.  The guest prints
# what it sees of the CXL topology and the USB buses, then its fabric
# manager client sets up the MCTP links and describes the fabric over
# FM-API, and the guest powers off.  "shell" sets up the links and leaves a
# shell instead (Ctrl-A X quits QEMU); "report" stops after the report.
# The client sets up both kinds of links: mctpusbN (the USB endpoints) and
# mctpi2cN (the I2C controller's endpoints; CXL_MCTP_I2C=0 leaves them out).
# GUEST_EXTRA=DIR adds what is in DIR to the guest's initramfs for this boot
# (DIR/bin/x is /bin/x in the guest); the guest's /init runs
# DIR/guest-extra.sh, if there is one, after the report and the client
# ("GUEST: extra exit=N").
#
# "bmc": two VMs from the same build and guest image.  The managed host
# (the default topology plus two cxl-mctp-serial endpoints, on the switch
# and on the persistent-memory device, listening on unix sockets in a
# temporary directory) boots first, in cxlmctp.mode=host: it makes a pmem
# region, writes a pattern and waits for the device to go.  Then the BMC
# (256 MiB, no CXL; its ttyS1 and ttyS2 connected to those sockets) puts
# N_MCTP on its two serial ports, describes the fabric over mctp-serial,
# unbinds the vPPB of the persistent-memory device and binds it again; the
# host's console shows Linux losing the device and getting it back, and
# the pattern read back.  Both consoles are shown, "host | " and "bmc  | "
# before each line; both VMs power off at the end.  "bmc-bench": the same
# two VMs, the BMC running cxl-mctp-client bench over its serial links
# while the host idles.  BMC_KEEP=1 keeps the temporary directory (the
# sockets, host.log and bmc.log) instead of removing it at the end.
# ARCH=aarch64 (make run ARCH=aarch64): the same guest and demo on QEMU's
# virt board (qemu-system-aarch64, UEFI, build/guest-aarch64; the BMC
# modes are x86_64 only).
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$REPO/scripts/topology.sh"

mode=demo
case "${1:-}" in
'') ;;
shell|report|bmc|bmc-bench) mode=$1 ;;
*) die "unknown argument '$1' (ARGS=shell leaves a guest shell, ARGS=report skips the client, ARGS=bmc runs a BMC VM managing the host VM over mctp-serial)" ;;
esac

extra=${GUEST_EXTRA:-}
if [ -n "$extra" ] && [ ! -d "$extra" ]; then
    die "GUEST_EXTRA=$extra is not a directory (it names a directory whose files are added to the guest)"
fi
for f in "$QEMU" "$GUEST_KERNEL" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || die "$f is missing: run make first"
done

# GUEST_EXTRA: a temporary initrd, the guest's and DIR's archives one after
# the other, removed when QEMU exits.
initrd=$GUEST/initramfs.cpio
if [ -n "$extra" ]; then
    initrd=$(mktemp "$GUEST/initrd-extra.XXXXXX")
    trap 'rm -f "$initrd"' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    guest_initrd_with "$extra" "$initrd"
    say "GUEST_EXTRA=$extra: added under the guest's / for this boot ($(find "$extra" -mindepth 1 | wc -l) entries)"
    if [ -f "$extra/guest-extra.sh" ]; then
        case $mode in
        demo) when="after the demo, before it powers off" ;;
        report) when="after the report (MCTP links still down), before it powers off" ;;
        shell) when="after setting up the MCTP links, before the shell" ;;
        esac
        say "the guest runs /guest-extra.sh $when"
    else
        say "no guest-extra.sh in $extra: its files are there, the guest runs none of them"
    fi
    [ ! -e "$extra/init" ] || say "warning: $extra/init replaces the guest's /init"
fi

# --- Two VMs: the managed host and its BMC over mctp-serial -------------------
# run_bmc bmc|bmc-bench
# console_lines PREFIX: a console's lines as they come, PREFIX before each,
# without carriage returns and the firmware's terminal control sequences
console_lines() {
    sed -u -e 's/\r//g' -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' \
        -e "s/^/$1/"
}
# start_vm LOG PREFIX COMMAND...: COMMAND in the background, its output in
# LOG and shown as it comes, PREFIX before each line; its pid in vm_pid,
# the viewer's in view_pid
start_vm() {
    local log=$1 prefix=$2
    shift 2
    "$@" </dev/null >"$log" 2>&1 &
    vm_pid=$!
    tail -n +1 -f --pid="$vm_pid" "$log" 2>/dev/null |
        console_lines "$prefix" &
    view_pid=$!
}
# (the pids and the directory are global: the EXIT trap uses them)
host_pid='' bmc_pid='' tail_pid='' bmc_tail_pid='' bmc_dir=''
run_bmc() {
    local what=$1 dir host_mode host_words bmc_mode t bmc_status host_status
    "$QEMU" -device help 2>/dev/null | grep -q '"cxl-mctp-serial"' ||
        die "$QEMU has no cxl-mctp-serial device: run make first"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cxl-mctp-bmc.XXXXXX")
    bmc_dir=$dir
    # shellcheck disable=SC2317 # called by the traps
    cleanup() {
        local p
        for p in $bmc_pid $host_pid $tail_pid $bmc_tail_pid; do
            kill "$p" 2>/dev/null
        done
        wait 2>/dev/null
        [ -n "${BMC_KEEP:-}" ] || rm -rf "$bmc_dir"
    }
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export CXL_MCTP_SERIAL_DIR=$dir
    default_topology_args
    bmc_topology_args stdio
    if [ "$what" = bmc ]; then
        host_mode=host bmc_mode=bmc
        host_words="cxlmctp.watch=$CXL_PMEM_SN cxlmctp.watchtime=${BMC_WATCH_S:-120}"
    else
        host_mode=idle bmc_mode=bench
        host_words="cxlmctp.watchtime=${BMC_WATCH_S:-300}"
    fi
    # the logs exist before the tails that show them start
    : >"$dir/host.log"
    : >"$dir/bmc.log"
    say "host VM: the default topology plus cxl-mctp-serial on $CXL_USP_ID ($dir/$SERIAL_MCTP_USP_SOCK) and on $CXL_PMEM_ID ($dir/$SERIAL_MCTP_PMEM_SOCK), cxlmctp.mode=$host_mode"
    # shellcheck disable=SC2086 # host_words: one word each
    start_vm "$dir/host.log" "host | " \
        "$QEMU" "${TOPOLOGY_ARGS[@]}" -nodefaults -nographic -serial stdio \
        -no-reboot -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio" \
        -append "$(guest_append "$host_mode" quiet $host_words)"
    host_pid=$vm_pid tail_pid=$view_pid
    # The BMC starts once the host is ready for it (its pattern written,
    # in host mode), as a BMC would be told the host is up
    t=0
    until grep -qE 'host-watch sn [0-9a-fx]+: ready|GUEST: idle ' "$dir/host.log"; do
        kill -0 "$host_pid" 2>/dev/null || die "the host VM stopped before it was ready"
        [ "$t" -lt "${BMC_HOST_BOOT_S:-240}" ] || die "the host VM was not ready after $t s"
        sleep 1
        t=$((t + 1))
    done
    say "BMC VM: $BMC_MEM, no CXL; ttyS1 and ttyS2 on the host's sockets, cxlmctp.mode=$bmc_mode"
    start_vm "$dir/bmc.log" "bmc  | " \
        "$QEMU" "${BMC_ARGS[@]}" -nographic -no-reboot \
        -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio" \
        -append "$(bmc_append "$bmc_mode" quiet)"
    bmc_pid=$vm_pid bmc_tail_pid=$view_pid
    # wait returns on a trapped signal too: then the EXIT trap stops both
    bmc_status=0
    wait "$bmc_pid" || bmc_status=$?
    bmc_pid=''
    # The host waits for what the BMC does; with the BMC done (or failed)
    # there is nothing more to wait for in bmc-bench (or after a failure)
    if [ "$what" = bmc-bench ] || [ "$bmc_status" != 0 ] ||
       ! grep -q '^GUEST: client exit=0' "$dir/bmc.log"; then
        kill "$host_pid" 2>/dev/null
    fi
    host_status=0
    wait "$host_pid" || host_status=$?
    host_pid=''
    wait "$tail_pid" "$bmc_tail_pid" || true
    tail_pid='' bmc_tail_pid=''
    say "both VMs stopped (BMC QEMU exit status $bmc_status, host $host_status)"
    [ "$bmc_status" = 0 ] && { [ "$host_status" = 0 ] || [ "$what" = bmc-bench ]; }
}
case $mode in
bmc|bmc-bench)
    [ -z "$extra" ] || die "GUEST_EXTRA does not go with ARGS=$mode"
    [ "$ARCH" = x86_64 ] || die "ARGS=$mode: the BMC VM is a PC (its ttyS1 and ttyS2), x86_64 only"
    run_bmc "$mode"
    exit $?
    ;;
esac

default_topology_args
# The demo takes dynamic capacity through an add and a release on the DCD
# (the client the fabric manager and the host), and ends by unbinding and
# binding a vPPB over each switch endpoint, the host writing to the
# persistent memory before and reading it back after
append=$(guest_append "$mode" quiet cxlmctp.dcd=1 cxlmctp.bindcycle=1)
cmd=("$QEMU" "${TOPOLOGY_ARGS[@]}"
     -nodefaults -nographic -serial mon:stdio -no-reboot
     -kernel "$GUEST_KERNEL" -initrd "$initrd"
     -append "$append")
say "booting the guest under TCG ($(cat "$GUEST/kernel-version.txt" 2>/dev/null || echo Linux))..."
say "${cmd[*]}"
# Without a temporary initrd to remove afterwards, QEMU replaces this shell.
[ -n "$extra" ] || exec "${cmd[@]}"
"${cmd[@]}"
