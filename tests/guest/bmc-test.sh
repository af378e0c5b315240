#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bmc-test.sh: the two-VM set-up of `make run ARGS=bmc` (scripts/run.sh
# bmc), checked.  The managed host VM has the default topology plus two
# cxl-mctp-serial endpoints (the switch's and the persistent-memory
# device's) on unix sockets; a second, small VM, the BMC, has its serial
# ports on those sockets, puts N_MCTP on them and, with cxl-mctp-client
# over the mctpserialN links, describes the fabric and unbinds and binds
# the vPPB of the persistent-memory device.  Checked: what the BMC reads
# of the fabric over mctp-serial against the topology (scripts/topology.sh),
# as fm-client-test.sh checks it over USB and I2C; that the host VM's
# Linux loses the device at the unbind (pciehp removes the PCI function and
# its CXL memdev) and gets it back at the bind, usable: its endpoint port
# probes, and a region made after the bind reads back the pattern the host
# wrote before the unbind; that both VMs power off.  TAP output; bounded by
# BMC_TEST_TIMEOUT (default 280 s).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/common.sh"
. "$here/tap.sh"
. "$REPO/scripts/topology.sh"
. "$here/fabric-checks.sh"

timeout_s=${BMC_TEST_TIMEOUT:-280}
log=${BMC_TEST_LOG:-$GUEST/bmc-test.log}
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done
"$QEMU" -device help 2>/dev/null | grep -q '"cxl-mctp-serial"' ||
    { echo "Bail out! $QEMU has no cxl-mctp-serial device (run make)"; exit 1; }

echo "# scripts/run.sh bmc: host VM, then the BMC VM over mctp-serial (log: $log)"
start=$(date +%s.%N)
# run.sh stops both QEMUs when it is stopped; -k: if it hangs even so
timeout -k 10 "$timeout_s" "$REPO/scripts/run.sh" bmc </dev/null >"$log" 2>&1
status=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "# both VMs done in $(printf '%.1f' "$secs") s (run.sh status $status)"
out=$(tr -d '\r' <"$log")
host=$(sed -n 's/^host | //p' <<<"$out")
bmc=$(sed -n 's/^bmc  | //p' <<<"$out")
hclient=$(sed -n 's/^CLIENT: //p' <<<"$host")
bclient=$(sed -n 's/^CLIENT: //p' <<<"$bmc")
for what in "host:$host" "bmc:$bmc"; do
    up=$(sed -n 's/^GUEST: done uptime=\([0-9.]*\)$/\1/p' <<<"${what#*:}")
    echo "# ${what%%:*} VM: report done at uptime ${up:-?} s"
done

check() { tap_match "$1" "$bclient" "$2"; }   # DESCRIPTION ERE (BMC)
hcheck() { tap_match "$1" "$hclient" "$2"; }  # DESCRIPTION ERE (host)
pmem_sn=$(hex "$CXL_PMEM_SN")

# --- The host, before the BMC comes up -----------------------------------------
hcheck "host: sees $CXL_PMEM_ID (sn $pmem_sn) at boot: its PCI function and memdev" \
    "^host-watch sn $pmem_sn: pci [0-9a-f:.]+ mem[0-9]+$"
hcheck "host: a pmem region on it, a pattern written through /dev/pmemN and read back" \
    "^pattern sn $pmem_sn: /dev/pmem[0-9]+ seed 0x[0-9a-f]+ written to 4 blocks \\(first, last and between\\) and read back$"
hcheck "host: the region torn down, ready for the fabric manager" \
    "^host-watch sn $pmem_sn: ready; waiting up to [0-9]+ s "

# --- The BMC's serial links ----------------------------------------------------
tap_count "bmc: N_MCTP on ttyS1 and ttyS2 makes two mctpserialN links" \
    "$bclient" '^ldisc /dev/ttyS[12] N_MCTP link mctpserial[0-9]+$' "$SERIAL_NUM_MCTP"
tap_count "bmc: Get Endpoint ID over each link: no EID yet, simple endpoint" \
    "$bclient" '^setup mctpserial[0-9]+ get-eid eid 0 endpoint simple ' "$SERIAL_NUM_MCTP"
tap_count "bmc: Set Endpoint ID accepted on each link" \
    "$bclient" '^setup mctpserial[0-9]+ set-eid ([0-9]+) accepted eid \1 ' "$SERIAL_NUM_MCTP"
