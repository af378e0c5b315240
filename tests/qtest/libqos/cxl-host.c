/*
 * The host's view of a CXL topology for qtests: MMCONFIG, enumeration
 * below a CXL host bridge, component and device registers, the mailbox
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * CXL r3.2: 8.1 (DVSECs), 8.2.4 (component registers), 8.2.8 (device
 * registers); PCIe Base 6.0 7.2.2 (ECAM).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "cxl-host.h"

/* MCH's PCIEXBAR (Intel Q35 datasheet): base, length 256 MiB, enable */
#define MCH_PCIEXBAR            0x60
#define MCH_PCIEXBAR_EN         0x1

#define BRIDGE_WINDOW_ALIGN     0x100000

/* Config space */

uint64_t cxl_cfg_addr(const CXLHostFn *fn, uint16_t off)
{
    uint64_t ecam = mctp_machine_is_virt() ? CXL_HOST_VIRT_ECAM_BASE :
        CXL_HOST_ECAM_BASE;

    g_assert_cmpuint(off, <, CXL_HOST_CFG_SIZE);
    return ecam + ((uint64_t)fn->bus << 20) +
        ((uint64_t)fn->devfn << 12) + off;
}

uint8_t cxl_cfg_readb(CXLHost *h, const CXLHostFn *fn, uint16_t off)
{
    return qtest_readb(h->qts, cxl_cfg_addr(fn, off));
}

uint16_t cxl_cfg_readw(CXLHost *h, const CXLHostFn *fn, uint16_t off)
{
    return qtest_readw(h->qts, cxl_cfg_addr(fn, off));
}

uint32_t cxl_cfg_readl(CXLHost *h, const CXLHostFn *fn, uint16_t off)
{
    return qtest_readl(h->qts, cxl_cfg_addr(fn, off));
}

void cxl_cfg_writeb(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint8_t val)
{
    qtest_writeb(h->qts, cxl_cfg_addr(fn, off), val);
}

void cxl_cfg_writew(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint16_t val)
{
    qtest_writew(h->qts, cxl_cfg_addr(fn, off), val);
}

void cxl_cfg_writel(CXLHost *h, const CXLHostFn *fn, uint16_t off,
                    uint32_t val)
{
    qtest_writel(h->qts, cxl_cfg_addr(fn, off), val);
}

void cxl_cfg_read_all(CXLHost *h, const CXLHostFn *fn, uint8_t *buf)
{
    /* MMCONFIG takes at most dword accesses: one qtest read of them all */
    qtest_memread(h->qts, cxl_cfg_addr(fn, 0), buf, CXL_HOST_CFG_SIZE);
}

