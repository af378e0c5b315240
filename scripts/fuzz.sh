#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Coverage-guided fuzzing of the MCTP endpoints with QEMU's libFuzzer
# targets (tests/qtest/fuzz/cxl_mctp_fuzz.c, generic-fuzz configurations),
# in the clang ASan + UBSan tree make check-sanitize builds
# (build/qemu/build-san, configured with --enable-fuzzing).
#
#   scripts/fuzz.sh run TARGET [SECONDS]   make fuzz TARGET=... FUZZ_TIME=...
#   scripts/fuzz.sh check                  make check-fuzz
#   scripts/fuzz.sh coverage [TARGET...]   line coverage of the MCTP files
#                                          from the targets' corpora
#
# run: fuzzes TARGET for SECONDS (default 600) with the corpus in
# build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET) and the
# dictionary tests/fuzz/cxl-mctp.dict; crashes, leaks, timeouts and
# sanitizer reports land in build/fuzz/findings/TARGET.  Prints the
# executions, exec/s, libFuzzer's coverage (cov: edges, ft: features)
# and the findings.  FUZZ_FORK=1 runs every input in a process forked
# from the set-up machine (independent inputs, a tenth of the speed); the
# default runs them one after the other in one process (see
# cxl_mctp_fuzz.c).  FUZZ_RUNS=N stops after N executions instead.
#
# check: every input of the saved corpora (tests/fuzz/corpus) once, in a
# forked process each and then all in one process (LeakSanitizer), then
# each target for FUZZ_TIME seconds (default 60 for cxl-mctp-usb and
# cxl-mctp-i2c, 20 for cxl-mctp-usb-xhci, the fastest, 30 for the others:
# about 5 minutes in all); any crash,
# leak, timeout or sanitizer report fails it and is printed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

BIN=$SBUILD/qemu-fuzz-x86_64
DICT=$REPO/tests/fuzz/cxl-mctp.dict
SEEDS=$REPO/tests/fuzz/corpus
FUZZ=$BUILD/fuzz
OUR_TARGETS=(cxl-mctp-usb cxl-mctp-usb-uhci cxl-mctp-usb-xhci cxl-mctp-i2c)
GENERIC_TARGETS=(generic-fuzz-designware-i2c-mctp generic-fuzz-ehci-cxl-mctp
                 generic-fuzz-xhci-cxl-mctp)
COV_FILES=(hw/mctp/mctp.c hw/usb/dev-mctp.c hw/i2c/mctp.c
           hw/i2c/designware_i2c.c hw/cxl/cxl-mctp.c hw/cxl/i2c_mctp_cxl.c
           hw/cxl/cxl-mailbox-utils.c)

export G_SLICE=always-malloc
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:print_summary=1:quarantine_size_mb=64
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_summary=1:print_stacktrace=1

# The fuzzer binary, built in the sanitizer tree (configured here if make
# check-sanitize has not done it yet)
build() {
    exec 9>"$WORK.lock"
    flock 9
    qemu_configure "$WORK" "$SBUILD" $(sanitize_configure_args) ||
        die "configure failed"
    say "building qemu-fuzz-x86_64 in $SBUILD..."
    CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=1 nice make -C "$SBUILD" -j"$JOBS" \
        --no-print-directory qemu-fuzz-x86_64 > "$SBUILD/make-fuzz.log" 2>&1 ||
        { grep -E 'error|FAILED' "$SBUILD/make-fuzz.log" | head -n 20 >&2
          die "build failed (log: $SBUILD/make-fuzz.log)"; }
    [ -e "$SBUILD/qemu-bundle/usr/local/share/qemu/bios-256k.bin" ] ||
        "$REPO/scripts/firmware.sh" "$SBUILD" "$QBUILD/pc-bios/optionrom" >/dev/null
    flock -u 9
}

is_ours() {
    local t
    for t in "${OUR_TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done
    return 1
}

# Sanitizer and libFuzzer reports in log $1
reports() {
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FINDING|SUMMARY: |Assertion .* failed' "$1" || true
}

