#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP test: the bad-input catalogue of docs/system/devices/cxl.rst (as the
# series leaves it, in the prepared tree) and the code and tests agree.
#
#   1. every reason the code gives for a drop (the why of the drop trace
#      points of the MCTP core, the CXL binding and both transports) and
#      every guest error the devices log has a row;
#   2. every trace point a row names exists, and every drop reason it
#      names is one the code gives;
#   3. the qtest cases a row names pass, run with the row's trace points
#      and -d guest_errors on, and what the row says is seen (each item of
#      its "Seen as" column) is in their output.
# A row whose test case is "none: REASON" says why nothing can send it.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

doc=$WORK/docs/system/devices/cxl.rst
[ -f "$doc" ] || { echo "Bail out! $doc missing (run make)"; exit 1; }
[ -x "$QEMU" ] || { echo "Bail out! $QEMU missing (run make)"; exit 1; }

exec "$PYTHON" - "$WORK" "$QBUILD" "$QEMU" <<'PY'
import os
import re
import subprocess
import sys

work, qbuild, qemu = sys.argv[1:4]
FILES = ['hw/mctp/mctp.c', 'hw/usb/dev-mctp.c', 'hw/i2c/mctp.c',
         'hw/cxl/cxl-mctp.c', 'hw/cxl/i2c_mctp_cxl.c',
         'hw/cxl/cxl-mctp-serial.c',
         'hw/i2c/designware_i2c.c', 'hw/i2c/designware_i2c_pci.c']
TRACE_EVENTS = ['hw/mctp/trace-events', 'hw/usb/trace-events',
                'hw/i2c/trace-events', 'hw/cxl/trace-events']
# Helpers that give a drop reason to a trace point
HELPERS = {'mctp_drop_packet': 'mctp_drop_packet',
           'mctp_abort_message': 'mctp_drop_message',
           'usb_cxl_mctp_out_drop_rest': 'usb_cxl_mctp_out_drop',
           'i2c_mctp_drop_frame': 'i2c_mctp_rx_drop',
           'i2c_mctp_give_up_message': 'i2c_mctp_tx_drop',
           'cxl_mctp_serial_rx_drop': 'cxl_mctp_serial_rx_drop'}
LIT = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'
n = 0


def result(ok, what, notes=()):
    global n
    n += 1
    print(('ok' if ok else 'not ok') + f' {n} - {what}')
    for line in notes:
        print('# ' + line)


def join(lits):
    s = ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', lits))
    return s.replace('\\n', '').replace("\\'", "'")


# --- The code: drop reasons and guest error messages ----------------------
drops = set()           # (trace point, reason)
logs = []               # (file, format)
for f in FILES:
    src = open(os.path.join(work, f)).read()
    for name, ev in HELPERS.items():
        for m in re.finditer(r'\b' + name + r'\(\s*[\w>-]+,\s*' + LIT + r'\)',
                             src):
            drops.add((ev, join(m.group(1))))
    for m in re.finditer(r'\btrace_(\w*drop\w*)\(([^;]*?)' + LIT + r'\)\s*;',
                         src):
        drops.add((m.group(1), join(m.group(3))))
    for m in re.finditer(r'qemu_log_mask\(\s*LOG_GUEST_ERROR,\s*' + LIT, src):
        logs.append((f, join(m.group(1))))
events = set()
for f in TRACE_EVENTS:
    for line in open(os.path.join(work, f)):
        m = re.match(r'(\w+)\(', line)
        if m:
            events.add(m.group(1))

# --- The docs: the rows of the tables under "Bad input" -------------------
doc = open(os.path.join(work, 'docs/system/devices/cxl.rst')).read()
sec = doc[doc.index('\nBad input\n~~~~~~~~~\n'):]
sec = sec[:sec.index('\nLimits\n~~~~~~\n')]
rows = []
for block in re.split(r'\n   \* - ', sec)[1:]:
    cells = [re.sub(r'\s+', ' ', c).strip()
             for c in re.split(r'\n     - ', block.split('\n\n')[0])]
    if cells[0] == 'Input':
        continue
    if len(cells) != 4:
        print(f'Bail out! a row without 4 cells: {cells}')
        sys.exit(1)
    items = []
    for it in cells[2].split('; '):
        m = re.fullmatch(r'``(\w+)``(?: (.*))?', it)
        if m:
            items.append(('trace', m.group(1), m.group(2) or ''))
            continue
        m = re.fullmatch(r'log "(.*)"', it)
        if m:
            items.append(('log', None, m.group(1)))
            continue
        print(f'Bail out! cannot read "{it}" in the row for {cells[0]}')
        sys.exit(1)
    rows.append({'input': cells[0], 'items': items, 'test': cells[3],
                 'paths': re.findall(r'``(/[^`]+)``', cells[3])})

