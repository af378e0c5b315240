#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# prepare.sh PRISTINE WORK
#
# Make WORK = PRISTINE + overlay files of this repository + the quilt series
# in patches/.  Only files whose content changes are rewritten, so a build
# in WORK recompiles only what an edit touched.
#
#  1. rsync PRISTINE -> WORK (by content), leaving out the files that the
#     overlay and the patches own (listed in the manifest);
#  2. build those owned files in a scratch tree: pristine copies of the files
#     the patches touch + the overlay files, then `quilt push -a`;
#  3. copy each owned file into WORK only if its content differs.
# A file that was owned last time but is not any more gets rsync'ed back to
# pristine (or deleted if pristine does not have it) by step 1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
pristine=$(cd "$1" && pwd)
work=$2
# Top-level directories of this repository that mirror QEMU paths.
overlay_dirs="hw include net tests/qtest tests/unit docs"

die() { echo "prepare: $*" >&2; exit 1; }

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage="$work.stage"
manifest="$work/.cxl-mctp-overlay-files"
rm -rf "$stage"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT

# Patches listed in the series, in order.
series=()
if [ -f "$repo/patches/series" ]; then
    while read -r p _; do
        case "$p" in ''|'#'*) continue ;; esac
        [ -f "$repo/patches/$p" ] || die "patches/series lists $p but patches/$p does not exist"
        series+=("$p")
    done < "$repo/patches/series"
fi

# Files owned by the overlay and by the patches (paths relative to the tree).
overlay_files=$(cd "$repo" && for d in $overlay_dirs; do
                    [ -d "$d" ] && find "$d" -type f ! -name '*~' ! -name '.*.swp'
                done | sort || true)
patched_files=$(for p in "${series[@]}"; do
                    lsdiff --strip=1 "$repo/patches/$p"
                done | sort -u)

# Scratch tree: pristine copies of patched files, then the overlay on top.
for f in $patched_files; do
    if [ -f "$pristine/$f" ]; then
        mkdir -p "$stage/$(dirname "$f")"
        cp -p "$pristine/$f" "$stage/$f"
    fi
done
for f in $overlay_files; do
    mkdir -p "$stage/$(dirname "$f")"
    cp -p "$repo/$f" "$stage/$f"
done

if [ ${#series[@]} -gt 0 ]; then
    log="$stage/.quilt.log"
    if ! (cd "$stage" && QUILT_PATCHES="$repo/patches" QUILT_PC=.pc \
          quilt --quiltrc=/dev/null push -a --fuzz=0 >"$log" 2>&1); then
        bad=$(sed -n 's/^Applying patch .*patches\/\(.*\)$/\1/p' "$log" | tail -1)
        [ -n "$bad" ] || bad=$(sed -n 's/^Applying patch \(.*\)$/\1/p' "$log" | tail -1)
        files=$(grep -E '^(patching file|can.t find file|The next patch)|FAILED|No file to patch' "$log" \
                | sed -n 's/^patching file \(.*\)/\1/p' | tail -1)
        echo "prepare: patch '$bad' does not apply to $pristine${files:+ (at $files)}; see 'quilt push' output in $work.quilt.log" >&2
        cp "$log" "$work.quilt.log"
        exit 1
    fi
    rm -rf "$stage/.pc" "$log"
fi

owned=$( (cd "$stage" && find . -type f | sed 's|^\./||') | sort)

# 1. Everything else from pristine; owned files are left alone here.  By
# content (-c), and without copying modification times (no -t): a file put
# back to pristine must look newer than its object file to ninja.
# Owned files are excluded, their directories protected from --delete.
excl=$(mktemp)
{
    printf -- '- /%s\n' $owned
    printf '%s\n' $owned | sed -n 's|/[^/]*$||p' | sort -u | sed 's|.*|P /&/|'
} > "$excl"
rsync -rlpD --checksum --delete --exclude=/.git --exclude=/build --exclude=/.cxl-mctp-overlay-files \
      --filter="merge $excl" "$pristine/" "$work/"
rm -f "$excl"

# 3. Owned files, only where their content changed.
n=0
for f in $owned; do
    if ! cmp -s "$stage/$f" "$work/$f"; then
        mkdir -p "$work/$(dirname "$f")"
        cp "$stage/$f" "$work/$f"
        echo "prepare: updated $f"
        n=$((n + 1))
    fi
done
printf '%s\n' $owned > "$manifest"
echo "prepare: $work is pristine + $(echo $overlay_files | wc -w) overlay files + ${#series[@]} patches ($n files changed)"
