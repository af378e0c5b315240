/*
 * QTest testcase for the CXL MCTP endpoints' lifecycle faults: hot-unplug,
 * reset and migration in the middle of a message or of a background
 * command, and the endpoint's target removed under it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each case leaves something half done - a block write without its STOP,
 * a response the endpoint is mastering onto the bus, a request half
 * received, Scan Media or Unbind vPPB running in the background - and
 * then unplugs, resets or migrates what it runs on.  It then checks what
 * a user would notice: the endpoint (or what replaced it) answers, and
 * nothing of the old message turns up; the rest of the machine answers (the
 * switch's mailbox CCI, the other endpoints); the type 3 device's memory is
 * still usable through the CXL fixed memory window; a background operation
 * is not left running for ever, nor reports what ran before a reset.
 *
 * The DesignWare I2C controller sits behind a pcie-root-port, whose slot
 * the test drives as Linux's pciehp would (the q35 ACPI PCI hotplug is
 * off; virt has none): device_del presses the attention button, the test
 * powers the slot off and QEMU removes the function.  The type 3 device
 * below a CXL switch downstream port is removed the same way, through
 * that port's slot.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libqos/mctp.h"
#include "libqos/cxl-host.h"

#define SEC                 (1000 * 1000 * 1000LL)
#define CXL_ROOT_BUS        52

/* PCIe native hotplug on q35's root ports: ACPI PCI hotplug off */
#define NATIVE_HOTPLUG \
    "-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off "
/* ... which virt's have anyway */
#define native_hotplug()    (mctp_machine_is_virt() ? "" : NATIVE_HOTPLUG)

/* The I2C controller behind a root port at 00:05.0, on its bus 1 */
#define RP_DEVFN            QPCI_DEVFN(5, 0)
#define RP_SEC_BUS          1
#define I2C_DEVFN           (RP_SEC_BUS << 8 | QPCI_DEVFN(0, 0))
#define HOST_ADDR           0x10        /* our target address */
#define USP_ADDR            0x04
#define MEM0_ADDR           0x05
#define I2C_ON_ROOT_PORT \
    "-device pcie-root-port,id=rp-i2c,bus=pcie.0,addr=05.0,chassis=1," \
    "slot=1 " \
    "-device designware-i2c-pci,id=i2c0,bus=rp-i2c,addr=0.0 " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x04,target=us0,id=ep-usp " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x05,target=mem0,id=ep-mem0 "
/* After native_hotplug() */
#define I2C_MACHINE         CXL_TOPOLOGY SWCCI_ARGS I2C_ON_ROOT_PORT

/* usb-cxl-mctp on mem0 behind EHCI or UHCI (at 00:1d.0) */
#define USB_DEVFN           QPCI_DEVFN(0x1d, 0)
#define USB_MEM0_ON_EHCI \
    EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,target=mem0,id=usb-mem0 "
#define USB_MACHINE         CXL_TOPOLOGY SWCCI_ARGS USB_MEM0_ON_EHCI
#define USB_USP_ON_UHCI \
    "-device piix3-usb-uhci,id=uhci,bus=pcie.0,addr=1d.0 " \
    "-device usb-cxl-mctp,bus=uhci.0,target=us0,id=usb-usp "

/* Opcodes and return codes */
#define BG_OP_STATUS        0x0002
#define GET_LOG             0x0401
#define SCAN_MEDIA          0x4304
#define GET_SCAN_MEDIA_RESULTS 0x4305
#define IDENTIFY_MEMDEV     0x4000
#define GET_VCS_INFO        0x5200
#define BIND_VPPB           0x5201
#define UNBIND_VPPB         0x5202
#define TUNNEL              0x5300
#define RC_SUCCESS          0x0000
#define RC_BG_STARTED       0x0001
#define RC_UNSUPPORTED      0x0003
#define RC_INTERNAL_ERROR   0x0004
#define VPPB_UNBOUND        0
#define VPPB_IN_PROGRESS    1
#define VPPB_BOUND_PORT     2

/* Scan Media of all of mem0 takes 2.1 s (0.5 ns a byte) */
#define SCAN_MEDIA_NS       (3 * SEC)

#define MEM_OFFSET          0x2000
#define MEM_LEN             64

typedef struct LifecycleTest {
    MCTPTest t;
    CXLMailbox fm;              /* the switch mailbox CCI */
    QPCIDevice *rp;             /* the I2C controller's root port */
    uint8_t rp_exp;             /* its PCIe capability */
    uint64_t rp_window;         /* its memory window, 1 MiB */
    CXLHost h;                  /* the CXL hierarchy, as firmware set it up */
    bool host;
    uint8_t out[CXL_MBOX_PAYLOAD_SIZE];
    size_t out_len;
} LifecycleTest;

/* Commands */

static uint16_t opcode_set(uint16_t opcode)
{
    return opcode >> 8;
}

/* @opcode over MCTP to t->i2c_dest or the USB device; its return code */
static uint16_t mctp_cmd(LifecycleTest *lt, uint8_t type, uint16_t opcode,
                         const void *in, size_t len)
{
    return cxl_cmd(&lt->t, MCTP_EID_NULL, type, opcode_set(opcode),
                   opcode & 0xff, in, len, lt->out, sizeof(lt->out),
                   &lt->out_len);
}

static uint16_t fm_cmd(LifecycleTest *lt, uint16_t opcode, const void *in,
                       size_t len)
{
    return cxl_mbox_cmd(&lt->fm, opcode_set(opcode), opcode & 0xff, in, len,
                        lt->out, &lt->out_len);
}

/* vPPB @vppb's binding status, through the switch mailbox CCI */
static uint8_t fm_vppb_status(LifecycleTest *lt, uint8_t vppb)
{
    uint8_t in[4] = { vppb, 1, 1, 0 };

    g_assert_cmphex(fm_cmd(lt, GET_VCS_INFO, in, sizeof(in)), ==, RC_SUCCESS);
    g_assert_cmpuint(lt->out_len, ==, 4 + 4 + 4);
    return lt->out[8];
}

