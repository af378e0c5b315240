#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# series.sh export|check|bisect
#
#   export  write the mail-ready series into build/series/patches: a cover
#           letter (patches/cover-letter) and one `git format-patch` file
#           per patch of patches/series, each made of the overlay files the
#           series declares for it and its quilt diff, committed on top of
#           pristine QEMU 10.2.2 with author and Signed-off-by from
#           `git config user.name` / `user.email` of this repository.
#   check   export; `git am` the series onto the pristine tree (QEMU_SRC=DIR:
#           onto DIR, naming the first patch that stops applying); check the
#           result is the tree `make` builds; QEMU's checkpatch.pl on every
#           patch (0 errors, 0 warnings); build the last step with -Werror.
#   bisect  check, then build every step with gcc and with clang, -Werror,
#           and run `make check`'s qtests on the last step.
# The trees and builds are under build/series; a build of the series sits
# in its tree as build/qemu/build does, so that ccache serves one from the
# other.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$REPO/scripts/series-lib.sh"

SOUT=$BUILD/series
EXPORT_BASE=$BUILD/qemu-pristine    # the series is made on Debian's 10.2.2
PATCHDIR=$SOUT/patches
SUBJECT_PREFIX=${SUBJECT_PREFIX:-PATCH}

t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

# base_repo SRC DIR: DIR is a git repository whose one commit is the QEMU
# tree SRC (without Debian's packaging and quilt state), made once per SRC.
base_repo() {
    local src=$1 dir=$2 id
    id="$src $(cat "$src/VERSION") $(cat "$src/.cxl-mctp-unpacked" 2>/dev/null || true)"
    if [ -d "$dir/.git" ] && [ "$(cat "$dir.id" 2>/dev/null)" = "$id" ]; then
        return 0
    fi
    say "making a git repository of $src (once)..."
    rm -rf "$dir" "$dir.id"
    mkdir -p "$dir"
    # -f: QEMU's .gitignore leaves out subprojects/ that a release carries.
    rsync -a --exclude=/.git --exclude=/.pc --exclude=/debian --exclude=/build \
          --exclude=/.cxl-mctp-unpacked "$src/" "$dir/"
    (cd "$dir" && git init -q && git add -A -f . &&
         git -c user.name=base -c user.email=base@localhost \
             commit -q -m "QEMU $(cat VERSION)") ||
        die "could not make a git repository of $src"
    echo "$id" > "$dir.id"
}

# Author and Signed-off-by: this repository's git identity (GIT_AUTHOR_NAME
# and GIT_AUTHOR_EMAIL, as for git itself, take precedence).
identity() {
    AUTHOR_NAME=${GIT_AUTHOR_NAME:-$(git -C "$REPO" config user.name || true)}
    AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$(git -C "$REPO" config user.email || true)}
    [ -n "$AUTHOR_NAME" ] && [ -n "$AUTHOR_EMAIL" ] ||
        die "the patches' author and Signed-off-by come from git: run git config user.name 'Your Name'; git config user.email you@example.org"
}

# message PATCH: the commit message of a patch (its header without the
# "Subject: " prefix and the closing ---).
message() {
    sed -n '/^---$/q;p' "$1" | sed '1s/^Subject: //'
}

