/*
 * libqos driver for an xHCI USB 3 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * xHCI 1.2 data structures (section 6) in guest memory: the device
 * context base address array, a command ring, one event ring segment
 * for interrupter 0, and per device an input and an output device
 * context.  Each endpoint's transfer ring is its pipe's page: 255 TRBs
 * and a Link TRB back to the start that toggles the cycle bit.  A
 * transfer is a TD written at the ring's enqueue pointer and started by
 * ringing the slot's doorbell; the driver waits for it by draining the
 * event ring while stepping the virtual clock, and routes each event to
 * the endpoint it names.  A transfer is cancelled with Stop Endpoint and
 * Set TR Dequeue Pointer (4.6.9, 4.6.10); a halted endpoint is restarted
 * with Reset Endpoint and Set TR Dequeue Pointer (4.6.8).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "../libqtest.h"
#include "hw/pci/pci_regs.h"
#include "usb-xhci.h"

#define XHCI_BAR                0

/* Capability registers (5.3) */
#define CAP_CAPLENGTH           0x00
#define CAP_HCSPARAMS1          0x04
#define CAP_HCSPARAMS2          0x08
#define CAP_HCCPARAMS1          0x10
#define CAP_DBOFF               0x14
#define CAP_RTSOFF              0x18

#define HCSPARAMS1_SLOTS(v)     ((v) & 0xff)
#define HCSPARAMS1_PORTS(v)     ((v) >> 24)
#define HCSPARAMS2_SPB(v)       ((((v) >> 21) & 0x1f) << 5 | \
                                 (((v) >> 27) & 0x1f))
#define HCCPARAMS1_CSZ          (1 << 2)

/* Operational registers at CAPLENGTH (5.4) */
#define OP_USBCMD               0x00
#define OP_USBSTS               0x04
#define OP_CRCR                 0x18
#define OP_DCBAAP               0x30
#define OP_CONFIG               0x38
#define OP_PORTSC(port)         (0x400 + 0x10 * (port))

#define USBCMD_RS               (1 << 0)
#define USBCMD_HCRST            (1 << 1)
#define USBSTS_HCH              (1 << 0)
#define USBSTS_HSE              (1 << 2)
#define USBSTS_CNR              (1 << 11)
#define USBSTS_HCE              (1 << 12)
#define CRCR_RCS                (1 << 0)

#define PORTSC_CCS              (1 << 0)
#define PORTSC_PED              (1 << 1)
#define PORTSC_PR               (1 << 4)
#define PORTSC_PP               (1 << 9)
#define PORTSC_SPEED_SH         10
#define PORTSC_SPEED_MASK       0xf
#define PORTSC_PRC              (1 << 21)
/* CSC, PEC, WRC, OCC, PRC, PLC, CEC: write 1 to clear */
#define PORTSC_CHANGES          (0x7f << 17)

/* Runtime registers: interrupter 0 (5.5.2) */
#define RT_IR0                  0x20
#define IR_IMAN                 0x00
#define IR_ERSTSZ               0x08
#define IR_ERSTBA               0x10
#define IR_ERDP                 0x18
#define ERDP_EHB                (1 << 3)

/* TRBs (6.4): parameter, status, control */
#define TRB_SIZE                16
#define TRB_PARAM               0x00
#define TRB_STATUS              0x08
#define TRB_CONTROL             0x0c

#define TRB_C                   (1 << 0)
#define TRB_TC                  (1 << 1)        /* Link: toggle cycle */
#define TRB_ISP                 (1 << 2)
#define TRB_CH                  (1 << 4)
#define TRB_IOC                 (1 << 5)
#define TRB_IDT                 (1 << 6)
#define TRB_BSR                 (1 << 9)        /* Address Device */
#define TRB_TYPE_SH             10
#define TRB_TYPE(c)             (((c) >> TRB_TYPE_SH) & 0x3f)
#define TRB_DIR_IN              (1 << 16)       /* Data and Status stages */
#define TRB_TRT_SH              16              /* Setup: transfer type */
#define TRB_TRT_NO_DATA         0
#define TRB_TRT_OUT             2
#define TRB_TRT_IN              3
#define TRB_TD_SIZE_SH          17              /* Normal: packets left */
#define TRB_TD_SIZE_MAX         31
#define TRB_EP_SH               16
#define TRB_SLOT_SH             24

#define TRB_NORMAL              1
#define TRB_SETUP               2
#define TRB_DATA                3
#define TRB_STATUS_STAGE        4
#define TRB_LINK                6
#define TRB_ENABLE_SLOT         9
#define TRB_DISABLE_SLOT        10
#define TRB_ADDRESS_DEVICE      11
#define TRB_CONFIGURE_EP        12
#define TRB_RESET_EP            14
#define TRB_STOP_EP             15
#define TRB_SET_TR_DEQUEUE      16
#define TRB_EV_TRANSFER         32
#define TRB_EV_COMMAND          33
#define TRB_EV_PORT_STATUS      34

/* Completion codes (6.4.5) */
#define CC_SUCCESS              1
#define CC_STALL                6
#define CC_SHORT_PACKET         13
#define CC_CONTEXT_STATE        19
#define CC_STOPPED              26      /* to 28: Stop Endpoint ended it */
#define CC_STOPPED_SHORT        28

/* A ring in one page: 255 TRBs and a Link TRB */
#define RING_TRBS               (QUSB_PIPE_PAGE_SIZE / TRB_SIZE)
#define RING_LINK               (RING_TRBS - 1)
#define EVENT_TRBS              (4096 / TRB_SIZE)
#define ERST_SIZE               16

