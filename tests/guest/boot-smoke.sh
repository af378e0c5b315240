#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boot-smoke.sh [QEMU]: boot the test guest (scripts/guest.sh) on the default
# topology (scripts/topology.sh) under QEMU (default: $QEMU of
# scripts/common.sh) and check, from the guest's report on the console, that
# it sees what the topology puts there.  TAP output; exits non-zero if any
# test failed.  The console log is kept in $GUEST/boot-smoke.log.
#
# Environment: QEMU_FIRMWARE_DIR  passed to QEMU as -L (firmware search path)
#              BOOT_TIMEOUT       seconds before QEMU is killed (default 240)
# shellcheck disable=SC2317 # check runs its arguments: eq, has, test
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/../../scripts/common.sh"
# shellcheck source=scripts/topology.sh
. "$REPO/scripts/topology.sh"

qemu=${1:-$QEMU}
timeout_s=${BOOT_TIMEOUT:-240}
log=$GUEST/boot-smoke.log

plan=16
echo "1..$plan"
[ -x "$qemu" ] || { echo "Bail out! QEMU binary $qemu not found (build QEMU first)"; exit 1; }
for f in bzImage initramfs.cpio; do
    [ -f "$GUEST/$f" ] || { echo "Bail out! $GUEST/$f not found (run scripts/guest.sh)"; exit 1; }
done

default_topology_args
cmd=("$qemu" ${QEMU_FIRMWARE_DIR:+-L "$QEMU_FIRMWARE_DIR"}
     "${TOPOLOGY_ARGS[@]}"
     # No default devices: SeaBIOS waits 32 s for the default (empty)
     # AHCI CD-ROM otherwise.  The serial console is then given explicitly.
     -nodefaults -nographic -serial mon:stdio -no-reboot
     -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio"
     -append "$(guest_append report)")
echo "# ${cmd[*]}"
start=$(date +%s.%N)
timeout "$timeout_s" "${cmd[@]}" </dev/null >"$log" 2>&1
status=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
printf '# QEMU exited with status %s after %.1f s; console log: %s\n' "$status" "$elapsed" "$log"

