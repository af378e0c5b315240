/*
 * QTest testcase for CXL resets: a reset device comes back as at power-on
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * For each way a type 3 device below a CXL switch is reset - a machine
 * reset, a fabric manager's Bind vPPB after Unbind vPPB, Physical Port
 * Control Reset PPB, PERST# asserted then deasserted (CXL r3.2 7.6.7.1.3,
 * 7.6.7.2) and the host's secondary bus reset through the downstream
 * port's Bridge Control - the test reads what the host sees of the device
 * at power-on (nothing has run), writes values other than those to every
 * register and CCI setting it sensibly can, checking each took, resets the
 * device, and compares: config space (all 4 KiB, the CXL DVSECs among it),
 * the CXL.cache/mem component registers, the device registers (mailbox
 * included), the MSI-X table and the CCIs' settings must read as at
 * power-on, byte for byte; each difference is printed with its offset.
 * A hot reset (the secondary bus reset, Reset PPB's link reset) leaves
 * sticky registers as they were: the AER and CXL RAS error logs, masks
 * and severities.  What a device keeps across a power cycle must stay:
 * persistent memory contents, the label storage area and the shutdown
 * state.
 *
 * The host's side is libqos/cxl-host.h (MMCONFIG, bus numbers, BARs); the
 * fabric manager is the switch's mailbox CCI on pcie.0.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "hw/pci/pci_regs.h"
#include "libqos/mctp.h"
#include "libqos/cxl-host.h"

/* A persistent memory device with a label storage area below port 2 */
#define PMEM_SN             0x2002
#define PMEM_PORT           2
#define PMEM_VPPB           2       /* the third lowest port number */
#define PMEM_SIZE           (256 * MiB)
#define RESET_TOPOLOGY \
    CXL_TOPOLOGY \
    "-object memory-backend-ram,id=cxl-pmem2,size=256M " \
    "-object memory-backend-ram,id=cxl-lsa2,size=1M " \
    "-device cxl-type3,bus=swport2,persistent-memdev=cxl-pmem2," \
    "lsa=cxl-lsa2,id=pmem2,sn=0x2002 " \
    SWCCI_ARGS
#define CXL_ROOT_BUS        52

#define SEC                 1000000000LL

/* PCIe Device Control 2: End-End TLP Prefix Blocking */
#define DEVCTL2_EETLPPB     0x8000

/* Opcodes */
#define BG_OP_STATUS        0x0002
#define GET_RSP_LIMIT       0x0003
#define SET_RSP_LIMIT       0x0004
#define GET_INT_POLICY      0x0102
#define SET_INT_POLICY      0x0103
#define GET_TIMESTAMP       0x0300
#define SET_TIMESTAMP       0x0301
#define GET_LSA             0x4102
#define SET_LSA             0x4103
#define GET_ALERT_CONFIG    0x4201
#define SET_ALERT_CONFIG    0x4202
#define GET_SHUTDOWN_STATE  0x4203
#define SET_SHUTDOWN_STATE  0x4204
#define SCAN_MEDIA          0x4304
#define PHYS_PORT_CONTROL   0x5102
#define GET_VCS_INFO        0x5200
#define BIND_VPPB           0x5201
#define UNBIND_VPPB         0x5202
#define TUNNEL              0x5300

#define RC_SUCCESS          0x0000
#define RC_BG_STARTED       0x0001

#define PPB_ASSERT_PERST    0
#define PPB_DEASSERT_PERST  1
#define PPB_RESET           2

#define LSA_OFFSET          0x100
#define LSA_LEN             64
#define PMEM_OFFSET         0x1000

typedef struct CCIState {
    uint8_t int_policy[5];      /* Get Event Interrupt Policy */
    uint8_t timestamp[8];       /* Get Timestamp */
    uint8_t alert_config[16];   /* Get Alert Configuration */
    uint8_t rsp_limit;          /* the FM-owned LD's, through the switch */
} CCIState;

typedef struct ResetTest {
    MCTPTest t;                 /* the machine, and PCI on pcie.0 */
    CXLMailbox fm;              /* the switch mailbox CCI: the FM */
    CXLHost h;
    CXLHostFn *pmem;            /* the device under test */
    CXLHostFn *dsp;             /* its downstream port */
    CXLHostFn *usp;
    CXLMailbox mb;              /* its primary mailbox */
    uint64_t cfmw;              /* the CXL fixed memory window */
    CXLHostRegs power_on;       /* what the host read at power-on */
    CXLHostRegs before;         /* ... just before the reset */
    CXLHostRegs expected;       /* ... and what it must read after it */
    CXLHostRegs now;
    uint16_t aer;               /* its AER capability */
    uint32_t ras;               /* its CXL RAS capability */
    CCIState cci_power_on;
    uint8_t out[CXL_MBOX_PAYLOAD_SIZE];
    size_t out_len;
    unsigned diffs;
} ResetTest;

/* Commands */

static size_t mbox_ok(ResetTest *rt, CXLMailbox *mb, uint16_t opcode,
                      const void *in, size_t len)
{
    g_assert_cmphex(cxl_mbox_cmd(mb, opcode >> 8, opcode & 0xff, in, len,
                                 rt->out, &rt->out_len), ==, RC_SUCCESS);
    return rt->out_len;
}

/*
 * Command @opcode to the FM-owned LD of the device below switch port
 * @port, through the switch mailbox CCI's Tunnel Management Command
 */