uint8_t cxl_cfg_find_cap(CXLHost *h, const CXLHostFn *fn, uint8_t id)
{
    uint8_t off;
    int n = 0;

    if (!(cxl_cfg_readw(h, fn, PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
        return 0;
    }
    for (off = cxl_cfg_readb(h, fn, PCI_CAPABILITY_LIST) & ~3; off;
         off = cxl_cfg_readb(h, fn, off + PCI_CAP_LIST_NEXT) & ~3) {
        g_assert_cmpint(++n, <, 64);
        if (cxl_cfg_readb(h, fn, off + PCI_CAP_LIST_ID) == id) {
            return off;
        }
    }
    return 0;
}

/*
 * The first extended capability with ID @id in @fn's list from the one at
 * @off on (PCI_CFG_SPACE_SIZE: the whole list), 0 if none
 */
static uint16_t find_ext_cap_from(CXLHost *h, const CXLHostFn *fn,
                                  uint16_t off, uint16_t id)
{
    int n = 0;

    while (off) {
        uint32_t hdr = cxl_cfg_readl(h, fn, off);

        g_assert_cmpint(++n, <, 256);
        if (hdr == 0 || hdr == 0xffffffff) {
            return 0;
        }
        if (PCI_EXT_CAP_ID(hdr) == id) {
            return off;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    return 0;
}

uint16_t cxl_cfg_find_ext_cap(CXLHost *h, const CXLHostFn *fn, uint16_t id)
{
    return find_ext_cap_from(h, fn, PCI_CFG_SPACE_SIZE, id);
}

uint16_t cxl_cfg_find_dvsec(CXLHost *h, const CXLHostFn *fn,
                            uint16_t dvsec_id)
{
    uint16_t off = find_ext_cap_from(h, fn, PCI_CFG_SPACE_SIZE,
                                     PCI_EXT_CAP_ID_DVSEC);
    int n = 0;

    while (off) {
        g_assert_cmpint(++n, <, 256);
        if ((cxl_cfg_readl(h, fn, off + PCI_DVSEC_HEADER1) & 0xffff) ==
            CXL_DVSEC_VENDOR &&
            cxl_cfg_readw(h, fn, off + PCI_DVSEC_HEADER2) == dvsec_id) {
            return off;
        }
        off = find_ext_cap_from(h, fn,
                                PCI_EXT_CAP_NEXT(cxl_cfg_readl(h, fn, off)),
                                PCI_EXT_CAP_ID_DVSEC);
    }
    return 0;
}

/* Address of @fn's register block @block_id, 0 if it has none */
static uint64_t find_regblock(CXLHost *h, const CXLHostFn *fn,
                              uint8_t block_id)
{
    uint16_t dvsec = cxl_cfg_find_dvsec(h, fn, CXL_DVSEC_REG_LOCATOR);
    uint16_t len, off;

    if (!dvsec) {
        return 0;
    }
    len = cxl_cfg_readl(h, fn, dvsec + PCI_DVSEC_HEADER1) >> 20;
    /* Register Block n at 0Ch + n * 8: Offset Low (BIR, ID), Offset High */
    for (off = 0xc; off + 8 <= len; off += 8) {
        uint32_t lo = cxl_cfg_readl(h, fn, dvsec + off);
        uint32_t hi = cxl_cfg_readl(h, fn, dvsec + off + 4);
        uint8_t bir = lo & 0x7;

        if (((lo >> 8) & 0xff) != block_id) {
            continue;
        }
        g_assert_cmpuint(bir, <, CXL_HOST_NUM_BARS);
        g_assert_cmphex(fn->bar[bir], !=, 0);
        return fn->bar[bir] + ((uint64_t)hi << 32 | (lo & 0xffff0000));
    }
    return 0;
}

/* Enumeration */

void cxl_host_ecam_enable(CXLHost *h)
{
    QPCIDevice *mch;

    if (mctp_machine_is_virt()) {
        return;
    }
    mch = qpci_device_find(h->pcibus, 0);

    g_assert_nonnull(mch);
    qpci_config_writel(mch, MCH_PCIEXBAR + 4, CXL_HOST_ECAM_BASE >> 32);
    qpci_config_writel(mch, MCH_PCIEXBAR,
                       (uint32_t)CXL_HOST_ECAM_BASE | MCH_PCIEXBAR_EN);
    g_free(mch);
}

/* Give @fn's memory BARs addresses from h->mmio_next up */
static void cxl_host_assign_bars(CXLHost *h, CXLHostFn *fn)
{
    int nbars = fn->bridge ? 2 : CXL_HOST_NUM_BARS;
    int i;

    for (i = 0; i < nbars; i++) {
        uint16_t reg = PCI_BASE_ADDRESS_0 + i * 4;
        uint32_t lo = cxl_cfg_readl(h, fn, reg);
        bool is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
            PCI_BASE_ADDRESS_MEM_TYPE_64;
        uint64_t mask, size;

        if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
            continue;           /* no I/O space for the CXL hierarchy */
        }
        cxl_cfg_writel(h, fn, reg, 0xffffffff);
        mask = cxl_cfg_readl(h, fn, reg) & PCI_BASE_ADDRESS_MEM_MASK;
        if (is64) {
            cxl_cfg_writel(h, fn, reg + 4, 0xffffffff);
            mask |= (uint64_t)cxl_cfg_readl(h, fn, reg + 4) << 32;
        } else {
            mask |= 0xffffffff00000000ULL;
        }
        if (mask == 0xffffffff00000000ULL || !mask) {
            if (is64) {
                i++;
            }
            continue;           /* not implemented */
        }
        size = ~mask + 1;
        h->mmio_next = ROUND_UP(h->mmio_next, size);
        fn->bar[i] = h->mmio_next;
        h->mmio_next += size;
        g_assert_cmpuint(h->mmio_next, <=, h->mmio_end);
        if (is64) {
            i++;
        }
    }
}

static void cxl_host_scan_bus(CXLHost *h, uint8_t bus, CXLHostFn *parent);

/* Record, identify and program the function at @bus/@devfn */
static void cxl_host_add_fn(CXLHost *h, uint8_t bus, uint8_t devfn,
                            CXLHostFn *parent)
{
    CXLHostFn *fn;
    uint16_t off;
    uint8_t exp;

    g_assert_cmpuint(h->nfns, <, CXL_HOST_MAX_FNS);
    fn = &h->fn[h->nfns++];
    memset(fn, 0, sizeof(*fn));
    fn->parent = parent;
    fn->bus = bus;
    fn->devfn = devfn;
    cxl_cfg_read_all(h, fn, fn->found_cfg);

    fn->bridge = (cxl_cfg_readb(h, fn, PCI_HEADER_TYPE) & 0x7f) ==
        PCI_HEADER_TYPE_BRIDGE;
    exp = cxl_cfg_find_cap(h, fn, PCI_CAP_ID_EXP);
    if (exp) {
        fn->pcie_type = (cxl_cfg_readw(h, fn, exp + PCI_EXP_FLAGS) &
                         PCI_EXP_FLAGS_TYPE) >> 4;
        fn->port = cxl_cfg_readl(h, fn, exp + PCI_EXP_LNKCAP) >> 24;
    }
    off = cxl_cfg_find_ext_cap(h, fn, PCI_EXT_CAP_ID_DSN);
    if (off) {
        fn->sn = cxl_cfg_readl(h, fn, off + 4) |
            (uint64_t)cxl_cfg_readl(h, fn, off + 8) << 32;
    }

    cxl_host_assign_bars(h, fn);
    fn->command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (fn->bridge) {
        uint64_t base;

        fn->sec_bus = ++h->last_bus;
        fn->sub_bus = 0xff;             /* while the buses below are found */
        fn->mem_base = 0xfff0;          /* window closed until then */
        cxl_host_enable(h, fn);
        h->mmio_next = ROUND_UP(h->mmio_next, BRIDGE_WINDOW_ALIGN);
        base = h->mmio_next;
        cxl_host_scan_bus(h, fn->sec_bus, fn);
        fn->sub_bus = h->last_bus;
        h->mmio_next = ROUND_UP(h->mmio_next, BRIDGE_WINDOW_ALIGN);
        if (h->mmio_next > base) {
            fn->mem_base = base >> 16;
            fn->mem_limit = (h->mmio_next - 1) >> 16;
        } else {
            fn->mem_base = 0xfff0;      /* closed */
            fn->mem_limit = 0;
        }
    }
    cxl_host_enable(h, fn);
    fn->comp_regs = find_regblock(h, fn, CXL_REGBLOCK_COMPONENT);
    fn->dev_regs = find_regblock(h, fn, CXL_REGBLOCK_DEVICE);
}

static void cxl_host_scan_bus(CXLHost *h, uint8_t bus, CXLHostFn *parent)
{
    CXLHostFn probe = { .bus = bus };
    int dev, func;

    for (dev = 0; dev < 32; dev++) {
        for (func = 0; func < 8; func++) {
            probe.devfn = QPCI_DEVFN(dev, func);
            if (cxl_cfg_readw(h, &probe, PCI_VENDOR_ID) == 0xffff) {
                if (func == 0) {
                    break;
                }
                continue;
            }
            cxl_host_add_fn(h, bus, probe.devfn, parent);
            if (func == 0 &&
                !(cxl_cfg_readb(h, &probe, PCI_HEADER_TYPE) & 0x80)) {
                break;          /* not multi-function */
            }
        }
    }
}

void cxl_host_init(CXLHost *h, QTestState *qts, QPCIBus *pcibus,
                   uint8_t root_bus)
{
    memset(h, 0, sizeof(*h));
    h->qts = qts;
    h->pcibus = pcibus;
    h->root_bus = root_bus;
    h->last_bus = root_bus;
    if (mctp_machine_is_virt()) {
        h->mmio_next = CXL_HOST_VIRT_MMIO_BASE;
        h->mmio_end = CXL_HOST_VIRT_MMIO_BASE + CXL_HOST_VIRT_MMIO_SIZE;
    } else {
        h->mmio_next = CXL_HOST_MMIO_BASE;
        h->mmio_end = CXL_HOST_MMIO_BASE + CXL_HOST_MMIO_SIZE;
    }
    cxl_host_ecam_enable(h);
    cxl_host_scan_bus(h, root_bus, NULL);
    g_assert_cmpuint(h->nfns, >, 0);
}

void cxl_host_reinit(CXLHost *h)
{
    unsigned i;

    cxl_host_ecam_enable(h);
    /* Parents come before their children in the table */
    for (i = 0; i < h->nfns; i++) {
        CXLHostFn *fn = &h->fn[i];

        cxl_cfg_read_all(h, fn, fn->found_cfg);
        g_assert_cmphex(lduw_le_p(fn->found_cfg + PCI_VENDOR_ID), !=, 0xffff);
        cxl_host_enable(h, fn);
    }
}

void cxl_host_enable(CXLHost *h, const CXLHostFn *fn)
{
    int i;

    if (fn->bridge) {
        cxl_cfg_writeb(h, fn, PCI_PRIMARY_BUS, fn->bus);
        cxl_cfg_writeb(h, fn, PCI_SECONDARY_BUS, fn->sec_bus);
        cxl_cfg_writeb(h, fn, PCI_SUBORDINATE_BUS, fn->sub_bus);
        cxl_cfg_writew(h, fn, PCI_MEMORY_BASE, fn->mem_base);
        cxl_cfg_writew(h, fn, PCI_MEMORY_LIMIT, fn->mem_limit);
        /* No I/O or prefetchable window */
        cxl_cfg_writeb(h, fn, PCI_IO_BASE, 0xf0);
        cxl_cfg_writeb(h, fn, PCI_IO_LIMIT, 0);
        cxl_cfg_writew(h, fn, PCI_PREF_MEMORY_BASE, 0xfff0);
        cxl_cfg_writew(h, fn, PCI_PREF_MEMORY_LIMIT, 0);
    }
    for (i = 0; i < CXL_HOST_NUM_BARS; i++) {
        uint16_t reg = PCI_BASE_ADDRESS_0 + i * 4;

        if (!fn->bar[i]) {
            continue;
        }
        cxl_cfg_writel(h, fn, reg, (uint32_t)fn->bar[i]);
        if ((cxl_cfg_readl(h, fn, reg) & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
            PCI_BASE_ADDRESS_MEM_TYPE_64) {
            cxl_cfg_writel(h, fn, reg + 4, fn->bar[i] >> 32);
        }
    }
    cxl_cfg_writew(h, fn, PCI_COMMAND, fn->command);
}

CXLHostFn *cxl_host_find_sn(CXLHost *h, uint64_t sn)
{
    unsigned i;

    for (i = 0; i < h->nfns; i++) {
        if (h->fn[i].sn == sn) {
            return &h->fn[i];
        }
    }
    g_assert_not_reached();
}

CXLHostFn *cxl_host_find_port(CXLHost *h, uint8_t pcie_type, uint8_t port)
{
    unsigned i;

    for (i = 0; i < h->nfns; i++) {
        if (h->fn[i].pcie_type == pcie_type && h->fn[i].port == port) {
            return &h->fn[i];
        }
    }
    g_assert_not_reached();
}

/* Register blocks */

uint64_t cxl_host_regblock(CXLHost *h, const CXLHostFn *fn, uint8_t block_id)
{
    uint64_t addr = find_regblock(h, fn, block_id);

    g_assert_cmphex(addr, !=, 0);
    return addr;
}

static uint64_t cxl_comp_addr(CXLHost *h, const CXLHostFn *fn, uint32_t off)
{
    g_assert_cmpuint(off, <, CXL_COMP_CM_SIZE);
    g_assert_cmphex(fn->comp_regs, !=, 0);
    return fn->comp_regs + CXL_COMP_CM_OFFSET + off;
}

uint32_t cxl_comp_readl(CXLHost *h, const CXLHostFn *fn, uint32_t off)
{
    return qtest_readl(h->qts, cxl_comp_addr(h, fn, off));
}

void cxl_comp_writel(CXLHost *h, const CXLHostFn *fn, uint32_t off,
                     uint32_t val)
{
    qtest_writel(h->qts, cxl_comp_addr(h, fn, off), val);
}

uint32_t cxl_comp_find_cap(CXLHost *h, const CXLHostFn *fn, uint16_t cap_id)
{
    uint32_t hdr = cxl_comp_readl(h, fn, 0);
    unsigned n, i;

    /* CXL Capability Header: ID 1, then Array Size headers after it */
    g_assert_cmphex(hdr & 0xffff, ==, 0x0001);
    n = hdr >> 24;
    for (i = 1; i <= n; i++) {
        uint32_t cap = cxl_comp_readl(h, fn, i * 4);

        if ((cap & 0xffff) == cap_id) {
            return cap >> 20;
        }
    }
    g_assert_not_reached();
}

void cxl_hdm_commit(CXLHost *h, const CXLHostFn *fn, int n, uint64_t base,
                    uint64_t size, uint32_t targets)
{
    uint32_t hdm = cxl_comp_find_cap(h, fn, CXL_CAP_HDM);
    uint32_t dec = hdm + CXL_HDM_DECODER(n);

    cxl_comp_writel(h, fn, hdm + CXL_HDM_GLOBAL_CTRL,
                    cxl_comp_readl(h, fn, hdm + CXL_HDM_GLOBAL_CTRL) |
                    CXL_HDM_GLOBAL_ENABLE);
    cxl_comp_writel(h, fn, dec + CXL_HDM_BASE_LO, (uint32_t)base);
    cxl_comp_writel(h, fn, dec + CXL_HDM_BASE_HI, base >> 32);
    cxl_comp_writel(h, fn, dec + CXL_HDM_SIZE_LO, (uint32_t)size);
    cxl_comp_writel(h, fn, dec + CXL_HDM_SIZE_HI, size >> 32);
    cxl_comp_writel(h, fn, dec + CXL_HDM_TARGET_LO, targets);
    cxl_comp_writel(h, fn, dec + CXL_HDM_TARGET_HI, 0);
    /* 1 way, 256-byte granularity */
    cxl_comp_writel(h, fn, dec + CXL_HDM_CTRL, CXL_HDM_CTRL_COMMIT);
    g_assert_cmphex(cxl_comp_readl(h, fn, dec + CXL_HDM_CTRL) &
                    CXL_HDM_CTRL_COMMITTED, ==, CXL_HDM_CTRL_COMMITTED);
}

uint32_t cxl_dev_find_cap(CXLHost *h, const CXLHostFn *fn, uint16_t cap_id,
                          uint32_t *len)
{
    uint64_t regs = fn->dev_regs;
    unsigned count, i;

    /* Capabilities Array Register, then a 16-byte header per capability */
    count = qtest_readq(h->qts, regs) >> 32 & 0xffff;
    for (i = 1; i <= count; i++) {
        uint32_t hdr = qtest_readl(h->qts, regs + i * 16);

        if ((hdr & 0xffff) == cap_id) {
            if (len) {
                *len = qtest_readl(h->qts, regs + i * 16 + 8);
            }
            return qtest_readl(h->qts, regs + i * 16 + 4);
        }
    }
    return 0;
}

void cxl_host_mbox_init(CXLHost *h, const CXLHostFn *fn, CXLMailbox *mb)
{
    /* cxl_mbox_cmd() needs a QPCIDevice only for its bus's MMIO */
    mb->dev = g_new0(QPCIDevice, 1);
    mb->dev->bus = h->pcibus;
    mb->dev->devfn = fn->devfn;
    g_assert_cmphex(fn->dev_regs, !=, 0);
    mb->bar = (QPCIBar) { .addr = fn->dev_regs };
    mb->regs = cxl_dev_find_cap(h, fn, CXL_DEV_CAP_MAILBOX, NULL);
    g_assert_cmphex(mb->regs, !=, 0);
}

/* Reading and comparing registers */

static void read_dev_regs(CXLHost *h, const CXLHostFn *fn, uint8_t *dev)
{
    uint64_t regs = fn->dev_regs;
    unsigned count, i;
    uint32_t off;

    count = qtest_readq(h->qts, regs) >> 32 & 0xffff;
    g_assert_cmpuint((count + 1) * 16, <=, CXL_DEV_REGS_SIZE);
    for (off = 0; off < (count + 1) * 16; off += 8) {
        stq_le_p(dev + off, qtest_readq(h->qts, regs + off));
    }
    for (i = 1; i <= count; i++) {
        uint16_t id = ldl_le_p(dev + i * 16) & 0xffff;
        uint32_t cap = ldl_le_p(dev + i * 16 + 4);
        uint32_t len = ldl_le_p(dev + i * 16 + 8);

        g_assert_cmpuint(cap + len, <=, CXL_DEV_REGS_SIZE);
        if (id == CXL_DEV_CAP_MAILBOX || id == CXL_DEV_CAP_MAILBOX2) {
            /* Capabilities and Control are 32-bit, the rest 64-bit */
            stl_le_p(dev + cap, qtest_readl(h->qts, regs + cap));
            stl_le_p(dev + cap + 4, qtest_readl(h->qts, regs + cap + 4));
            for (off = 8; off < 0x20; off += 8) {
                stq_le_p(dev + cap + off,
                         qtest_readq(h->qts, regs + cap + off));
            }
            qtest_memread(h->qts, regs + cap + 0x20, dev + cap + 0x20,
                          len - 0x20);
            continue;
        }
        for (off = 0; off < len; off += 8) {
            stq_le_p(dev + cap + off, qtest_readq(h->qts, regs + cap + off));
        }
    }
}

static void read_msix(CXLHost *h, const CXLHostFn *fn, uint8_t *msix)
{
    uint8_t cap = cxl_cfg_find_cap(h, fn, PCI_CAP_ID_MSIX);
    uint32_t table, pba, off;
    uint64_t bar;
    unsigned n;

    if (!cap) {
        return;
    }
    n = (cxl_cfg_readw(h, fn, cap + PCI_MSIX_FLAGS) &
         PCI_MSIX_FLAGS_QSIZE) + 1;
    table = cxl_cfg_readl(h, fn, cap + PCI_MSIX_TABLE);
    pba = cxl_cfg_readl(h, fn, cap + PCI_MSIX_PBA);
    /* Both in the same BAR, within its first 4 KiB */
    g_assert_cmpuint(table & PCI_MSIX_TABLE_BIR, ==, pba & PCI_MSIX_PBA_BIR);
    bar = fn->bar[table & PCI_MSIX_TABLE_BIR];
    g_assert_cmphex(bar, !=, 0);
    table &= PCI_MSIX_TABLE_OFFSET;
    pba &= PCI_MSIX_PBA_OFFSET;
    g_assert_cmpuint(table + n * PCI_MSIX_ENTRY_SIZE, <=, CXL_HOST_MSIX_SIZE);
    g_assert_cmpuint(pba + DIV_ROUND_UP(n, 64) * 8, <=, CXL_HOST_MSIX_SIZE);
    for (off = table; off < table + n * PCI_MSIX_ENTRY_SIZE; off += 4) {
        stl_le_p(msix + off, qtest_readl(h->qts, bar + off));
    }
    for (off = pba; off < pba + DIV_ROUND_UP(n, 64) * 8; off += 4) {
        stl_le_p(msix + off, qtest_readl(h->qts, bar + off));
    }
}

void cxl_host_read_regs(CXLHost *h, const CXLHostFn *fn, CXLHostRegs *r)
{
    uint32_t off;

    memset(r, 0, sizeof(*r));
    cxl_cfg_read_all(h, fn, r->cfg);
    if (fn->comp_regs) {
        /* Component registers take 4-byte accesses only */
        for (off = 0; off < CXL_COMP_CM_SIZE; off += 4) {
            stl_le_p(r->comp + off, cxl_comp_readl(h, fn, off));
        }
    }
    if (fn->dev_regs) {
        read_dev_regs(h, fn, r->dev);
    }
    read_msix(h, fn, r->msix);
}

unsigned cxl_regs_diff(const char *what, const uint8_t *expected,
                       const uint8_t *got, size_t len)
{
    unsigned n = 0;
    size_t off;

    for (off = 0; off < len; off += 4) {
        if (memcmp(expected + off, got + off, 4)) {
            g_test_message("%s+0x%03zx: expected 0x%08x, got 0x%08x", what,
                           off, ldl_le_p(expected + off), ldl_le_p(got + off));
            n++;
        }
    }
    return n;
}

uint64_t cxl_host_cfmw_base(QTestState *qts)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    const char *p = strstr(mtree, ": cxl-fixed-memory-region");
    const char *line;

    g_assert_nonnull(p);
    for (line = p; line > mtree && line[-1] != '\n'; line--) {
        ;
    }
    return g_ascii_strtoull(line, NULL, 16);
}