print('1..4')
# 1. code -> docs
said = {(ev, why) for r in rows for kind, ev, why in r['items']
        if kind == 'trace'}
doc_logs = [why for r in rows for kind, ev, why in r['items'] if kind == 'log']
missing = sorted(d for d in drops if d not in said)
result(not missing, f'each of the {len(drops)} drop reasons in the code '
       'has a row', [f'no row: {ev} "{why}"' for ev, why in missing])
unlisted = []
for f, fmt in logs:
    if 'dropped: %s' in fmt:
        continue            # its reasons are drop reasons, above
    pieces = re.split(r'%[-#0-9.]*(?:z|l|ll|h)?[a-zA-Z]', fmt)
    if not any(d in p for d in doc_logs for p in pieces):
        unlisted.append(f'{f}: "{fmt}"')
result(not unlisted, f'each of the {len(logs)} guest errors the devices '
       'log has a row', ['no row: ' + u for u in unlisted])

# 2. docs -> code
bad = []
for r in rows:
    for kind, ev, why in r['items']:
        if kind != 'trace':
            continue
        if ev not in events:
            bad.append(f'{r["input"]}: no trace point {ev}')
        elif 'drop' in ev and why and (ev, why) not in drops:
            bad.append(f'{r["input"]}: the code never drops with {ev} '
                       f'"{why}"')
    if not r['paths'] and not r['test'].startswith('none: '):
        bad.append(f'{r["input"]}: no test case and no reason')
result(not bad, f'the {len(rows)} rows name trace points and reasons the '
       'code has', bad)

# 3. the tests: run each named case with the rows' trace points on
by_binary = {}
for r in rows:
    for p in r['paths']:
        by_binary.setdefault(p.split('/')[1] + '-test', set()).add(p)
trace = sorted({ev for r in rows for kind, ev, why in r['items']
                if kind == 'trace'})
env = dict(os.environ, QTEST_QEMU_BINARY=qemu,
           QTEST_TRACE=' -trace '.join(trace) + ' -d guest_errors')
out = {}                # path -> (passed, its output)
for binary, paths in sorted(by_binary.items()):
    args = [os.path.join(qbuild, 'tests/qtest', binary), '--tap']
    for p in sorted(paths):
        args += ['-p', '/x86_64' + p]
    run = subprocess.run(args, cwd=qbuild, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors='replace', timeout=600)
    pending = []
    for line in run.stdout.splitlines():
        m = re.match(r'(ok|not ok) \d+ /x86_64(/\S+)', line)
        if m:
            out[m.group(2)] = (m.group(1) == 'ok', pending)
            pending = []
        else:
            pending.append(line)
notes = []
unreachable = 0
for r in rows:
    if not r['paths']:
        unreachable += 1
        notes.append(f'not sent: {r["input"]} ({r["test"]})')
        continue
    lines = []
    for p in r['paths']:
        if p not in out:
            notes.append(f'{r["input"]}: {p} did not run')
            continue
        if not out[p][0]:
            notes.append(f'{r["input"]}: {p} failed')
        lines += out[p][1]
    for kind, ev, why in r['items']:
        if kind == 'trace':
            seen = any(re.match(ev + r'\b', ln) and why in ln for ln in lines)
        else:
            seen = any(why in ln for ln in lines)
        if not seen:
            notes.append(f'{r["input"]}: {ev or "log"} "{why}" not seen in '
                         f'{", ".join(r["paths"])}')
ok = not [x for x in notes if not x.startswith('not sent: ')]
result(ok, f'{len(rows) - unreachable} rows seen in {len(out)} test cases '
       f'({unreachable} inputs no guest can send)', notes)
PY
