#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP test: the built QEMU has every device the default topology and the
# MCTP work need, and finds the firmware a -kernel boot needs.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

devices=(pxb-cxl cxl-rp cxl-upstream cxl-downstream cxl-type3
         cxl-switch-mailbox-cci usb-ehci qemu-xhci piix3-usb-uhci
         usb-cxl-mctp designware-i2c-pci i2c_mctp_cxl cxl-mctp-serial)
firmware=(bios-256k.bin linuxboot_dma.bin pvh.bin kvmvapic.bin
          vgabios-stdvga.bin efi-e1000e.rom)

n=0 failed=0
result() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

list=$("$QEMU" -nodefaults -device help 2>&1)
for d in "${devices[@]}"; do
    grep -q "^name \"$d\"" <<<"$list"
    result $? "device $d is built in"
done
machines=$("$QEMU" -machine help 2>&1)
grep -q '^q35 ' <<<"$machines" || grep -q '^pc-q35' <<<"$machines"
result $? "machine q35 is built in"

datadir=$QBUILD/qemu-bundle/usr/local/share/qemu
for f in "${firmware[@]}"; do
    test -r "$datadir/$f"
    result $? "firmware $f is where QEMU looks"
done

echo "1..$n"
[ "$failed" = 0 ]