/* Bind vPPB @vppb to switch port @vppb (as on the command line) */
static void fm_bind_vppb(LifecycleTest *lt, uint8_t vppb)
{
    uint8_t in[6] = { 0, vppb, vppb, 0, 0xff, 0xff };

    g_assert_cmphex(fm_cmd(lt, BIND_VPPB, in, sizeof(in)), ==,
                    RC_BG_STARTED);
    qtest_clock_step(lt->t.qts, SEC);
    g_assert_cmpuint(fm_vppb_status(lt, vppb), ==, VPPB_BOUND_PORT);
}

/* Unbind vPPB @vppb over MCTP (FM-API): it starts in the background */
static void mctp_unbind_vppb(LifecycleTest *lt, uint8_t vppb)
{
    uint8_t in[3] = { 0, vppb, 2 };

    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_FMAPI, UNBIND_VPPB, in,
                             sizeof(in)), ==, RC_BG_STARTED);
    g_assert_cmpuint(fm_vppb_status(lt, vppb), ==, VPPB_IN_PROGRESS);
}

/*
 * The switch answers its mailbox CCI: Identify Switch Device, every port
 * there; vPPBs 0 and 1 bound as on the command line
 */
static void assert_switch_answers(LifecycleTest *lt)
{
    g_assert_cmphex(fm_cmd(lt, CXL_SET_PHYS_SWITCH << 8 |
                           CXL_CMD_IDENTIFY_SWITCH, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmpuint(lt->out_len, ==, 0x49);
    g_assert_cmpuint(lt->out[2], ==, CXL_NUM_DSPS + 1);
    g_assert_cmpuint(fm_vppb_status(lt, 0), ==, VPPB_BOUND_PORT);
    g_assert_cmpuint(fm_vppb_status(lt, 1), ==, VPPB_BOUND_PORT);
}

/* Background Operation Status over MCTP: true if one is running */
static bool mctp_bg_running(LifecycleTest *lt, uint16_t *opcode)
{
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, BG_OP_STATUS, NULL, 0),
                    ==, RC_SUCCESS);
    g_assert_cmpuint(lt->out_len, ==, 8);
    if (opcode) {
        *opcode = lduw_le_p(lt->out + 2);
    }
    return lt->out[0] & 1;
}

/* Scan Media of all of mem0 over MCTP: started in the background */
static void mctp_scan_media(LifecycleTest *lt)
{
    uint8_t in[17] = { 0 };
    uint16_t op;

    stq_le_p(in + 8, CXL_MEM0_SIZE / 64);
    in[16] = 1;                             /* no event log entries */
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, SCAN_MEDIA, in,
                             sizeof(in)), ==, RC_BG_STARTED);
    g_assert_true(mctp_bg_running(lt, &op));
    g_assert_cmphex(op, ==, SCAN_MEDIA);
}

/*
 * Get Scan Media Results: Unsupported until a Scan Media has run since
 * the device's last conventional reset
 */
static uint16_t mctp_scan_results(LifecycleTest *lt)
{
    return mctp_cmd(lt, MCTP_TYPE_CXL_CCI, GET_SCAN_MEDIA_RESULTS, NULL, 0);
}

/*
 * A full Scan Media on the endpoint in front of mem0 runs to the end: no
 * operation running afterwards, the results there
 */
static void assert_scan_media_works(LifecycleTest *lt)
{
    uint16_t op;

    mctp_scan_media(lt);
    qtest_clock_step(lt->t.qts, SCAN_MEDIA_NS);
    g_assert_false(mctp_bg_running(lt, &op));
    g_assert_cmphex(op, ==, SCAN_MEDIA);
    g_assert_cmpuint(lt->out[0] >> 1, ==, 100);
    g_assert_cmphex(lduw_le_p(lt->out + 4), ==, RC_SUCCESS);
    g_assert_cmphex(mctp_scan_results(lt), ==, RC_SUCCESS);
    g_assert_cmpuint(lduw_le_p(lt->out + 18), ==, 0);    /* no poison */
}

/* The endpoint answers, with nothing of an older message queued */
static void assert_endpoint_answers(LifecycleTest *lt, uint8_t eid)
{
    mctp_assert_nothing_queued(&lt->t);
    g_assert_cmphex(mctp_get_eid(&lt->t, MCTP_EID_NULL), ==, eid);
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, CXL_SET_INFOSTAT << 8 |
                             CXL_CMD_IDENTIFY, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmpuint(lt->out_len, ==, 18);
    mctp_assert_nothing_queued(&lt->t);
}

/* Machine */

static LifecycleTest *lifecycle_boot(const char *fmt, ...)
    G_GNUC_PRINTF(1, 2);

static LifecycleTest *lifecycle_boot(const char *fmt, ...)
{
    LifecycleTest *lt = g_new0(LifecycleTest, 1);
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    mctp_test_boot(&lt->t, "%s", args);
    cxl_mbox_init(&lt->t, &lt->fm, SWCCI_DEVFN, 0);
    return lt;
}

static void lifecycle_end(LifecycleTest *lt)
{
    g_free(lt->rp);
    cxl_mbox_free(&lt->fm);
    mctp_test_end(&lt->t);
    g_free(lt);
}

/*
 * The root port as firmware sets it up: bus 1 behind it, a 1 MiB memory
 * window where libqos places the next BAR, decoding on
 */
