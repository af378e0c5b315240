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
#     the patches touch, then for each patch of patches/series in order the
#     overlay files it declares and its edits (scripts/series-lib.sh);
#  3. copy each owned file into WORK only if its content differs.
# A file that was owned last time but is not any more gets rsync'ed back to
# pristine (or deleted if pristine does not have it) by step 1.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
pristine=$(cd "$1" && pwd)
work=$2
. "$repo/scripts/series-lib.sh"

die() { echo "prepare: $*" >&2; exit 1; }

mkdir -p "$work"
work=$(cd "$work" && pwd)
stage="$work.stage"
manifest="$work/.cxl-mctp-overlay-files"
rm -rf "$stage"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT

# The patches in order, and the overlay files each adds (patches/series).
series_read "$repo"
overlay_files=$(series_overlay_files "$repo")
patched_files=$(for p in "${SERIES_PATCHES[@]}"; do
                    lsdiff --strip=1 "$repo/patches/$p"
                done | sort -u)

# Scratch tree: pristine copies of the files the patches edit; then, patch
# by patch as `make series` does, the overlay files it adds and its edits.
for f in $patched_files; do
    if [ -f "$pristine/$f" ]; then
        mkdir -p "$stage/$(dirname "$f")"
        cp -p "$pristine/$f" "$stage/$f"
    fi
done
for i in "${!SERIES_PATCHES[@]}"; do
    p=${SERIES_PATCHES[i]}
    for f in ${SERIES_FILES[i]}; do
        mkdir -p "$stage/$(dirname "$f")"
        cp -p "$repo/$f" "$stage/$f"
    done
    if ! out=$(patch -d "$stage" -p1 -f --fuzz=0 --no-backup-if-mismatch \
                   -r - -i "$repo/patches/$p" 2>&1); then
        echo "$out" > "$work.patch.log"
        at=$(echo "$out" | sed -n 's/^patching file //p' | tail -1)
        die "patch $((i + 1)) $p does not apply to $pristine${at:+ (at $at)}; patch output in $work.patch.log"
    fi
done

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
rsync -rlpD --checksum --delete --exclude=/.git --exclude='/build*' --exclude=/.cxl-mctp-overlay-files \
      --filter="merge $excl" "$pristine/" "$work/"
rm -f "$excl"

# 3. Owned files, only where their content changed (named, unless the
# work tree is new and every one of them is).
n=0
first=1
[ -f "$manifest" ] && first=
for f in $owned; do
    if ! cmp -s "$stage/$f" "$work/$f"; then
        mkdir -p "$work/$(dirname "$f")"
        cp "$stage/$f" "$work/$f"
        [ -n "$first" ] || echo "prepare: updated $f"
        n=$((n + 1))
    fi
done
printf '%s\n' $owned > "$manifest"
echo "prepare: $work is pristine + $(echo $overlay_files | wc -w) overlay files + ${#SERIES_PATCHES[@]} patches ($n files changed)"
