#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fm-client-test.sh [ehci|xhci]: boot the guest on the default topology in
# demo mode and check what its fabric manager client (cxl-mctp-client) reads
# of the fabric, over the Linux mctp-usb driver and over mctp-i2c, against
# the command line (scripts/topology.sh); then that each type 3 device with
# an MCTP endpoint answers a few thousand commands in band (its primary
# mailbox, /dev/cxl/memN) and out of band (MCTP) at the same time, every
# response checked; then dynamic capacity end to end on the DCD, the client
# the fabric manager over MCTP and the host through raw mailbox commands;
# last, over each transport, that unbinding a vPPB takes its device away
# from the host and binding it brings it back, and that the host can use
# the rebound persistent memory: its endpoint port probes, a region made
# through sysfs reads back a pattern written through a region before the
# unbind, and the kernel logs no probe failure.  "ehci" (default) puts the
# switch's USB endpoint behind EHCI and the DCD's behind xHCI; "xhci" swaps
# them.  TAP output.  ARCH=aarch64: the same on QEMU's Arm virt board
# (scripts/topology.sh) with the aarch64 guest (make guest ARCH=aarch64).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/common.sh"
. "$here/tap.sh"
. "$here/fabric-checks.sh"

case "${1:-ehci}" in
ehci) export MCTP_SWAP_HC=0 ;;
xhci) export MCTP_SWAP_HC=1 ;;
*) echo "Bail out! unknown variant '$1'"; exit 1 ;;
esac
export CXL_MCTP_I2C=1
. "$REPO/scripts/topology.sh"

# aarch64 (ARCH=aarch64): UEFI and an emulated Arm CPU take longer
if [ "$ARCH" = aarch64 ]; then
    timeout_s=${BOOT_TIMEOUT:-600}
else
    timeout_s=${BOOT_TIMEOUT:-240}
fi
concurrent=${CONCURRENT_COMMANDS:-3000}
log=${FM_CLIENT_LOG:-$GUEST/fm-client-${1:-ehci}.log}
for f in "$QEMU" "$GUEST_KERNEL" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done

default_topology_args
echo "# switch's USB endpoint on $MCTP_USP_HC, DCD's on $MCTP_DCD_HC;" \
     "I2C endpoints at $I2C_MCTP_ADDRS"
timeout "$timeout_s" "$QEMU" "${TOPOLOGY_ARGS[@]}" \
    -nodefaults -nographic -serial mon:stdio -no-reboot \
    -kernel "$GUEST_KERNEL" -initrd "$GUEST/initramfs.cpio" \
    -append "$(guest_append demo "cxlmctp.concurrent=$concurrent" cxlmctp.dcd=1 cxlmctp.bindcycle=1)" \
    </dev/null >"$log" 2>&1
status=$?
out=$(tr -d '\r' <"$log")
guest=$(sed -n 's/^GUEST: //p' <<<"$out")
client=$(sed -n 's/^CLIENT: //p' <<<"$out")

check() { tap_match "$1" "$client" "$2"; }   # DESCRIPTION ERE
addr() { printf '0x%02x' "$(( $1 ))"; }

# --- The fabric over USB (mctp-usb) ----------------------------------------
tap_count "$USB_NUM_MCTP USB links up, endpoints given EIDs, types 07,08 and a UUID" \
    "$client" '^link mctpusb[0-9]+ eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$' \
    "$USB_NUM_MCTP"
switch_checks usb
check "usb: DCD endpoint identifies as type 3 with its serial number" \
    "^usb identify eid [0-9]+ type type3 sn $(hex "$CXL_DCD_SN") "
check "usb: Identify Memory Device of the DCD: no static capacity, no LSA" \
    "^usb memdev eid [0-9]+ fw \"BWFW VERSION 00\" capacity 0x0 volatile 0x0 persistent 0x0 lsa 0x0$"
check "usb: Get Health Info of the DCD: healthy, media ready" \
    "^usb health eid [0-9]+ status 0x00 media normal life-used n/a temperature n/a dirty-shutdowns 0$"
check "usb: Get LD Info of the DCD: $CXL_DCD_SIZE, one LD" \
    "^usb ld-info eid [0-9]+ size $(bytes "$CXL_DCD_SIZE") lds 1$"
check "usb: Get DCD Info: $CXL_DCD_REGIONS regions, $CXL_DCD_SIZE" \
    "^usb dcd-info eid [0-9]+ hosts 1 regions $CXL_DCD_REGIONS capacity $(bytes "$CXL_DCD_SIZE")$"
