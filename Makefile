# SPDX-License-Identifier: GPL-2.0-or-later
#
# Entry point.  `make run` boots the demo, `make check` runs every test.
# QEMU_SRC=/path/to/qemu applies the series to your own QEMU tree instead of
# Debian's qemu 10.2.2 source package.  GUEST_EXTRA=DIR (make run) adds the
# files of DIR to the guest and runs DIR/guest-extra.sh in it (README.md).
# ARCH=aarch64 (make guest|run|check): the guest on QEMU's Arm virt board
# (qemu-system-aarch64 is built beside qemu-system-x86_64 either way).

SHELL := /bin/bash
export QEMU_SRC GUEST_EXTRA ARCH

.PHONY: all deps qemu firmware guest run check bench series series-check \
        series-bisect docs ci check-sanitize check-soak check-aarch64-qtests \
        clean distclean help

all: qemu firmware guest

help:
	@echo "make            build QEMU with the series applied, its firmware and the guest"
	@echo "make run        boot the guest on the default CXL topology and run the FM demo"
	@echo "                (ARGS=shell: stay in a shell, ARGS=report: no demo;"
	@echo "                ARGS=bmc: a second VM, the BMC, manages the fabric over"
	@echo "                cxl-mctp-serial (Linux mctp-serial), both consoles shown;"
	@echo "                ARGS=bmc-bench: the client's benchmark in the BMC VM;"
	@echo "                GUEST_EXTRA=DIR: add DIR's files, run DIR/guest-extra.sh)"
	@echo "make run ARCH=aarch64  the same demo on Arm: qemu-system-aarch64 -M virt"
	@echo "                (GICv3, UEFI), a cross-built aarch64 guest (build/guest-aarch64)"
	@echo "make check      build if needed, then run all tests"
	@echo "make check ARCH=aarch64  the qtests on qemu-system-aarch64 and the guest"
	@echo "                FM test on virt"
	@echo "make check-aarch64-qtests  only those qtests (no guest; a step of make ci)"
	@echo "make bench      usb-cxl-mctp, i2c_mctp_cxl, cxl-mctp-serial against the switch mailbox CCI"
	@echo "                (qtest, callgrind, guest)"
	@echo "make series     write the mail-ready series (cover letter + git format-patch)"
	@echo "                into build/series/patches; author and Signed-off-by from git config"
	@echo "make series-check  series + git am onto pristine 10.2.2 + checkpatch on every"
	@echo "                patch + a -Werror build of the last step (QEMU_SRC=DIR: onto DIR)"
	@echo "make series-bisect series-check + every patch built with gcc and clang -Werror"
	@echo "                + make check's qtests on the last step"
	@echo "make docs       build QEMU's manual with Sphinx; a warning in our pages fails"
	@echo "make ci         what CI runs: check, check-aarch64-qtests, series-check, docs,"
	@echo "                check-sanitize, check-fuzz (.ci/run, .gitlab-ci.yml)"
	@echo "make check-sanitize  the qtests and a guest boot in a clang ASan + UBSan build"
	@echo "make check-soak 200k MCTP commands over USB and I2C, malformed input mixed in,"
	@echo "                QEMU's resident memory watched (not part of make check)"
	@echo "make fuzz TARGET=NAME [FUZZ_TIME=SECONDS]  libFuzzer on the MCTP endpoints"
	@echo "                (cxl-mctp-usb, cxl-mctp-usb-uhci, cxl-mctp-usb-xhci, cxl-mctp-i2c,"
	@echo "                generic-fuzz-designware-i2c-mctp, -ehci-cxl-mctp, -xhci-cxl-mctp)"
	@echo "                under ASan + UBSan: executions, exec/s, coverage, findings"
	@echo "                (build/fuzz)"
	@echo "make fuzz-coverage [TARGET=NAME]  line coverage of the MCTP files from the"
	@echo "                fuzz corpora in build/fuzz/corpus"
	@echo "make check-fuzz the saved fuzz corpora replayed, each fuzz target ~1 minute"
	@echo "make deps       install the build dependencies from Debian (root)"
	@echo "make clean      remove build results, keep downloads and the pristine source"
	@echo "make distclean  remove build/ entirely"

deps:
	@scripts/deps.sh

qemu: deps
	@scripts/qemu.sh

firmware: qemu
	@scripts/firmware.sh

guest: deps
	@scripts/guest.sh

run: all
	@scripts/run.sh $(ARGS)

check: all
	@scripts/check.sh

check-aarch64-qtests: qemu
	@ARCH=aarch64 scripts/check.sh --qtests-only

bench: all
	@scripts/bench.sh

series: qemu
	@scripts/series.sh export

# Both build QEMU first (scripts/qemu.sh) unless QEMU_SRC names another
# tree to check the series against.
series-check: deps
	@scripts/series.sh check

series-bisect: deps
	@scripts/series.sh bisect

docs: qemu
	@scripts/docs.sh

ci: all
	@scripts/ci.sh

check-sanitize: qemu firmware guest
	@scripts/sanitize.sh

check-soak: qemu
	@scripts/soak.sh

# FUZZ_TIME: seconds; FUZZ_RUNS: executions instead; FUZZ_FORK=1: a
# process per input (scripts/fuzz.sh)
.PHONY: fuzz fuzz-coverage check-fuzz
export FUZZ_TIME FUZZ_RUNS FUZZ_FORK

fuzz: qemu
	@scripts/fuzz.sh run "$(TARGET)" "$(FUZZ_TIME)"

fuzz-coverage: qemu
	@scripts/fuzz.sh coverage $(TARGET)

check-fuzz: qemu
	@scripts/fuzz.sh check

# --one-file-system: a running scripts/fresh-machine.sh has /dev, /sys and
# /proc bind-mounted in build/fresh.
clean:
	rm -rf --one-file-system build/qemu build/qemu-user build/guest \
	       build/kernel/obj build/tests build/series build/docs build/fresh

distclean:
	rm -rf --one-file-system build