/* Contexts (6.2): slot, endpoint, input control */
#define MAX_DCI                 31
#define SLOT_SPEED_SH           20
#define SLOT_ENTRIES_SH         27
#define SLOT_PORT_SH            16
#define SLOT_STATE(dw3)         ((dw3) >> 27)
#define SLOT_STATE_ADDRESSED    2
#define EP_CERR_3               (3 << 1)
#define EP_TYPE_SH              3
#define EP_TYPE_BULK_OUT        2
#define EP_TYPE_CONTROL         4
#define EP_TYPE_BULK_IN         6
#define EP_MPS_SH               16
#define EP_DCS                  1

#define MAX_SLOTS               16
#define MAX_TD_TRBS             3       /* setup, data, status */
#define DCI_EP0                 1

typedef struct QXHCITRB {
    uint64_t param;
    uint32_t status;
    uint32_t control;           /* without the cycle bit */
} QXHCITRB;

typedef struct QXHCIRing {
    uint64_t base;
    unsigned enq;
    bool cycle;                 /* producer cycle state */
} QXHCIRing;

/* An endpoint of a slot: its ring and the TD in flight on it */
typedef struct QXHCIEndpoint {
    QXHCIRing ring;
    uint64_t trbs[MAX_TD_TRBS]; /* addresses of the TD's TRBs */
    int ntrbs;
    bool done;                  /* its last event came */
    uint8_t cc;                 /* and its completion code */
    size_t residual;            /* bytes the data TRB did not move */
    bool halted;
    unsigned posted;            /* TDs posted (bulk IN) */
} QXHCIEndpoint;

typedef struct QXHCISlot {
    int port;                   /* -1: not enabled */
    uint64_t in_ctx;
    uint64_t out_ctx;
    int entries;                /* last DCI in use */
    QXHCIEndpoint ep[MAX_DCI + 1];
} QXHCISlot;

typedef struct QXHCI {
    QUSBHost usb;
    uint32_t opreg;
    uint32_t dboff;
    uint32_t rtsoff;
    unsigned ctx_size;
    int nslots;
    uint64_t dcbaa;
    QXHCIRing cmd;
    uint64_t erst;
    uint64_t events;
    unsigned ev_deq;
    bool ev_cycle;
    /* The command in flight */
    uint64_t cmd_trb;
    bool cmd_done;
    uint8_t cmd_cc;
    uint8_t cmd_slot;
    QXHCISlot slots[MAX_SLOTS + 1];
} QXHCI;

typedef struct QXHCIDevice {
    QUSBDevice usb;             /* first: qusb_device_forget() frees it */
    int slot;
    int speed;
    /* The control transfer control_stage() builds */
    QXHCITRB ctl[MAX_TD_TRBS];
    bool set_address;
} QXHCIDevice;

static const QUSBHostOps xhci_ops;

static QXHCI *to_xhci(QUSBHost *usb)
{
    g_assert(usb->ops == &xhci_ops);
    return container_of(usb, QXHCI, usb);
}

static QXHCIDevice *to_xhci_dev(QUSBDevice *dev)
{
    to_xhci(dev->hc);
    return container_of(dev, QXHCIDevice, usb);
}

/* Device context index of pipe @p: 1 control, 2 * ep + 1 for IN */
static int pipe_dci(QUSBDevice *dev, QUSBPipe *p)
{
    int i = p - dev->pipes;

    g_assert(i >= 0 && i < ARRAY_SIZE(dev->pipes));
    if (i == 0) {
        return DCI_EP0;
    }
    return i < QUSB_NUM_EPS ? 2 * i : 2 * (i - QUSB_NUM_EPS) + 1;
}

static QXHCIEndpoint *pipe_ep(QUSBDevice *dev, QUSBPipe *p)
{
    QXHCI *hc = to_xhci(dev->hc);

    return &hc->slots[to_xhci_dev(dev)->slot].ep[pipe_dci(dev, p)];
}

/* Registers */

static uint32_t cap_readl(QXHCI *hc, uint32_t reg)
{
    return qpci_io_readl(hc->usb.pdev, hc->usb.bar, reg);
}

static uint32_t op_readl(QXHCI *hc, uint32_t reg)
{
    return qpci_io_readl(hc->usb.pdev, hc->usb.bar, hc->opreg + reg);
}

static void op_writel(QXHCI *hc, uint32_t reg, uint32_t val)
{
    qpci_io_writel(hc->usb.pdev, hc->usb.bar, hc->opreg + reg, val);
}

/* A 64-bit register, low half first (the high half makes it take) */
static void op_writeq(QXHCI *hc, uint32_t reg, uint64_t val)
{
    op_writel(hc, reg, val);
    op_writel(hc, reg + 4, val >> 32);
}

static void ir_writel(QXHCI *hc, uint32_t reg, uint32_t val)
{
    qpci_io_writel(hc->usb.pdev, hc->usb.bar, hc->rtsoff + RT_IR0 + reg, val);
}

static void ir_writeq(QXHCI *hc, uint32_t reg, uint64_t val)
{
    ir_writel(hc, reg, val);
    ir_writel(hc, reg + 4, val >> 32);
}

static void doorbell(QXHCI *hc, int slot, int target)
{
    qpci_io_writel(hc->usb.pdev, hc->usb.bar, hc->dboff + 4 * slot, target);
}

/* Wait until (USBSTS & @mask) == @want, for at most max_polls frames */
static bool wait_usbsts(QXHCI *hc, uint32_t mask, uint32_t want)
{
    unsigned i;

    for (i = 0; i < hc->usb.max_polls; i++) {
        if ((op_readl(hc, OP_USBSTS) & mask) == want) {
            return true;
        }
        qusb_step(&hc->usb, 1);
    }
    return false;
}

/* Rings */

