#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Seed corpora and dictionary of the CXL MCTP fuzz targets
# (tests/qtest/fuzz/cxl_mctp_fuzz.c): the messages the qtests send, in the
# targets' input format.  Writes the seeds into tests/fuzz/corpus/<target>/
# (where the inputs the campaigns found, min-*, stay) and
# tests/fuzz/cxl-mctp.dict.
#
#   tests/fuzz/gen-corpus.py [REPO]
#
# An input is a sequence of operations: an op byte and its arguments
# (see the comment at the top of cxl_mctp_fuzz.c).

import hashlib
import os
import re
import struct
import sys

REPO = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, 'tests', 'fuzz')

(OP_RAW, OP_PACKET, OP_MULTI, OP_MESSAGE, OP_CXL, OP_DRAIN, OP_STEP,
 OP_SWITCH, OP_CONTROL, OP_CLEAR, OP_IN) = range(11)

DEST_NULL, DEST_EP0, DEST_BCAST = 0, 1, 2
TYPE_CONTROL, TYPE_FMAPI, TYPE_CCI = 0x00, 0x07, 0x08
HOST_EID = 0x10
CEL_UUID = bytes.fromhex('0da9c0b5bf414b78 8f7996b1623b3f17'.replace(' ', ''))


def u16(v):
    return struct.pack('<H', v)


def control(cmd, data=b'', dest=DEST_NULL, tag=1, iid=1):
    body = bytes([0x80 | iid, cmd]) + data
    return bytes([OP_MESSAGE, dest, 0x08 | tag, TYPE_CONTROL, 0]) + \
        u16(len(body)) + body


def cxl(opcode, payload=b"", cci=None, dest=DEST_NULL, tag=1, mtu=None):
    if cci is None:
        # The generic and memory device sets over CCI, the FM-API over its own
        cci = opcode < 0x5000
    sel = (1 if cci else 0) | (tag & 7) << 2
    op = opcode
    if mtu is not None:
        # bit 7: the packet size comes from the opcode's low byte
        sel |= 0x80
    return bytes([OP_CXL, dest, sel]) + u16(op) + u16(len(payload)) + \
        payload


def packet(hdr_flags, body, dest=0):
    pkt = bytes([0x01, dest, HOST_EID, hdr_flags]) + body
    return bytes([OP_PACKET, len(pkt)]) + pkt


def drain():
    return bytes([OP_DRAIN])


def switch(ep):
    return bytes([OP_SWITCH, ep])


def step(shift):
    return bytes([OP_STEP, shift])


def get_log_in(offset, length, uuid=CEL_UUID):
    return uuid + struct.pack('<II', offset, length)


def tunnel(port, inner_opcode, inner_payload=b''):
    inner = bytes([0, 0x5a, 0]) + u16(inner_opcode) + \
        struct.pack('<I', len(inner_payload))[:3] + b'\0\0\0\0' + \
        inner_payload
    return bytes([port, 0]) + u16(len(inner)) + inner


def dc_extents(n, base, length, region=0):
    hdr = struct.pack('<HBBI', 0, 1, region, n) + bytes(0x20 - 8)
    ext = b''
    for i in range(n):
        ext += struct.pack('<QQH', base + i * length, length, 0) + bytes(6)
    return bytes([0]) + hdr[1:] + ext