do_export() {
    [ -f "$EXPORT_BASE/VERSION" ] ||
        die "no pristine QEMU 10.2.2 in $EXPORT_BASE: run make once without QEMU_SRC"
    identity
    series_read "$REPO"
    base_repo "$EXPORT_BASE" "$SOUT/base"
    local tree=$SOUT/export i p f date
    rm -rf "$tree" "$PATCHDIR"
    git clone -q "$SOUT/base" "$tree"
    # Reproducible output: every commit dated like this repository's HEAD.
    date=$(git -C "$REPO" log -1 --format=%aD 2>/dev/null || date -R)
    for i in "${!SERIES_PATCHES[@]}"; do
        p=${SERIES_PATCHES[i]}
        for f in ${SERIES_FILES[i]}; do
            mkdir -p "$tree/$(dirname "$f")"
            cp "$REPO/$f" "$tree/$f"
            git -C "$tree" add "$f"
        done
        git -C "$tree" apply --index "$REPO/patches/$p" 2>"$SOUT/apply.log" ||
            { cat "$SOUT/apply.log" >&2; die "patch $((i + 1)) $p does not apply"; }
        message "$REPO/patches/$p" |
            GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
            git -C "$tree" -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" \
                commit -q -s -F - ||
            die "could not commit $p"
    done
    git -C "$tree" -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" \
        format-patch -q --cover-letter --subject-prefix="$SUBJECT_PREFIX" \
        --no-signature -o "$PATCHDIR" HEAD~${#SERIES_PATCHES[@]}
    cover "$PATCHDIR/0000-cover-letter.patch"
    N=${#SERIES_PATCHES[@]}
    say "$N patches and a cover letter in $PATCHDIR (author: $AUTHOR_NAME <$AUTHOR_EMAIL>)"
    say "$(git -C "$tree" diff --shortstat HEAD~$N HEAD)"
}

# cover FILE: fill in format-patch's cover letter from patches/cover-letter
# (first line: the subject; the rest: the text before shortlog and
# diffstat, where {NAME.patch} becomes that patch's number in the series).
cover() {
    local f=$1
    printf '%s\n' "${SERIES_PATCHES[@]}" |
        python3 -c '
import re
import sys
path, src = sys.argv[1:]
names = sys.stdin.read().split()
subject, body = open(src).read().split("\n", 1)
def number(m):
    if m.group(1) not in names:
        sys.exit("patches/cover-letter names %s, which is not in the series"
                 % m.group(1))
    return str(names.index(m.group(1)) + 1)
body = re.sub(r"\{([^{}\s]+\.patch)\}", number, body.strip("\n"))
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject, 1)
s = s.replace("*** BLURB HERE ***", body, 1)
open(path, "w").write(s)
' "$f" "$REPO/patches/cover-letter" || die "could not write the cover letter"
}

# am_check: git am the exported series onto $PRISTINE (QEMU_SRC or Debian's
# 10.2.2), one patch at a time, naming the first that does not apply.
am_check() {
    local src=$PRISTINE dir=$SOUT/am base=$SOUT/base p n=0
    if [ -n "${QEMU_SRC:-}" ]; then
        dir=$SOUT/am-user
        base=$dir.base
        base_repo "$src" "$base"
    fi
    # Back to the base commit, keeping the build directories (build*/,
    # which QEMU's .gitignore names) so that a rebuild is incremental.
    if [ -d "$dir/.git" ] &&
       [ "$(git -C "$dir" rev-list --max-parents=0 HEAD 2>/dev/null)" = \
         "$(git -C "$base" rev-parse HEAD)" ]; then
        git -C "$dir" am --abort >/dev/null 2>&1 || true
        git -C "$dir" checkout -q -f master 2>/dev/null || true
        git -C "$dir" reset -q --hard "$(git -C "$base" rev-parse HEAD)"
        git -C "$dir" clean -q -f -d -e "/build*"
    else
        rm -rf "$dir"
        git clone -q "$base" "$dir"
    fi
    for p in "$PATCHDIR"/0*.patch; do
        case "$p" in */0000-cover-letter.patch) continue ;; esac
        if ! git -C "$dir" -c user.name=am -c user.email=am@localhost \
                am -q "$p" >"$SOUT/am.log" 2>&1; then
            cat "$SOUT/am.log" >&2
            die "git am onto $src (QEMU $(cat "$src/VERSION")): the first patch that does not apply is $(basename "$p"); $n applied"
        fi
        n=$((n + 1))
    done
    AM_TREE=$dir
    say "git am: all $n patches apply to $src (QEMU $(cat "$src/VERSION"))"
}

# same_as_build: the series' last step is the tree `make` builds.
same_as_build() {
    local manifest=$WORK/.cxl-mctp-overlay-files f bad=0
    [ -f "$manifest" ] || die "no $manifest: run make first"
    for f in $(cat "$manifest"); do
        if ! cmp -s "$AM_TREE/$f" "$WORK/$f"; then
            echo "differs from the build: $f" >&2
            bad=1
        fi
    done
    [ $bad = 0 ] || die "the series and the build (scripts/prepare.sh) differ: run make, then make series-check"
    say "the last step is the tree make builds ($(wc -l < "$manifest") files)"
}