/* A ring in the zeroed page at @base: a Link TRB to its start, not valid */
static void ring_init(QXHCI *hc, QXHCIRing *r, uint64_t base)
{
    uint64_t link = base + RING_LINK * TRB_SIZE;

    r->base = base;
    r->enq = 0;
    r->cycle = true;
    qtest_writeq(hc->usb.qts, link + TRB_PARAM, base);
    qusb_writel(&hc->usb, link + TRB_STATUS, 0);
    qusb_writel(&hc->usb, link + TRB_CONTROL,
                TRB_LINK << TRB_TYPE_SH | TRB_TC);
}

/* The enqueue pointer with its cycle state, for a dequeue pointer */
static uint64_t ring_deq(QXHCIRing *r)
{
    return (r->base + r->enq * TRB_SIZE) | (r->cycle ? EP_DCS : 0);
}

/*
 * Write @n TRBs at the enqueue pointer, their addresses in @addrs; the
 * Link TRB is handed over (chained if a TD goes on past it) as the
 * enqueue pointer wraps
 */
static void ring_put(QXHCI *hc, QXHCIRing *r, const QXHCITRB *trb, int n,
                     uint64_t *addrs)
{
    QUSBHost *usb = &hc->usb;
    int i;

    for (i = 0; i < n; i++) {
        uint64_t a = r->base + r->enq * TRB_SIZE;

        qtest_writeq(usb->qts, a + TRB_PARAM, trb[i].param);
        qusb_writel(usb, a + TRB_STATUS, trb[i].status);
        /* The control word last: its cycle bit makes the TRB valid */
        qusb_writel(usb, a + TRB_CONTROL,
                    trb[i].control | (r->cycle ? TRB_C : 0));
        addrs[i] = a;
        if (++r->enq == RING_LINK) {
            qusb_writel(usb, r->base + RING_LINK * TRB_SIZE + TRB_CONTROL,
                        TRB_LINK << TRB_TYPE_SH | TRB_TC |
                        (trb[i].control & TRB_CH) | (r->cycle ? TRB_C : 0));
            r->enq = 0;
            r->cycle = !r->cycle;
        }
    }
}

/* Events */

static QUSBStatus ep_status(QXHCIEndpoint *e)
{
    switch (e->cc) {
    case CC_SUCCESS:
    case CC_SHORT_PACKET:
        return QUSB_OK;
    case CC_STALL:
        return QUSB_STALL;
    default:
        return QUSB_ERROR;
    }
}

/*
 * A Transfer Event for TRB @ptr of endpoint @dci of @slot: a short
 * packet on a data TRB leaves its residual; the event of the TD's last
 * TRB, or any error, ends the TD.  An event for no TD in flight (one
 * cancelled) is stale.
 */
static void transfer_event(QXHCI *hc, int slot, int dci, uint64_t ptr,
                           uint32_t status)
{
    uint8_t cc = status >> 24;
    QXHCIEndpoint *e;
    int i;

    g_assert_cmpint(slot, >=, 1);
    g_assert_cmpint(slot, <=, hc->nslots);
    g_assert_cmpint(dci, >=, 1);
    e = &hc->slots[slot].ep[dci];
    for (i = 0; i < e->ntrbs && e->trbs[i] != ptr; i++) {
        /* find the TRB */
    }
    if (i == e->ntrbs || e->done) {
        return;
    }
    if (cc == CC_SUCCESS || cc == CC_SHORT_PACKET) {
        if (cc == CC_SHORT_PACKET) {
            e->residual = status & 0xffffff;
        }
        if (i < e->ntrbs - 1) {
            return;
        }
    } else if (cc < CC_STOPPED || cc > CC_STOPPED_SHORT) {
        /* The xHC halts the endpoint on an error (4.10.2) */
        e->halted = true;
    }
    e->cc = cc;
    e->done = true;
}

/*
 * Take the events the controller has posted, then tell it how far we
 * got; the controller must not have halted or failed meanwhile
 */
static void events(QXHCI *hc)
{
    QUSBHost *usb = &hc->usb;
    bool any = false;
    uint32_t sts;

    for (;;) {
        uint64_t ev = hc->events + hc->ev_deq * TRB_SIZE;
        uint32_t control = qusb_readl(usb, ev + TRB_CONTROL);
        uint32_t status = qusb_readl(usb, ev + TRB_STATUS);
        uint64_t param = qtest_readq(usb->qts, ev + TRB_PARAM);

        if (!(control & TRB_C) != !hc->ev_cycle) {
            break;
        }
        switch (TRB_TYPE(control)) {
        case TRB_EV_COMMAND:
            if (param == hc->cmd_trb) {
                hc->cmd_done = true;
                hc->cmd_cc = status >> 24;
                hc->cmd_slot = control >> TRB_SLOT_SH;
            }
            break;
        case TRB_EV_TRANSFER:
            transfer_event(hc, control >> TRB_SLOT_SH,
                           (control >> TRB_EP_SH) & 0x1f, param, status);
            break;
        case TRB_EV_PORT_STATUS:
            /* qusb_port_reset() acknowledges the change bits */
            break;
        default:
            g_test_message("xHCI event type %u, completion code %u",
                           TRB_TYPE(control), status >> 24);
            g_assert_not_reached();
        }
        if (++hc->ev_deq == EVENT_TRBS) {
            hc->ev_deq = 0;
            hc->ev_cycle = !hc->ev_cycle;
        }
        any = true;
    }
    if (any) {
        ir_writeq(hc, IR_ERDP, (hc->events + hc->ev_deq * TRB_SIZE) |
                  ERDP_EHB);
    }
    sts = op_readl(hc, OP_USBSTS);
    g_assert_cmphex(sts & (USBSTS_HCH | USBSTS_HSE | USBSTS_HCE), ==, 0);
}

