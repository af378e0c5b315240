#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP test of scripts/prepare.sh on a tiny fake QEMU tree: the overlay and
# the quilt series land in the work tree, an unchanged re-run rewrites
# nothing (so ninja rebuilds nothing), an edit rewrites only the edited
# file, and a patch that no longer applies is reported in one line that
# names it; an overlay file that no patch declares in patches/series, or
# that two declare, stops it.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

# A fake repository: the real prepare.sh with its own overlay and patches.
repo=$tmp/repo
mkdir -p "$repo/scripts" "$repo/patches" "$repo/hw/usb"
cp "$here/../../scripts/prepare.sh" "$here/../../scripts/series-lib.sh" "$repo/scripts/"
echo 'int new_device;' > "$repo/hw/usb/dev-new.c"

pristine=$tmp/pristine
mkdir -p "$pristine/hw/usb" "$pristine/docs"
printf 'files = [\n  "dev-old.c",\n]\n' > "$pristine/hw/usb/meson.build"
echo 'int old_device;' > "$pristine/hw/usb/dev-old.c"
echo 'Documentation' > "$pristine/docs/index.rst"

mkpatch() { # name file old new
    cat > "$repo/patches/$1" <<PATCH
Subject: $1

--- a/$2
+++ b/$2
@@ -1,3 +1,4 @@
 files = [
   "dev-old.c",
+  "$3",
 ]
PATCH
}
mkpatch 0001-build-new.patch hw/usb/meson.build dev-new.c
printf '0001-build-new.patch\n#+ hw/usb/dev-new.c\n' > "$repo/patches/series"

work=$tmp/work
prep() { "$repo/scripts/prepare.sh" "$pristine" "$work" >"$tmp/out" 2>"$tmp/err"; }
changed_since() { find "$work" -type f -newer "$1" ! -name '.cxl-mctp-overlay-files' | sed "s|^$work/||" | sort | tr '\n' ' '; }
marker() { sleep 0.01; touch "$tmp/marker"; sleep 0.01; }

check "first prepare succeeds" prep
check "overlay file is in the work tree" cmp -s "$repo/hw/usb/dev-new.c" "$work/hw/usb/dev-new.c"
check "patch is applied" grep -q '"dev-new.c"' "$work/hw/usb/meson.build"
check "pristine files are in the work tree" cmp -s "$pristine/docs/index.rst" "$work/docs/index.rst"

marker
prep
check "unchanged re-run rewrites no file" test -z "$(changed_since "$tmp/marker")"

marker
echo 'int new_device = 1;' > "$repo/hw/usb/dev-new.c"
prep
check "editing an overlay file rewrites only that file" \
      test "$(changed_since "$tmp/marker")" = "hw/usb/dev-new.c "

marker
mkpatch 0001-build-new.patch hw/usb/meson.build dev-newer.c
prep
check "editing a patch rewrites only the file it patches" \
      test "$(changed_since "$tmp/marker")" = "hw/usb/meson.build "

marker
echo 'int user_edit;' > "$work/docs/index.rst"
touch -d '2000-01-01' "$work/docs/index.rst"
rm "$repo/hw/usb/dev-new.c"
: > "$repo/patches/series"
prep
check "a file dropped from the overlay leaves the work tree" test ! -e "$work/hw/usb/dev-new.c"
check "a file no longer patched is back to pristine" cmp -s "$pristine/hw/usb/meson.build" "$work/hw/usb/meson.build"
check "a stray edit in the work tree is undone" cmp -s "$pristine/docs/index.rst" "$work/docs/index.rst"
check "files put back to pristine look newer to the build" \
      test "$(changed_since "$tmp/marker")" = "docs/index.rst hw/usb/meson.build "

mkpatch 0002-stale.patch hw/usb/dev-old.c whatever
echo 0002-stale.patch > "$repo/patches/series"
if prep; then
    not_ok "a patch that does not apply fails the prepare"
else
    ok "a patch that does not apply fails the prepare"
fi
check "the failure is one line naming the patch" \
      test "$(wc -l < "$tmp/err")" = 1 -a -n "$(grep -F "0002-stale.patch" "$tmp/err")"
sed 's/^/# /' "$tmp/err"

mkpatch 0001-build-new.patch hw/usb/meson.build dev-new.c
echo 'int new_device;' > "$repo/hw/usb/dev-new.c"
echo 0001-build-new.patch > "$repo/patches/series"
if prep; then not_ok "an overlay file no patch declares fails"; else ok "an overlay file no patch declares fails"; fi
check "that failure is one line naming the file" \
      test "$(wc -l < "$tmp/err")" = 1 -a -n "$(grep -F "hw/usb/dev-new.c" "$tmp/err")"
printf '0001-build-new.patch\n#+ hw/usb/dev-new.c\n0002-stale.patch\n#+ hw/usb/dev-new.c\n' > "$repo/patches/series"
if prep; then not_ok "a file two patches declare fails"; else ok "a file two patches declare fails"; fi
check "that failure is one line naming the file and both patches" \
      test "$(wc -l < "$tmp/err")" = 1 -a -n "$(grep -F "hw/usb/dev-new.c is declared by 0001-build-new.patch and by 0002-stale.patch" "$tmp/err")"
rm "$repo/hw/usb/dev-new.c"

echo missing.patch > "$repo/patches/series"
if prep; then not_ok "a series naming a missing patch fails"; else ok "a series naming a missing patch fails"; fi
check "that failure is one line naming it" \
      test "$(wc -l < "$tmp/err")" = 1 -a -n "$(grep -F "missing.patch" "$tmp/err")"

echo "1..$n"
[ "$failed" = 0 ]
