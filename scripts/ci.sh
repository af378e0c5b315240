#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What CI runs (.ci/run and every job of .gitlab-ci.yml call these make
# targets): `make check`, then `make check-aarch64-qtests` (the qtests on
# qemu-system-aarch64's virt machine, some 2 minutes), `make series-check`,
# `make docs`, `make check-sanitize` and `make check-fuzz` (the saved fuzz
# corpora replayed, each fuzz target for a minute or half a minute: some 5
# minutes), each of the last five counted as one test.  Ends with one
# line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$REPO"

log=$BUILD/ci-check.log
make --no-print-directory check 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
passed=$(echo "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
failed=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
passed=${passed:-0} failed=${failed:-1}
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1

# The series' author comes from git config; a CI machine may have none.
if [ -z "$(git config user.name || true)" ] || [ -z "$(git config user.email || true)" ]; then
    export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-CI} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-ci@localhost}
    say "no git identity: the series is checked as $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"
fi

for target in check-aarch64-qtests series-check docs check-sanitize check-fuzz; do
    echo
    say "make $target"
    t=$(date +%s)
    if make --no-print-directory "$target"; then
        passed=$((passed + 1))
        say "make $target: ok ($(( $(date +%s) - t )) s)"
    else
        failed=$((failed + 1))
        say "make $target: FAILED ($(( $(date +%s) - t )) s)"
    fi
done

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