/* Commands */

static const char *const cmd_names[] = {
    [TRB_ENABLE_SLOT] = "Enable Slot",
    [TRB_DISABLE_SLOT] = "Disable Slot",
    [TRB_ADDRESS_DEVICE] = "Address Device",
    [TRB_CONFIGURE_EP] = "Configure Endpoint",
    [TRB_RESET_EP] = "Reset Endpoint",
    [TRB_STOP_EP] = "Stop Endpoint",
    [TRB_SET_TR_DEQUEUE] = "Set TR Dequeue Pointer",
};

/*
 * Run command @type (with @param, and @control's other fields) and wait
 * for its completion event; its completion code, the slot ID it names in
 * *@slot (may be NULL).  A command that never completes fails the test.
 */
static uint8_t command(QXHCI *hc, int type, uint64_t param, uint32_t control,
                       uint8_t *slot)
{
    QXHCITRB trb = {
        .param = param,
        .control = type << TRB_TYPE_SH | control,
    };
    unsigned i;

    ring_put(hc, &hc->cmd, &trb, 1, &hc->cmd_trb);
    hc->cmd_done = false;
    doorbell(hc, 0, 0);
    for (i = 0; i < hc->usb.max_polls; i++) {
        events(hc);
        if (hc->cmd_done) {
            if (slot) {
                *slot = hc->cmd_slot;
            }
            return hc->cmd_cc;
        }
        qusb_step(&hc->usb, 1);
    }
    g_test_message("xHCI command %s never completed", cmd_names[type]);
    g_assert_not_reached();
    return 0;
}

/* The same, for a command that must succeed */
static void command_ok(QXHCI *hc, int type, uint64_t param,
                       uint32_t control)
{
    uint8_t cc = command(hc, type, param, control, NULL);

    if (cc != CC_SUCCESS) {
        g_test_message("xHCI %s: completion code %u", cmd_names[type], cc);
    }
    g_assert_cmpuint(cc, ==, CC_SUCCESS);
}

static uint32_t slot_ep(int slot, int dci)
{
    return slot << TRB_SLOT_SH | dci << TRB_EP_SH;
}

/* The endpoint's dequeue pointer to its enqueue pointer; it is stopped */
static void ep_set_dequeue(QXHCI *hc, int slot, int dci)
{
    QXHCIEndpoint *e = &hc->slots[slot].ep[dci];

    command_ok(hc, TRB_SET_TR_DEQUEUE, ring_deq(&e->ring),
               slot_ep(slot, dci));
    e->ntrbs = 0;
}

/* Stop the endpoint and skip what is left on its ring */
static void ep_stop(QXHCI *hc, int slot, int dci)
{
    uint8_t cc = command(hc, TRB_STOP_EP, 0, slot_ep(slot, dci), NULL);

    /* A halted or stopped endpoint cannot stop again */
    g_assert(cc == CC_SUCCESS || cc == CC_CONTEXT_STATE);
    ep_set_dequeue(hc, slot, dci);
}

/* A halted endpoint: running again from its enqueue pointer (4.6.8) */
static void ep_unhalt(QXHCI *hc, int slot, int dci)
{
    QXHCIEndpoint *e = &hc->slots[slot].ep[dci];

    command_ok(hc, TRB_RESET_EP, 0, slot_ep(slot, dci));
    ep_set_dequeue(hc, slot, dci);
    e->halted = false;
}

/* Controller */

QUSBHost *qxhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn)
{
    QXHCI *hc = g_new0(QXHCI, 1);
    QUSBHost *usb = &hc->usb;
    uint32_t hcs1;
    int i;

    qusb_host_init(usb, &xhci_ops, qts, bus, alloc, devfn, XHCI_BAR);
    /* Serial bus controller, USB, xHCI */
    g_assert_cmphex(qpci_config_readw(usb->pdev, PCI_CLASS_DEVICE), ==,
                    0x0c03);
    g_assert_cmphex(qpci_config_readb(usb->pdev, PCI_CLASS_PROG), ==, 0x30);

    hc->opreg = cap_readl(hc, CAP_CAPLENGTH) & 0xff;
    g_assert_cmpuint(hc->opreg, >=, 0x20);
    hcs1 = cap_readl(hc, CAP_HCSPARAMS1);
    usb->nports = HCSPARAMS1_PORTS(hcs1);
    g_assert_cmpint(usb->nports, >, 0);
    hc->nslots = MIN(HCSPARAMS1_SLOTS(hcs1), MAX_SLOTS);
    g_assert_cmpint(hc->nslots, >, 0);
    /* No scratchpad buffers to give it */
    g_assert_cmpuint(HCSPARAMS2_SPB(cap_readl(hc, CAP_HCSPARAMS2)), ==, 0);
    hc->ctx_size = cap_readl(hc, CAP_HCCPARAMS1) & HCCPARAMS1_CSZ ? 64 : 32;
    hc->dboff = cap_readl(hc, CAP_DBOFF) & ~3u;
    hc->rtsoff = cap_readl(hc, CAP_RTSOFF) & ~0x1fu;
    for (i = 0; i <= MAX_SLOTS; i++) {
        hc->slots[i].port = -1;
    }

    /* Stop, then reset (4.2: only reset a halted controller) */
    op_writel(hc, OP_USBCMD, 0);
    g_assert(wait_usbsts(hc, USBSTS_HCH, USBSTS_HCH));
    op_writel(hc, OP_USBCMD, USBCMD_HCRST);
    g_assert(wait_usbsts(hc, USBSTS_CNR, 0));
    g_assert_cmphex(op_readl(hc, OP_USBCMD) & USBCMD_HCRST, ==, 0);

    /* Device contexts, commands, events (4.2) */
    op_writel(hc, OP_CONFIG, hc->nslots);
    hc->dcbaa = qusb_alloc(usb, 8 * (hc->nslots + 1), 64);
    qtest_memset(qts, hc->dcbaa, 0, 8 * (hc->nslots + 1));
    op_writeq(hc, OP_DCBAAP, hc->dcbaa);

    hc->cmd.base = qusb_alloc(usb, QUSB_PIPE_PAGE_SIZE, 64);
    qtest_memset(qts, hc->cmd.base, 0, QUSB_PIPE_PAGE_SIZE);
    ring_init(hc, &hc->cmd, hc->cmd.base);
    op_writeq(hc, OP_CRCR, hc->cmd.base | CRCR_RCS);

    hc->events = qusb_alloc(usb, EVENT_TRBS * TRB_SIZE, 64);
    qtest_memset(qts, hc->events, 0, EVENT_TRBS * TRB_SIZE);
    hc->ev_cycle = true;
    hc->erst = qusb_alloc(usb, ERST_SIZE, 64);
    qtest_writeq(qts, hc->erst, hc->events);
    qusb_writel(usb, hc->erst + 8, EVENT_TRBS);
    qusb_writel(usb, hc->erst + 12, 0);
    ir_writel(hc, IR_ERSTSZ, 1);
    ir_writeq(hc, IR_ERDP, hc->events);
    ir_writeq(hc, IR_ERSTBA, hc->erst);
    /* Polled: no interrupt */
    ir_writel(hc, IR_IMAN, 0);

    op_writel(hc, OP_USBCMD, USBCMD_RS);
    g_assert(wait_usbsts(hc, USBSTS_HCH, 0));
    return usb;
}

