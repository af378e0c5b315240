#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh [shell|report]: boot the guest on the default topology
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
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$REPO/scripts/topology.sh"

mode=demo
case "${1:-}" in
'') ;;
shell|report) mode=$1 ;;
*) die "unknown argument '$1' (ARGS=shell leaves a guest shell, ARGS=report skips the client)" ;;
esac

extra=${GUEST_EXTRA:-}
if [ -n "$extra" ] && [ ! -d "$extra" ]; then
    die "GUEST_EXTRA=$extra is not a directory (it names a directory whose files are added to the guest)"
fi
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
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

default_topology_args
# The demo takes dynamic capacity through an add and a release on the DCD
# (the client the fabric manager and the host), and ends by unbinding and
# binding a vPPB over each switch endpoint, the host writing to the
# persistent memory before and reading it back after
append=$(guest_append "$mode" quiet cxlmctp.dcd=1 cxlmctp.bindcycle=1)
cmd=("$QEMU" "${TOPOLOGY_ARGS[@]}"
     -nodefaults -nographic -serial mon:stdio -no-reboot
     -kernel "$GUEST/bzImage" -initrd "$initrd"
     -append "$append")
say "booting the guest under TCG ($(cat "$GUEST/kernel-version.txt" 2>/dev/null || echo Linux))..."
say "${cmd[*]}"
# Without a temporary initrd to remove afterwards, QEMU replaces this shell.
[ -n "$extra" ] || exec "${cmd[@]}"
"${cmd[@]}"
