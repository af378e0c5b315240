#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP test: the table of the commands each CCI answers in
# docs/system/devices/cxl.rst (as the series leaves it, in the prepared
# tree) says what the opcode sweep qtest's table says, opcode by opcode:
# the sweep checks the CCIs against its own table, so the docs are then
# true too.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

doc=$WORK/docs/system/devices/cxl.rst
sweep=$REPO/tests/qtest/cxl-mctp-sweep-test.c
[ -f "$doc" ] || { echo "Bail out! $doc missing (run make)"; exit 1; }

echo "1..2"
"$PYTHON" - "$doc" "$sweep" <<'PY'
import re
import sys

doc = open(sys.argv[1]).read()
src = open(sys.argv[2]).read()

# Docs: "0001h   Identify ...  yes  yes  yes  yes  yes  [why not]"
start = doc.index('Commands each CCI answers')
cols = ['Switch', 'Mailbox', 'Type 3', 'FM LD', 'LD']
docs = {}
for line in doc[start:].splitlines():
    m = re.match(r'([0-9A-F]{4})h {3}(.{37})  (.*)', line)
    if m:
        docs[int(m.group(1), 16)] = m.group(3).split()[:5]
    elif docs and line.startswith('======'):
        break

# Sweep: { 0x0001, "Identify", 0, false, CCI_ALL, valid_identify }
kinds = {
    'CCI_USP': {0}, 'CCI_MBOX': {1}, 'CCI_T3_EP': {2}, 'CCI_T3_DCD_EP': {2},
    'CCI_T3': {3}, 'CCI_T3_DCD': {3}, 'CCI_LD': {4}, 'CCI_T3_MCTP': {2},
    'CCI_DCD_ANY': {2, 3}, 'CCI_T3_ANY': {2, 3}, 'CCI_SWITCH': {0, 1},
    'CCI_ALL': {0, 1, 2, 3, 4},
}
table = src[src.index('static const SweepOp sweep_ops[] = {'):]
table = table[:table.index('};')]
sweep = {}
for op, rest in re.findall(r'\{ 0x([0-9a-f]{4}), "[^"]*",(.*?)\}', table,
                           re.S):
    answered = set()
    for k in re.findall(r'CCI_[A-Z0-9_]+', rest):
        answered |= kinds[k]
    sweep[int(op, 16)] = answered

same = sorted(docs) == sorted(sweep)
print(('ok' if same else 'not ok') +
      f' 1 - the docs list the {len(sweep)} opcodes the sweep sends')
if not same:
    print(f'# only in the docs: {sorted(set(docs) - set(sweep))}; '
          f'only in the sweep: {sorted(set(sweep) - set(docs))}')
bad = []
for op in sorted(set(docs) & set(sweep)):
    said = {i for i, v in enumerate(docs[op]) if v in ('yes', 'DCD')}
    if said != sweep[op]:
        bad.append(f'{op:04X}h docs {docs[op]} sweep '
                   f'{[cols[i] for i in sorted(sweep[op])]}')
print(('ok' if not bad else 'not ok') +
      ' 2 - each opcode is answered by the CCIs the docs say')
for b in bad:
    print('# ' + b)
PY
