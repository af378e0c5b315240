# SPDX-License-Identifier: GPL-2.0-or-later
#
# The one reader of patches/series, sourced by prepare.sh (the build) and
# series.sh (the mail-ready series), so that the two cannot differ.
#
# patches/series lists the patches in order; a line "#+ FILE..." after a
# patch declares the overlay files that patch adds whole.  series_read
# fills:
#   SERIES_PATCHES[i]   the i-th patch's file name
#   SERIES_FILES[i]     the overlay files it adds (space separated)
# and checks the declarations against the overlay: every overlay file is
# declared exactly once and every declared file exists.

# Top-level directories of this repository that mirror QEMU paths.
SERIES_OVERLAY_DIRS="hw include net tests/qtest tests/unit docs"

series_die() { echo "series: $*" >&2; exit 1; }

# series_overlay_files REPO: every overlay file, sorted.
series_overlay_files() {
    (cd "$1" && for d in $SERIES_OVERLAY_DIRS; do
         if [ -d "$d" ]; then
             find "$d" -type f ! -name '*~' ! -name '.*.swp'
         fi
     done | LC_ALL=C sort)
}

# series_read REPO
series_read() {
    local repo=$1 line p f n=-1
    local -A owner=()
    SERIES_PATCHES=()
    SERIES_FILES=()
    [ -f "$repo/patches/series" ] || series_die "no patches/series"
    while IFS= read -r line; do
        case "$line" in
        '#+'*)
            [ $n -ge 0 ] || series_die "'$line' comes before any patch"
            for f in ${line#'#+'}; do
                [ -z "${owner[$f]:-}" ] ||
                    series_die "$f is declared by ${owner[$f]} and by ${SERIES_PATCHES[$n]}"
                [ -f "$repo/$f" ] ||
                    series_die "${SERIES_PATCHES[$n]} declares $f, which is not in the repository"
                owner[$f]=${SERIES_PATCHES[$n]}
                SERIES_FILES[n]+="${SERIES_FILES[n]:+ }$f"
            done
            ;;
        ''|'#'*)
            ;;
        *)
            p=${line%% *}
            [ -f "$repo/patches/$p" ] ||
                series_die "patches/series lists $p but patches/$p does not exist"
            n=$((n + 1))
            SERIES_PATCHES[n]=$p
            SERIES_FILES[n]=
            ;;
        esac
    done < "$repo/patches/series"
    for f in $(series_overlay_files "$repo"); do
        [ -n "${owner[$f]:-}" ] ||
            series_die "$f is in the overlay but no patch declares it (add it to a '#+' line in patches/series)"
    done
}

# series_subject PATCHFILE: the patch's subject line.
series_subject() {
    sed -n '1s/^Subject: //p' "$1"
}
