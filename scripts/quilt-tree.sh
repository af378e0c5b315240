#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# quilt-tree.sh DIR: make DIR a quilt working tree of the series, for
# editing patches: pristine copies of the files the patches edit, the
# overlay files, and a `q` wrapper running quilt on this repository's
# patches/ with the settings the series uses.  Nothing is pushed yet:
#
#   scripts/quilt-tree.sh /tmp/qt && cd /tmp/qt
#   ./q push hw-usb-add-usb-cxl-mctp.patch     # up to the patch to edit
#   ./q edit hw/usb/Kconfig                    # or ./q add FILE, then edit
#   ./q refresh                                # writes patches/<patch>
#   ./q header -e                              # its subject and message
#
# A new file belongs in the overlay (and on the '#+' line of the patch
# that adds it in patches/series), not in a patch.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$REPO/scripts/series-lib.sh"

[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
[ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "$dir exists and is not empty"
[ -f "$PRISTINE/VERSION" ] || die "no pristine QEMU in $PRISTINE: run make first"
series_read "$REPO"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
for p in "${SERIES_PATCHES[@]}"; do
    lsdiff --strip=1 "$REPO/patches/$p"
done | sort -u | while read -r f; do
    if [ -f "$PRISTINE/$f" ]; then
        mkdir -p "$dir/$(dirname "$f")"
        cp -p "$PRISTINE/$f" "$dir/$f"
    fi
done
for f in $(series_overlay_files "$REPO"); do
    mkdir -p "$dir/$(dirname "$f")"
    cp -p "$REPO/$f" "$dir/$f"
done
cat > "$dir/q" <<EOQ
#!/bin/bash
# quilt on $REPO/patches, as the series is kept (see scripts/quilt-tree.sh)
cd "$dir" && QUILT_PATCHES="$REPO/patches" QUILT_PC=.pc \\
    QUILT_REFRESH_ARGS="-p ab --no-timestamps --no-index" \\
    QUILT_DIFF_ARGS="-p ab --no-timestamps --no-index" \\
    QUILT_PUSH_ARGS="--fuzz=0" exec quilt --quiltrc=/dev/null "\$@"
EOQ
chmod +x "$dir/q"
say "$dir: ${#SERIES_PATCHES[@]} patches, nothing applied; $dir/q is quilt"