static void root_port_setup(LifecycleTest *lt)
{
    QPCIBus *bus = lt->t.pcibus;

    lt->rp = qpci_device_find(bus, RP_DEVFN);
    g_assert_nonnull(lt->rp);
    lt->rp_exp = qpci_find_capability(lt->rp, PCI_CAP_ID_EXP, 0);
    g_assert_cmpuint(lt->rp_exp, !=, 0);
    qpci_config_writeb(lt->rp, PCI_PRIMARY_BUS, 0);
    qpci_config_writeb(lt->rp, PCI_SECONDARY_BUS, RP_SEC_BUS);
    qpci_config_writeb(lt->rp, PCI_SUBORDINATE_BUS, RP_SEC_BUS);
    lt->rp_window = QEMU_ALIGN_UP(bus->mmio_alloc_ptr, MiB);
    bus->mmio_alloc_ptr = lt->rp_window + MiB;
    qpci_config_writew(lt->rp, PCI_MEMORY_BASE, lt->rp_window >> 16);
    qpci_config_writew(lt->rp, PCI_MEMORY_LIMIT,
                       (lt->rp_window + MiB - 1) >> 16);
    qpci_config_writew(lt->rp, PCI_PREF_MEMORY_BASE, 0xfff0);
    qpci_config_writew(lt->rp, PCI_PREF_MEMORY_LIMIT, 0);
    qpci_config_writeb(lt->rp, PCI_IO_BASE, 0xf0);
    qpci_config_writeb(lt->rp, PCI_IO_LIMIT, 0);
    qpci_config_writew(lt->rp, PCI_COMMAND,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* The controller behind the root port, its BAR in the port's window */
static void attach_i2c(LifecycleTest *lt)
{
    QPCIBus *bus = lt->t.pcibus;
    uint64_t next = bus->mmio_alloc_ptr;

    bus->mmio_alloc_ptr = lt->rp_window;
    mctp_test_attach_i2c(&lt->t, I2C_DEVFN, HOST_ADDR, USP_ADDR);
    g_assert_cmphex(bus->mmio_alloc_ptr, <=, lt->rp_window + MiB);
    bus->mmio_alloc_ptr = next;
}

static LifecycleTest *i2c_start(void)
{
    LifecycleTest *lt = lifecycle_boot("%s" I2C_MACHINE, native_hotplug());

    root_port_setup(lt);
    attach_i2c(lt);
    return lt;
}

/* The machine's CXL hierarchy set up as firmware does, once */
static void host_setup(LifecycleTest *lt)
{
    if (!lt->host) {
        cxl_host_init(&lt->h, lt->t.qts, lt->t.pcibus, CXL_ROOT_BUS);
        lt->host = true;
    }
}

static void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = seed + i * 13;
    }
}

/*
 * mem0's memory is usable: the host maps it at the CXL fixed memory
 * window (the switch upstream port's HDM decoder 0 to port 0, the
 * device's decoder 0) and reads back what it writes
 */
static void assert_memory_usable(LifecycleTest *lt, uint8_t seed)
{
    uint8_t buf[MEM_LEN], back[MEM_LEN];
    uint64_t cfmw = cxl_host_cfmw_base(lt->t.qts);
    CXLHostFn *mem0, *usp;

    host_setup(lt);
    mem0 = cxl_host_find_sn(&lt->h, CXL_MEM0_SN);
    usp = mem0->parent->parent;
    g_assert_cmpuint(usp->pcie_type, ==, PCI_EXP_TYPE_UPSTREAM);
    cxl_hdm_commit(&lt->h, usp, 0, cfmw, CXL_MEM0_SIZE, CXL_MEM0_PORT);
    cxl_hdm_commit(&lt->h, mem0, 0, cfmw, CXL_MEM0_SIZE, 0);
    pattern(buf, sizeof(buf), seed);
    qtest_memwrite(lt->t.qts, cfmw + MEM_OFFSET, buf, sizeof(buf));
    qtest_memread(lt->t.qts, cfmw + MEM_OFFSET, back, sizeof(back));
    g_assert_cmpmem(back, sizeof(back), buf, sizeof(buf));
}

/* Hotplug */

/*
 * Wait until DEVICE_DELETED has come for each of the @n devices @ids
 * (the last one the device itself, the others what went with it)
 */
static void wait_deleted(QTestState *qts, const char *const *ids, int n)
{
    g_autofree bool *seen = g_new0(bool, n);
    int left = n, i;

    while (left) {
        QDict *rsp = qtest_qmp_eventwait_ref(qts, "DEVICE_DELETED");
        QDict *data = qdict_get_qdict(rsp, "data");
        const char *dev = data ? qdict_get_try_str(data, "device") : NULL;

        for (i = 0; dev && i < n; i++) {
            if (!seen[i] && !strcmp(dev, ids[i])) {
                seen[i] = true;
                left--;
            }
        }
        qobject_unref(rsp);
    }
}

/*
 * What Linux's pciehp does when the attention button is pressed: power
 * indicator off and the slot's power off, in one Slot Control write
 */
static uint16_t slot_power_off(uint16_t sltctl)
{
    g_assert_cmphex(sltctl & PCI_EXP_SLTCTL_PCC, ==, 0);      /* on */
    return (sltctl & ~PCI_EXP_SLTCTL_PIC) | PCI_EXP_SLTCTL_PWR_IND_OFF |
           PCI_EXP_SLTCTL_PCC;
}

/*
 * Hot-unplug the I2C controller: device_del, then the slot powered off.
 * Its endpoints go with it.
 */
static void unplug_i2c(LifecycleTest *lt)
{
    static const char *const ids[] = { "ep-usp", "ep-mem0", "i2c0" };
    uint16_t sltctl;

    qtest_qmp_device_del_send(lt->t.qts, "i2c0");
    sltctl = qpci_config_readw(lt->rp, lt->rp_exp + PCI_EXP_SLTCTL);
    qpci_config_writew(lt->rp, lt->rp_exp + PCI_EXP_SLTCTL,
                       slot_power_off(sltctl));
    wait_deleted(lt->t.qts, ids, ARRAY_SIZE(ids));
    qdw_i2c_free(lt->t.i2c);
    lt->t.i2c = NULL;
    /* The slot is empty */
    g_assert_cmphex(qpci_config_readw(lt->rp, lt->rp_exp + PCI_EXP_SLTSTA) &
                    PCI_EXP_SLTSTA_PDS, ==, 0);
    g_assert_cmphex(qpci_config_readw(lt->rp, lt->rp_exp + PCI_EXP_SLTCTL) &
                    PCI_EXP_SLTCTL_PCC, ==, PCI_EXP_SLTCTL_PCC);
}

/*
 * A new controller in the empty slot, powered on: it works as a master,
 * and nothing answers at the old endpoints' addresses (they went with
 * the old controller, and nothing they had queued comes to this one)
 */