static uint16_t tunnel_cmd(ResetTest *rt, uint8_t port, uint16_t opcode,
                           const void *in, size_t len)
{
    uint8_t req[4 + CXL_HDR_SIZE + 64];
    const uint8_t *pl;
    size_t n, pl_len;
    uint16_t rc;

    g_assert_cmpuint(len, <=, 64);
    req[0] = port;
    req[1] = 0;                                 /* port or LD */
    n = cxl_cci_request(req + 4, 0x42, opcode, in, len);
    stw_le_p(req + 2, n);
    mbox_ok(rt, &rt->fm, TUNNEL, req, 4 + n);
    g_assert_cmpuint(rt->out_len, >=, 4);
    g_assert_cmpuint(lduw_le_p(rt->out), ==, rt->out_len - 4);
    rc = cxl_cci_response(rt->out + 4, rt->out_len - 4, 0x42, opcode, &pl,
                          &pl_len);
    memmove(rt->out, pl, pl_len);
    rt->out_len = pl_len;
    return rc;
}

/*
 * Step the virtual clock until the switch CCI's background operation
 * @opcode has completed, successfully
 */
static void fm_wait_bg(ResetTest *rt, uint16_t opcode)
{
    int i;

    for (i = 0; i < 10; i++) {
        qtest_clock_step(rt->t.qts, SEC);
        mbox_ok(rt, &rt->fm, BG_OP_STATUS, NULL, 0);
        g_assert_cmpuint(rt->out_len, ==, 8);
        if (!(rt->out[0] & 1)) {
            g_assert_cmpuint(rt->out[0] >> 1, ==, 100);
            g_assert_cmphex(lduw_le_p(rt->out + 2), ==, opcode);
            g_assert_cmphex(lduw_le_p(rt->out + 4), ==, RC_SUCCESS);
            return;
        }
    }
    g_assert_not_reached();
}

/* vPPB @vppb's binding status (Get Virtual CXL Switch Info) */
static uint8_t fm_vppb_status(ResetTest *rt, uint8_t vppb)
{
    uint8_t in[4] = { vppb, 1, 1, 0 };

    mbox_ok(rt, &rt->fm, GET_VCS_INFO, in, sizeof(in));
    g_assert_cmpuint(rt->out_len, ==, 4 + 4 + 4);
    return rt->out[8];
}

static void fm_port_control(ResetTest *rt, uint8_t op)
{
    uint8_t in[2] = { PMEM_PORT, op };

    mbox_ok(rt, &rt->fm, PHYS_PORT_CONTROL, in, sizeof(in));
}

/* The device answers config reads, or does not (powered off, held) */
static void assert_pmem_present(ResetTest *rt, bool present)
{
    uint16_t vendor = cxl_cfg_readw(&rt->h, rt->pmem, PCI_VENDOR_ID);

    if (present) {
        g_assert_cmphex(vendor, !=, 0xffff);
    } else {
        g_assert_cmphex(vendor, ==, 0xffff);
    }
}

/* Power-on */

static void read_cci_state(ResetTest *rt, CCIState *s)
{
    memset(s, 0, sizeof(*s));
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_INT_POLICY, NULL, 0), ==,
                     sizeof(s->int_policy));
    memcpy(s->int_policy, rt->out, sizeof(s->int_policy));
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_TIMESTAMP, NULL, 0), ==,
                     sizeof(s->timestamp));
    memcpy(s->timestamp, rt->out, sizeof(s->timestamp));
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_ALERT_CONFIG, NULL, 0), ==,
                     sizeof(s->alert_config));
    memcpy(s->alert_config, rt->out, sizeof(s->alert_config));
    g_assert_cmphex(tunnel_cmd(rt, PMEM_PORT, GET_RSP_LIMIT, NULL, 0), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(rt->out_len, ==, 1);
    s->rsp_limit = rt->out[0];
}

/*
 * Boot, set the hierarchy up as firmware would and record what the host
 * reads of the device before anything else touches it
 */
static ResetTest *reset_test_start(void)
{
    ResetTest *rt = g_new0(ResetTest, 1);

    mctp_test_boot(&rt->t, RESET_TOPOLOGY);
    cxl_host_init(&rt->h, rt->t.qts, rt->t.pcibus, CXL_ROOT_BUS);
    rt->pmem = cxl_host_find_sn(&rt->h, PMEM_SN);
    rt->dsp = rt->pmem->parent;
    g_assert_cmpuint(rt->dsp->pcie_type, ==, PCI_EXP_TYPE_DOWNSTREAM);
    g_assert_cmpuint(rt->dsp->port, ==, PMEM_PORT);
    rt->usp = rt->dsp->parent;
    g_assert_cmpuint(rt->usp->pcie_type, ==, PCI_EXP_TYPE_UPSTREAM);
    rt->cfmw = cxl_host_cfmw_base(rt->t.qts);

    cxl_host_read_regs(&rt->h, rt->pmem, &rt->power_on);
    memcpy(rt->power_on.cfg, rt->pmem->found_cfg, CXL_HOST_CFG_SIZE);
    rt->aer = cxl_cfg_find_ext_cap(&rt->h, rt->pmem, PCI_EXT_CAP_ID_ERR);
    rt->ras = cxl_comp_find_cap(&rt->h, rt->pmem, CXL_CAP_RAS);
    cxl_mbox_init(&rt->t, &rt->fm, SWCCI_DEVFN, 0);
    cxl_host_mbox_init(&rt->h, rt->pmem, &rt->mb);
    read_cci_state(rt, &rt->cci_power_on);
    return rt;
}

static void reset_test_end(ResetTest *rt)
{
    cxl_mbox_free(&rt->mb);
    cxl_mbox_free(&rt->fm);
    mctp_test_end(&rt->t);
    g_free(rt);
}

/* Comparing */

/* Registers: each dword that differs */
static void diff(ResetTest *rt, const char *what, const uint8_t *expected,
                 const uint8_t *got, size_t len)
{
    rt->diffs += cxl_regs_diff(what, expected, got, len);
}