# The qtests' messages, one seed each (the same for every transport)
SEEDS = {
    'ctrl-get-eid': control(0x02),
    'ctrl-set-eid': control(0x01, bytes([0x00, 0x08])) + control(0x02, dest=DEST_EP0),
    'ctrl-versions': control(0x04, bytes([0xff])) + control(0x04, bytes([0x07])) +
    control(0x04, bytes([0x08])) + control(0x04, bytes([0x00])),
    'ctrl-types-uuid': control(0x05) + control(0x03),
    'ctrl-unsupported': control(0x3f),
    'fmapi-identify': cxl(0x0001),
    'fmapi-identify-switch': cxl(0x5100),
    'fmapi-phys-port-state': cxl(0x5101, bytes([4, 0, 1, 2, 3])),
    'fmapi-vcs-info': cxl(0x5200, bytes([0, 1, 0, 4])),
    'fmapi-bind-unbind': cxl(0x5201, bytes([0, 2, 2, 0, 0xff, 0xff])) + step(27) +
    cxl(0x5202, bytes([0, 0, 0])) + step(27) + cxl(0x0002),
    'fmapi-phys-port-control': cxl(0x5102, bytes([2, 1])),
    'fmapi-get-supported-logs': cxl(0x0400),
    'fmapi-get-log-cel': cxl(0x0401, get_log_in(0, 0x400)),
    'fmapi-get-log-offset': cxl(0x0401, get_log_in(0x40, 0x80)),
    'fmapi-log-caps-sublist': cxl(0x0402, CEL_UUID) + cxl(0x0405, bytes([8, 0])),
    'fmapi-rsp-limit': cxl(0x0003) + cxl(0x0004, bytes([10])) +
    cxl(0x0401, get_log_in(0, 0x400)),
    'fmapi-timestamp': cxl(0x0300) + cxl(0x0301, struct.pack('<Q', 1 << 40)),
    'fmapi-tunnel-identify': cxl(0x5300, tunnel(1, 0x0001)),
    'fmapi-tunnel-ld-info': cxl(0x5300, tunnel(0, 0x5400)),
    'fmapi-tunnel-dcd-info': cxl(0x5300, tunnel(1, 0x5600)),
    'fmapi-ppb-config': cxl(0x5103, bytes([0, 0, 0, 0]) + bytes(4)),
    'ep1-identify': switch(1) + cxl(0x0001) + cxl(0x0001, cci=True),
    'ep1-memdev': switch(1) + cxl(0x4000, cci=True) + cxl(0x4100, cci=True) +
    cxl(0x4200, cci=True) + cxl(0x4203, cci=True),
    'ep1-events': switch(1) + cxl(0x0100, bytes([0]), cci=True) +
    cxl(0x0101, bytes([0, 1, 0, 0, 1, 0]), cci=True),
    'ep1-dcd': switch(1) + cxl(0x5600) + cxl(0x5601, bytes([0, 0, 0, 2])) +
    cxl(0x5603, bytes(12)),
    'ep1-dc-add': switch(1) + cxl(0x5604, dc_extents(2, 0, 0x200000)) + step(20) +
    cxl(0x4801, bytes(8), cci=True),
    'ep1-dc-release': switch(1) + cxl(0x5605, dc_extents(1, 0, 0x200000)),
    'ep1-ld-qos': switch(1) + cxl(0x5400) + cxl(0x5401, bytes([0, 1])) +
    cxl(0x5403) + cxl(0x5405) + cxl(0x5406, bytes([0, 1])),
    'ep1-features': switch(1) + cxl(0x0500, struct.pack('<IHH', 0x400, 0, 0), cci=True),
    'ep1-poison-scan': switch(1) + cxl(0x4300, bytes(16), cci=True) +
    cxl(0x4304, bytes(17), cci=True) + step(30) + cxl(0x4305, cci=True),
    'ep1-shutdown-state': switch(1) + cxl(0x4204, bytes([1]), cci=True) +
    cxl(0x4203, cci=True),
    # Multi-packet requests: payloads larger than one packet
    'multi-packet-transfer-fw': switch(1) + cxl(0x0201, bytes([1, 0]) + bytes(0x7e) + bytes(range(200)), cci=True),
    'multi-packet-set-lsa': switch(1) + cxl(0x4103, bytes(8) + bytes(range(256)) * 2, cci=True),
    'multi-packet-big-mtu': switch(1) + cxl(0x0401, get_log_in(0, 0x400), mtu=True) +
    bytes([OP_MESSAGE, DEST_NULL, 0x09, TYPE_FMAPI, 0xff]) + u16(300) + bytes(300),
    # Framing: single packets with their flags given
    'packet-som-no-eom': packet(0xc8 & ~0x40, bytes([TYPE_FMAPI]) + bytes(60)) +
    packet(0xc9, bytes([TYPE_CONTROL, 0x81, 0x02])),
    'packet-bad-seq': packet(0x88, bytes([TYPE_FMAPI]) + bytes(63)) +
    packet(0x68, bytes(10)),
    'packet-eom-only': packet(0x48, bytes(20)),
    'packet-broadcast': packet(0xc8, bytes([TYPE_CONTROL, 0x81, 0x02]), dest=0xff),
    'clock-steps': cxl(0x4400, cci=True) + step(33) + cxl(0x0002) + step(10),
}

USB_SEEDS = {
    'usb-raw-transfer': bytes([OP_RAW]) + u16(11) +
    bytes([0x1a, 0xb4, 0, 11, 1, 0, HOST_EID, 0xc8, 0, 0x81, 0x02]),
    'usb-raw-bad-id': bytes([OP_RAW]) + u16(11) +
    bytes([0x1a, 0xb5, 0, 11, 1, 0, HOST_EID, 0xc8, 0, 0x81, 0x02]),
    'usb-zlp': bytes([OP_RAW, 0, 0]),
    'usb-two-packets': bytes([OP_MULTI, 1, 7]) +
    bytes([1, 0, HOST_EID, 0xc9, 0, 0x81, 0x02]) + bytes([7]) +
    bytes([1, 0, HOST_EID, 0xca, 0, 0x82, 0x05]),
    'usb-control-get-descriptor': bytes([OP_CONTROL, 0x80, 0x06, 0, 1, 0, 0, 18, 0]),
    'usb-control-config': bytes([OP_CONTROL, 0x80, 0x06, 0, 2, 0, 0, 0xff, 0]),
    'usb-short-in': cxl(0x0401, get_log_in(0, 0x400)) + bytes([OP_IN, 16, 0]) +
    bytes([OP_CLEAR, 1]),
}