static void replug_i2c(LifecycleTest *lt)
{
    uint8_t frame[SMBUS_FRAME_MAX], pkt[16];
    uint16_t sltctl;
    size_t len;

    qtest_qmp_device_add(lt->t.qts, "designware-i2c-pci", "i2c1",
                         "{'bus': 'rp-i2c', 'addr': '0.0'}");
    sltctl = qpci_config_readw(lt->rp, lt->rp_exp + PCI_EXP_SLTCTL);
    sltctl &= ~(PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_PCC);
    qpci_config_writew(lt->rp, lt->rp_exp + PCI_EXP_SLTCTL,
                       sltctl | PCI_EXP_SLTCTL_PWR_IND_ON);
    attach_i2c(lt);
    mctp_packet_header(pkt, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO | 1);
    pkt[4] = MCTP_TYPE_CONTROL;
    pkt[5] = MCTP_CTRL_RQ | 1;
    pkt[6] = MCTP_GET_EID;
    len = mctp_smbus_frame(&lt->t, frame, pkt, 7);
    g_assert_cmpstr(qdw_i2c_status_str(qdw_i2c_write(lt->t.i2c, USP_ADDR,
                                                     frame, len)),
                    ==, qdw_i2c_status_str(QDW_I2C_ADDR_NAK));
    qtest_clock_step(lt->t.qts, SEC);
    mctp_assert_nothing_queued(&lt->t);
}

/* Messages left half done */

/* Set Response Message Limit to 1 KiB */
static void rsp_limit_1k(LifecycleTest *lt)
{
    uint8_t limit = 10;

    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, CXL_SET_INFOSTAT << 8 |
                             CXL_CMD_SET_RSP_LIMIT, &limit, 1), ==,
                    RC_SUCCESS);
}

/*
 * A Get Log of 1 KiB of the CEL (a response of 17 packets) of which the
 * endpoint at t->i2c_dest has sent two; it is mastering the third onto
 * the bus, held by our full RX FIFO
 */
static void i2c_response_in_flight(LifecycleTest *lt, CXLRequest *r)
{
    uint8_t in[CXL_GET_LOG_IN_SIZE], pkt[256];
    int i;

    rsp_limit_1k(lt);
    cxl_get_cel_in(in, 0, 1024);
    cxl_cmd_send(&lt->t, r, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, CXL_SET_LOGS,
                 CXL_CMD_GET_LOG, in, sizeof(in));
    g_assert_cmpuint(mctp_recv_packet(&lt->t, pkt, sizeof(pkt)), ==,
                     MCTP_BASELINE_MTU);
    g_assert_cmpuint(mctp_recv_packet(&lt->t, pkt, sizeof(pkt)), ==,
                     MCTP_BASELINE_MTU);
    /* Each byte a bottom half of the main loop, which each access runs */
    for (i = 0; i < 1000 && qdw_i2c_readl(lt->t.i2c, DW_IC_RXFLR) <
         qdw_i2c_rx_fifo_depth(lt->t.i2c); i++) {
        qtest_clock_step(lt->t.qts, 10 * 1000);
    }
    g_assert_cmpuint(qdw_i2c_readl(lt->t.i2c, DW_IC_RXFLR), ==,
                     qdw_i2c_rx_fifo_depth(lt->t.i2c));
    g_assert_cmphex(qdw_i2c_readl(lt->t.i2c, DW_IC_STATUS) &
                    DW_IC_STATUS_SLV_ACTIVITY, ==, DW_IC_STATUS_SLV_ACTIVITY);
}

/*
 * A block write to the endpoint at @addr without its STOP: command
 * code, byte count and the start of a packet; the bus stays ours
 */