/* A command's output: each byte that differs */
static void diff_bytes(ResetTest *rt, const char *what,
                       const uint8_t *expected, const uint8_t *got,
                       size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (expected[i] != got[i]) {
            g_test_message("%s byte %zu: expected 0x%02x, got 0x%02x", what,
                           i, expected[i], got[i]);
            rt->diffs++;
        }
    }
}

/* Writing non-default values */

/* Where a register is: a capability's or DVSEC's, or the header's */
enum { AT_HDR, AT_CAP, AT_EXT_CAP, AT_DVSEC };

typedef struct CfgWrite {
    const char *name;
    int at;
    uint16_t id;                /* capability or DVSEC ID */
    uint16_t off;               /* offset in it */
    int size;
    uint32_t val;               /* written to the bits of @mask */
    uint32_t mask;
} CfgWrite;

static uint16_t cfg_reg(ResetTest *rt, const CXLHostFn *fn,
                        const CfgWrite *w)
{
    uint16_t base = 0;

    switch (w->at) {
    case AT_CAP:
        base = cxl_cfg_find_cap(&rt->h, fn, w->id);
        break;
    case AT_EXT_CAP:
        base = cxl_cfg_find_ext_cap(&rt->h, fn, w->id);
        break;
    case AT_DVSEC:
        base = cxl_cfg_find_dvsec(&rt->h, fn, w->id);
        break;
    }
    if (w->at != AT_HDR && !base) {
        g_test_message("%s: no such capability", w->name);
        g_assert_not_reached();
    }
    return base + w->off;
}

static uint32_t cfg_read(ResetTest *rt, const CXLHostFn *fn, uint16_t reg,
                         int size)
{
    switch (size) {
    case 1:
        return cxl_cfg_readb(&rt->h, fn, reg);
    case 2:
        return cxl_cfg_readw(&rt->h, fn, reg);
    default:
        return cxl_cfg_readl(&rt->h, fn, reg);
    }
}

/*
 * Write each of @writes (the bits of its mask, the others as they are)
 * and check it took and differs from what it was
 */
static void cfg_write_all(ResetTest *rt, const CXLHostFn *fn,
                          const CfgWrite *writes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const CfgWrite *w = &writes[i];
        uint16_t reg = cfg_reg(rt, fn, w);
        uint32_t old = cfg_read(rt, fn, reg, w->size);
        uint32_t val = (old & ~w->mask) | (w->val & w->mask);

        g_test_message("%02x:%02x.%x %s (0x%03x): 0x%x -> 0x%x", fn->bus,
                       fn->devfn >> 3, fn->devfn & 7, w->name, reg, old, val);
        g_assert_cmphex(old & w->mask, !=, w->val & w->mask);
        switch (w->size) {
        case 1:
            cxl_cfg_writeb(&rt->h, fn, reg, val);
            break;
        case 2:
            cxl_cfg_writew(&rt->h, fn, reg, val);
            break;
        default:
            cxl_cfg_writel(&rt->h, fn, reg, val);
            break;
        }
        g_assert_cmphex(cfg_read(rt, fn, reg, w->size) & w->mask, ==,
                        w->val & w->mask);
    }
}

/* CXL Device DVSEC (CXL r3.2 8.1.3) */
#define DVSEC_CTRL          0x0c
#define DVSEC_CTRL_MEM_EN   (1 << 2)
#define DVSEC_CTRL2         0x10
#define DVSEC_LOCK          0x14
#define DVSEC_RANGE1_BASE_HI 0x20
#define DVSEC_RANGE1_BASE_LO 0x24
#define DVSEC_RANGE2_BASE_HI 0x30
#define DVSEC_RANGE2_BASE_LO 0x34

static const CfgWrite type3_writes[] = {
    { "Command", AT_HDR, 0, PCI_COMMAND, 2,
      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE,
      PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE },
    { "Cache Line Size", AT_HDR, 0, PCI_CACHE_LINE_SIZE, 1, 0x10, 0xff },
    { "Interrupt Line", AT_HDR, 0, PCI_INTERRUPT_LINE, 1, 0x0b, 0xff },
    { "PCIe Device Control", AT_CAP, PCI_CAP_ID_EXP, PCI_EXP_DEVCTL, 2,
      0x000f, 0x000f },
    { "PCIe Device Control 2", AT_CAP, PCI_CAP_ID_EXP, PCI_EXP_DEVCTL2, 2,
      DEVCTL2_EETLPPB, DEVCTL2_EETLPPB },
    { "MSI-X Message Control", AT_CAP, PCI_CAP_ID_MSIX, PCI_MSIX_FLAGS, 2,
      PCI_MSIX_FLAGS_ENABLE, PCI_MSIX_FLAGS_ENABLE },
    { "AER Uncorrectable Error Mask", AT_EXT_CAP, PCI_EXT_CAP_ID_ERR,
      PCI_ERR_UNCOR_MASK, 4, PCI_ERR_UNC_COMP_TIME, PCI_ERR_UNC_COMP_TIME },
    { "AER Uncorrectable Error Severity", AT_EXT_CAP, PCI_EXT_CAP_ID_ERR,
      PCI_ERR_UNCOR_SEVER, 4, PCI_ERR_UNC_COMP_ABORT,
      PCI_ERR_UNC_COMP_ABORT },
    { "AER Correctable Error Mask", AT_EXT_CAP, PCI_EXT_CAP_ID_ERR,
      PCI_ERR_COR_MASK, 4, PCI_ERR_COR_BAD_TLP, PCI_ERR_COR_BAD_TLP },
    { "CXL DVSEC Control (Mem_Enable)", AT_DVSEC, CXL_DVSEC_DEVICE,
      DVSEC_CTRL, 2, DVSEC_CTRL_MEM_EN, DVSEC_CTRL_MEM_EN },
    { "CXL DVSEC Control2", AT_DVSEC, CXL_DVSEC_DEVICE, DVSEC_CTRL2, 2,
      0x0009, 0x0009 },
    { "CXL DVSEC Range 1 Base High", AT_DVSEC, CXL_DVSEC_DEVICE,
      DVSEC_RANGE1_BASE_HI, 4, 0x1, 0xffffffff },
    { "CXL DVSEC Range 1 Base Low", AT_DVSEC, CXL_DVSEC_DEVICE,
      DVSEC_RANGE1_BASE_LO, 4, 0x10000000, 0xf0000000 },
    { "CXL DVSEC Range 2 Base High", AT_DVSEC, CXL_DVSEC_DEVICE,
      DVSEC_RANGE2_BASE_HI, 4, 0x2, 0xffffffff },
    { "CXL DVSEC Range 2 Base Low", AT_DVSEC, CXL_DVSEC_DEVICE,
      DVSEC_RANGE2_BASE_LO, 4, 0x20000000, 0xf0000000 },
    { "GPF DVSEC Phase 2 Duration", AT_DVSEC, CXL_DVSEC_GPF_DEVICE, 0x0a, 2,
      0x0205, 0x0f0f },
    { "GPF DVSEC Phase 2 Power", AT_DVSEC, CXL_DVSEC_GPF_DEVICE, 0x0c, 4,
      0x44, 0xffffffff },
    /* Last: after CONFIG_LOCK the locked registers take no more writes */
    { "CXL DVSEC Lock", AT_DVSEC, CXL_DVSEC_DEVICE, DVSEC_LOCK, 2, 0x0001,
      0x0001 },
};