tap_count "usb: response message limit raised to 1 KiB on both endpoints" \
    "$client" '^usb response-limit eid [0-9]+ 1024 bytes$' "$USB_NUM_MCTP"
tap_count "usb: a 1 KiB Get Log of the CEL arrives intact in $(packets 68) packets from both endpoints" \
    "$client" "^usb cel eid [0-9]+ bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact packets $(packets 68)$" \
    "$USB_NUM_MCTP"

# --- The fabric over SMBus/I2C (i2c-designware-pci, mctp-i2c) ----------------
tap_match "i2c-designware-pci drives the I2C controller (8086:9c61)" "$guest" \
    "^pci [0-9a-f:.]+ class=0x0c80[0-9a-f]* vendor=0x8086 device=0x9c61 driver=i2c-designware-pci$"
tap_match "mctp-i2c made an MCTP link (type 290) on its adapter" "$guest" \
    '^i2c i2c-[0-9]+ name="Synopsys DesignWare I2C adapter" mctp=mctpi2c[0-9]+$'
for a in $I2C_MCTP_USP_ADDR $I2C_MCTP_PMEM_ADDR; do
    a=$(addr "$a")
    check "i2c: Get Endpoint ID at I2C address $a: no EID yet, simple endpoint" \
        "^setup mctpi2c[0-9]+:$a get-eid eid 0 endpoint simple "
    check "i2c: Set Endpoint ID at $a accepted" \
        "^setup mctpi2c[0-9]+:$a set-eid ([0-9]+) accepted eid \\1 "
    check "i2c: endpoint at $a lists CXL FM-API and CCI, has a UUID" \
        "^link mctpi2c[0-9]+:$a eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$"
done
switch_checks i2c
pmem_checks i2c
tap_count "i2c: response message limit raised to 1 KiB on both endpoints" \
    "$client" '^i2c response-limit eid [0-9]+ 1024 bytes$' "$I2C_NUM_MCTP"
# The switch's endpoint sends 68-byte packets, the type 3 device's 254
cel_check() { # SERIAL MTU
    local eid
    eid=$(sed -nE "s/^i2c identify eid ([0-9]+) type [a-z0-9]+ sn $(hex "$1") .*/\\1/p" <<<"$client")
    check "i2c: 1 KiB CEL from the endpoint with serial $(hex "$1") intact in $(packets "$2") packets of $2 bytes" \
        "^i2c cel eid ${eid:-none} bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact packets $(packets "$2")$"
}
cel_check "$CXL_USP_SN" "$I2C_MCTP_USP_MTU"
cel_check "$CXL_PMEM_SN" "$I2C_MCTP_PMEM_MTU"

# --- In band and out of band at once ---------------------------------------
# DEVICE SERIAL TRANSPORT: at least $concurrent commands each way, all good
concurrent_check() {
    local line ib oob
    line=$(grep -E "^$3 concurrent eid [0-9]+ /dev/cxl/mem[0-9]+ sn $(hex "$2") in-band [0-9]+ out-of-band [0-9]+ in [0-9.]+ s: every response checked$" <<<"$client")
    read -r ib oob < <(sed -nE 's/.* in-band ([0-9]+) out-of-band ([0-9]+) .*/\1 \2/p' <<<"$line")
    [ -n "$line" ] && [ "${ib:-0}" -ge "$concurrent" ] && [ "${oob:-0}" -ge "$concurrent" ]
    tap_result "$1 in band and over $3 at once: $concurrent commands or more each, every response as the first" \
        $? "${line:-no concurrent line for $(hex "$2") over $3}"
}
concurrent_check "$CXL_DCD_ID" "$CXL_DCD_SN" usb
concurrent_check "$CXL_PMEM_ID" "$CXL_PMEM_SN" i2c

tap_count "Set Timestamp then Get Timestamp on every endpoint, over both transports" \
    "$client" '^(usb|i2c) timestamp eid [0-9]+ [1-9][0-9]+ ns \(20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC\) set$' \
    "$((USB_NUM_MCTP + I2C_NUM_MCTP))"

