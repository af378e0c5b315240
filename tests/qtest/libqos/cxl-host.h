/*
 * The host's view of a CXL topology for qtests: what firmware and an OS
 * driver would set up on q35 (or arm virt) before using a CXL device
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Under qtest no firmware runs: nothing has enabled q35's MMCONFIG, given
 * bus numbers to the bridges below a pxb-cxl host bridge or placed the
 * BARs behind them, and CF8/CFC config cycles cannot reach the extended
 * config space (above 0x100) where the CXL DVSECs are.  These helpers do
 * what firmware would:
 *
 *   cxl_host_init()      MMCONFIG (ECAM) on, the hierarchy below the CXL
 *                        host bridge's root bus enumerated: bus numbers,
 *                        memory windows, BARs, command registers
 *   cxl_cfg_*()          config reads and writes of any function, extended
 *                        config space included, through ECAM
 *   cxl_host_enable()    a function's bus numbers, window, BARs and
 *                        command register programmed again (after a reset)
 *   cxl_comp_*()         a function's CXL.cache/mem component registers
 *                        (CXL r3.2 8.2.4: HDM decoders, RAS)
 *   cxl_dev_*()          a type 3 device's device registers (CXL r3.2
 *                        8.2.8: capabilities array, status, mailbox)
 *   cxl_host_mbox_init() its primary mailbox as a CXLMailbox, for
 *                        cxl_mbox_cmd()
 */

#ifndef LIBQOS_CXL_HOST_H
#define LIBQOS_CXL_HOST_H

#include "../libqtest.h"
#include "pci.h"
#include "mctp.h"

/*
 * Where the helpers put MMCONFIG and the CXL hierarchy's BARs on q35; on
 * virt, ECAM is where the machine has it and the BARs go in the top of
 * its 32-bit PCIe MMIO window (libqos's BARs below MCTP_VIRT_PCI_MMIO_END)
 */
#define CXL_HOST_ECAM_BASE      0xb0000000ULL   /* 256 buses */
#define CXL_HOST_MMIO_BASE      0xc0000000ULL
#define CXL_HOST_MMIO_SIZE      0x10000000ULL
#define CXL_HOST_VIRT_ECAM_BASE 0x4010000000ULL /* 256 buses, highmem on */
#define CXL_HOST_VIRT_MMIO_BASE 0x30000000ULL
#define CXL_HOST_VIRT_MMIO_SIZE 0x0e000000ULL   /* up to its PIO window */

#define CXL_HOST_CFG_SIZE       0x1000          /* PCIe config space */
#define CXL_HOST_MAX_FNS        32
#define CXL_HOST_NUM_BARS       6

/* CXL DVSEC IDs (CXL r3.2 Table 8-2), vendor ID 1E98h */
#define CXL_DVSEC_VENDOR        0x1e98
#define CXL_DVSEC_DEVICE        0x0000
#define CXL_DVSEC_PORT_EXT      0x0003
#define CXL_DVSEC_GPF_PORT      0x0004
#define CXL_DVSEC_GPF_DEVICE    0x0005
#define CXL_DVSEC_FLEXBUS_PORT  0x0007
#define CXL_DVSEC_REG_LOCATOR   0x0008

/* Register Locator block identifiers (CXL r3.2 8.1.9.1) */
#define CXL_REGBLOCK_COMPONENT  0x01
#define CXL_REGBLOCK_DEVICE     0x03

/*
 * Component registers (CXL r3.2 8.2.4): the CXL.cache/mem registers are
 * at 0x1000 in the component register block, 4 KiB of them; capability
 * IDs of the CXL Capability Header array
 */
#define CXL_COMP_CM_OFFSET      0x1000
#define CXL_COMP_CM_SIZE        0x1000
#define CXL_CAP_RAS             0x0002
#define CXL_CAP_HDM             0x0005

/* RAS Capability Structure (CXL r3.2 8.2.4.17) */
#define CXL_RAS_UNC_STATUS      0x00
#define CXL_RAS_UNC_MASK        0x04
#define CXL_RAS_UNC_SEVERITY    0x08
#define CXL_RAS_COR_STATUS      0x0c
#define CXL_RAS_COR_MASK        0x10
#define CXL_RAS_CAP_CTRL        0x14

/* HDM Decoder Capability Structure (CXL r3.2 8.2.4.20) */
#define CXL_HDM_GLOBAL_CTRL     0x04
#define CXL_HDM_GLOBAL_ENABLE   (1 << 1)
#define CXL_HDM_DECODER(n)      (0x10 + (n) * 0x20)
#define CXL_HDM_BASE_LO         0x00
#define CXL_HDM_BASE_HI         0x04
#define CXL_HDM_SIZE_LO         0x08
#define CXL_HDM_SIZE_HI         0x0c
#define CXL_HDM_CTRL            0x10
#define CXL_HDM_CTRL_COMMIT     (1 << 9)
#define CXL_HDM_CTRL_COMMITTED  (1 << 10)
#define CXL_HDM_TARGET_LO       0x14    /* DPA skip on a device */
#define CXL_HDM_TARGET_HI       0x18