/* A component register written, checked */
static void comp_write(ResetTest *rt, const CXLHostFn *fn, uint32_t off,
                       uint32_t val)
{
    g_assert_cmphex(cxl_comp_readl(&rt->h, fn, off), !=, val);
    cxl_comp_writel(&rt->h, fn, off, val);
    g_assert_cmphex(cxl_comp_readl(&rt->h, fn, off), ==, val);
}

/* RAS masks and severity (CXL r3.2 8.2.4.17) other than at power-on */
static void write_ras(ResetTest *rt, const CXLHostFn *fn)
{
    uint32_t ras = cxl_comp_find_cap(&rt->h, fn, CXL_CAP_RAS);

    comp_write(rt, fn, ras + CXL_RAS_UNC_MASK, 0x1);
    comp_write(rt, fn, ras + CXL_RAS_UNC_SEVERITY, 0x2);
    comp_write(rt, fn, ras + CXL_RAS_COR_MASK, 0x4);
}

/*
 * Errors logged in the RAS capability (status, first error pointer,
 * header log) and in AER, injected as the device would log them
 */
static void inject_errors(ResetTest *rt)
{
    uint8_t exp = cxl_cfg_find_cap(&rt->h, rt->pmem, PCI_CAP_ID_EXP);
    uint8_t cfg[CXL_HOST_CFG_SIZE];

    qtest_qmp_assert_success(rt->t.qts,
        "{ 'execute': 'cxl-inject-uncorrectable-errors', 'arguments': {"
        " 'path': '/machine/peripheral/pmem2', 'errors': ["
        " { 'type': 'mem-data-parity', 'header': [ 1, 2, 3, 4 ] } ] } }");
    qtest_qmp_assert_success(rt->t.qts,
        "{ 'execute': 'cxl-inject-correctable-error', 'arguments': {"
        " 'path': '/machine/peripheral/pmem2', 'type': 'mem-data-ecc' } }");
    g_assert_cmphex(cxl_comp_readl(&rt->h, rt->pmem,
                                   rt->ras + CXL_RAS_UNC_STATUS), ==, 1 << 4);
    g_assert_cmphex(cxl_comp_readl(&rt->h, rt->pmem,
                                   rt->ras + CXL_RAS_COR_STATUS), ==, 1 << 1);
    /* Logging an error changes the error logs and nothing else */
    cxl_cfg_read_all(&rt->h, rt->pmem, cfg);
    if (memcmp(rt->power_on.cfg + exp + PCI_EXP_LNKCAP,
               cfg + exp + PCI_EXP_LNKCAP, 4)) {
        g_test_message("config+0x%03x (Link Capabilities) changed when an "
                       "error was logged: 0x%08x, was 0x%08x",
                       exp + PCI_EXP_LNKCAP,
                       ldl_le_p(cfg + exp + PCI_EXP_LNKCAP),
                       ldl_le_p(rt->power_on.cfg + exp + PCI_EXP_LNKCAP));
        rt->diffs++;
    }
}

/*
 * A CDAT read (CXL r3.2 8.1.11, DOE type 2) whose response the host has
 * not read: the DOE mailbox has a data object ready
 */
static void doe_leave_response(ResetTest *rt)
{
    uint16_t doe = cxl_cfg_find_ext_cap(&rt->h, rt->pmem, PCI_EXT_CAP_ID_DOE);

    g_assert_cmphex(doe, !=, 0);
    cxl_cfg_writel(&rt->h, rt->pmem, doe + PCI_DOE_WRITE,
                   2 << 16 | CXL_DVSEC_VENDOR);     /* CDAT */
    cxl_cfg_writel(&rt->h, rt->pmem, doe + PCI_DOE_WRITE, 3);   /* dwords */
    cxl_cfg_writel(&rt->h, rt->pmem, doe + PCI_DOE_WRITE, 0);   /* entry 0 */
    cxl_cfg_writel(&rt->h, rt->pmem, doe + PCI_DOE_CTRL, PCI_DOE_CTRL_GO);
    g_assert_cmphex(cxl_cfg_readl(&rt->h, rt->pmem, doe + PCI_DOE_STATUS) &
                    PCI_DOE_STATUS_DATA_OBJECT_READY, !=, 0);
}

