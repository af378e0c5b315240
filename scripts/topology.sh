# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The default emulated topology of the end-to-end tests and of `make run`.
# Source it, then call default_topology_args: it fills the bash array
# TOPOLOGY_ARGS with the QEMU arguments (print_topology_args prints them one
# per line; running this file does the same).  The exported CXL_* variables
# describe what the guest should see; tests assert against them.  Each can be
# overridden from the environment.
#
#   pcie.0 -- pxb-cxl "cxl.1" (bus 12, CXL host bridge, in fixed window 0)
#              `-- cxl-rp "root_port0"
#                   |-- 00.0 cxl-upstream "us0" (switch upstream port)
#                   |     |-- cxl-downstream "swport0" -- cxl-type3 "cxl-pmem0"
#                   |     |-- cxl-downstream "swport1" -- cxl-type3 "cxl-dcd0"
#                   |     `-- cxl-downstream "swport2" (empty)
#                   `-- 00.1 cxl-switch-mailbox-cci "swcci0" (target us0)
#   pcie.0 -- usb-ehci "ehci"  -- usb-cxl-mctp "mctp-usp" (target us0)
#   pcie.0 -- qemu-xhci "xhci" -- usb-cxl-mctp "mctp-dcd" (target cxl-dcd0)
#   pcie.0 -- designware-i2c-pci "i2c0" -- i2c_mctp_cxl at 0x04 (target us0)
#                                       `- i2c_mctp_cxl at 0x05 (target cxl-pmem0,
#                                          254-byte packets)
#   (no bus) cxl-mctp-serial "mctp-serial-usp" (target us0), chardev a
#            listening unix socket $CXL_MCTP_SERIAL_DIR/usp.sock
#   (no bus) cxl-mctp-serial "mctp-serial-pmem" (target cxl-pmem0), on
#            $CXL_MCTP_SERIAL_DIR/pmem.sock
# (CXL_MCTP_I2C=0 leaves out the I2C controller and its endpoints; the
# serial endpoints are there only with CXL_MCTP_SERIAL_DIR set, for a BMC
# VM, bmc_topology_args, whose ttyS1 and ttyS2 connect to the sockets).
# The board: q35 (ARCH=x86_64, the default), or with ARCH=aarch64 virt
# with GICv3 and CXL on, a Cortex-A57 and UEFI (edk2: Linux's CXL driver
# finds its root in the ACPI tables, which QEMU hands to UEFI firmware
# only); pcie.0 is the root bus of both.

export CXL_GUEST_MEM=${CXL_GUEST_MEM:-1G}       # guest RAM (-m)
export CXL_FMW_SIZE=${CXL_FMW_SIZE:-4G}         # CXL fixed memory window 0
export CXL_HB_BUS=${CXL_HB_BUS:-12}             # pxb-cxl bus_nr
export CXL_NUM_DSPS=3                           # switch downstream ports
export CXL_NUM_MEMDEVS=2                        # type 3 devices
export CXL_USP_SN=${CXL_USP_SN:-0x1000}         # switch upstream port serial
export CXL_USP_PORT=3                           # its physical port number
# Type 3 device with persistent memory (RAM-backed here) and a label area.
export CXL_PMEM_ID=cxl-pmem0
export CXL_PMEM_SN=${CXL_PMEM_SN:-0x1001}
export CXL_PMEM_SIZE=${CXL_PMEM_SIZE:-256M}
export CXL_LSA_SIZE=${CXL_LSA_SIZE:-1M}
# Type 3 device with dynamic capacity only; QEMU wants each region to be a
# multiple of 256 MiB.
export CXL_DCD_ID=cxl-dcd0
export CXL_DCD_SN=${CXL_DCD_SN:-0x1002}
export CXL_DCD_SIZE=${CXL_DCD_SIZE:-512M}
export CXL_DCD_REGIONS=${CXL_DCD_REGIONS:-2}
export CXL_USP_ID=us0
export CXL_SWCCI_ID=swcci0
# USB host controllers: EHCI (one USB 2.0 root hub) and xHCI (a USB 2.0 and
# a USB 3.x root hub).
export USB_EHCI_ID=ehci
export USB_XHCI_ID=xhci
export USB_NUM_ROOT_HUBS=3
# MCTP endpoints (usb-cxl-mctp): the switch's behind EHCI (high speed), the
# dynamic capacity device's behind xHCI (super speed).
# MCTP_SWAP_HC=1 puts them the other way round.
export MCTP_USP_ID=mctp-usp
export MCTP_DCD_ID=mctp-dcd
if [ "${MCTP_SWAP_HC:-0}" = 1 ]; then
    MCTP_USP_HC=$USB_XHCI_ID MCTP_DCD_HC=$USB_EHCI_ID