# fuzz TARGET SECONDS: one campaign; prints its figures
fuzz() {
    local t=$1 secs=$2 corpus=$FUZZ/corpus/$1 findings=$FUZZ/findings/$1
    local log=$FUZZ/logs/$1.log opts=() rc=0
    mkdir -p "$corpus" "$findings" "$FUZZ/logs"
    if [ -d "$SEEDS/$t" ]; then
        cp -n "$SEEDS/$t"/* "$corpus/" 2>/dev/null || true
    fi
    if is_ours "$t"; then
        opts+=(-dict="$DICT")
        [ "${FUZZ_FORK:-0}" = 1 ] || export CXL_MCTP_FUZZ_NOFORK=1
    else
        # libFuzzer's leak check after each new input dominates a
        # generic-fuzz run (a machine reset per input): LeakSanitizer
        # checks once, at exit, instead
        opts+=(-detect_leaks=0)
    fi
    if [ -n "${FUZZ_RUNS:-}" ]; then
        opts+=(-runs="$FUZZ_RUNS")
    else
        opts+=(-max_total_time="$secs")
    fi
    local before
    before=$(ls "$findings" | wc -l)
    say "fuzzing $t ($( [ -n "${FUZZ_RUNS:-}" ] && echo "$FUZZ_RUNS runs" || echo "$secs s"), log $log)"
    nice -n 10 "$BIN" --fuzz-target="$t" "$corpus" "${opts[@]}" \
        -timeout=20 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$findings/" > "$log" 2>&1 || rc=$?
    unset CXL_MCTP_FUZZ_NOFORK
    local execs eps last cov ft corp new
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(ls "$corpus" | wc -l)
    new=$(( $(ls "$findings" | wc -l) - before ))
    echo "fuzz $t: ${execs:-0} executions, ${eps:-0} exec/s, cov ${cov:-?} ft ${ft:-?}, corpus $corp inputs, findings $new (in $findings)"
    if [ "$rc" != 0 ] || [ "$new" != 0 ]; then
        reports "$log" | head -n 40
        echo "fuzz $t: FAILED (exit $rc; full log $log)"
        return 1
    fi
}

# replay TARGET MODE: every saved input of TARGET once; MODE fork (one
# process per input) or seq (all in one process, LeakSanitizer at exit)
replay() {
    local t=$1 mode=$2 log=$FUZZ/logs/replay-$1-$2.log rc=0 n
    mkdir -p "$FUZZ/logs"
    n=$(ls "$SEEDS/$t" | wc -l)
    [ "$mode" = seq ] && export CXL_MCTP_FUZZ_NOFORK=1
    "$BIN" --fuzz-target="$t" -timeout=20 -rss_limit_mb=4096 \
        "$SEEDS/$t"/* > "$log" 2>&1 || rc=$?
    unset CXL_MCTP_FUZZ_NOFORK
    local ran
    ran=$(grep -c '^Executed ' "$log" || true)
    if [ "$rc" != 0 ] || [ "$ran" != "$n" ] || [ -n "$(reports "$log")" ]; then
        reports "$log" | head -n 40
        echo "replay $t ($mode): FAILED, $ran of $n inputs ran (exit $rc; log $log)"
        return 1
    fi
    echo "replay $t ($mode): $n inputs, no report"
}

# Line coverage of COV_FILES from the corpora of the targets given: every
# input once, the PCs it ran recorded (CXL_MCTP_FUZZ_COVERAGE); a line
# counts if a basic block on it (SanitizerCoverage) ran.
coverage() {
    local t out=$FUZZ/coverage sym
    mkdir -p "$out"
    sym=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer) ||
        die "llvm-symbolizer is missing (Debian llvm-14)"
    for t in "$@"; do
        [ -d "$FUZZ/corpus/$t" ] || die "no corpus for $t in $FUZZ/corpus"
        say "replaying $(ls "$FUZZ/corpus/$t" | wc -l) inputs of $t for coverage"
        CXL_MCTP_FUZZ_COVERAGE=$out/$t.pcs CXL_MCTP_FUZZ_NOFORK=1 \
            ASAN_OPTIONS=detect_leaks=0 "$BIN" --fuzz-target="$t" \
            -runs=0 "$FUZZ/corpus/$t" > "$out/$t.log" 2>&1 ||
            { tail -n 20 "$out/$t.log"; die "replay of $t failed"; }
    done
    "$PYTHON" - "$sym" "$BIN" "$out" "${COV_FILES[*]}" "$@" <<'PY'
import collections
import subprocess
import sys

sym, binary, out, files = sys.argv[1:5]
targets = sys.argv[5:]
files = files.split()
pcs, hit = [], set()
for t in targets:
    for line in open('%s/%s.pcs' % (out, t)):
        pc, h = line.split()
        if t == targets[0]:
            pcs.append(pc)
        if h == '1':
            hit.add(pc)
res = subprocess.run([sym, '--obj=' + binary, '--functions=linkage',
                      '--no-inlines', '--output-style=GNU'],
                     input='\n'.join(pcs) + '\n', capture_output=True,
                     text=True, check=True).stdout.split('\n')
lines = collections.defaultdict(lambda: collections.defaultdict(bool))
funcs = collections.defaultdict(lambda: collections.defaultdict(dict))
for i, pc in enumerate(pcs):
    func, loc = res[2 * i], res[2 * i + 1]
    path, _, line = loc.rpartition(':')
    for f in files:
        if path.endswith('/' + f):
            key = int(line) if line.isdigit() else 0
            lines[f][key] |= pc in hit
            funcs[f][func][key] = funcs[f][func].get(key, False) or pc in hit
print('line coverage (lines with a basic block that ran / lines with one),'
      ' corpora of %s:' % ', '.join(targets))
for f in files:
    ls = lines[f]
    n, c = len(ls), sum(ls.values())
    fs = funcs[f]
    fc = sum(1 for v in fs.values() if any(v.values()))
    print('  %-28s %5d/%-5d lines %5.1f%%  functions %d/%d'
          % (f, c, n, 100.0 * c / max(n, 1), fc, len(fs)))
fs = funcs['hw/cxl/cxl-mailbox-utils.c']
handlers = {k: v for k, v in fs.items() if k.startswith('cmd_')}
reached = {k: v for k, v in handlers.items() if any(v.values())}
n = sum(len(v) for v in reached.values())
c = sum(sum(v.values()) for v in reached.values())
print('  cxl-mailbox-utils.c handlers: %d of %d cmd_* reached; their lines'
      ' %d/%d %.1f%%' % (len(reached), len(handlers), c, n,
                         100.0 * c / max(n, 1)))
with open(out + '/handlers.txt', 'w') as f:
    for k in sorted(handlers):
        v = handlers[k]
        f.write('%-50s %3d/%-3d lines%s\n' % (k, sum(v.values()), len(v),
                                              '' if k in reached else
                                              '  (not reached)'))
print('  per handler: %s/handlers.txt' % out)
PY
}

cmd=${1:-}
case "$cmd" in
run)
    t=${2:-}
    [ -n "$t" ] || die "usage: make fuzz TARGET=NAME [FUZZ_TIME=SECONDS]; targets: ${OUR_TARGETS[*]} ${GENERIC_TARGETS[*]}"
    build
    fuzz "$t" "${3:-600}"
    ;;
check)
    build
    t0=$(date +%s)
    failed=0 passed=0
    for t in "${OUR_TARGETS[@]}"; do
        for mode in fork seq; do
            if replay "$t" "$mode"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
        done
    done
    # A minute for each transport, half that for UHCI and generic-fuzz;
    # xHCI runs ten times as many inputs a second as EHCI: 20 s
    for t in "${OUR_TARGETS[@]}" "${GENERIC_TARGETS[@]}"; do
        secs=${FUZZ_TIME:-60}
        case "$t" in
        cxl-mctp-usb|cxl-mctp-i2c) ;;
        cxl-mctp-usb-xhci) secs=${FUZZ_TIME:-20} ;;
        *) secs=${FUZZ_TIME:-30} ;;
        esac
        if fuzz "$t" "$secs"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    say "check-fuzz: $passed passed, $failed failed in $(( $(date +%s) - t0 )) s"
    [ "$failed" = 0 ]
    ;;
coverage)
    shift
    build
    [ $# -gt 0 ] || set -- "${OUR_TARGETS[@]}"
    coverage "$@"
    ;;
*)
    die "usage: $0 run TARGET [SECONDS] | check | coverage [TARGET...]"
    ;;
esac