#define DOE_MAX_DW          (1 << 18)   /* largest data object, PCIe r6.0 */

/*
 * A guest writes one dword more than the largest data object (2^18 DW)
 * to the DOE write mailbox: the device takes no more (DOE Error), no
 * byte lands past the mailbox, and after Abort a CDAT read works
 */
static void test_doe_write_mailbox_full(void)
{
    ResetTest *rt = reset_test_start();
    uint16_t doe = cxl_cfg_find_ext_cap(&rt->h, rt->pmem, PCI_EXT_CAP_ID_DOE);
    uint64_t wr = cxl_cfg_addr(rt->pmem, doe + PCI_DOE_WRITE);
    uint32_t i;

    g_assert_cmphex(doe, !=, 0);
    /* A header announcing the largest object (length 0: 2^18 DW) */
    qtest_writel(rt->t.qts, wr, 2 << 16 | CXL_DVSEC_VENDOR);
    qtest_writel(rt->t.qts, wr, 0);
    for (i = 2; i < DOE_MAX_DW; i++) {
        qtest_writel(rt->t.qts, wr, i);
    }
    g_assert_cmphex(cxl_cfg_readl(&rt->h, rt->pmem, doe + PCI_DOE_STATUS) &
                    PCI_DOE_STATUS_ERROR, ==, 0);
    qtest_writel(rt->t.qts, wr, 0xdeadbeef);
    g_assert_cmphex(cxl_cfg_readl(&rt->h, rt->pmem, doe + PCI_DOE_STATUS) &
                    PCI_DOE_STATUS_ERROR, !=, 0);

    cxl_cfg_writel(&rt->h, rt->pmem, doe + PCI_DOE_CTRL, PCI_DOE_CTRL_ABORT);
    g_assert_cmphex(cxl_cfg_readl(&rt->h, rt->pmem, doe + PCI_DOE_STATUS) &
                    PCI_DOE_STATUS_ERROR, ==, 0);
    doe_leave_response(rt);
    reset_test_end(rt);
}

/*
 * The host maps the persistent memory at the CXL fixed memory window:
 * the switch upstream port's decoder to the device's port, the device's
 * decoder 0
 */
static void map_pmem(ResetTest *rt)
{
    cxl_hdm_commit(&rt->h, rt->usp, 0, rt->cfmw, PMEM_SIZE, PMEM_PORT);
    cxl_hdm_commit(&rt->h, rt->pmem, 0, rt->cfmw, PMEM_SIZE, 0);
}

static void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = seed + i * 7;
    }
}

/*
 * What a device keeps: persistent memory contents, the LSA, the shutdown
 * state (dirty, as the host marks it while it uses persistent memory)
 */
static void write_kept_state(ResetTest *rt)
{
    uint8_t buf[LSA_LEN], back[LSA_LEN], in[8 + LSA_LEN], state = 1;

    pattern(buf, sizeof(buf), 0x5a);
    qtest_memread(rt->t.qts, rt->cfmw + PMEM_OFFSET, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), (uint8_t[LSA_LEN]) { 0 }, LSA_LEN);
    qtest_memwrite(rt->t.qts, rt->cfmw + PMEM_OFFSET, buf, sizeof(buf));
    qtest_memread(rt->t.qts, rt->cfmw + PMEM_OFFSET, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));

    /* Blank and clean at power-on */
    stl_le_p(in, LSA_OFFSET);
    stl_le_p(in + 4, LSA_LEN);
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_LSA, in, 8), ==, LSA_LEN);
    g_assert_cmpmem(rt->out, LSA_LEN, (uint8_t[LSA_LEN]) { 0 }, LSA_LEN);
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_SHUTDOWN_STATE, NULL, 0), ==,
                     1);
    g_assert_cmphex(rt->out[0], ==, 0);

    stl_le_p(in + 4, 0);
    pattern(in + 8, LSA_LEN, 0xa5);
    mbox_ok(rt, &rt->mb, SET_LSA, in, sizeof(in));
    mbox_ok(rt, &rt->mb, SET_SHUTDOWN_STATE, &state, 1);
}

static void check_kept_state(ResetTest *rt)
{
    uint8_t buf[LSA_LEN], back[LSA_LEN], in[8];

    map_pmem(rt);
    pattern(buf, sizeof(buf), 0x5a);
    qtest_memread(rt->t.qts, rt->cfmw + PMEM_OFFSET, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));

    stl_le_p(in, LSA_OFFSET);
    stl_le_p(in + 4, LSA_LEN);
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_LSA, in, sizeof(in)), ==,
                     LSA_LEN);
    pattern(buf, sizeof(buf), 0xa5);
    g_assert_cmpmem(rt->out, LSA_LEN, buf, sizeof(buf));
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_SHUTDOWN_STATE, NULL, 0), ==,
                     1);
    g_assert_cmphex(rt->out[0], ==, 1);
}

/*
 * Everything else the host and the FM can set on the device, to values
 * other than at power-on: config space, component registers, CCI
 * settings, a background operation in progress, then the mailbox's
 * interrupt enables (last: a command rings the doorbell without them)
 */
