#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build QEMU's manual, as QEMU builds it with --enable-docs, from QEMU with
# the series applied, into build/docs/manual (HTML).  Fails on any Sphinx
# warning in a file the series adds or edits (docs/system/devices/cxl.rst,
# ...), printing those warnings; warnings in upstream files are counted
# but do not fail.  Every warning is kept in build/docs/warnings.txt.
#
# The tree: build/qemu, which `make docs` has just prepared from pristine +
# overlay + patches (its `qemu` prerequisite), held under the build's lock
# while Sphinx reads it.
#
# The build: sphinx-build run as docs/meson.build runs it for the "QEMU
# manual" target (same conf.py and extensions from the tree's docs/sphinx,
# CONFDIR, -j auto, -Dversion, -Drelease), always from scratch, so that
# every page's warnings are seen.  The man pages (a second Sphinx run over
# the same doctrees, about 20 s) are not built: none of them includes a
# page of the series.
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=$BUILD/docs                 # build/docs/manual: the HTML manual
SRC=$WORK                       # the assembled tree the manual is built from
SPHINX_BUILD=$(dirname "$PYTHON")/sphinx-build   # as docs/meson.build finds it

start=$(date +%s.%N)

# Sphinx, its version check and theme are conf.py's (needs_sphinx, the
# readthedocs theme): run it as meson's configure does.
[ -x "$SPHINX_BUILD" ] && "$PYTHON" -c 'import sphinx_rtd_theme' 2>/dev/null ||
    die "Sphinx is not installed: apt-get install python3-sphinx python3-sphinx-rtd-theme (make deps)"
[ -f "$SRC/.cxl-mctp-overlay-files" ] ||
    die "no QEMU tree with the series in $SRC: run make first"

exec 9>"$WORK.lock"
flock 9
say "building QEMU's manual with Sphinx (about a minute on 2 cores)..."
rm -rf "$OUT"
mkdir -p "$OUT"

# QEMU's configure values that conf.py and meson pass on: the version from
# VERSION, CONFDIR from the build's prefix (QEMU's build has the default
# prefix /usr/local), an empty pkgversion.
version=$(cat "$SRC/VERSION")
confdir=$(sed -n 's/^#define CONFIG_QEMU_CONFDIR "\(.*\)"$/\1/p' \
              "$QBUILD/config-host.h" 2>/dev/null || true)
confdir=${confdir:-/usr/local/etc/qemu}

doctrees=$OUT/doctrees
rm -rf "$doctrees"
mkdir -p "$doctrees"
log=$OUT/sphinx.log
if ! (cd "$SRC" && env CONFDIR="$confdir" "$SPHINX_BUILD" -q -j auto \
          -Dversion="$version" -Drelease= \
          -b html -d "$doctrees" docs "$OUT/manual") > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "sphinx-build failed; full log: $log"
fi

# Sort the warnings: a file the series adds or edits (prepare.sh's
# manifest: docs pages, and headers or QAPI schemas a page documents) or
# upstream.  Sphinx writes "FILE:LINE: WARNING: text" (also ERROR, SEVERE,
# CRITICAL, and "FILE:: ..."), kernel-doc "FILE:LINE: warning: text";
# the lines up to the next warning belong to it (Sphinx quotes the source
# of some after a blank line).
"$PYTHON" - "$REPO" "$SRC" "$SRC/.cxl-mctp-overlay-files" "$log" \
          "$OUT/warnings.txt" "$OUT/manual" "$start" <<'PY'
import os
import re
import sys
import time

repo, src, manifest, log, warnings_txt, html, start = sys.argv[1:]
secs = time.time() - float(start)
ours = set(open(manifest).read().split())
pages = sorted(f for f in ours if f.startswith('docs/') and
               f.endswith(('.rst', '.rst.inc', '.txt')))

start = re.compile(r'^((?P<loc>\S[^:]*):(?P<line>\d*):.*?)?'
                   r'(WARNING|ERROR|SEVERE|CRITICAL|warning|error): ')
records = []
for line in open(log, errors='replace').read().splitlines():
    if not records and not line.strip():
        continue
    if start.match(line) or not records:
        records.append([line])
    else:
        records[-1].append(line)

def where(rec):
    """The file a warning is about, relative to the tree, or ''."""
    m = start.match(rec[0])
    if not m or not m.group('loc'):
        return ''
    loc = m.group('loc').split(':docstring of ')[0]
    loc = os.path.normpath(os.path.join(src, loc))
    return os.path.relpath(loc, src) if loc.startswith(src + '/') else loc

def text(rec):
    return '\n'.join(rec).rstrip().replace(src + '/', '')

mine = [r for r in records if where(r) in ours]
other = [r for r in records if where(r) not in ours]
with open(warnings_txt, 'w') as f:
    for r in mine + other:
        f.write(text(r) + '\n')

n_html = sum(1 for _, _, files in os.walk(html) for x in files
             if x.endswith('.html'))
rel = lambda p: p[len(repo) + 1:] if p.startswith(repo + '/') else p
print(f'[docs] QEMU manual: {n_html} HTML pages in {secs:.0f} s, '
      f'{rel(html)}/index.html')
print(f'[docs] the series\' pages: {", ".join(pages) or "none"}')
print(f'[docs] warnings: {len(mine)} in files of the series, '
      f'{len(other)} in upstream files'
      + (f' (listed in {rel(warnings_txt)})' if other else ''))
if mine:
    print(f'[docs] error: Sphinx warnings in files of the series (line '
          f'numbers are those of the assembled file; edit it through '
          f'patches/):', file=sys.stderr)
    for r in mine:
        print(text(r), file=sys.stderr)
    sys.exit(1)
PY