# xHCI: the IN held posted when the device is reconfigured (it ends the
# held IN with an error: the endpoint halts), then cleared
XHCI_SEEDS = {
    'xhci-reconfigure-in-held': bytes([OP_DRAIN]) +
    bytes([OP_CONTROL, 0x00, 0x09, 1, 0, 0, 0, 0, 0]) + bytes([OP_DRAIN]) +
    control(0x02) + bytes([OP_CLEAR, 1]) + control(0x02),
}

I2C_SEEDS = {
    'i2c-raw-bad-pec': bytes([OP_RAW]) + u16(11) +
    bytes([0x0f, 8, HOST_EID << 1 | 1, 1, 0, HOST_EID, 0xc8, 0, 0x81, 0x02, 0]),
    'i2c-raw-short': bytes([OP_RAW, 2, 0, 0x0f, 1]),
    'i2c-read': bytes([OP_IN, 4]) + bytes([OP_MULTI, 1, 0x0f, 4]),
    'i2c-no-such-address': bytes([OP_SWITCH, 0x80 | 0x33]) + control(0x02),
}


def sweep_seeds():
    # Every opcode of the sweep test's table with its minimum payload
    # length (zeros), over CCI and FM-API, to both endpoints: one seed per
    # command set, so that campaigns start past the handlers' length
    # checks
    sweep = open(os.path.join(REPO, 'tests', 'qtest',
                              'cxl-mctp-sweep-test.c')).read()
    sets = {}
    for op, n in re.findall(r'\{ 0x([0-9a-fA-F]{4}), "[^"]*", ([^,}]+)',
                            sweep):
        try:
            length = eval(n.replace('CXL_HDR_SIZE', '12'), {})
        except Exception:
            continue
        sets.setdefault(int(op, 16) >> 8, []).append((int(op, 16), length))
    seeds = {}
    for cs, ops in sets.items():
        data = b''
        for ep in (0, 1):
            data += switch(ep)
            for op, length in ops:
                for cci in (True, False):
                    data += cxl(op, bytes(length), cci=cci) + drain()
        seeds['sweep-set-%02x' % cs] = data
    return seeds


def write_dir(target, seeds):
    # Only the seeds: inputs the campaigns added stay
    d = os.path.join(OUT, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    return len(seeds)


def esc(b):
    return ''.join('\\x%02x' % c for c in b)


def write_dict():
    sweep = open(os.path.join(REPO, 'tests', 'qtest',
                              'cxl-mctp-sweep-test.c')).read()
    opcodes = sorted(set(int(m, 16) for m in
                         re.findall(r'\{ 0x([0-9a-fA-F]{4}), "', sweep)))
    lines = [
        '# CXL MCTP fuzz targets (tests/qtest/fuzz/cxl_mctp_fuzz.c): framing',
        '# bytes and every CXL opcode of the sweep test\'s table.',
        '# Generated by tests/fuzz/gen-corpus.py.',
        'dsp0283_dmtf_id="\\x1a\\xb4"',
        'dsp0283_header="\\x1a\\xb4\\x00"',
        'smbus_mctp_command="\\x0f"',
        'smbus_host_source="\\x21"',
        'mctp_header="\\x01\\x00\\x10\\xc8"',
        'mctp_header_eid8="\\x01\\x08\\x10\\xc8"',
        'mctp_som_eom_to="\\xc8"',
        'mctp_som_to="\\x88"',
        'mctp_eom="\\x40"',
        'msg_type_control="\\x00"',
        'msg_type_fmapi="\\x07"',
        'msg_type_cci="\\x08"',
        'ctrl_set_eid="\\x81\\x01"',
        'ctrl_get_eid="\\x81\\x02"',
        'ctrl_get_uuid="\\x81\\x03"',
        'ctrl_get_version="\\x81\\x04"',
        'ctrl_get_msg_types="\\x81\\x05"',
        'cel_uuid="%s"' % esc(CEL_UUID),
    ]
    for op in opcodes:
        lines.append('opcode_%04x="%s"' % (op, esc(u16(op))))
    with open(os.path.join(OUT, 'cxl-mctp.dict'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return len(opcodes)


def main():
    sweep = sweep_seeds()
    n = write_dir('cxl-mctp-usb', {**SEEDS, **USB_SEEDS, **sweep})
    write_dir('cxl-mctp-usb-uhci', {**SEEDS, **USB_SEEDS, **sweep})
    write_dir('cxl-mctp-usb-xhci', {**SEEDS, **USB_SEEDS, **XHCI_SEEDS,
                                    **sweep})
    m = write_dir('cxl-mctp-i2c', {**SEEDS, **I2C_SEEDS, **sweep})
    ops = write_dict()
    print('gen-corpus: %d USB seeds, %d I2C seeds, %d opcodes in the dictionary'
          % (n, m, ops))


main()
