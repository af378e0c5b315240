# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# What the fabric manager client reports of the default topology, checked
# the same over every transport (fm-client-test.sh: USB and I2C;
# bmc-test.sh: serial).  Source it after tap.sh and scripts/topology.sh;
# the caller defines check DESCRIPTION ERE, matched against its client's
# lines.

# bytes SIZE: SIZE (as numfmt reads it, 256M) in hex
bytes() { printf '%#x' "$(numfmt --from=iec "$1")"; }
# packets MTU: MCTP packets of a 1 KiB CEL read: message type, CCI header
# and 1024 bytes in packets of MTU - 4 bytes of payload
packets() { echo $(( (1 + 12 + 1024 + $1 - 5) / ($1 - 4) )); }

# switch_checks TRANSPORT: the fabric as the switch's CCI describes it
switch_checks() {
    local t=$1 p
    check "$t: switch identifies over CCI with its serial number" \
        "^$t identify eid [0-9]+ type switch sn $(hex "$CXL_USP_SN") "
    check "$t: switch reports $((CXL_NUM_DSPS + 1)) physical ports and vPPBs" \
        "^$t switch eid [0-9]+ ports $((CXL_NUM_DSPS + 1)) vcss 1 vppbs $((CXL_NUM_DSPS + 1))/$((CXL_NUM_DSPS + 1)) "
    for p in $(seq 0 $((CXL_NUM_DSPS - 1))); do
        check "$t: physical port $p is a downstream port" "^$t port $p state dsp "
    done
    check "$t: physical port $CXL_USP_PORT is the upstream port" \
        "^$t port $CXL_USP_PORT state usp "
    check "$t: tunnel to port 0 reaches $CXL_PMEM_ID" \
        "^$t tunnel port 0 sn $(hex "$CXL_PMEM_SN") type 3 "
    check "$t: tunnel to port 1 reaches $CXL_DCD_ID" \
        "^$t tunnel port 1 sn $(hex "$CXL_DCD_SN") type 3 "
}

# pmem_checks TRANSPORT: the persistent-memory device as its own
# endpoint's CCI describes it
pmem_checks() {
    local t=$1
    check "$t: the persistent-memory device identifies with its serial number" \
        "^$t identify eid [0-9]+ type type3 sn $(hex "$CXL_PMEM_SN") "
    check "$t: Identify Memory Device: $CXL_PMEM_SIZE persistent, $CXL_LSA_SIZE of LSA" \
        "^$t memdev eid [0-9]+ fw \"BWFW VERSION 00\" capacity $(bytes "$CXL_PMEM_SIZE") volatile 0x0 persistent $(bytes "$CXL_PMEM_SIZE") lsa $(bytes "$CXL_LSA_SIZE")$"
    check "$t: Get Health Info of the persistent-memory device: healthy" \
        "^$t health eid [0-9]+ status 0x00 media normal life-used n/a temperature n/a dirty-shutdowns 0$"
    check "$t: Get LD Info of the persistent-memory device: $CXL_PMEM_SIZE, one LD" \
        "^$t ld-info eid [0-9]+ size $(bytes "$CXL_PMEM_SIZE") lds 1$"
    check "$t: no dynamic capacity on the persistent-memory device" \
        "^$t dcd-info eid [0-9]+ none$"
}
