#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# reboot-test.sh: boot the guest on the default topology (scripts/topology.sh)
# WITHOUT -no-reboot, in cxlmctp.mode=reboot: the guest reports what it sees
# (each CXL memdev with its endpoint port and that port's driver), prints
# the kernel's warnings and errors and reboots with reboot -f; QEMU resets
# the machine and the same kernel and /init come up again.  When the second
# boot has reported ("GUEST: rebooting" a second time), QEMU is stopped.
# Every type 3 device must have its endpoint port bound to cxl_port in both
# boots (a reset device comes back as at power-on, so Linux can enable
# its memory decode again), and no "failed probe" or "decodes outside"
# line may appear.  TAP output; the console log is $GUEST/reboot-test.log.
#
# Environment: BOOT_TIMEOUT  seconds for both boots (default 240)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
. "$here/../../scripts/common.sh"
# shellcheck source=tests/guest/tap.sh
. "$here/tap.sh"
# shellcheck source=scripts/topology.sh
. "$REPO/scripts/topology.sh"

timeout_s=${BOOT_TIMEOUT:-240}
log=$GUEST/reboot-test.log
for f in "$QEMU" "$GUEST/bzImage" "$GUEST/initramfs.cpio"; do
    [ -e "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done

default_topology_args
# No -no-reboot: the guest's reboot resets the machine and boots again.
cmd=("$QEMU" "${TOPOLOGY_ARGS[@]}" -nodefaults -nographic -serial mon:stdio
     -kernel "$GUEST/bzImage" -initrd "$GUEST/initramfs.cpio"
     -append "$(guest_append reboot)")
echo "# ${cmd[*]}"
start=$(date +%s.%N)
"${cmd[@]}" </dev/null >"$log" 2>&1 &
qemu=$!
trap 'kill "$qemu" 2>/dev/null' EXIT
# The second boot's "GUEST: rebooting" (the console's lines end in \r),
# bounded by the timeout; tail stops with QEMU too.
seen=$(grep -m 2 -c '^GUEST: rebooting' \
           < <(timeout "$timeout_s" tail -n +1 -f --pid="$qemu" "$log"))
[ "$seen" = 2 ]
synced=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if kill -0 "$qemu" 2>/dev/null; then
    kill "$qemu"
    qemu_status="stopped by the test"
else
    wait "$qemu"
    qemu_status="exited by itself with status $?"
fi
wait "$qemu" 2>/dev/null
trap - EXIT
seen=seen
[ "$synced" = 0 ] || seen="not seen within $timeout_s s"
printf '# the second boot'"'"'s "GUEST: rebooting" %s after %.1f s; QEMU %s\n' \
    "$seen" "$elapsed" "$qemu_status"

console=$(tr -d '\r' <"$log")
# boot N: the console from the Nth kernel banner to the next (the kernel's
# own lines before /init quiets it, then the guest's report)
boot() {
    awk -v n="$1" '/Linux version / { b++ } b == n' <<<"$console"
}
boot1=$(boot 1)
boot2=$(boot 2)

# summary N KEY: KEY= of boot N's summary line
summary() {
    local text
    text=$([ "$1" = 1 ] && echo "$boot1" || echo "$boot2")
    sed -n "s/^GUEST: summary .* $2=\\([0-9]*\\).*/\\1/p" <<<"$text"
}
# endpoint N SERIAL: "endpointK cxl_port" of the memdev with that serial
endpoint() {
    local text
    text=$([ "$1" = 1 ] && echo "$boot1" || echo "$boot2")
    sed -nE "s/^GUEST: cxl mem[0-9]+ .* serial=$(hex "$2") .* endpoint=([^ ]+) endpoint_driver=([^ ]+).*/\\1 \\2/p" <<<"$text"
}

boots=$(grep -c '^GUEST: begin ' <<<"$console")
[ "$synced" = 0 ] && [ "$boots" -ge 2 ]
tap_result "the guest rebooted (no -no-reboot) and the second boot reported" $? \
    "$boots boots began, the second one's 'GUEST: rebooting' $seen"
for b in 1 2; do
    what=$([ "$b" = 1 ] && echo "first boot" || echo "after the reboot")
    text=$([ "$b" = 1 ] && echo "$boot1" || echo "$boot2")
    memdevs=$(summary "$b" cxl_memdevs)
    bound=$(summary "$b" cxl_memdevs_with_endpoint)
    [ "${memdevs:-x}" = "$CXL_NUM_MEMDEVS" ]
    tap_result "$what: $CXL_NUM_MEMDEVS CXL memdevs" $? "memdevs: ${memdevs:-no summary line}"
    # The DCD has no static capacity, but Linux makes it a memdev with an
    # endpoint port all the same: every type 3 device has one.
    [ "${bound:-x}" = "$CXL_NUM_MEMDEVS" ]
    tap_result "$what: every memdev's endpoint port bound to cxl_port ($CXL_NUM_MEMDEVS)" $? \
        "memdevs with a bound endpoint port: ${bound:-no summary line}"
    for sn in "$CXL_PMEM_SN" "$CXL_DCD_SN"; do
        ep=$(endpoint "$b" "$sn")
        sn=$(hex "$sn")
        [[ "$ep" =~ ^endpoint[0-9]+\ cxl_port$ ]]
        tap_result "$what: the memdev with serial $sn has its endpoint port, bound to cxl_port" $? \
            "endpoint and driver: ${ep:-no memdev with that serial}"
    done
    tap_kmsg_clean "$what: " "$text"
done
tap_end "guest report" "$(grep -E '^GUEST: (begin|wait|cxl mem|summary|kmsg|rebooting)' <<<"$console")" "$log"