static void write_non_defaults(ResetTest *rt)
{
    uint8_t policy[5] = { 0x01, 0x01, 0x01, 0x01, 0x01 };
    uint8_t alert[12] = { 0x01, 0x01, 50 };     /* life used warning 50% */
    uint8_t scan[17] = { 0 };
    uint8_t in[8], limit = 8;
    uint64_t mbox, vec;
    uint32_t table;
    CCIState s;
    int i;

    cfg_write_all(rt, rt->pmem, type3_writes, ARRAY_SIZE(type3_writes));

    /* MSI-X vector 0 programmed and unmasked */
    table = cxl_cfg_readl(&rt->h, rt->pmem,
                          cxl_cfg_find_cap(&rt->h, rt->pmem, PCI_CAP_ID_MSIX) +
                          PCI_MSIX_TABLE);
    vec = rt->pmem->bar[table & PCI_MSIX_TABLE_BIR] +
        (table & PCI_MSIX_TABLE_OFFSET);
    qtest_writel(rt->t.qts, vec + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000);
    qtest_writel(rt->t.qts, vec + PCI_MSIX_ENTRY_DATA, 0x41);
    qtest_writel(rt->t.qts, vec + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmphex(qtest_readl(rt->t.qts, vec + PCI_MSIX_ENTRY_DATA), ==,
                    0x41);

    doe_leave_response(rt);
    write_ras(rt, rt->pmem);
    inject_errors(rt);
    map_pmem(rt);
    write_kept_state(rt);

    mbox_ok(rt, &rt->mb, SET_INT_POLICY, policy, sizeof(policy));
    stq_le_p(in, 1000000 * SEC);
    mbox_ok(rt, &rt->mb, SET_TIMESTAMP, in, sizeof(in));
    mbox_ok(rt, &rt->mb, SET_ALERT_CONFIG, alert, sizeof(alert));
    g_assert_cmphex(tunnel_cmd(rt, PMEM_PORT, SET_RSP_LIMIT, &limit, 1), ==,
                    RC_SUCCESS);
    read_cci_state(rt, &s);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(s.int_policy[i] & 3, ==, 1);    /* MSI/MSI-X */
    }
    g_assert_cmphex(ldq_le_p(s.timestamp), >=, 1000000 * SEC);
    g_assert_cmphex(s.alert_config[3], ==, 50);
    g_assert_cmphex(s.rsp_limit, ==, 8);
    g_assert_cmphex(s.rsp_limit, !=, rt->cci_power_on.rsp_limit);

    /* Scan Media of all of it, 2 s: half way through */
    stq_le_p(scan + 8, PMEM_SIZE / 64);
    scan[16] = 1;                       /* no event log */
    g_assert_cmphex(cxl_mbox_cmd(&rt->mb, SCAN_MEDIA >> 8, SCAN_MEDIA & 0xff,
                                 scan, sizeof(scan), rt->out, &rt->out_len),
                    ==, RC_BG_STARTED);
    qtest_clock_step(rt->t.qts, SEC);
    mbox = rt->mb.bar.addr + rt->mb.regs;
    g_assert_cmphex(qtest_readq(rt->t.qts, mbox + CXL_MBOX_BG_STS) & 0xffff,
                    ==, SCAN_MEDIA);
    /* Output left in the payload registers */
    g_assert_cmpuint(mbox_ok(rt, &rt->mb, GET_TIMESTAMP, NULL, 0), ==, 8);

    qtest_writel(rt->t.qts, mbox + CXL_MBOX_CTRL,
                 CXL_MBOX_CTRL_DB_INT | CXL_MBOX_CTRL_BG_INT);
    g_assert_cmphex(qtest_readl(rt->t.qts, mbox + CXL_MBOX_CTRL), ==,
                    CXL_MBOX_CTRL_DB_INT | CXL_MBOX_CTRL_BG_INT);

    cxl_host_read_regs(&rt->h, rt->pmem, &rt->before);
}

/*
 * The device was reset: config space @cfg as the host found it (before
 * programming the device again), then the rest, must read as at power-on;
 * what it keeps is kept.  QEMU models every reset as a cold one (there is
 * no auxiliary power): sticky registers (AER, CXL RAS) return to power-on
 * too, on a secondary bus reset or Reset PPB as on a machine reset.
 * Fails after printing all that differs.
 */
static void check_power_on(ResetTest *rt, const uint8_t *cfg)
{
    CXLHostRegs *exp = &rt->expected;
    uint8_t scan[17] = { 0 };
    CCIState s;

    *exp = rt->power_on;
    diff(rt, "config", exp->cfg, cfg, CXL_HOST_CFG_SIZE);

    cxl_host_enable(&rt->h, rt->pmem);
    cxl_host_read_regs(&rt->h, rt->pmem, &rt->now);
    diff(rt, "component", exp->comp, rt->now.comp, CXL_COMP_CM_SIZE);
    diff(rt, "device regs", exp->dev, rt->now.dev, CXL_DEV_REGS_SIZE);
    diff(rt, "msix", exp->msix, rt->now.msix, sizeof(exp->msix));

    read_cci_state(rt, &s);
    diff_bytes(rt, "Get Event Interrupt Policy", rt->cci_power_on.int_policy,
               s.int_policy, sizeof(s.int_policy));
    diff_bytes(rt, "Get Timestamp", rt->cci_power_on.timestamp, s.timestamp,
               sizeof(s.timestamp));
    diff_bytes(rt, "Get Alert Configuration", rt->cci_power_on.alert_config,
               s.alert_config, sizeof(s.alert_config));
    diff_bytes(rt, "FM-owned LD Get Response Message Limit",
               &rt->cci_power_on.rsp_limit, &s.rsp_limit, 1);

    check_kept_state(rt);

    /* The mailbox takes a new background operation */
    stq_le_p(scan + 8, 1);
    scan[16] = 1;
    g_assert_cmphex(cxl_mbox_cmd(&rt->mb, SCAN_MEDIA >> 8, SCAN_MEDIA & 0xff,
                                 scan, sizeof(scan), rt->out, &rt->out_len),
                    ==, RC_BG_STARTED);

    g_assert_cmpuint(rt->diffs, ==, 0);
}

/* Test cases: the reset paths */