static void slot_free(QXHCI *hc, int slot)
{
    QXHCISlot *s = &hc->slots[slot];

    guest_free(hc->usb.alloc, s->in_ctx);
    guest_free(hc->usb.alloc, s->out_ctx);
    memset(s, 0, sizeof(*s));
    s->port = -1;
}

static void xhci_free(QUSBHost *usb, bool stop)
{
    QXHCI *hc = to_xhci(usb);
    int i;

    if (stop) {
        op_writel(hc, OP_USBCMD, 0);
        g_assert(wait_usbsts(hc, USBSTS_HCH, USBSTS_HCH));
    }
    for (i = 1; i <= hc->nslots; i++) {
        if (hc->slots[i].port >= 0) {
            slot_free(hc, i);
        }
    }
    guest_free(usb->alloc, hc->dcbaa);
    guest_free(usb->alloc, hc->cmd.base);
    guest_free(usb->alloc, hc->events);
    guest_free(usb->alloc, hc->erst);
    qusb_host_cleanup(usb);
    g_free(hc);
}

/* Ports */

uint32_t qxhci_portsc(QUSBHost *hc, int port)
{
    g_assert(port >= 0 && port < hc->nports);
    return op_readl(to_xhci(hc), OP_PORTSC(port));
}

int qxhci_port_speed(QUSBHost *hc, int port)
{
    return (qxhci_portsc(hc, port) >> PORTSC_SPEED_SH) & PORTSC_SPEED_MASK;
}

static bool xhci_port_connected(QUSBHost *hc, int port)
{
    return qxhci_portsc(hc, port) & PORTSC_CCS;
}

static bool xhci_port_reset(QUSBHost *usb, int port)
{
    QXHCI *hc = to_xhci(usb);
    uint32_t portsc = qxhci_portsc(usb, port);
    unsigned i;

    if (!(portsc & PORTSC_CCS)) {
        return false;
    }
    /*
     * PED is write 1 to clear (it disables the port): write only PP and
     * PR, then wait for the reset to end (PRC, 4.19.5)
     */
    op_writel(hc, OP_PORTSC(port), PORTSC_PP | PORTSC_PR);
    for (i = 0; i < usb->max_polls; i++) {
        portsc = qxhci_portsc(usb, port);
        if ((portsc & (PORTSC_PR | PORTSC_PRC)) == PORTSC_PRC) {
            break;
        }
        qusb_step(usb, 1);
    }
    if (!(portsc & PORTSC_PRC)) {
        return false;
    }
    /* Acknowledge the change bits */
    op_writel(hc, OP_PORTSC(port), PORTSC_PP | (portsc & PORTSC_CHANGES));
    return (qxhci_portsc(usb, port) & (PORTSC_CCS | PORTSC_PED)) ==
           (PORTSC_CCS | PORTSC_PED);
}

/* Devices: a slot, its contexts and an endpoint context per pipe */

int qxhci_slot_id(QUSBDevice *dev)
{
    return to_xhci_dev(dev)->slot;
}