else
    MCTP_USP_HC=$USB_EHCI_ID MCTP_DCD_HC=$USB_XHCI_ID
fi
export MCTP_USP_HC MCTP_DCD_HC
export USB_NUM_MCTP=2
# MCTP over SMBus/I2C: a DesignWare I2C controller (Linux's
# i2c-designware-pci binds it) with an endpoint on the switch and one on
# the persistent-memory device.  The switch's endpoint sends the baseline
# 68-byte packets (64 bytes of payload), the type 3 device's the largest an
# SMBus block write carries (254 bytes, Linux mctp-i2c's default MTU).
export CXL_MCTP_I2C=${CXL_MCTP_I2C:-1}
export I2C_CTRL_ID=i2c0
export I2C_MCTP_USP_ADDR=0x04
export I2C_MCTP_USP_MTU=68
export I2C_MCTP_PMEM_ADDR=0x05
export I2C_MCTP_PMEM_MTU=254
export I2C_NUM_MCTP=2
export I2C_MCTP_ADDRS=$I2C_MCTP_USP_ADDR,$I2C_MCTP_PMEM_ADDR
# MCTP over a serial line (DSP0253; cxl-mctp-serial, not on any guest bus):
# with CXL_MCTP_SERIAL_DIR naming a directory, an endpoint on the switch
# and one on the persistent-memory device, each a unix socket the host
# QEMU listens on.  The BMC VM (bmc_topology_args) is a second, small QEMU
# with no CXL, whose serial ports ttyS1 and ttyS2 are connected to them;
# its Linux puts N_MCTP on both (links mctpserial0 and mctpserial1).
export CXL_MCTP_SERIAL_DIR=${CXL_MCTP_SERIAL_DIR:-}
export SERIAL_MCTP_USP_SOCK=usp.sock
export SERIAL_MCTP_PMEM_SOCK=pmem.sock
export SERIAL_MCTP_TTYS=ttyS1,ttyS2             # in the BMC VM, in that order
export SERIAL_NUM_MCTP=2
export BMC_MEM=${BMC_MEM:-256M}
# aarch64: the CPU model and the UEFI firmware (Debian's qemu-efi-aarch64)
export CXL_ARM_CPU=${CXL_ARM_CPU:-cortex-a57}
export AARCH64_EFI=${AARCH64_EFI:-/usr/share/qemu-efi-aarch64/QEMU_EFI.fd}
# shellcheck disable=SC2054 # the commas are QEMU's
case "${ARCH:-x86_64}" in
aarch64|arm64)
    GUEST_CONSOLE=ttyAMA0
    MACHINE_ARGS=(-machine virt,gic-version=3,cxl=on -cpu "$CXL_ARM_CPU"
                  -bios "$AARCH64_EFI")
    ;;
*)
    GUEST_CONSOLE=ttyS0
    MACHINE_ARGS=(-machine q35,cxl=on)
    ;;
esac
export GUEST_CONSOLE