checkpatch() {
    local p out errs=0 warns=0 bad=0 n=0 e w
    for p in "$PATCHDIR"/0*.patch; do
        case "$p" in */0000-cover-letter.patch) continue ;; esac
        n=$((n + 1))
        out=$("$AM_TREE/scripts/checkpatch.pl" -q "$p" 2>&1 || true)
        e=$(echo "$out" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
        w=$(echo "$out" | sed -n 's/^total: [0-9]* errors, \([0-9]*\) warnings.*/\1/p')
        e=${e:-0} w=${w:-0}
        if [ -n "$out" ] && { [ "$e" != 0 ] || [ "$w" != 0 ] ||
                               ! echo "$out" | grep -q '^total:'; }; then
            echo "== $(basename "$p")"
            echo "$out"
            bad=$((bad + 1))
        fi
        errs=$((errs + e)) warns=$((warns + w))
    done
    say "checkpatch: $errs errors, $warns warnings in $n patches"
    [ $bad = 0 ] || die "checkpatch found problems in $bad patches (above)"
}

# build_step TREE BUILDDIR CC: configure once, then build; -Werror.
build_step() {
    local tree=$1 bdir=$2 cc=$3
    qemu_configure "$tree" "$bdir" $(qemu_configure_args "$cc") || return 1
    CCACHE_BASEDIR=$tree CCACHE_NOHASHDIR=1 ninja -C "$bdir" >"$bdir/build.log" 2>&1 ||
        { grep -E 'error|FAILED' "$bdir/build.log" | head -n 20 >&2; return 1; }
}

case "${1:-}" in
export)
    do_export
    ;;
check|bisect)
    # The tree `make` builds, to compare the series with; with QEMU_SRC the
    # series is only applied and built there.
    if [ -z "${QEMU_SRC:-}" ]; then
        "$REPO/scripts/qemu.sh"
    fi
    do_export
    am_check
    [ -z "${QEMU_SRC:-}" ] && same_as_build
    checkpatch
    if [ "$1" = check ]; then
        say "building the last step with gcc -Werror..."
        t=$(date +%s)
        build_step "$AM_TREE" "$AM_TREE/build" gcc ||
            die "the last step does not build with gcc -Werror (log: $AM_TREE/build/build.log)"
        say "the last step builds with gcc -Werror ($(( $(date +%s) - t )) s)"
    else
        commits=($(git -C "$AM_TREE" rev-list --reverse "$(git -C "$AM_TREE" rev-list --max-parents=0 HEAD)..HEAD"))
        n=${#commits[@]}
        for cc in gcc clang; do
            t=$(date +%s)
            for i in "${!commits[@]}"; do
                git -C "$AM_TREE" checkout -q "${commits[i]}"
                s=$(date +%s)
                bdir=$AM_TREE/build
                [ "$cc" = gcc ] || bdir=$AM_TREE/build-$cc
                build_step "$AM_TREE" "$bdir" "$cc" ||
                    die "patch $((i + 1)) of $n does not build with $cc -Werror: $(git -C "$AM_TREE" log -1 --format=%s) (log: $bdir/build.log)"
                printf '  %-5s %2d/%d %4d s  %s\n' "$cc" $((i + 1)) "$n" \
                    $(( $(date +%s) - s )) "$(git -C "$AM_TREE" log -1 --format=%s)"
            done
            say "every patch builds with $cc -Werror ($(( $(date +%s) - t )) s)"
        done
        say "make check's qtests on the last step (gcc build)..."
        # QEMU's make builds the x86 option ROMs too; then the firmware
        # links `make` makes for its own build.
        make -C "$AM_TREE/build" --no-print-directory >"$SOUT/make.log" 2>&1 ||
            { tail -n 20 "$SOUT/make.log" >&2; die "QEMU's make failed on the last step"; }
        "$REPO/scripts/firmware.sh" "$AM_TREE/build" >/dev/null
        "$AM_TREE/build/pyvenv/bin/meson" test -C "$AM_TREE/build" --no-rebuild \
            "${QTESTS[@]/#/qtest-x86_64/}" "${UNIT_TESTS[@]}" >"$SOUT/qtest.log" 2>&1 ||
            { tail -n 30 "$SOUT/qtest.log" >&2; die "qtests fail on the last step (log: $SOUT/qtest.log)"; }
        say "$(grep -E '^Ok:' "$SOUT/qtest.log" | tr -s ' ') qtests and unit tests pass on the last step"
    fi
    say "series-check passed in $(elapsed)"
    ;;
*)
    echo "usage: $0 export|check|bisect" >&2
    exit 2
    ;;
esac