# The console log without the serial console's carriage returns, and the
# guest's report in it.  (Here-strings rather than pipes into grep -q, which
# would fail under pipefail when the writer gets SIGPIPE.)
console=$(tr -d '\r' <"$log")
report=$(sed -n 's/^GUEST: //p' <<<"$console")
# field KIND KEY: value of KEY= on the first report line of KIND.
field() { awk -v kind="$1" -v key="$2" '
    $1 == kind { for (i = 2; i <= NF; i++) if (index($i, key "=") == 1) {
                     print substr($i, length(key) + 2); exit } }' <<<"$report"; }
# bytes SIZE: QEMU size (256M, 4G, ...) in bytes.
bytes() { numfmt --from=iec "$1"; }
# hex N: N (decimal or 0x...) the way the kernel prints it (%#llx).
hex() { printf '%#x' "$(( $1 ))"; }

n=0 failed=0
check() {   # check DESCRIPTION COMMAND...
    local desc=$1
    shift
    local out
    n=$((n + 1))
    # The command's diagnostics go after the result line.
    if out=$("$@"); then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        failed=$((failed + 1))
    fi
    [ -z "$out" ] || echo "$out"
}
eq() {      # eq WHAT GOT WANT
    [ "$2" = "$3" ] && return 0
    echo "#   $1: got '$2', want '$3'"
    return 1
}
has() { grep -q "$1" <<<"$console"; }
memdev_with_serial() {
    awk -v sn="$1" '$1 == "cxl" && $2 ~ /^mem/ && index($0, " serial=" sn " ") { print; exit }' <<<"$report"
}

check "kernel booted" has 'Linux version '
check "kernel ran /init" has '^GUEST: begin '
check "devices probed within the guest's wait" eq "wait" "$(awk '$1 == "wait" { print $2; exit }' <<<"$report")" ok
check "guest sees $CXL_NUM_MEMDEVS CXL memory devices on PCI (class 0x0502)" \
    eq pci_cxl_memdevs "$(field summary pci_cxl_memdevs)" "$CXL_NUM_MEMDEVS"
check "guest has $CXL_NUM_MEMDEVS CXL memdevs with endpoints" \
    eq "memdevs endpoints" "$(field summary cxl_memdevs) $(field summary cxl_endpoints)" \
    "$CXL_NUM_MEMDEVS $CXL_NUM_MEMDEVS"
pmem=$(memdev_with_serial "$(hex "$CXL_PMEM_SN")")
check "pmem device ($CXL_PMEM_ID) found by serial $CXL_PMEM_SN with $CXL_PMEM_SIZE of pmem" \
    eq "pmem_size" "$(grep -o 'pmem_size=[^ ]*' <<<"$pmem")" "pmem_size=$(hex "$(bytes "$CXL_PMEM_SIZE")")"
check "dynamic capacity device ($CXL_DCD_ID) found by serial $CXL_DCD_SN" \
    test -n "$(memdev_with_serial "$(hex "$CXL_DCD_SN")")"
# root0, the host bridge's port, the switch's port and one endpoint per memdev.
check "CXL port hierarchy: root, host bridge, switch, endpoints" \
    eq cxl_ports "$(field summary cxl_ports)" $((3 + CXL_NUM_MEMDEVS))
# The kernel adds a switch's dports as it finds memdevs below them, so the
# empty downstream port does not count.
switch_dports=$(awk '$1 == "cxl" && $2 ~ /^port/ && / uport=[0-9a-f]+:/' <<<"$report" |
                grep -o 'dports=[^ ]*' | head -n 1 | tr ',' '\n' | grep -c dport)
check "CXL switch port (uport a PCI function) has a dport per memdev" \
    eq "switch dports" "$switch_dports" "$CXL_NUM_MEMDEVS"
check "USB root hub of the EHCI controller" \
    eq "EHCI root hubs" "$(grep -c '^usb-dev usb[0-9]* .*product="EHCI Host Controller"' <<<"$report")" 1
check "USB 2 and USB 3 root hubs of the xHCI controller" \
    eq "xHCI root hub speeds" "$(grep '^usb-dev usb[0-9]* .*product="xHCI Host Controller"' <<<"$report" |
                                 grep -o 'speed=[0-9]*' | sort | tr '\n' ' ')" "speed=480 speed=5000 "
check "mctp-usb driver registered" eq mctp-usb-driver "$(awk '$1 == "mctp-usb-driver" { print $2 }' <<<"$report")" registered
# usb-cxl-mctp: enumerated and bound by the Linux mctp-usb driver
mctp_ifs=$(grep -c '^usb-if .* class=0x14 subclass=0x00 protocol=0x01 driver=mctp-usb' <<<"$report")
check "$USB_NUM_MCTP MCTP interfaces (class 0x14/0/1) bound to mctp-usb" \
    eq "mctp-usb interfaces" "$mctp_ifs" "$USB_NUM_MCTP"
check "usb-cxl-mctp at high speed behind EHCI and super speed behind xHCI" \
    eq "speeds" "$(grep '^usb-dev .*product="QEMU CXL MCTP"' <<<"$report" |
                   grep -o 'speed=[0-9]*' | sort | tr '\n' ' ')" "speed=480 speed=5000 "
check "$USB_NUM_MCTP MCTP links (type 290) with the 68-byte BTU as MTU" \
    eq "mctp links" "$(grep -c '^net mctpusb[0-9]* type=290 mtu=68 ' <<<"$report")" "$USB_NUM_MCTP"
check "guest reached 'GUEST: done' and QEMU exited by itself with status 0" \
    eq "done, exit status" "$(has '^GUEST: done' && echo 'done') $status" "done 0"

[ "$n" = "$plan" ] || echo "# ran $n tests, planned $plan"
if [ "$failed" -gt 0 ]; then
    [ "$status" != 124 ] || echo "# QEMU was killed after ${timeout_s} s"
    echo "# $failed of $n failed; last lines of $log:"
    tail -n 40 <<<"$console" | sed 's/^/#   /'
    exit 1
fi
exit 0