static void i2c_write_in_progress(LifecycleTest *lt, uint8_t addr)
{
    QDWI2C *i2c = lt->t.i2c;

    qdw_i2c_disable(i2c);
    qdw_i2c_writel(i2c, DW_IC_CON, DW_IC_CON_MASTER_CFG);
    qdw_i2c_writel(i2c, DW_IC_TAR, addr);
    qdw_i2c_writel(i2c, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    qdw_i2c_writel(i2c, DW_IC_DATA_CMD, SMBUS_MCTP_COMMAND);
    qdw_i2c_writel(i2c, DW_IC_DATA_CMD, 1 + 7);
    qdw_i2c_writel(i2c, DW_IC_DATA_CMD, HOST_ADDR << 1 | SMBUS_MCTP_SRC_BIT);
    qdw_i2c_writel(i2c, DW_IC_DATA_CMD, MCTP_HDR_VERSION);
    qtest_clock_step(lt->t.qts, 1000 * 1000);
    g_assert_cmphex(qdw_i2c_readl(i2c, DW_IC_STATUS) &
                    DW_IC_STATUS_MST_ACTIVITY, ==, DW_IC_STATUS_MST_ACTIVITY);
    g_assert_cmpuint(qdw_i2c_readl(i2c, DW_IC_TXFLR), ==, 0);
}

/*
 * The first @first bytes of a request (message type @type, @len bytes
 * from @msg after it) to the null EID, tag @tag, as its first packet; the
 * rest (up to the baseline MTU) in the second with send_second_half()
 */
static void send_part(LifecycleTest *lt, uint8_t tag, uint8_t type,
                      const uint8_t *msg, size_t len, size_t first, int part)
{
    uint8_t pkt[MCTP_HDR_SIZE + 255], m[1 + 255];
    size_t off = part ? first : 0, n = part ? 1 + len - first : first;

    g_assert_cmpuint(1 + len, <=, sizeof(m));
    g_assert_cmpuint(n, <=, MCTP_BASELINE_MTU - MCTP_HDR_SIZE);
    m[0] = type;
    memcpy(m + 1, msg, len);
    mctp_packet_header(pkt, MCTP_EID_NULL, MCTP_TO | tag |
                       (part ? MCTP_EOM | 1 << MCTP_SEQ_SHIFT : MCTP_SOM));
    memcpy(pkt + MCTP_HDR_SIZE, m + off, n);
    lt->t.xport->send_packet(&lt->t, pkt, MCTP_HDR_SIZE + n);
}

/* Test cases: the I2C controller hot-unplugged */

/*
 * Unplugged in the middle of a block write to the switch's endpoint:
 * the controller and its endpoints go; the switch answers its mailbox,
 * mem0's memory works, and a controller plugged into the slot again
 * finds a bus with nothing left on it
 */
static void test_i2c_unplug_mid_write(void)
{
    LifecycleTest *lt = i2c_start();

    assert_endpoint_answers(lt, MCTP_EID_NULL);
    i2c_write_in_progress(lt, USP_ADDR);
    unplug_i2c(lt);
    qtest_clock_step(lt->t.qts, SEC);
    assert_switch_answers(lt);
    assert_memory_usable(lt, 0x11);
    replug_i2c(lt);
    lifecycle_end(lt);
}

/*
 * Unplugged while the switch's endpoint masters a response onto the bus
 * (held by the full RX FIFO), with an Unbind vPPB it started running in
 * the background: the vPPB is not left "binding or unbinding" for ever
 * and can be bound again; the switch answers, mem0's memory works
 */
static void test_i2c_unplug_mid_response(void)
{
    LifecycleTest *lt = i2c_start();
    CXLRequest r;

    mctp_unbind_vppb(lt, 1);
    i2c_response_in_flight(lt, &r);
    unplug_i2c(lt);
    qtest_clock_step(lt->t.qts, SEC);
    g_assert_cmpuint(fm_vppb_status(lt, 1), ==, VPPB_UNBOUND);
    fm_bind_vppb(lt, 1);
    assert_switch_answers(lt);
    assert_memory_usable(lt, 0x22);
    replug_i2c(lt);
    lifecycle_end(lt);
}

/*
 * device_del of an endpoint whose response is half sent: refused (an
 * I2C bus has no hotplug), and the response goes on to its end, whole
 */
static void test_i2c_endpoint_del_mid_response(void)
{
    LifecycleTest *lt = i2c_start();
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t pkt[256];
    const uint8_t *pl;
    size_t len, off = 2 * (MCTP_BASELINE_MTU - MCTP_HDR_SIZE);
    CXLRequest r;
    QDict *rsp;

    g_autofree uint8_t *cel = g_malloc(2048);

    i2c_response_in_flight(lt, &r);
    rsp = qtest_qmp(lt->t.qts, "{ 'execute': 'device_del', "
                    "'arguments': { 'id': 'ep-usp' } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    /* Packets 3 to 17: the rest of the message, in sequence */
    memset(m, 0, sizeof(*m));
    for (;;) {
        len = mctp_recv_packet(&lt->t, pkt, sizeof(pkt));
        g_assert_cmpuint(len, >, MCTP_HDR_SIZE);
        g_assert_cmphex(pkt[3] & MCTP_SOM, ==, 0);
        g_assert_cmphex(pkt[3] & MCTP_TAG_MASK, ==, r.tag);
        g_assert_cmpuint(pkt[3] >> MCTP_SEQ_SHIFT & 3, ==,
                         (2 + m->packets) & 3);
        memcpy(m->data + m->len, pkt + MCTP_HDR_SIZE, len - MCTP_HDR_SIZE);
        m->len += len - MCTP_HDR_SIZE;
        m->packets++;
        if (pkt[3] & MCTP_EOM) {
            break;
        }
    }
    g_assert_cmpuint(m->packets, ==, 15);
    /* 1 + 12 + 1024 bytes in all */
    g_assert_cmpuint(off + m->len, ==, 1 + CXL_HDR_SIZE + 1024);

    /* The same bytes as a Get Log of the CEL read whole now */
    cxl_get_cel_in(pkt, 0, 1024);
    g_assert_cmphex(cxl_cmd(&lt->t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_LOGS, CXL_CMD_GET_LOG, pkt,
                            CXL_GET_LOG_IN_SIZE, cel, 2048, &len), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(len, ==, 1024);
    pl = cel + off - 1 - CXL_HDR_SIZE;
    g_assert_cmpmem(m->data, m->len, pl, m->len);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    lifecycle_end(lt);
}

/* Test cases: resets in the middle of a message */

/*
 * The controller reset through its root port's Secondary Bus Reset, as
 * Linux resets a function without FLR: the controller and the endpoints
 * on its bus come back as at power-on; the driver sets it up again
 */
static void i2c_bus_reset(LifecycleTest *lt)
{
    uint16_t bctl = qpci_config_readw(lt->rp, PCI_BRIDGE_CONTROL);

    qpci_config_writew(lt->rp, PCI_BRIDGE_CONTROL,
                       bctl | PCI_BRIDGE_CTL_BUS_RESET);
    qpci_config_writew(lt->rp, PCI_BRIDGE_CONTROL, bctl);
    qdw_i2c_free(lt->t.i2c);
    lt->t.i2c = NULL;
    attach_i2c(lt);
}

/*
 * Reset in the middle of a block write to the switch's endpoint, whose
 * EID was assigned: the endpoint forgets its EID and the half write, and
 * answers the next request
 */
static void test_i2c_reset_mid_write(void)
{
    LifecycleTest *lt = i2c_start();

    mctp_set_eid(&lt->t, MCTP_EID_NULL, DEVICE_EID);
    i2c_write_in_progress(lt, USP_ADDR);
    i2c_bus_reset(lt);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

/*
 * Reset while the endpoint masters a response onto the bus: it stops,
 * gives the bus up, and the rest of the response never turns up; the
 * response message limit is back at 512 bytes
 */
static void test_i2c_reset_mid_response(void)
{
    LifecycleTest *lt = i2c_start();
    CXLRequest r;

    i2c_response_in_flight(lt, &r);
    i2c_bus_reset(lt);
    qtest_clock_step(lt->t.qts, SEC);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, CXL_SET_INFOSTAT << 8 |
                             CXL_CMD_GET_RSP_LIMIT, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmpuint(lt->out[0], ==, 9);
    /* The other endpoint on the bus too */
    lt->t.i2c_dest = MEM0_ADDR;
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    lifecycle_end(lt);
}

/*
 * USB: a request half sent (its first packet) and a 1 KiB response of
 * which one IN transfer was read, then the controller (EHCI, UHCI or
 * xHCI) is reset (HCRESET) and set up again by its driver: the device
 * answers, with no EID (a USB reset), and nothing of either message
 * turns up
 */
static void usb_half_messages(LifecycleTest *lt)
{
    uint8_t in[CXL_GET_LOG_IN_SIZE], pkt[256], xfer[32];
    CXLRequest r;
    size_t len;

    rsp_limit_1k(lt);
    cxl_get_cel_in(in, 0, 1024);
    cxl_cmd_send(&lt->t, &r, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, CXL_SET_LOGS,
                 CXL_CMD_GET_LOG, in, sizeof(in));
    g_assert_cmpuint(mctp_recv_packet(&lt->t, pkt, sizeof(pkt)), ==,
                     MCTP_BASELINE_MTU);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_TO | 5,
                         (const uint8_t[]) { MCTP_TYPE_CONTROL }, 1);
    mctp_bulk_out(&lt->t, xfer, len);
    lt->t.rx_len = lt->t.rx_off = 0;
}

static void test_ehci_reset_mid_message(void)
{
    LifecycleTest *lt = lifecycle_boot(CXL_TOPOLOGY SWCCI_ARGS EHCI_ARGS
                                       "-device usb-cxl-mctp,bus=ehci.0,"
                                       "target=us0,id=usb-usp ");

    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    mctp_set_eid(&lt->t, MCTP_EID_NULL, DEVICE_EID);
    usb_half_messages(lt);
    qusb_device_forget(lt->t.dev);
    qusb_forget(lt->t.hc);
    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

static void test_uhci_reset_mid_message(void)
{
    LifecycleTest *lt = lifecycle_boot(CXL_TOPOLOGY SWCCI_ARGS
                                       USB_USP_ON_UHCI);

    mctp_test_attach_uhci(&lt->t, USB_DEVFN);
    mctp_set_eid(&lt->t, MCTP_EID_NULL, DEVICE_EID);
    usb_half_messages(lt);
    qusb_device_forget(lt->t.udev);
    qusb_forget(lt->t.uhci);
    mctp_test_attach_uhci(&lt->t, USB_DEVFN);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

/* Test cases: a background command in flight */

/*
 * Scan Media running on mem0 (started through its usb-cxl-mctp endpoint)
 * when the endpoint is reset (a USB port reset): the endpoint's CCI comes
 * back as at power-on, no operation running, the interrupted scan never
 * ends (no results, however long one waits), and a new Scan Media runs
 */
static void test_bg_scan_media_endpoint_reset(void)
{
    LifecycleTest *lt = lifecycle_boot(USB_MACHINE);
    int port;

    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    mctp_scan_media(lt);
    port = qusb_first_connected_port(lt->t.hc);
    qusb_device_free(lt->t.dev);
    lt->t.dev = qusb_enumerate(lt->t.hc, port, USB_ADDR, lt->t.desc);
    assert_xfer_ok(qusb_set_configuration(lt->t.dev, 1));
    g_assert_false(mctp_bg_running(lt, NULL));
    qtest_clock_step(lt->t.qts, SCAN_MEDIA_NS);
    g_assert_false(mctp_bg_running(lt, NULL));
    g_assert_cmphex(mctp_scan_results(lt), ==, RC_UNSUPPORTED);
    assert_scan_media_works(lt);
    assert_memory_usable(lt, 0x33);
    lifecycle_end(lt);
}

/*
 * Scan Media running when the machine is reset: afterwards no scan has
 * run since the device's reset (Get Scan Media Results says so, however
 * long one waits), and a new one runs
 */
static void test_bg_scan_media_system_reset(void)
{
    LifecycleTest *lt = lifecycle_boot(USB_MACHINE);

    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    mctp_scan_media(lt);
    qtest_system_reset(lt->t.qts);
    qusb_device_forget(lt->t.dev);
    qusb_forget(lt->t.hc);
    cxl_mbox_free(&lt->fm);
    cxl_mbox_init(&lt->t, &lt->fm, SWCCI_DEVFN, 0);
    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    g_assert_false(mctp_bg_running(lt, NULL));
    qtest_clock_step(lt->t.qts, SCAN_MEDIA_NS);
    g_assert_false(mctp_bg_running(lt, NULL));
    g_assert_cmphex(mctp_scan_results(lt), ==, RC_UNSUPPORTED);
    assert_scan_media_works(lt);
    assert_memory_usable(lt, 0x44);
    lifecycle_end(lt);
}

/*
 * Scan Media running when its endpoint is unplugged: the machine goes on
 * (the CCI's timer goes with it), mem0's memory works, and an endpoint
 * plugged in again runs a new Scan Media
 */
static void test_bg_scan_media_endpoint_unplug(void)
{
    LifecycleTest *lt = lifecycle_boot(USB_MACHINE);

    mctp_test_attach_ehci(&lt->t, USB_DEVFN);
    mctp_scan_media(lt);
    qtest_qmp_device_del(lt->t.qts, "usb-mem0");
    qusb_device_free(lt->t.dev);
    lt->t.dev = NULL;
    qtest_clock_step(lt->t.qts, SCAN_MEDIA_NS);
    assert_memory_usable(lt, 0x55);
    qtest_qmp_device_add(lt->t.qts, "usb-cxl-mctp", "usb-mem0-again",
                         "{'bus': 'ehci.0', 'target': 'mem0'}");
    lt->t.dev = qusb_enumerate(lt->t.hc, qusb_first_connected_port(lt->t.hc),
                               USB_ADDR, lt->t.desc);
    assert_xfer_ok(qusb_set_configuration(lt->t.dev, 1));
    g_assert_false(mctp_bg_running(lt, NULL));
    assert_scan_media_works(lt);
    lifecycle_end(lt);
}

/*
 * Scan Media running on mem0 (through its I2C endpoint) when the machine
 * migrates: on the destination the endpoint answers, no operation is left
 * running for ever, and a new Scan Media runs
 */
static void test_bg_scan_media_migrate(void)
{
    LifecycleTest *lt = i2c_start();
    uint16_t op;
    int i;

    lt->t.i2c_dest = MEM0_ADDR;
    mctp_scan_media(lt);
    mctp_test_migrate(&lt->t, "%s" I2C_MACHINE, native_hotplug());
    g_free(lt->rp);
    lt->rp = qpci_device_find(lt->t.pcibus, RP_DEVFN);
    cxl_mbox_free(&lt->fm);
    cxl_mbox_init(&lt->t, &lt->fm, SWCCI_DEVFN, 0);
    for (i = 0; i < 3 && mctp_bg_running(lt, &op); i++) {
        qtest_clock_step(lt->t.qts, SEC);
    }
    g_assert_false(mctp_bg_running(lt, NULL));
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_scan_media_works(lt);
    lifecycle_end(lt);
}

/*
 * Unbind vPPB running (started through the switch's I2C endpoint) when
 * the endpoint is reset: the vPPB is not left in progress, and can be
 * bound and unbound again
 */
static void test_bg_unbind_endpoint_reset(void)
{
    LifecycleTest *lt = i2c_start();

    mctp_unbind_vppb(lt, 1);
    i2c_bus_reset(lt);
    qtest_clock_step(lt->t.qts, SEC);
    g_assert_cmpuint(fm_vppb_status(lt, 1), ==, VPPB_UNBOUND);
    fm_bind_vppb(lt, 1);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    mctp_unbind_vppb(lt, 1);
    qtest_clock_step(lt->t.qts, SEC);
    g_assert_cmpuint(fm_vppb_status(lt, 1), ==, VPPB_UNBOUND);
    lifecycle_end(lt);
}

/*
 * Unbind vPPB running when the machine migrates: on the destination the
 * vPPB is not left in progress, and the endpoint can unbind it (again)
 */
static void test_bg_unbind_migrate(void)
{
    LifecycleTest *lt = i2c_start();
    uint8_t st;

    mctp_unbind_vppb(lt, 1);
    mctp_test_migrate(&lt->t, "%s" I2C_MACHINE, native_hotplug());
    g_free(lt->rp);
    lt->rp = qpci_device_find(lt->t.pcibus, RP_DEVFN);
    cxl_mbox_free(&lt->fm);
    cxl_mbox_init(&lt->t, &lt->fm, SWCCI_DEVFN, 0);
    qtest_clock_step(lt->t.qts, SEC);
    st = fm_vppb_status(lt, 1);
    g_assert_cmpuint(st, !=, VPPB_IN_PROGRESS);
    if (st == VPPB_UNBOUND) {
        fm_bind_vppb(lt, 1);
    }
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    mctp_unbind_vppb(lt, 1);
    qtest_clock_step(lt->t.qts, SEC);
    g_assert_cmpuint(fm_vppb_status(lt, 1), ==, VPPB_UNBOUND);
    lifecycle_end(lt);
}

/* Test cases: the endpoint's target removed */

/* Is @id a device of the machine (-device or device_add)? */
static bool qom_has_peripheral(QTestState *qts, const char *id)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'qom-list', 'arguments': "
                           "{ 'path': '/machine/peripheral' } }");
    QList *list = qdict_get_qlist(rsp, "return");
    const QListEntry *e;
    bool found = false;

    g_assert_nonnull(list);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));

        found |= !strcmp(qdict_get_str(prop, "name"), id);
    }
    qobject_unref(rsp);
    return found;
}

