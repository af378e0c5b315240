#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fm-client-test.sh [ehci|xhci]: boot the guest on the default topology in
# demo mode and check what its fabric manager client (cxl-mctp-client, over
# the Linux mctp-usb driver) reads of the fabric against the command line
# (scripts/topology.sh).  "ehci" (default) puts the switch's endpoint behind
# EHCI and the DCD's behind xHCI; "xhci" swaps them.  TAP output.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/common.sh"
. "$here/tap.sh"

case "${1:-ehci}" in
ehci) export MCTP_SWAP_HC=0 ;;
xhci) export MCTP_SWAP_HC=1 ;;
*) echo "Bail out! unknown variant '$1'"; exit 1 ;;
esac
. "$REPO/scripts/topology.sh"

timeout_s=${BOOT_TIMEOUT:-240}
log=$GUEST/fm-client-${1:-ehci}.log
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done

default_topology_args
echo "# switch endpoint on $MCTP_USP_HC, DCD endpoint on $MCTP_DCD_HC"
timeout "$timeout_s" "$QEMU" "${TOPOLOGY_ARGS[@]}" \
    -nodefaults -nographic -serial mon:stdio -no-reboot \
    -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 cxlmctp.mode=demo cxlmctp.usbdevs=$USB_NUM_MCTP" \
    </dev/null >"$log" 2>&1
status=$?
client=$(tr -d '\r' <"$log" | sed -n 's/^CLIENT: //p')

check() { tap_match "$1" "$client" "$2"; }   # DESCRIPTION ERE
bytes() { printf '%#x' "$(numfmt --from=iec "$1")"; }

links=$(grep -cE '^link mctpusb[0-9]+ eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$' <<<"$client")
[ "$links" = "$USB_NUM_MCTP" ]
tap_result "$USB_NUM_MCTP links up, endpoints given EIDs, types 07,08 and a UUID" \
    $? "$links found"
check "switch identifies over CCI with its serial number" \
    "^identify eid [0-9]+ type switch sn $(hex "$CXL_USP_SN") "
check "switch reports $((CXL_NUM_DSPS + 1)) physical ports and vPPBs" \
    "^switch eid [0-9]+ ports $((CXL_NUM_DSPS + 1)) vcss 1 vppbs $((CXL_NUM_DSPS + 1))/$((CXL_NUM_DSPS + 1)) "
for p in $(seq 0 $((CXL_NUM_DSPS - 1))); do
    check "physical port $p is a downstream port" "^port $p state dsp "
done
check "physical port $CXL_USP_PORT is the upstream port" "^port $CXL_USP_PORT state usp "
check "tunnel to port 0 reaches $CXL_PMEM_ID" "^tunnel port 0 sn $(hex "$CXL_PMEM_SN") type 3 "
check "tunnel to port 1 reaches $CXL_DCD_ID" "^tunnel port 1 sn $(hex "$CXL_DCD_SN") type 3 "
check "DCD endpoint identifies as type 3 with its serial number" \
    "^identify eid [0-9]+ type type3 sn $(hex "$CXL_DCD_SN") "
check "Get LD Info: $CXL_DCD_SIZE, one LD" "^ld-info eid [0-9]+ size $(bytes "$CXL_DCD_SIZE") lds 1$"
check "Get DCD Info: $CXL_DCD_REGIONS regions, $CXL_DCD_SIZE" \
    "^dcd-info eid [0-9]+ hosts 1 regions $CXL_DCD_REGIONS capacity $(bytes "$CXL_DCD_SIZE")$"
check "response message limit raised to 1 KiB" "^response-limit eid [0-9]+ 1024 bytes$"
check "1 KiB Get Log of the CEL arrives intact (many packets)" \
    "^cel eid [0-9]+ bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact$"
check "no client step failed" "^ok$"
[ "$status" = 0 ] && tr -d '\r' <"$log" | grep -q '^GUEST: client exit=0$'
tap_result "client exited 0 and the guest powered off" $? "QEMU status $status"
tap_end client "$client" "$log"