/* Device registers (CXL r3.2 8.2.8): capability IDs */
#define CXL_DEV_CAP_STATUS      0x0001
#define CXL_DEV_CAP_MAILBOX     0x0002
#define CXL_DEV_CAP_MAILBOX2    0x0003
#define CXL_DEV_CAP_MEMDEV      0x4000
#define CXL_DEV_REGS_SIZE       0x1000  /* what the helpers dump */
#define CXL_HOST_MSIX_SIZE      0x1000  /* of the MSI-X table's BAR */
/*
 * Mailbox registers (CXL r3.2 8.2.8.4), offsets in the capability, with
 * those of libqos/mctp.h: Background Command Status, the interrupt
 * enables of Mailbox Control
 */
#define CXL_MBOX_BG_STS         0x18
#define CXL_MBOX_CTRL_DB_INT    (1 << 1)
#define CXL_MBOX_CTRL_BG_INT    (1 << 2)

/* A function of the hierarchy, and what the host gave it */
typedef struct CXLHostFn CXLHostFn;
struct CXLHostFn {
    CXLHostFn *parent;          /* the bridge above, NULL on the root bus */
    uint8_t bus;
    uint8_t devfn;
    uint8_t pcie_type;          /* PCI_EXP_TYPE_*, from the PCIe capability */
    uint8_t port;               /* port number (Link Capabilities) */
    uint64_t sn;                /* Device Serial Number, 0 if none */
    bool bridge;
    /* What cxl_host_enable() programs */
    uint16_t command;
    uint8_t sec_bus, sub_bus;
    uint16_t mem_base, mem_limit;           /* bridge memory window */
    uint64_t bar[CXL_HOST_NUM_BARS];        /* memory BARs, 0 for none */
    /* Its component and device register blocks, 0 for none */
    uint64_t comp_regs, dev_regs;
    /* Config space as enumeration found it, before programming it */
    uint8_t found_cfg[CXL_HOST_CFG_SIZE];
};

typedef struct CXLHost {
    QTestState *qts;
    QPCIBus *pcibus;            /* CF8/CFC, to enable MMCONFIG (q35) */
    uint64_t mmio_end;          /* the end of the BARs' window */
    uint8_t root_bus;           /* the CXL host bridge's bus */
    uint8_t last_bus;
    uint64_t mmio_next;
    unsigned nfns;
    CXLHostFn fn[CXL_HOST_MAX_FNS];
} CXLHost;

/*
 * Everything a host reads of a CXL function: config space, CXL.cache/mem
 * component registers, device registers (a type 3 device's; zero for a
 * port), the MSI-X table and PBA (from offset 0 of the MSI-X table BAR,
 * zero where neither is)
 */
typedef struct CXLHostRegs {
    uint8_t cfg[CXL_HOST_CFG_SIZE];
    uint8_t comp[CXL_COMP_CM_SIZE];
    uint8_t dev[CXL_DEV_REGS_SIZE];
    uint8_t msix[CXL_HOST_MSIX_SIZE];
} CXLHostRegs;

/* Setting up */

/*
 * Enable q35's MMCONFIG at CXL_HOST_ECAM_BASE (MCH PCIEXBAR, 00:00.0); on
 * virt, ECAM is always on
 */
void cxl_host_ecam_enable(CXLHost *h);
/*
 * Enable MMCONFIG and enumerate the functions below bus @root_bus (a CXL
 * host bridge's, e.g. pxb-cxl's bus_nr), depth first: each function's
 * config space is recorded in found_cfg before it is programmed; bridges
 * get bus numbers and a memory window, every function its memory BARs
 * from CXL_HOST_MMIO_BASE (virt: CXL_HOST_VIRT_MMIO_BASE) up and memory
 * decode and bus mastering.  The
 * same topology always gets the same addresses.
 */
void cxl_host_init(CXLHost *h, QTestState *qts, QPCIBus *pcibus,
                   uint8_t root_bus);
/*
 * After a machine reset: MMCONFIG on again and every function programmed
 * as cxl_host_init() did, its config space recorded in found_cfg first.
 * Asserts the same functions are found.
 */
void cxl_host_reinit(CXLHost *h);
/*
 * Program @fn as cxl_host_init() did (bus numbers and window of a bridge,
 * BARs, command register): what a reset of the function cleared
 */