static QUSBDevice *xhci_device_new(QUSBHost *usb, int port)
{
    QXHCI *hc = to_xhci(usb);
    QXHCIDevice *xdev = g_new0(QXHCIDevice, 1);
    QUSBDevice *dev = &xdev->usb;
    uint8_t slot;
    QXHCISlot *s;
    int i;

    QEMU_BUILD_BUG_ON(offsetof(QXHCIDevice, usb) != 0);
    xdev->speed = qxhci_port_speed(usb, port);
    g_assert_cmpint(xdev->speed, >=, QXHCI_SPEED_FULL);
    g_assert_cmpint(xdev->speed, <=, QXHCI_SPEED_SUPER);

    /* One device a port: the slot of one there before goes */
    for (i = 1; i <= hc->nslots; i++) {
        if (hc->slots[i].port == port) {
            command_ok(hc, TRB_DISABLE_SLOT, 0, i << TRB_SLOT_SH);
            qtest_writeq(usb->qts, hc->dcbaa + 8 * i, 0);
            slot_free(hc, i);
        }
    }

    g_assert_cmpuint(command(hc, TRB_ENABLE_SLOT, 0, 0, &slot), ==,
                     CC_SUCCESS);
    g_assert_cmpint(slot, >=, 1);
    g_assert_cmpint(slot, <=, hc->nslots);
    g_assert_cmpint(hc->slots[slot].port, <, 0);
    xdev->slot = slot;
    s = &hc->slots[slot];
    s->port = port;
    s->entries = DCI_EP0;
    s->in_ctx = qusb_alloc(usb, (MAX_DCI + 2) * hc->ctx_size, 64);
    s->out_ctx = qusb_alloc(usb, (MAX_DCI + 1) * hc->ctx_size, 64);
    qtest_memset(usb->qts, s->out_ctx, 0, (MAX_DCI + 1) * hc->ctx_size);
    qtest_writeq(usb->qts, hc->dcbaa + 8 * slot, s->out_ctx);

    /* Until the device says: the most its speed allows */
    switch (xdev->speed) {
    case QXHCI_SPEED_SUPER:
        dev->pipes[0].mps = 512;
        break;
    case QXHCI_SPEED_LOW:
        dev->pipes[0].mps = 8;
        break;
    default:
        dev->pipes[0].mps = 64;
        break;
    }
    for (i = 1; i < ARRAY_SIZE(dev->pipes); i++) {
        dev->pipes[i].mps = xdev->speed == QXHCI_SPEED_SUPER ? 1024 :
                            xdev->speed == QXHCI_SPEED_HIGH ? 512 : 64;
    }
    return dev;
}

/* Input context: add flags, the slot context, endpoint @dci's context */
static uint64_t input_context(QXHCI *hc, QXHCIDevice *xdev, uint32_t add,
                              int dci, uint32_t ep_type, QUSBPipe *p)
{
    QXHCISlot *s = &hc->slots[xdev->slot];
    QUSBHost *usb = &hc->usb;
    uint64_t ctx = s->in_ctx;
    uint64_t ep = ctx + (dci + 1) * hc->ctx_size;

    qtest_memset(usb->qts, ctx, 0, (MAX_DCI + 2) * hc->ctx_size);
    qusb_writel(usb, ctx + 4, add);
    /* Slot: speed, context entries, root hub port (from 1); no hub */
    qusb_writel(usb, ctx + hc->ctx_size,
                xdev->speed << SLOT_SPEED_SH |
                s->entries << SLOT_ENTRIES_SH);
    qusb_writel(usb, ctx + hc->ctx_size + 4, (s->port + 1) << SLOT_PORT_SH);
    qusb_writel(usb, ep + 4, EP_CERR_3 | ep_type << EP_TYPE_SH |
                p->mps << EP_MPS_SH);
    qtest_writeq(usb->qts, ep + 8, ring_deq(&s->ep[dci].ring));
    /* Average TRB length: a control transfer's 8, else a packet */
    qusb_writel(usb, ep + 16, dci == DCI_EP0 ? 8 : p->mps);
    return ctx;
}

/*
 * Address Device (4.6.5): with @bsr the slot is set up and the device
 * stays at address 0; without, the xHC sends it SET_ADDRESS
 */
static uint8_t address_device(QUSBDevice *dev, bool bsr)
{
    QXHCI *hc = to_xhci(dev->hc);
    QXHCIDevice *xdev = to_xhci_dev(dev);
    QXHCIEndpoint *e = &hc->slots[xdev->slot].ep[DCI_EP0];
    uint64_t ctx = input_context(hc, xdev, 3, DCI_EP0, EP_TYPE_CONTROL,
                                 &dev->pipes[0]);

    /* The endpoint starts again at its enqueue pointer, not halted */
    e->halted = false;
    e->ntrbs = 0;
    return command(hc, TRB_ADDRESS_DEVICE, ctx,
                   xdev->slot << TRB_SLOT_SH | (bsr ? TRB_BSR : 0), NULL);
}

static void xhci_pipe_link(QUSBDevice *dev, int ep, QUSBPipe *p)
{
    QXHCI *hc = to_xhci(dev->hc);
    QXHCIDevice *xdev = to_xhci_dev(dev);
    QXHCISlot *s = &hc->slots[xdev->slot];
    int dci = pipe_dci(dev, p);
    bool in = dci & 1;
    uint64_t ctx;

    memset(&s->ep[dci], 0, sizeof(s->ep[dci]));
    ring_init(hc, &s->ep[dci].ring, p->page);
    if (ep == 0) {
        /* The default control endpoint, at address 0 for now */
        g_assert_cmpuint(address_device(dev, true), ==, CC_SUCCESS);
        return;
    }
    /* A bulk endpoint, added at its first transfer (4.6.6) */
    s->entries = MAX(s->entries, dci);
    ctx = input_context(hc, xdev, 1 | 1u << dci, dci,
                        in ? EP_TYPE_BULK_IN : EP_TYPE_BULK_OUT, p);
    command_ok(hc, TRB_CONFIGURE_EP, ctx, xdev->slot << TRB_SLOT_SH);
}

static void xhci_addressed(QUSBDevice *dev)
{
    QXHCI *hc = to_xhci(dev->hc);
    uint64_t out = hc->slots[to_xhci_dev(dev)->slot].out_ctx;

    /* Address Device made the slot Addressed, its address its ID */
    g_assert_cmpuint(SLOT_STATE(qusb_readl(dev->hc, out + 12)), ==,
                     SLOT_STATE_ADDRESSED);
    g_assert_cmpuint(qusb_readl(dev->hc, out + 12) & 0xff, ==,
                     to_xhci_dev(dev)->slot);
}