default_topology_args() {
    # shellcheck disable=SC2054 # the commas are QEMU's
    TOPOLOGY_ARGS=(
        "${MACHINE_ARGS[@]}"
        -m "$CXL_GUEST_MEM"
        -object "memory-backend-ram,id=cxl-pmem0-mem,share=on,size=$CXL_PMEM_SIZE"
        -object "memory-backend-ram,id=cxl-pmem0-lsa,share=on,size=$CXL_LSA_SIZE"
        -object "memory-backend-ram,id=cxl-dcd0-mem,share=on,size=$CXL_DCD_SIZE"
        -device "pxb-cxl,bus_nr=$CXL_HB_BUS,bus=pcie.0,id=cxl.1"
        -device cxl-rp,port=0,bus=cxl.1,id=root_port0,chassis=0,slot=0
        -device "cxl-upstream,bus=root_port0,addr=0.0,multifunction=on,id=$CXL_USP_ID,sn=$CXL_USP_SN,port=$CXL_USP_PORT"
        -device "cxl-switch-mailbox-cci,bus=root_port0,addr=0.1,id=$CXL_SWCCI_ID,target=$CXL_USP_ID"
        -device "cxl-downstream,port=0,bus=$CXL_USP_ID,id=swport0,chassis=0,slot=4"
        -device "cxl-downstream,port=1,bus=$CXL_USP_ID,id=swport1,chassis=0,slot=5"
        -device "cxl-downstream,port=2,bus=$CXL_USP_ID,id=swport2,chassis=0,slot=6"
        -device "cxl-type3,bus=swport0,persistent-memdev=cxl-pmem0-mem,lsa=cxl-pmem0-lsa,id=$CXL_PMEM_ID,sn=$CXL_PMEM_SN"
        -device "cxl-type3,bus=swport1,volatile-dc-memdev=cxl-dcd0-mem,num-dc-regions=$CXL_DCD_REGIONS,id=$CXL_DCD_ID,sn=$CXL_DCD_SN"
        -M "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$CXL_FMW_SIZE"
        -device "usb-ehci,bus=pcie.0,id=$USB_EHCI_ID"
        -device "qemu-xhci,bus=pcie.0,id=$USB_XHCI_ID"
        -device "usb-cxl-mctp,bus=$MCTP_USP_HC.0,target=$CXL_USP_ID,id=$MCTP_USP_ID"
        -device "usb-cxl-mctp,bus=$MCTP_DCD_HC.0,target=$CXL_DCD_ID,id=$MCTP_DCD_ID"
    )
    if [ "$CXL_MCTP_I2C" = 1 ]; then
        TOPOLOGY_ARGS+=(
            -device "designware-i2c-pci,bus=pcie.0,id=$I2C_CTRL_ID"
            -device "i2c_mctp_cxl,bus=$I2C_CTRL_ID,address=$I2C_MCTP_USP_ADDR,mtu=$I2C_MCTP_USP_MTU,target=$CXL_USP_ID,id=mctp-i2c-usp"
            -device "i2c_mctp_cxl,bus=$I2C_CTRL_ID,address=$I2C_MCTP_PMEM_ADDR,mtu=$I2C_MCTP_PMEM_MTU,target=$CXL_PMEM_ID,id=mctp-i2c-pmem"
        )
    fi
    if [ -n "$CXL_MCTP_SERIAL_DIR" ]; then
        TOPOLOGY_ARGS+=(
            -chardev "socket,id=mctp-serial-usp-chr,path=$CXL_MCTP_SERIAL_DIR/$SERIAL_MCTP_USP_SOCK,server=on,wait=off"
            -device "cxl-mctp-serial,chardev=mctp-serial-usp-chr,target=$CXL_USP_ID,id=mctp-serial-usp"
            -chardev "socket,id=mctp-serial-pmem-chr,path=$CXL_MCTP_SERIAL_DIR/$SERIAL_MCTP_PMEM_SOCK,server=on,wait=off"
            -device "cxl-mctp-serial,chardev=mctp-serial-pmem-chr,target=$CXL_PMEM_ID,id=mctp-serial-pmem"
        )
    fi
}

# bmc_topology_args CONSOLE: BMC_ARGS, the QEMU arguments of the BMC VM:
# small, no CXL; its console (ttyS0) on CONSOLE (a -serial argument, e.g.
# mon:stdio), ttyS1 and ttyS2 connected to the host QEMU's cxl-mctp-serial
# sockets in $CXL_MCTP_SERIAL_DIR (connecting again if they close)
bmc_topology_args() {
    local d=$CXL_MCTP_SERIAL_DIR
    [ -n "$d" ] || { echo "bmc_topology_args: CXL_MCTP_SERIAL_DIR is not set" >&2; return 1; }
    # shellcheck disable=SC2054,SC2034 # the commas are QEMU's; the caller's
    BMC_ARGS=(
        -machine q35 -m "$BMC_MEM" -nodefaults
        -serial "$1"
        -chardev "socket,id=bmc-usp,path=$d/$SERIAL_MCTP_USP_SOCK,reconnect-ms=500"
        -serial chardev:bmc-usp
        -chardev "socket,id=bmc-pmem,path=$d/$SERIAL_MCTP_PMEM_SOCK,reconnect-ms=500"
        -serial chardev:bmc-pmem
    )
}

# bmc_append MODE [WORD...]: the BMC VM's kernel command line (its serial
# lines given to the client, the device whose vPPB it cycles), then WORDs
bmc_append() {
    local mode=$1
    shift
    echo "console=ttyS0 panic=-1 cxlmctp.mode=$mode cxlmctp.serial=$SERIAL_MCTP_TTYS cxlmctp.cyclesn=$CXL_PMEM_SN${*:+ $*}"
}

# guest_append MODE [WORD...]: the guest's kernel command line for
# cxlmctp.mode=MODE on this topology (tests/guest/init: the USB devices to
# wait for, the I2C endpoints for the client to set up), then the WORDs
guest_append() {
    local mode=$1 append
    shift
    append="console=$GUEST_CONSOLE panic=-1 cxlmctp.mode=$mode cxlmctp.usbdevs=$USB_NUM_MCTP"
    if [ "$CXL_MCTP_I2C" = 1 ]; then
        append+=" cxlmctp.i2caddrs=$I2C_MCTP_ADDRS"
    fi
    echo "$append${*:+ $*}"
}

print_topology_args() {
    default_topology_args
    printf '%s\n' "${TOPOLOGY_ARGS[@]}"
}

# Run rather than sourced: print the arguments.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    print_topology_args
fi