void cxl_host_enable(CXLHost *h, const CXLHostFn *fn);

/* The function with Device Serial Number @sn; asserts there is one */
CXLHostFn *cxl_host_find_sn(CXLHost *h, uint64_t sn);
/* The port of PCIe type @pcie_type with port number @port; asserts */
CXLHostFn *cxl_host_find_port(CXLHost *h, uint8_t pcie_type, uint8_t port);

/* Config space through ECAM */

/* The ECAM address of @fn's config register at @off (q35's or virt's) */
uint64_t cxl_cfg_addr(const CXLHostFn *fn, uint16_t off);
/* Read or write @fn's config register at @off (any offset below 4 KiB) */
uint8_t cxl_cfg_readb(CXLHost *h, const CXLHostFn *fn, uint16_t off);
uint16_t cxl_cfg_readw(CXLHost *h, const CXLHostFn *fn, uint16_t off);
uint32_t cxl_cfg_readl(CXLHost *h, const CXLHostFn *fn, uint16_t off);
void cxl_cfg_writeb(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint8_t val);
void cxl_cfg_writew(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint16_t val);
void cxl_cfg_writel(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint32_t val);
/* All 4 KiB of @fn's config space into @buf */
void cxl_cfg_read_all(CXLHost *h, const CXLHostFn *fn, uint8_t *buf);
/* Offset of @fn's capability @id (standard list), 0 if none */
uint8_t cxl_cfg_find_cap(CXLHost *h, const CXLHostFn *fn, uint8_t id);
/* Offset of @fn's extended capability @id, 0 if none */
uint16_t cxl_cfg_find_ext_cap(CXLHost *h, const CXLHostFn *fn, uint16_t id);
/* Offset of @fn's CXL DVSEC @dvsec_id, 0 if none */
uint16_t cxl_cfg_find_dvsec(CXLHost *h, const CXLHostFn *fn,
                            uint16_t dvsec_id);

/* Register blocks */

/*
 * Address of @fn's register block @block_id (CXL_REGBLOCK_*), from its
 * Register Locator DVSEC and its BARs; asserts it has one
 */
uint64_t cxl_host_regblock(CXLHost *h, const CXLHostFn *fn,
                           uint8_t block_id);
/*
 * Read or write @fn's CXL.cache/mem component register at @off (in its
 * component register block, found at enumeration; 4-byte accesses only,
 * as CXL r3.2 8.2.2 has it).  @fn's BARs must be enabled.
 */
uint32_t cxl_comp_readl(CXLHost *h, const CXLHostFn *fn, uint32_t off);
void cxl_comp_writel(CXLHost *h, const CXLHostFn *fn, uint32_t off,
                     uint32_t val);
/* Offset of component capability @cap_id (CXL_CAP_*); asserts */
uint32_t cxl_comp_find_cap(CXLHost *h, const CXLHostFn *fn, uint16_t cap_id);
/*
 * Program HDM decoder @n of @fn (a switch upstream port or a type 3
 * device) to decode [@base, @base + @size) to target list @targets (a
 * port's; a device's DPA skip is 0), enable decoding and commit it;
 * asserts it committed
 */
void cxl_hdm_commit(CXLHost *h, const CXLHostFn *fn, int n, uint64_t base,
                    uint64_t size, uint32_t targets);
/*
 * Offset in the device register block of @fn's device capability @cap_id
 * (CXL_DEV_CAP_*), its length in *@len; 0 if it has none
 */
uint32_t cxl_dev_find_cap(CXLHost *h, const CXLHostFn *fn, uint16_t cap_id,
                          uint32_t *len);
/*
 * @fn's primary mailbox, for cxl_mbox_cmd() (@fn's BARs enabled); free it
 * with cxl_mbox_free()
 */
void cxl_host_mbox_init(CXLHost *h, const CXLHostFn *fn, CXLMailbox *mb);

/* Reading and comparing registers */

/*
 * Read what the host sees of @fn into @r: config space, then, through its
 * BARs (enabled), its component registers, device registers with the
 * access size of each register, MSI-X table and PBA
 */
void cxl_host_read_regs(CXLHost *h, const CXLHostFn *fn, CXLHostRegs *r);
/*
 * Compare @len bytes of register dumps @expected and @got; each dword
 * that differs is printed as "@what+offset: expected X, got Y".  Returns
 * the number of dwords that differ.
 */
unsigned cxl_regs_diff(const char *what, const uint8_t *expected,
                       const uint8_t *got, size_t len);

/*
 * The base of the first CXL Fixed Memory Window (cxl-fmw.0), as the
 * machine placed it
 */
uint64_t cxl_host_cfmw_base(QTestState *qts);

#endif /* LIBQOS_CXL_HOST_H */