static void xhci_pipe_reset(QUSBDevice *dev, QUSBPipe *p)
{
    QXHCI *hc = to_xhci(dev->hc);
    int slot = to_xhci_dev(dev)->slot, dci = pipe_dci(dev, p);

    if (pipe_ep(dev, p)->halted) {
        ep_unhalt(hc, slot, dci);
    } else {
        ep_stop(hc, slot, dci);
    }
}

/* Transfers */

/*
 * Post the @n TRBs of a TD on @p's ring and ring the doorbell; a halted
 * endpoint stays halted (QUSB_STALL) until qusb_clear_halt()
 */
static QUSBStatus td_start(QUSBDevice *dev, QUSBPipe *p,
                           const QXHCITRB *trbs, int n)
{
    QXHCI *hc = to_xhci(dev->hc);
    QXHCIEndpoint *e = pipe_ep(dev, p);

    g_assert(!p->ntd);
    g_assert(n > 0 && n <= MAX_TD_TRBS);
    if (e->halted) {
        return QUSB_STALL;
    }
    e->done = false;
    e->cc = 0;
    e->residual = 0;
    ring_put(hc, &e->ring, trbs, n, e->trbs);
    e->ntrbs = n;
    p->ntd = n;
    doorbell(hc, to_xhci_dev(dev)->slot, pipe_dci(dev, p));
    return QUSB_OK;
}

/*
 * Finished, or (a bulk IN: nothing tells a held TD from one not yet
 * reached) waiting on the device
 */
static QUSBXferState xhci_poll(QUSBDevice *dev, QUSBPipe *p, QUSBStatus *st)
{
    QXHCIEndpoint *e = pipe_ep(dev, p);
    int dci = pipe_dci(dev, p);

    events(to_xhci(dev->hc));
    if (e->done) {
        *st = ep_status(e);
        return QUSB_XFER_DONE;
    }
    return dci != DCI_EP0 && (dci & 1) ? QUSB_XFER_WAITING :
           QUSB_XFER_RUNNING;
}

static void xhci_cancel(QUSBDevice *dev, QUSBPipe *p)
{
    QXHCI *hc = to_xhci(dev->hc);
    QXHCIEndpoint *e = pipe_ep(dev, p);
    int slot = to_xhci_dev(dev)->slot, dci = pipe_dci(dev, p);

    if (e->halted) {
        ep_unhalt(hc, slot, dci);
    } else {
        ep_stop(hc, slot, dci);
    }
    p->ntd = 0;
}

/* Wait for the TD on @p; one that never ends is cancelled */
static QUSBStatus td_wait(QUSBDevice *dev, QUSBPipe *p)
{
    QXHCIEndpoint *e = pipe_ep(dev, p);
    QUSBStatus st = qusb_wait(dev, p);

    if (st == QUSB_NO_DATA || st == QUSB_TIMEOUT) {
        xhci_cancel(dev, p);
        /* It may have ended before the endpoint stopped */
        if (e->done && (e->cc < CC_STOPPED || e->cc > CC_STOPPED_SHORT)) {
            st = ep_status(e);
        }
    }
    p->ntd = 0;
    return st;
}

static int xhci_control_stage(QUSBDevice *dev, QUSBPipe *p, int i,
                              QUSBPid pid, bool toggle, uint64_t buf,
                              size_t len, bool last)
{
    QXHCIDevice *xdev = to_xhci_dev(dev);
    QXHCITRB *trb = &xdev->ctl[i];
    uint8_t setup[8];

    g_assert(i >= 0 && i < MAX_TD_TRBS);
    memset(trb, 0, sizeof(*trb));
    if (pid == QUSB_PID_SETUP) {
        /* The setup packet goes in the TRB itself (IDT) */
        g_assert_cmpuint(len, ==, sizeof(setup));
        qtest_memread(dev->hc->qts, buf, setup, sizeof(setup));
        trb->param = ldq_le_p(setup);
        trb->status = sizeof(setup);
        trb->control = TRB_SETUP << TRB_TYPE_SH | TRB_IDT |
                       (!lduw_le_p(setup + 6) ? TRB_TRT_NO_DATA :
                        setup[0] & USB_DIR_IN ? TRB_TRT_IN : TRB_TRT_OUT)
                       << TRB_TRT_SH;
        /* The xHC addresses the device itself (4.6.5) */
        xdev->set_address = setup[0] == (USB_DIR_OUT | USB_TYPE_STANDARD |
                                         USB_RECIP_DEVICE) &&
                            setup[1] == USB_REQ_SET_ADDRESS;
    } else if (!last) {
        g_assert_cmpuint(len, <=, QXHCI_MAX_IN);
        trb->param = buf;
        trb->status = len;
        trb->control = TRB_DATA << TRB_TYPE_SH |
                       (pid == QUSB_PID_IN ? TRB_DIR_IN | TRB_ISP : 0);
        p->len = len;           /* the data stage's */
    } else {
        trb->control = TRB_STATUS_STAGE << TRB_TYPE_SH | TRB_IOC |
                       (pid == QUSB_PID_IN ? TRB_DIR_IN : 0);
    }
    return i + 1;
}