tap_count "bmc: both serial links up, endpoints given EIDs, types 07,08 and a UUID" \
    "$bclient" '^link mctpserial[0-9]+ eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$' \
    "$SERIAL_NUM_MCTP"

# --- The fabric over mctp-serial, as over USB and I2C ---------------------------
t=serial
switch_checks "$t"
pmem_checks "$t"
tap_count "$t: Set Timestamp then Get Timestamp on both endpoints" \
    "$bclient" "^$t timestamp eid [0-9]+ [1-9][0-9]+ ns \\(20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC\\) set$" \
    "$SERIAL_NUM_MCTP"
tap_count "$t: response message limit raised to 1 KiB on both endpoints" \
    "$bclient" "^$t response-limit eid [0-9]+ 1024 bytes$" "$SERIAL_NUM_MCTP"
tap_count "$t: a 1 KiB Get Log of the CEL arrives intact in $(packets 68) packets (MTU 68) from both endpoints" \
    "$bclient" "^$t cel eid [0-9]+ bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact packets $(packets 68)$" \
    "$SERIAL_NUM_MCTP"

# --- The bind cycle: the BMC's side ------------------------------------------------
check "$t: the BMC takes vPPB 0 (port 0, $CXL_PMEM_ID) for the bind cycle" \
    "^$t bind-cycle eid [0-9]+ vppb 0 port 0 sn $pmem_sn \\(the host is another machine\\)$"
check "$t: Unbind vPPB runs in the background and leaves vPPB 0 unbound" \
    "^$t unbind eid [0-9]+ vppb 0: done in [0-9.]+ s, vppb unbound$"
check "$t: the unbound port's link is down (LTSSM Detect)" \
    "^$t port 0 state dsp device [a-z0-9-]+ .* ltssm detect perst 0$"
check "$t: the host's hot-plug driver took the slot's events and its power indicator is off (read by the BMC with 5103h)" \
    "^$t port 0 slot events taken, power indicator off after [0-9.]+ s: the host let the device go$"
check "$t: Bind vPPB binds vPPB 0 to port 0 again" \
    "^$t bind eid [0-9]+ vppb 0: done in [0-9.]+ s, vppb bound port 0$"
check "$t: the host took the device back: slot events taken, power indicator on" \
    "^$t port 0 slot events taken, power indicator on after [0-9.]+ s: the host took the device back$"
check "$t: after the bind, $CXL_PMEM_ID answers through the switch again" \
    "^$t bind-cycle eid [0-9]+ vppb 0 port 0: sn $pmem_sn unbound and bound again, answering through the switch$"

# --- The bind cycle: the host's side -------------------------------------------------
hcheck "host: Linux lost the device at the unbind (pciehp removed the PCI function and its memdev)" \
    "^host sn $pmem_sn: pci [0-9a-f:.]+ and its memdev gone in [0-9.]+ s$"
hcheck "host: the device back after the bind, endpoint port probed with its decoders" \
    "^host sn $pmem_sn: mem[0-9]+ endpoint[0-9]+ bound to cxl_port, decoders decoder[0-9]+\\.0(,decoder[0-9]+\\.[0-9]+)*$"
hcheck "host: a new region on it reads back the pattern written before the unbind" \
    "^host sn $pmem_sn: pci [0-9a-f:.]+, mem[0-9]+ and endpoint[0-9]+ back in [0-9.]+ s; region[0-9]+ /dev/pmem[0-9]+ reads back the pattern written before the unbind$"
tap_match "host: pciehp saw the card go" "$host" '^GUEST: hotplug text=".*Card not present'
tap_match "host: pciehp saw the card come back" "$host" '^GUEST: hotplug text=".*Card present'

# --- Both kernels' logs, both clients, both VMs off ------------------------------------
tap_kmsg_clean "host: " "$host"
tap_kmsg_clean "bmc: " "$bmc"
tap_match "host: no client step failed" "$hclient" '^ok$'
tap_match "bmc: no client step failed" "$bclient" '^ok$'
grep -q '^GUEST: host-watch exit=0$' <<<"$host" && grep -q '^GUEST: client exit=0$' <<<"$bmc" &&
    grep -q 'reboot: Power down' <<<"$host" && grep -q 'reboot: Power down' <<<"$bmc" &&
    [ "$status" = 0 ]
tap_result "both clients exited 0 and both VMs powered off (within $timeout_s s)" $? \
    "run.sh status $status"
tap_end "run.sh bmc" "$out" "$log"
