#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# host-fm-test.sh: a fabric manager on the machine that runs QEMU, reaching
# the emulated switch over MCTP over a serial line (DSP0253), as the
# README's "A fabric manager on the host" describes it: QEMU with the
# default topology and a cxl-mctp-serial endpoint on the switch whose
# chardev is a listening unix socket; socat joins that socket to a pty;
# ldattach puts the MCTP line discipline (N_MCTP, 28) on the pty, which
# makes an mctpserialN link of the host kernel; the FM client
# (cxl-mctp-client, the guest's, a static binary) sets the link up in an
# MCTP network of its own (no route of the host's other MCTP links is
# touched), gives the endpoint an EID and describes the switch.
#
# It needs root, a host kernel with AF_MCTP and the mctp-serial line
# discipline (CONFIG_MCTP, CONFIG_MCTP_SERIAL), socat and ldattach
# (util-linux).  Without them the test is skipped, saying which is
# missing ("1..0 # SKIP ..."): it never fails for what the host lacks.
# TAP output.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/common.sh"
. "$here/../guest/tap.sh"

NET=${HOST_FM_NET:-4242}        # the MCTP network of the test's link
client=$GUEST/extra/bin/cxl-mctp-client

skip() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "not root (N_MCTP and MCTP addresses need CAP_NET_ADMIN)"
# AF_MCTP (45): EAFNOSUPPORT without CONFIG_MCTP
if ! err=$("$PYTHON" -c 'import socket; socket.socket(45, socket.SOCK_DGRAM).close()' 2>&1); then
    skip "the host kernel ($(uname -r)) has no AF_MCTP sockets (CONFIG_MCTP): ${err##*: }"
fi
# N_MCTP (28) on a pty: EINVAL without CONFIG_MCTP_SERIAL
if ! err=$("$PYTHON" - 2>&1 <<'EOF'
import fcntl, os, struct, termios
m, s = os.openpty()
try:
    fcntl.ioctl(s, termios.TIOCSETD, struct.pack('i', 28))
finally:
    os.close(s)
    os.close(m)
EOF
); then
    skip "the host kernel ($(uname -r)) has no MCTP line discipline N_MCTP (CONFIG_MCTP_SERIAL): ${err##*: }"
fi
for tool in socat ldattach; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (make deps)"
done
for f in "$QEMU" "$client"; do
    [ -x "$f" ] || { echo "Bail out! $f missing (run make)"; exit 1; }
done
"$QEMU" -device help 2>/dev/null | grep -q '"cxl-mctp-serial"' ||
    { echo "Bail out! $QEMU has no cxl-mctp-serial device (run make)"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/cxl-mctp-host-fm.XXXXXX")
qemu_pid='' socat_pid='' ldattach_pid=''
cleanup() {
    local p
    for p in $ldattach_pid $socat_pid $qemu_pid; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

# wait_for COMMAND...: up to 10 s for COMMAND to succeed
wait_for() {
    for _ in $(seq 100); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

export CXL_MCTP_SERIAL_DIR=$dir CXL_MCTP_I2C=0
. "$REPO/scripts/topology.sh"
default_topology_args
# No guest: the endpoints are out of band, QEMU's main loop serves them
"$QEMU" "${TOPOLOGY_ARGS[@]}" -nodefaults -display none -serial none \
    -monitor none </dev/null >"$dir/qemu.log" 2>&1 &
qemu_pid=$!
wait_for test -S "$dir/$SERIAL_MCTP_USP_SOCK"
tap_result "QEMU listens on the switch endpoint's socket" $? \
    "$(tail -n 5 "$dir/qemu.log" | paste -sd'|' -)"

# socat: the socket to a pty ($dir/tty), raw
socat "PTY,link=$dir/tty,rawer" "UNIX-CONNECT:$dir/$SERIAL_MCTP_USP_SOCK" \
    2>"$dir/socat.log" &
socat_pid=$!
wait_for test -e "$dir/tty"
tap_result "socat joins the socket to a pty" $? "$(cat "$dir/socat.log")"

# ldattach: N_MCTP on the pty, the link mctpserialN the one that is new
links() {
    local l
    for l in /sys/class/net/mctpserial*; do
        [ -e "$l" ] && echo "${l##*/}"
    done | sort
}
before=$(links)
ldattach -d 28 "$(readlink -f "$dir/tty")" 2>"$dir/ldattach.log" &
ldattach_pid=$!
link=
for _ in $(seq 50); do
    link=$(comm -13 <(echo "$before") <(links) | head -n 1)
    [ -n "$link" ] && break
    sleep 0.1
done
[ -n "$link" ]
tap_result "ldattach 28 (N_MCTP) on the pty makes an MCTP link" $? \
    "$(cat "$dir/ldattach.log")"
echo "# link ${link:-none}, MCTP network $NET"

out=
if [ -n "$link" ]; then
    out=$(timeout 60 "$client" demo --link "$link" --net "$NET" 2>&1 |
          sed -n 's/^CLIENT: //p')
fi
tap_match "the client gives the endpoint an EID over $link (Get/Set Endpoint ID)" \
    "$out" "^setup $link set-eid ([0-9]+) accepted eid \\1 "
tap_match "the endpoint lists CXL FM-API and CCI" "$out" \
    "^link $link eid [0-9]+ types 07,08 uuid [0-9a-f-]{36}$"
tap_match "the switch identifies with its serial number" "$out" \
    "^serial identify eid [0-9]+ type switch sn $(hex "$CXL_USP_SN") "
tap_match "the switch reports $((CXL_NUM_DSPS + 1)) physical ports" "$out" \
    "^serial switch eid [0-9]+ ports $((CXL_NUM_DSPS + 1)) "
tap_match "a tunnelled Identify reaches $CXL_PMEM_ID" "$out" \
    "^serial tunnel port 0 sn $(hex "$CXL_PMEM_SN") type 3 "
tap_match "a 1 KiB CEL read arrives intact" "$out" \
    "^serial cel eid [0-9]+ bytes 1024 entries [1-9][0-9]* sum 0x[0-9a-f]+ intact "
tap_match "no client step failed" "$out" '^ok$'
tap_end client "$out" "(not kept)"