static QUSBStatus xhci_control_run(QUSBDevice *dev, QUSBPipe *p, int n,
                                   size_t *data)
{
    QXHCI *hc = to_xhci(dev->hc);
    QXHCIDevice *xdev = to_xhci_dev(dev);
    QXHCIEndpoint *e = pipe_ep(dev, p);
    QUSBStatus st;

    *data = 0;
    if (xdev->set_address) {
        xdev->set_address = false;
        g_assert_cmpint(n, ==, 2);
        return address_device(dev, false) == CC_SUCCESS ? QUSB_OK :
               QUSB_ERROR;
    }
    /* A stall halts the control endpoint until the next setup */
    if (e->halted) {
        ep_unhalt(hc, xdev->slot, DCI_EP0);
    }
    st = td_start(dev, p, xdev->ctl, n);
    g_assert(st == QUSB_OK);
    st = td_wait(dev, p);
    /* SETUP, DATA, STATUS: the data stage is TRB 1 */
    if (st == QUSB_OK && n == 3) {
        g_assert_cmpuint(e->residual, <=, p->len);
        *data = p->len - e->residual;
    }
    return st;
}

static QUSBStatus xhci_bulk_out(QUSBDevice *dev, QUSBPipe *p, int ep,
                                uint64_t buf, size_t len)
{
    QXHCITRB trbs[MAX_TD_TRBS] = { 0 };
    size_t off = 0;
    QUSBStatus st;
    int n = 0;

    g_assert_cmpuint(len, <=, QXHCI_MAX_XFER);
    /* Normal TRBs, none crossing a 64 KiB boundary (6.4.1) */
    do {
        uint64_t at = buf + off;
        size_t chunk = MIN(len - off, 0x10000 - (at & 0xffff));
        size_t left = len - off - chunk;

        g_assert(n < MAX_TD_TRBS);
        trbs[n].param = at;
        trbs[n].status = chunk |
            MIN(DIV_ROUND_UP(left, p->mps), TRB_TD_SIZE_MAX) <<
            TRB_TD_SIZE_SH;
        trbs[n].control = TRB_NORMAL << TRB_TYPE_SH |
                          (left ? TRB_CH : TRB_IOC);
        n++;
        off += chunk;
    } while (off < len);

    st = td_start(dev, p, trbs, n);
    if (st == QUSB_OK) {
        st = td_wait(dev, p);
    }
    return st;
}

QUSBStatus qxhci_bulk_in_submit(QUSBDevice *dev, int ep, size_t maxlen)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe_get(dev, ep, true);
    QXHCITRB trb = {
        .status = maxlen,
        .control = TRB_NORMAL << TRB_TYPE_SH | TRB_ISP | TRB_IOC,
    };
    QUSBStatus st;

    g_assert(ep > 0);
    g_assert_cmpuint(maxlen, <=, QXHCI_MAX_IN);
    g_assert(!p->ntd);
    /* A page of its own: the TRB crosses no 64 KiB boundary */
    p->buf = qusb_alloc(hc, QXHCI_MAX_IN, 4096);
    p->len = maxlen;
    trb.param = p->buf;
    st = td_start(dev, p, &trb, 1);
    if (st != QUSB_OK) {
        guest_free(hc->alloc, p->buf);
        p->buf = 0;
        return st;
    }
    pipe_ep(dev, p)->posted++;
    return QUSB_OK;
}

QUSBStatus qxhci_bulk_in_wait(QUSBDevice *dev, int ep, void *buf,
                              size_t *actual)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe(dev, ep, true);
    QXHCIEndpoint *e = pipe_ep(dev, p);
    QUSBStatus st;
    size_t done = 0;

    g_assert(p->ntd);
    st = qusb_wait(dev, p);
    if (actual) {
        *actual = 0;
    }
    if (st == QUSB_NO_DATA) {
        /* Still posted, as a host driver keeps an URB posted */
        return st;
    }
    if (st == QUSB_TIMEOUT) {
        xhci_cancel(dev, p);
    }
    if (st == QUSB_OK) {
        g_assert_cmpuint(e->residual, <=, p->len);
        done = p->len - e->residual;
        qtest_memread(hc->qts, p->buf, buf, done);
    }
    if (actual) {
        *actual = done;
    }
    p->ntd = 0;
    guest_free(hc->alloc, p->buf);
    p->buf = 0;
    return st;
}

QUSBStatus qxhci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual)
{
    QUSBPipe *p = qusb_pipe_get(dev, ep, true);
    QUSBStatus st;

    if (p->ntd) {
        /* The one posted before: what it gets must fit in @buf */
        g_assert_cmpuint(maxlen, >=, p->len);
    } else {
        st = qxhci_bulk_in_submit(dev, ep, maxlen);
        if (st != QUSB_OK) {
            if (actual) {
                *actual = 0;
            }
            return st;
        }
    }
    return qxhci_bulk_in_wait(dev, ep, buf, actual);
}

bool qxhci_bulk_in_pending(QUSBDevice *dev, int ep)
{
    return qusb_pipe(dev, ep, true)->ntd;
}

unsigned qxhci_bulk_in_posted(QUSBDevice *dev, int ep)
{
    QUSBPipe *p = qusb_pipe(dev, ep, true);

    return p->page ? pipe_ep(dev, p)->posted : 0;
}

void qxhci_bulk_in_cancel(QUSBDevice *dev, int ep)
{
    QUSBPipe *p = qusb_pipe(dev, ep, true);

    g_assert(p->ntd);
    xhci_cancel(dev, p);
    guest_free(dev->hc->alloc, p->buf);
    p->buf = 0;
}

static const QUSBHostOps xhci_ops = {
    .port_connected = xhci_port_connected,
    .port_reset = xhci_port_reset,
    .device_new = xhci_device_new,
    .pipe_link = xhci_pipe_link,
    .control_stage = xhci_control_stage,
    .control_run = xhci_control_run,
    .bulk_out = xhci_bulk_out,
    .poll = xhci_poll,
    .cancel = xhci_cancel,
    .addressed = xhci_addressed,
    .pipe_reset = xhci_pipe_reset,
    .free = xhci_free,
};