# --- Dynamic capacity: FM over MCTP (usb) and host through its mailbox -------
# Region 0 of the DCD as both see it; then an extent added, accepted and
# released; two in one add (the More flag on the first record), accepted
# and released together; an add the host rejects.  At each step the FM's
# Get DC Region Extent Lists (5603h) and the host's Get DC Extent List
# (4801h) must agree with what was done, and their generation numbers
# change with the list.
dcd_sn=$(hex "$CXL_DCD_SN")
region_len=$(hex "$(( $(numfmt --from=iec "$CXL_DCD_SIZE") / CXL_DCD_REGIONS ))")
dcd_line=$(grep -E "^usb dcd eid [0-9]+ /dev/cxl/mem[0-9]+ sn $dcd_sn: region 0 base 0x0 length $region_len block 0x[0-9a-f]+ as FM \(5601h\) and host \(4800h\) see it; no extent, DC event log empty$" <<<"$client")
tap_result "usb: DCD region 0 (base 0, $region_len) the same to the FM (5601h) and the host (4800h); no extent, no event yet" \
    "$([ -n "$dcd_line" ]; echo $?)" "no dcd region line for $dcd_sn"
block=$(( $(sed -nE 's/.* block (0x[0-9a-f]+) .*/\1/p' <<<"$dcd_line") + 0 ))
[ "$block" -gt 0 ] || block=$((2 << 20))
ext() { # BLOCK-OFFSET BLOCKS: an extent as the client prints it, as an ERE
    printf '0x%x\\+0x%x' "$(( $1 * block ))" "$(( $2 * block ))"
}
lists_re() { # WHEN EXTENTS
    echo "lists $1: FM \\(5603h\\) $2 generation 0x[0-9a-f]+ -> 0x[0-9a-f]+, host \\(4801h\\) $2 generation 0x[0-9a-f]+ -> 0x[0-9a-f]+\$"
}
dcd_checks() { # NAME EXTENTS-ERE N MORE-FLAGS ACCEPTED
    local name=$1 e=$2 count=$3 more=$4 rec=record
    [ "$count" = 1 ] || rec=records
    check "usb: DCD $name: the FM initiates the add (5604h)" \
        "^usb dcd $name fm-add eid [0-9]+ extents $e: initiated$"
    check "usb: DCD $name: the host reads $count add-capacity $rec (More flags $more) and clears the log" \
        "^usb dcd $name host-events /dev/cxl/mem[0-9]+: $count add-capacity $rec, more flags $more; cleared, log empty$"
    check "usb: DCD $name: neither FM nor host lists the extents before the host answers" \
        "^usb dcd $name $(lists_re while-add-pending none)"
    if [ "$5" = accepted ]; then
        check "usb: DCD $name: the host accepts (4802h) in one response" \
            "^usb dcd $name host-add-response /dev/cxl/mem[0-9]+ extents $e: done$"
        check "usb: DCD $name: FM and host list the accepted extents, the generation numbers changed" \
            "^usb dcd $name $(lists_re after-add-response "$e")"
        check "usb: DCD $name: the FM initiates the release (5605h)" \
            "^usb dcd $name fm-release eid [0-9]+ extents $e: initiated$"
        check "usb: DCD $name: the host reads $count release-capacity $rec and clears the log" \
            "^usb dcd $name host-events /dev/cxl/mem[0-9]+: $count release-capacity $rec, more flags $more; cleared, log empty$"
        check "usb: DCD $name: the extents stay listed until the host releases them" \
            "^usb dcd $name $(lists_re while-release-pending "$e")"
        check "usb: DCD $name: the host releases them (4803h)" \
            "^usb dcd $name host-release /dev/cxl/mem[0-9]+ extents $e: done$"
        check "usb: DCD $name: gone from both lists, the generation numbers changed" \
            "^usb dcd $name $(lists_re after-release none)"
    else
        check "usb: DCD $name: the host rejects the add (4802h with no extent)" \
            "^usb dcd $name host-add-response-reject /dev/cxl/mem[0-9]+ extents none: done$"
        check "usb: DCD $name: nothing added on either side" \
            "^usb dcd $name $(lists_re after-add-response none)"
    fi
}
dcd_checks one-extent "$(ext 0 1)" 1 0 accepted
dcd_checks two-extents "$(ext 2 1),$(ext 4 2)" 2 1,0 accepted
dcd_checks rejected "$(ext 0 1)" 1 0 rejected
check "usb: DCD flow done with FM and host agreeing at every step" \
    "^usb dcd eid [0-9]+ /dev/cxl/mem[0-9]+: an extent added, accepted and released, two in one add \(More flag\) and an add rejected, FM and host agreeing at every step$"