/*
 * Hot-remove mem0 from switch port 0: device_del, then the port's slot
 * powered off, as the host's pciehp does; or, @by_guest, the guest
 * powers the slot off on its own, which removes the device too
 */
static void remove_mem0(LifecycleTest *lt, bool by_guest)
{
    static const char *const ids[] = { "mem0" };
    CXLHostFn *mem0, *dsp;
    uint8_t exp;
    uint16_t sltctl;

    host_setup(lt);
    mem0 = cxl_host_find_sn(&lt->h, CXL_MEM0_SN);
    dsp = mem0->parent;
    g_assert_cmpuint(dsp->port, ==, CXL_MEM0_PORT);
    exp = cxl_cfg_find_cap(&lt->h, dsp, PCI_CAP_ID_EXP);
    g_assert_cmpuint(exp, !=, 0);
    if (!by_guest) {
        qtest_qmp_device_del_send(lt->t.qts, "mem0");
    }
    sltctl = cxl_cfg_readw(&lt->h, dsp, exp + PCI_EXP_SLTCTL);
    cxl_cfg_writew(&lt->h, dsp, exp + PCI_EXP_SLTCTL, slot_power_off(sltctl));
    g_assert_cmphex(cxl_cfg_readw(&lt->h, mem0, PCI_VENDOR_ID), ==, 0xffff);
    g_assert_false(qom_has_peripheral(lt->t.qts, "mem0"));
    /* and nothing holds on to it: it is finalized, device_del completes */
    wait_deleted(lt->t.qts, ids, ARRAY_SIZE(ids));
}