/* A machine reset (system_reset, RESET event) */
static void test_machine_reset(void)
{
    ResetTest *rt = reset_test_start();

    write_non_defaults(rt);
    qtest_system_reset(rt->t.qts);
    /* The switch CCI's BAR is gone too */
    cxl_mbox_free(&rt->fm);
    cxl_host_reinit(&rt->h);
    cxl_mbox_init(&rt->t, &rt->fm, SWCCI_DEVFN, 0);
    check_power_on(rt, rt->pmem->found_cfg);
    reset_test_end(rt);
}

/*
 * The FM unbinds the device's vPPB (the device is powered off) and binds
 * it again: it comes back as if a card had been put into the slot
 */
static void test_bind_after_unbind(void)
{
    uint8_t unbind[3] = { 0, PMEM_VPPB, 0 };
    uint8_t bind[6] = { 0, PMEM_VPPB, PMEM_PORT, 0, 0xff, 0xff };
    ResetTest *rt = reset_test_start();
    uint8_t cfg[CXL_HOST_CFG_SIZE];

    write_non_defaults(rt);
    g_assert_cmphex(cxl_mbox_cmd(&rt->fm, UNBIND_VPPB >> 8, UNBIND_VPPB & 0xff,
                                 unbind, sizeof(unbind), rt->out,
                                 &rt->out_len), ==, RC_BG_STARTED);
    fm_wait_bg(rt, UNBIND_VPPB);
    g_assert_cmpuint(fm_vppb_status(rt, PMEM_VPPB), ==, 0);   /* unbound */
    assert_pmem_present(rt, false);

    g_assert_cmphex(cxl_mbox_cmd(&rt->fm, BIND_VPPB >> 8, BIND_VPPB & 0xff,
                                 bind, sizeof(bind), rt->out, &rt->out_len),
                    ==, RC_BG_STARTED);
    fm_wait_bg(rt, BIND_VPPB);
    g_assert_cmpuint(fm_vppb_status(rt, PMEM_VPPB), ==, 2);   /* bound */
    assert_pmem_present(rt, true);
    cxl_cfg_read_all(&rt->h, rt->pmem, cfg);
    check_power_on(rt, cfg);
    reset_test_end(rt);
}

/* Physical Port Control: Reset PPB */
static void test_reset_ppb(void)
{
    ResetTest *rt = reset_test_start();
    uint8_t cfg[CXL_HOST_CFG_SIZE];

    write_non_defaults(rt);
    fm_port_control(rt, PPB_RESET);
    assert_pmem_present(rt, true);
    cxl_cfg_read_all(&rt->h, rt->pmem, cfg);
    check_power_on(rt, cfg);
    reset_test_end(rt);
}

/* Physical Port Control: PERST# asserted, then deasserted */
static void test_perst(void)
{
    ResetTest *rt = reset_test_start();
    uint8_t cfg[CXL_HOST_CFG_SIZE];

    write_non_defaults(rt);
    fm_port_control(rt, PPB_ASSERT_PERST);
    assert_pmem_present(rt, false);
    qtest_clock_step(rt->t.qts, SEC);
    fm_port_control(rt, PPB_DEASSERT_PERST);
    assert_pmem_present(rt, true);
    cxl_cfg_read_all(&rt->h, rt->pmem, cfg);
    check_power_on(rt, cfg);
    reset_test_end(rt);
}

/* The host's secondary bus reset, through the downstream port */
static void test_secondary_bus_reset(void)
{
    ResetTest *rt = reset_test_start();
    uint8_t cfg[CXL_HOST_CFG_SIZE];
    uint16_t ctl;

    write_non_defaults(rt);
    ctl = cxl_cfg_readw(&rt->h, rt->dsp, PCI_BRIDGE_CONTROL);
    cxl_cfg_writew(&rt->h, rt->dsp, PCI_BRIDGE_CONTROL,
                   ctl | PCI_BRIDGE_CTL_BUS_RESET);
    cxl_cfg_writew(&rt->h, rt->dsp, PCI_BRIDGE_CONTROL, ctl);
    assert_pmem_present(rt, true);
    cxl_cfg_read_all(&rt->h, rt->pmem, cfg);
    check_power_on(rt, cfg);
    reset_test_end(rt);
}

/* Test cases: the switch's own ports */

/* CXL 2.0 Extensions DVSEC for Ports, GPF DVSEC for Ports, Flex Bus */
#define PORT_EXT_CONTROL    0x0c
#define PORT_EXT_ALT_BUS    0x0e
#define PORT_EXT_ALT_MEM    0x10
#define GPF_PORT_PHASE1     0x0c
#define GPF_PORT_PHASE2     0x0e
#define FLEXBUS_CONTROL     0x0c

static const CfgWrite port_writes[] = {
    { "Command", AT_HDR, 0, PCI_COMMAND, 2, PCI_COMMAND_SERR,
      PCI_COMMAND_SERR },
    { "Bridge Control", AT_HDR, 0, PCI_BRIDGE_CONTROL, 2,
      PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR,
      PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR },
    { "PCIe Device Control", AT_CAP, PCI_CAP_ID_EXP, PCI_EXP_DEVCTL, 2,
      0x000f, 0x000f },
    { "AER Uncorrectable Error Mask", AT_EXT_CAP, PCI_EXT_CAP_ID_ERR,
      PCI_ERR_UNCOR_MASK, 4, PCI_ERR_UNC_COMP_TIME, PCI_ERR_UNC_COMP_TIME },
    { "AER Correctable Error Mask", AT_EXT_CAP, PCI_EXT_CAP_ID_ERR,
      PCI_ERR_COR_MASK, 4, PCI_ERR_COR_BAD_TLP, PCI_ERR_COR_BAD_TLP },
    { "Port Extensions DVSEC Control", AT_DVSEC, CXL_DVSEC_PORT_EXT,
      PORT_EXT_CONTROL, 2, 0x000a, 0x000a },
    { "Port Extensions DVSEC Alt Bus Base/Limit", AT_DVSEC,
      CXL_DVSEC_PORT_EXT, PORT_EXT_ALT_BUS, 2, 0x6160, 0xffff },
    { "Port Extensions DVSEC Alt Memory Base", AT_DVSEC, CXL_DVSEC_PORT_EXT,
      PORT_EXT_ALT_MEM, 2, 0x1230, 0xfff0 },
};

