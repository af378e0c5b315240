#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP test: the two CI definitions run the same thing.  .gitlab-ci.yml is
# valid YAML whose jobs call make targets the Makefile has, and those
# targets are exactly the ones `make ci` (scripts/ci.sh, what .ci/run
# calls) runs.
set -uo pipefail
. "$(dirname "$0")/../../scripts/common.sh"

echo "1..3"
"$PYTHON" - "$REPO" <<'PY'
import re
import sys
import yaml

repo = sys.argv[1]
n = 0


def result(ok, what, why=''):
    global n
    n += 1
    print('%s %d - %s%s' % ('ok' if ok else 'not ok', n, what,
                            '' if ok else ': ' + why))


try:
    ci = yaml.safe_load(open(repo + '/.gitlab-ci.yml'))
    result(isinstance(ci, dict), '.gitlab-ci.yml is valid YAML')
except yaml.YAMLError as e:
    result(False, '.gitlab-ci.yml is valid YAML', str(e).replace('\n', ' '))
    ci = {}

makefile = open(repo + '/Makefile').read()
have = set(re.findall(r'^([a-z][a-z0-9-]*):', makefile, re.M))
jobs = {k: v for k, v in ci.items()
        if isinstance(v, dict) and 'script' in v}
called = set()
for job in jobs.values():
    for line in job['script']:
        called.update(re.findall(r'\bmake ([a-z][a-z0-9-]*)', line))
missing = called - have
result(jobs and called and not missing,
       'the GitLab jobs (%s) call make targets the Makefile has (%s)'
       % (', '.join(sorted(jobs)), ', '.join(sorted(called))),
       'missing: %s' % ', '.join(sorted(missing)))

cish = open(repo + '/scripts/ci.sh').read()
ours = set(re.findall(r'make --no-print-directory ([a-z][a-z0-9-]*)', cish))
m = re.search(r'for target in ([a-z0-9 -]+); do', cish)
if m:
    ours.update(m.group(1).split())
dotci = open(repo + '/.ci/run').read()
result(ours == called and 'make --no-print-directory ci' in dotci,
       '.ci/run (make ci: %s) and .gitlab-ci.yml run the same targets'
       % ', '.join(sorted(ours)),
       'make ci runs %s, GitLab runs %s' % (sorted(ours), sorted(called)))
PY