# --- Managing the fabric: a vPPB unbound and bound again, over each ---------
# switch endpoint, as FM-API and the host see it; the host uses the
# persistent memory before the unbind and after the bind
pmem_sn=$(hex "$CXL_PMEM_SN")
endpoint_re="^host sn $pmem_sn: mem[0-9]+ endpoint[0-9]+ bound to cxl_port, decoders decoder[0-9]+\\.0(,decoder[0-9]+\\.[0-9]+)*\$"
region_re() { # HOW: the region line, the namespace made (new) or from the labels
    echo "^region sn $pmem_sn: region[0-9]+ of decoder[0-9]+\\.[0-9]+ on decoder[0-9]+\\.0, $(bytes "$CXL_PMEM_SIZE") bytes, committed; region[0-9]+ namespace[0-9]+\\.[0-9]+ \\($1\\) /dev/pmem[0-9]+\$"
}
teardown_re="^region sn $pmem_sn: region[0-9]+ torn down: namespace[0-9]+\\.[0-9]+ disabled, region deleted, decoder[0-9]+\\.0 free\$"
for t in usb i2c; do
    # This transport's bind cycle, without its prefix: up to the unbind,
    # and from the bind on
    cycle=$(sed -n "s/^$t //p" <<<"$client" | sed -n '/^bind-cycle /,$p')
    before=$(sed -n '1,/^unbind eid /p' <<<"$cycle")
    after=$(sed -n '/^bind eid /,$p' <<<"$cycle")
    check "$t: the bind cycle takes vPPB 0 (port 0, $CXL_PMEM_ID), which the host sees" \
        "^$t bind-cycle eid [0-9]+ vppb 0 port 0 sn $(hex "$CXL_PMEM_SN") pci [0-9a-f:.]+ mem[0-9]+$"
    check "$t: Unbind vPPB runs in the background and leaves vPPB 0 unbound" \
        "^$t unbind eid [0-9]+ vppb 0: done in [0-9.]+ s, vppb unbound$"
    check "$t: the unbound port's link is down (LTSSM Detect)" \
        "^$t port 0 state dsp device [a-z0-9-]+ .* ltssm detect perst 0$"
    check "$t: the host's hot-plug driver removed the PCI device and its CXL memdev" \
        "^$t host sn $(hex "$CXL_PMEM_SN"): pci [0-9a-f:.]+ and its memdev gone in [0-9.]+ s$"
    check "$t: Bind vPPB binds vPPB 0 to port 0 again" \
        "^$t bind eid [0-9]+ vppb 0: done in [0-9.]+ s, vppb bound port 0$"
    tap_match "$t: before the unbind, $CXL_PMEM_ID's endpoint port is bound to cxl_port with its decoders" \
        "$before" "$endpoint_re"
    # The first cycle of the boot makes the namespace, the second finds it
    # in the LSA; either way, after the bind it must come from the labels.
    tap_match "$t: before the unbind, a pmem region through sysfs: root decoder, endpoint decoder, namespace, /dev/pmemN" \
        "$before" "$(region_re '(new, labels written|from the labels)')"
    tap_match "$t: before the unbind, a run-specific pattern written to /dev/pmemN (first, last, middle blocks) and read back" \
        "$before" "^pattern sn $pmem_sn: /dev/pmem[0-9]+ seed 0x[0-9a-f]+ written to 4 blocks \\(first, last and between\\) and read back\$"
    tap_match "$t: before the unbind, the region torn down (namespace disabled, region deleted, DPA freed)" \
        "$before" "$teardown_re"
    tap_match "$t: after the bind, the endpoint port probed again with its decoders" \
        "$after" "$endpoint_re"
    tap_match "$t: after the bind, a new region's namespace comes back from the labels in the LSA" \
        "$after" "$(region_re 'from the labels')"
    tap_match "$t: the host found the device again (PCI, memdev, endpoint) and reads back through /dev/pmemN the pattern written before the unbind" \
        "$after" "^host sn $pmem_sn: pci [0-9a-f:.]+, mem[0-9]+ and endpoint[0-9]+ back in [0-9.]+ s; region[0-9]+ /dev/pmem[0-9]+ reads back the pattern written before the unbind\$"
    tap_match "$t: after the bind, the region torn down again" "$after" "$teardown_re"
done

# --- The kernel's view of it all ---------------------------------------------
# The kernel prints to the console until /init quiets it, and the guest
# prints the kernel's warnings and errors ("GUEST: kmsg") after the client:
# no CXL port may have failed to probe, no range register been refused.
tap_kmsg_clean "" "$out"

check "no client step failed" "^ok$"
[ "$status" = 0 ] && grep -q '^GUEST: client exit=0$' <<<"$out"
tap_result "client exited 0 and the guest powered off" $? "QEMU status $status"
tap_end client "$client" "$log"
