#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# i2c-smoke-test.sh: boot the guest on the default topology plus the I2C
# controller and its two i2c_mctp_cxl endpoints (CXL_MCTP_I2C=1) in demo
# mode, and check that the stock Linux drivers carry MCTP over it:
# i2c-designware-pci binds the controller, mctp-i2c makes an mctpi2cN
# link, and the fabric manager client (cxl-mctp-client, I2C extended
# addressing) gets each endpoint's EID, sets it, and talks CXL to it.
# TAP output.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/common.sh"
. "$here/tap.sh"

export CXL_MCTP_I2C=1
. "$REPO/scripts/topology.sh"

timeout_s=${BOOT_TIMEOUT:-240}
log=$GUEST/i2c-smoke.log
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done

default_topology_args
timeout "$timeout_s" "$QEMU" "${TOPOLOGY_ARGS[@]}" \
    -nodefaults -nographic -serial mon:stdio -no-reboot \
    -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 cxlmctp.mode=demo cxlmctp.usbdevs=$USB_NUM_MCTP cxlmctp.i2caddrs=$I2C_MCTP_ADDRS" \
    </dev/null >"$log" 2>&1
status=$?
out=$(tr -d '\r' <"$log")
guest=$(sed -n 's/^GUEST: //p' <<<"$out")
client=$(sed -n 's/^CLIENT: //p' <<<"$out")

addr() { printf '0x%02x' "$(( $1 ))"; }

tap_match "i2c-designware-pci drives the controller (8086:9c61)" "$guest" \
    "^pci [0-9a-f:.]+ class=0x0c80[0-9a-f]* vendor=0x8086 device=0x9c61 driver=i2c-designware-pci$"
tap_match "mctp-i2c made an MCTP link on its adapter" "$guest" \
    '^i2c i2c-[0-9]+ name="Synopsys DesignWare I2C adapter" mctp=mctpi2c[0-9]+$'
tap_match "the mctpi2cN link is an MCTP netdev (type 290)" "$guest" \
    '^net mctpi2c[0-9]+ type=290 '
for a in $I2C_MCTP_USP_ADDR $I2C_MCTP_PMEM_ADDR; do
    a=$(addr "$a")
    tap_match "Get Endpoint ID at I2C address $a: no EID yet" "$client" \
        "^setup mctpi2c[0-9]+:$a get-eid eid 0 endpoint simple "
    tap_match "Set Endpoint ID at $a accepted" "$client" \
        "^setup mctpi2c[0-9]+:$a set-eid ([0-9]+) accepted eid \\1 "
    tap_match "endpoint at $a lists CXL FM-API and CCI, has a UUID" "$client" \
        "^link mctpi2c[0-9]+:$a eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$"
done
tap_match "the switch identifies over I2C with its serial number" "$client" \
    "^identify eid [0-9]+ type switch sn $(hex "$CXL_USP_SN") "
tap_match "the persistent-memory device identifies over I2C" "$client" \
    "^identify eid [0-9]+ type type3 sn $(hex "$CXL_PMEM_SN") "
tap_match "a 1 KiB Get Log of the CEL arrives intact over I2C (17 packets)" \
    "$client" "^cel eid 2[2-9] bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact$"
tap_match "no client step failed" "$client" "^ok$"
[ "$status" = 0 ] && grep -q '^GUEST: client exit=0$' <<<"$out"
tap_result "client exited 0 and the guest powered off" $? "QEMU status $status"
tap_end guest "$guest
$client" "$log"
