#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [shell|report]: boot the guest on the default topology
# (scripts/topology.sh) with its console on this terminal.  The guest prints
# what it sees of the CXL topology and the USB buses, then its fabric
# manager client sets up the MCTP links and describes the fabric over
# FM-API, and the guest powers off.  "shell" sets up the links and leaves a
# shell instead (Ctrl-A X quits QEMU); "report" stops after the report.
# With CXL_MCTP_I2C=1 the topology has the I2C controller and its two
# endpoints as well, and the client sets them up over mctpi2cN.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$REPO/scripts/topology.sh"

mode=demo
case "${1:-}" in
'') ;;
shell|report) mode=$1 ;;
*) die "unknown argument '$1' (ARGS=shell leaves a guest shell, ARGS=report skips the client)" ;;
esac

for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || die "$f is missing: run make first"
done

default_topology_args
append="console=ttyS0 panic=-1 quiet cxlmctp.mode=$mode cxlmctp.usbdevs=$USB_NUM_MCTP"
# CXL_MCTP_I2C=1: the I2C controller and its endpoints too
[ "$CXL_MCTP_I2C" = 1 ] && append="$append cxlmctp.i2caddrs=$I2C_MCTP_ADDRS"
cmd=("$QEMU" "${TOPOLOGY_ARGS[@]}"
     -nodefaults -nographic -serial mon:stdio -no-reboot
     -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio"
     -append "$append")
say "booting the guest under TCG ($(cat "$GUEST/kernel-version.txt" 2>/dev/null || echo Linux))..."
say "${cmd[*]}"
exec "${cmd[@]}"