static const CfgWrite dsp_writes[] = {
    { "PCIe Slot Control (attention indicator on)", AT_CAP, PCI_CAP_ID_EXP,
      PCI_EXP_SLTCTL, 2, PCI_EXP_SLTCTL_ATTN_IND_ON, PCI_EXP_SLTCTL_AIC },
    { "GPF DVSEC Port Phase 1 Control", AT_DVSEC, CXL_DVSEC_GPF_PORT,
      GPF_PORT_PHASE1, 2, 0x0305, 0x0f0f },
    { "GPF DVSEC Port Phase 2 Control", AT_DVSEC, CXL_DVSEC_GPF_PORT,
      GPF_PORT_PHASE2, 2, 0x0406, 0x0f0f },
    { "Flex Bus Port DVSEC Control (Mem_Enable)", AT_DVSEC,
      CXL_DVSEC_FLEXBUS_PORT, FLEXBUS_CONTROL, 2, 0x0004, 0x0004 },
};

/* "35:00.0 (upstream port 3)" */
static char *fn_name(const CXLHostFn *fn)
{
    const char *type;

    switch (fn->pcie_type) {
    case PCI_EXP_TYPE_ROOT_PORT:
        type = "root port";
        break;
    case PCI_EXP_TYPE_UPSTREAM:
        type = "upstream port";
        break;
    case PCI_EXP_TYPE_DOWNSTREAM:
        type = "downstream port";
        break;
    default:
        return g_strdup_printf("%02x:%02x.%x (sn 0x%" PRIx64 ")", fn->bus,
                               fn->devfn >> 3, fn->devfn & 7, fn->sn);
    }
    return g_strdup_printf("%02x:%02x.%x (%s %u)", fn->bus, fn->devfn >> 3,
                           fn->devfn & 7, type, fn->port);
}

/*
 * The switch upstream and downstream ports come back as at power-on
 * after a machine reset: config space (their DVSECs among it) as found,
 * and their component registers (HDM decoders, RAS)
 */
static void test_switch_ports_machine_reset(void)
{
    ResetTest *rt = reset_test_start();
    g_autofree CXLHostRegs *regs = g_new0(CXLHostRegs, CXL_HOST_MAX_FNS);
    g_autofree uint8_t *found = g_malloc(CXL_HOST_MAX_FNS *
                                         CXL_HOST_CFG_SIZE);
    CXLHost *h = &rt->h;
    unsigned i;

    for (i = 0; i < h->nfns; i++) {
        memcpy(found + i * CXL_HOST_CFG_SIZE, h->fn[i].found_cfg,
               CXL_HOST_CFG_SIZE);
        cxl_host_read_regs(h, &h->fn[i], &regs[i]);
    }
    for (i = 0; i < h->nfns; i++) {
        CXLHostFn *fn = &h->fn[i];

        if (fn->pcie_type == PCI_EXP_TYPE_UPSTREAM ||
            fn->pcie_type == PCI_EXP_TYPE_DOWNSTREAM) {
            cfg_write_all(rt, fn, port_writes, ARRAY_SIZE(port_writes));
            write_ras(rt, fn);
        }
        if (fn->pcie_type == PCI_EXP_TYPE_DOWNSTREAM) {
            cfg_write_all(rt, fn, dsp_writes, ARRAY_SIZE(dsp_writes));
        }
    }
    map_pmem(rt);                       /* the upstream port's decoder */

    qtest_system_reset(rt->t.qts);
    cxl_host_reinit(h);
    for (i = 0; i < h->nfns; i++) {
        CXLHostFn *fn = &h->fn[i];
        g_autofree char *what = fn_name(fn);
        g_autofree char *cfg = g_strdup_printf("%s config", what);
        g_autofree char *comp = g_strdup_printf("%s component", what);

        diff(rt, cfg, found + i * CXL_HOST_CFG_SIZE, fn->found_cfg,
             CXL_HOST_CFG_SIZE);
        cxl_host_read_regs(h, fn, &rt->now);
        diff(rt, comp, regs[i].comp, rt->now.comp, CXL_COMP_CM_SIZE);
    }
    g_assert_cmpuint(rt->diffs, ==, 0);
    reset_test_end(rt);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_device("cxl-type3") ||
        !qtest_has_device("cxl-switch-mailbox-cci")) {
        g_debug("cxl-type3 or cxl-switch-mailbox-cci not available");
        return 0;
    }

    qtest_add_func("/cxl-reset/type3/machine-reset", test_machine_reset);
    qtest_add_func("/cxl-reset/type3/bind-after-unbind",
                   test_bind_after_unbind);
    qtest_add_func("/cxl-reset/type3/reset-ppb", test_reset_ppb);
    qtest_add_func("/cxl-reset/type3/perst", test_perst);
    qtest_add_func("/cxl-reset/type3/secondary-bus-reset",
                   test_secondary_bus_reset);
    qtest_add_func("/cxl-reset/switch-ports/machine-reset",
                   test_switch_ports_machine_reset);
    qtest_add_func("/cxl-reset/type3/doe-write-mailbox-full",
                   test_doe_write_mailbox_full);

    return g_test_run();
}