/*
 * A Tunnel Management Command to switch port @port (Identify of the
 * device there), tag 0x5a inside, as 1 + 12 + 4 + 12 bytes of message
 */
static size_t tunnel_identify(uint8_t *msg, uint8_t port)
{
    uint8_t in[4 + CXL_HDR_SIZE] = { port, 0, CXL_HDR_SIZE, 0 };

    cxl_cci_request(in + 4, 0x5a, CXL_SET_INFOSTAT << 8 | CXL_CMD_IDENTIFY,
                    NULL, 0);
    return cxl_cci_request(msg, 0x33, TUNNEL, in, sizeof(in));
}

/*
 * The switch's endpoint has the first half of a tunnelled Identify for
 * the device below port 0 when that device is removed; the second half
 * comes: the tunnel answers with an error, not from the device that went,
 * and the endpoint tunnels to port 1's device as before
 */
static void test_target_removed_tunnel_pending(void)
{
    LifecycleTest *lt = i2c_start();
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t msg[64];
    const uint8_t *pl;
    size_t len = tunnel_identify(msg, CXL_MEM0_PORT), pl_len;

    send_part(lt, 3, MCTP_TYPE_CXL_FMAPI, msg, len, 16, 0);
    remove_mem0(lt, false);
    send_part(lt, 3, MCTP_TYPE_CXL_FMAPI, msg, len, 16, 1);
    mctp_recv_response(&lt->t, m, 3, MCTP_TYPE_CXL_FMAPI);
    g_assert_cmphex(cxl_cci_response(m->data + 1, m->len - 1, 0x33, TUNNEL,
                                     &pl, &pl_len), !=, RC_SUCCESS);
    g_assert_cmpuint(pl_len, ==, 0);

    len = tunnel_identify(msg, CXL_DCD_PORT);
    g_assert_cmphex(cxl_cmd(&lt->t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_TUNNEL, CXL_CMD_TUNNEL,
                            msg + CXL_HDR_SIZE, len - CXL_HDR_SIZE,
                            lt->out, sizeof(lt->out), &lt->out_len), ==,
                    RC_SUCCESS);
    g_assert_cmphex(cxl_cci_response(lt->out + 4, lt->out_len - 4, 0x5a,
                                     0x0001, &pl, &pl_len), ==, RC_SUCCESS);
    g_assert_cmphex(ldq_le_p(pl + 8), ==, CXL_DCD_SN);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    lifecycle_end(lt);
}

/*
 * mem0's own endpoint has the first half of an Identify Memory Device
 * when mem0 is removed; then the second half comes, and more requests:
 * the endpoint does not reach into the device that went (it used to
 * answer them from it, and to keep it from being finalized), it answers
 * Internal Error; the switch's endpoint on the same bus answers
 */
static void test_target_removed_mid_request(void)
{
    LifecycleTest *lt = i2c_start();
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t msg[CXL_HDR_SIZE];
    const uint8_t *pl;
    size_t len, pl_len;

    lt->t.i2c_dest = MEM0_ADDR;
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    len = cxl_cci_request(msg, 0x44, IDENTIFY_MEMDEV, NULL, 0);
    send_part(lt, 4, MCTP_TYPE_CXL_CCI, msg, len, 8, 0);
    remove_mem0(lt, false);
    send_part(lt, 4, MCTP_TYPE_CXL_CCI, msg, len, 8, 1);
    mctp_recv_response(&lt->t, m, 4, MCTP_TYPE_CXL_CCI);
    g_assert_cmphex(cxl_cci_response(m->data + 1, m->len - 1, 0x44,
                                     IDENTIFY_MEMDEV, &pl, &pl_len), ==,
                    RC_INTERNAL_ERROR);
    g_assert_cmpuint(pl_len, ==, 0);
    /* And so is any other CXL request; MCTP control goes on */
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, CXL_SET_INFOSTAT << 8 |
                             CXL_CMD_IDENTIFY, NULL, 0), ==,
                    RC_INTERNAL_ERROR);
    g_assert_cmphex(mctp_get_eid(&lt->t, MCTP_EID_NULL), ==, MCTP_EID_NULL);
    /* The switch's endpoint on the same bus answers */
    lt->t.i2c_dest = USP_ADDR;
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

/*
 * Scan Media running on mem0 (through its own endpoint) when the guest
 * powers mem0's slot off, which removes it: the operation goes with the
 * device, its end does not reach into it; the endpoint answers Internal
 * Error, the switch's endpoint and mailbox answer
 */
static void test_target_removed_scan_media(void)
{
    LifecycleTest *lt = i2c_start();

    lt->t.i2c_dest = MEM0_ADDR;
    mctp_scan_media(lt);
    remove_mem0(lt, true);
    qtest_clock_step(lt->t.qts, SCAN_MEDIA_NS);
    g_assert_cmphex(mctp_cmd(lt, MCTP_TYPE_CXL_CCI, BG_OP_STATUS, NULL, 0),
                    ==, RC_INTERNAL_ERROR);
    lt->t.i2c_dest = USP_ADDR;
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

static void test_xhci_reset_mid_message(void)
{
    LifecycleTest *lt = lifecycle_boot(CXL_TOPOLOGY SWCCI_ARGS XHCI_ARGS
                                       "-device usb-cxl-mctp,bus=xhci.0,"
                                       "target=us0,id=usb-usp ");

    mctp_test_attach_xhci(&lt->t, USB_DEVFN);
    mctp_set_eid(&lt->t, MCTP_EID_NULL, DEVICE_EID);
    usb_half_messages(lt);
    qusb_device_forget(lt->t.xdev);
    qusb_forget(lt->t.xhci);
    mctp_test_attach_xhci(&lt->t, USB_DEVFN);
    assert_endpoint_answers(lt, MCTP_EID_NULL);
    assert_switch_answers(lt);
    lifecycle_end(lt);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_device("i2c_mctp_cxl") ||
        !qtest_has_device("designware-i2c-pci") ||
        !qtest_has_device("usb-cxl-mctp") ||
        !qtest_has_device("usb-ehci") ||
        !qtest_has_device("cxl-type3") ||
        !qtest_has_device("pcie-root-port")) {
        g_debug("a device the test needs is missing");
        return 0;
    }

    qtest_add_func("/cxl-mctp-lifecycle/i2c/unplug-controller/mid-write",
                   test_i2c_unplug_mid_write);
    qtest_add_func("/cxl-mctp-lifecycle/i2c/unplug-controller/mid-response",
                   test_i2c_unplug_mid_response);
    qtest_add_func("/cxl-mctp-lifecycle/i2c/endpoint-del-mid-response",
                   test_i2c_endpoint_del_mid_response);
    qtest_add_func("/cxl-mctp-lifecycle/i2c/reset-controller/mid-write",
                   test_i2c_reset_mid_write);
    qtest_add_func("/cxl-mctp-lifecycle/i2c/reset-controller/mid-response",
                   test_i2c_reset_mid_response);
    qtest_add_func("/cxl-mctp-lifecycle/usb/ehci-reset-mid-message",
                   test_ehci_reset_mid_message);
    if (qtest_has_device("qemu-xhci")) {
        qtest_add_func("/cxl-mctp-lifecycle/usb/xhci-reset-mid-message",
                       test_xhci_reset_mid_message);
    }
    if (qtest_has_device("piix3-usb-uhci")) {
        qtest_add_func("/cxl-mctp-lifecycle/usb/uhci-reset-mid-message",
                       test_uhci_reset_mid_message);
    }
    qtest_add_func("/cxl-mctp-lifecycle/bg/scan-media/endpoint-reset",
                   test_bg_scan_media_endpoint_reset);
    qtest_add_func("/cxl-mctp-lifecycle/bg/scan-media/system-reset",
                   test_bg_scan_media_system_reset);
    qtest_add_func("/cxl-mctp-lifecycle/bg/scan-media/endpoint-unplug",
                   test_bg_scan_media_endpoint_unplug);
    qtest_add_func("/cxl-mctp-lifecycle/bg/scan-media/migrate",
                   test_bg_scan_media_migrate);
    qtest_add_func("/cxl-mctp-lifecycle/bg/unbind-vppb/endpoint-reset",
                   test_bg_unbind_endpoint_reset);
    qtest_add_func("/cxl-mctp-lifecycle/bg/unbind-vppb/migrate",
                   test_bg_unbind_migrate);
    qtest_add_func("/cxl-mctp-lifecycle/target-removed/tunnel-pending",
                   test_target_removed_tunnel_pending);
    qtest_add_func("/cxl-mctp-lifecycle/target-removed/mid-request",
                   test_target_removed_mid_request);
    qtest_add_func("/cxl-mctp-lifecycle/target-removed/scan-media",
                   test_target_removed_scan_media);

    return g_test_run();
}
