/*
 * libqos driver for a UHCI USB 1.1 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * UHCI 1.1 data structures (section 3) in guest memory.  The frame list
 * (3.1) has every entry pointing to a head queue head with no elements;
 * the queue heads of the device endpoints hang behind it in a chain that
 * ends with a terminate link.  Each endpoint has a page of guest memory
 * with its queue head (3.3) and the TDs (3.2) of the one transfer it may
 * have in flight, linked depth first so that the controller runs as many
 * of them in a frame as it can.  A transfer starts when the driver points
 * the idle queue head's element link at its first TD, and is waited for
 * by polling the TD status while stepping the virtual clock.  It is
 * cancelled by terminating the element link and deactivating the TDs.
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "hw/usb/uhci-regs.h"
#include "usb-uhci.h"

#define UHCI_IO_BAR             4
#define UHCI_NUM_PORTS          2
#define UHCI_CMD_CF             (1 << 6)
#define UHCI_CMD_MAXP           (1 << 7)

/* Link pointers (3.1, 3.2.1, 3.3) */
#define LINK_T                  1
#define LINK_QH                 (1 << 1)
#define LINK_VF                 (1 << 2)

/* Frame list: 1024 entries, 4 KiB aligned */
#define FRAME_LIST_SIZE         4096
#define FRAME_LIST_ENTRIES      1024

/* TD (3.2): link, control and status, token, buffer */
#define TD_SIZE                 16
#define TD_LINK                 0x00
#define TD_CTRL                 0x04
#define TD_TOKEN                0x08
#define TD_BUFFER               0x0c

#define TD_CTRL_LS              (1 << 26)
#define TD_CTRL_CERR_3          (3 << TD_CTRL_ERROR_SHIFT)
#define TD_CTRL_CRC_TIMEOUT     TD_CTRL_TIMEOUT
#define TD_CTRL_DBE             (1 << 21)
#define TD_CTRL_BITSTUFF        (1 << 17)
#define TD_CTRL_ACTLEN_MASK     0x7ff
#define TD_CTRL_ERRORS          (TD_CTRL_STALL | TD_CTRL_DBE | \
                                 TD_CTRL_BABBLE | TD_CTRL_CRC_TIMEOUT | \
                                 TD_CTRL_BITSTUFF)

#define TD_TOKEN_MAXLEN_SH      21
#define TD_TOKEN_TOGGLE         (1 << 19)
#define TD_TOKEN_EP_SH          15
#define TD_TOKEN_ADDR_SH        8

/* QH (3.3): head link, element link */
#define QH_SIZE                 16
#define QH_LINK                 0x00
#define QH_ELEMENT              0x04

/* A pipe's page: its QH, then the TDs of its transfer */
#define EP_TD_OFFSET            16
#define EP_MAX_TDS              ((QUSB_PIPE_PAGE_SIZE - EP_TD_OFFSET) / \
                                 TD_SIZE)

#define FULL_SPEED_BULK_MPS     64

typedef struct QUHCI {
    QUSBHost usb;
    uint64_t frame_list;
    uint64_t head;              /* QH every frame list entry points to */
    uint64_t tail;              /* last QH of the chain */
} QUHCI;

/* What the last transfer on a pipe did */
typedef struct QUHCIPipeState {
    /* Lengths of the packets the last IN transfer received */
    size_t in_lens[QUHCI_MAX_PACKETS];
    int in_packets;
    bool naked;                 /* the last wait for the device was NAKs */
} QUHCIPipeState;

typedef struct QUHCIDevice {
    QUSBDevice usb;             /* first: qusb_device_forget() frees it */
    bool low_speed;
    QUHCIPipeState pipes[2 * QUSB_NUM_EPS];
} QUHCIDevice;

static const QUSBHostOps uhci_ops;

static QUHCI *to_uhci(QUSBHost *usb)
{
    g_assert(usb->ops == &uhci_ops);
    return container_of(usb, QUHCI, usb);
}

static QUHCIDevice *to_uhci_dev(QUSBDevice *dev)
{
    to_uhci(dev->hc);
    return container_of(dev, QUHCIDevice, usb);
}

static QUHCIPipeState *pipe_state(QUSBDevice *dev, QUSBPipe *p)
{
    return &to_uhci_dev(dev)->pipes[p - dev->pipes];
}

/* Registers */

static uint16_t reg_readw(QUSBHost *hc, uint32_t reg)
{
    return qpci_io_readw(hc->pdev, hc->bar, reg);
}

static void reg_writew(QUSBHost *hc, uint32_t reg, uint16_t val)
{
    qpci_io_writew(hc->pdev, hc->bar, reg, val);
}

static uint32_t portsc_reg(int port)
{
    return UHCI_USBPORTSC1 + 2 * port;
}

/* Controller */

QUSBHost *quhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn)
{
    QUHCI *hc = g_new0(QUHCI, 1);
    QUSBHost *usb = &hc->usb;
    int i;

    qusb_host_init(usb, &uhci_ops, qts, bus, alloc, devfn, UHCI_IO_BAR);
    usb->nports = UHCI_NUM_PORTS;

    /* Stop, then reset */
    reg_writew(usb, UHCI_USBCMD, 0);
    g_assert(reg_readw(usb, UHCI_USBSTS) & UHCI_STS_HCHALTED);
    reg_writew(usb, UHCI_USBCMD, UHCI_CMD_HCRESET);
    g_assert_cmphex(reg_readw(usb, UHCI_USBCMD) & UHCI_CMD_HCRESET, ==, 0);
    reg_writew(usb, UHCI_USBINTR, 0);

    /* Head QH without elements, the end of the chain for now */
    hc->head = qusb_alloc(usb, QH_SIZE, QH_SIZE);
    qusb_writel(usb, hc->head + QH_LINK, LINK_T);
    qusb_writel(usb, hc->head + QH_ELEMENT, LINK_T);
    hc->tail = hc->head;

    hc->frame_list = qusb_alloc(usb, FRAME_LIST_SIZE, FRAME_LIST_SIZE);
    for (i = 0; i < FRAME_LIST_ENTRIES; i++) {
        qusb_writel(usb, hc->frame_list + 4 * i, hc->head | LINK_QH);
    }
    qpci_io_writel(usb->pdev, usb->bar, UHCI_USBFLBASEADD, hc->frame_list);
    reg_writew(usb, UHCI_USBFRNUM, 0);
    reg_writew(usb, UHCI_USBSTS, 0xffff);

    reg_writew(usb, UHCI_USBCMD, UHCI_CMD_RS | UHCI_CMD_CF | UHCI_CMD_MAXP);
    g_assert(!(reg_readw(usb, UHCI_USBSTS) & UHCI_STS_HCHALTED));
    return usb;
}

static void uhci_free(QUSBHost *usb, bool stop)
{
    QUHCI *hc = to_uhci(usb);

    if (stop) {
        reg_writew(usb, UHCI_USBCMD, 0);
        qusb_step(usb, 1);
        g_assert(reg_readw(usb, UHCI_USBSTS) & UHCI_STS_HCHALTED);
    }
    guest_free(usb->alloc, hc->frame_list);
    guest_free(usb->alloc, hc->head);
    qusb_host_cleanup(usb);
    g_free(hc);
}

/* Ports */

uint16_t quhci_portsc(QUSBHost *hc, int port)
{
    g_assert(port >= 0 && port < UHCI_NUM_PORTS);
    return reg_readw(hc, portsc_reg(port));
}

static bool uhci_port_connected(QUSBHost *hc, int port)
{
    return quhci_portsc(hc, port) & UHCI_PORT_CCS;
}

static bool uhci_port_reset(QUSBHost *hc, int port)
{
    /* USB 2.0 7.1.7.5: reset for at least 10 ms, recover for 10 ms */
    reg_writew(hc, portsc_reg(port), UHCI_PORT_RESET);
    qusb_step(hc, 50);
    reg_writew(hc, portsc_reg(port), 0);
    qusb_step(hc, 10);
    /* Enable, and acknowledge the change bits (write 1 to clear) */
    reg_writew(hc, portsc_reg(port), UHCI_PORT_EN | UHCI_PORT_CSC |
               UHCI_PORT_ENC);
    return (quhci_portsc(hc, port) & (UHCI_PORT_CCS | UHCI_PORT_EN)) ==
           (UHCI_PORT_CCS | UHCI_PORT_EN);
}

bool quhci_port_low_speed(QUSBHost *hc, int port)
{
    return quhci_portsc(hc, port) & UHCI_PORT_LSDA;
}

/* Devices and their endpoints: a queue head and its TDs */

static QUSBDevice *uhci_device_new(QUSBHost *hc, int port)
{
    QUHCIDevice *udev = g_new0(QUHCIDevice, 1);
    int i;

    QEMU_BUILD_BUG_ON(offsetof(QUHCIDevice, usb) != 0);
    udev->low_speed = quhci_port_low_speed(hc, port);
    /* 8 bytes until the device descriptor says */
    udev->usb.pipes[0].mps = 8;
    for (i = 1; i < ARRAY_SIZE(udev->usb.pipes); i++) {
        udev->usb.pipes[i].mps = udev->low_speed ? 8 : FULL_SPEED_BULK_MPS;
    }
    return &udev->usb;
}

static void uhci_pipe_link(QUSBDevice *dev, int ep, QUSBPipe *p)
{
    QUHCI *hc = to_uhci(dev->hc);

    qusb_writel(dev->hc, p->page + QH_ELEMENT, LINK_T);
    /* Complete the QH, then append it to the chain */
    qusb_writel(dev->hc, p->page + QH_LINK, LINK_T);
    qusb_writel(dev->hc, hc->tail + QH_LINK, p->page | LINK_QH);
    hc->tail = p->page;
}

static void uhci_addressed(QUSBDevice *dev)
{
    /*
     * The address is in each TD: the next transfer uses it, after the
     * 2 ms of recovery of USB 2.0 9.2.6.3
     */
    qusb_step(dev->hc, 2);
}

static void uhci_pipe_reset(QUSBDevice *dev, QUSBPipe *p)
{
    p->toggle = false;
}

/* Transfers */

static uint64_t td_addr(QUSBPipe *p, int i)
{
    g_assert(i >= 0 && i < EP_MAX_TDS);
    return p->page + EP_TD_OFFSET + i * TD_SIZE;
}

/*
 * Fill TD @i: @pid, @len bytes at guest address @buf, data toggle
 * @toggle, linked depth first to TD @i+1 unless @last.  An IN TD stops
 * the queue on a short packet.
 */
static void td_fill(QUSBDevice *dev, QUSBPipe *p, int ep, int i,
                    QUSBPid pid, bool toggle, uint64_t buf, size_t len,
                    bool last)
{
    QUSBHost *hc = dev->hc;
    uint64_t td = td_addr(p, i);
    uint32_t ctrl, token;

    g_assert(len <= p->mps);
    token = ((len - 1) & 0x7ff) << TD_TOKEN_MAXLEN_SH |
            (toggle ? TD_TOKEN_TOGGLE : 0) |
            ep << TD_TOKEN_EP_SH | dev->addr << TD_TOKEN_ADDR_SH | pid;
    ctrl = TD_CTRL_ACTIVE | TD_CTRL_CERR_3 | TD_CTRL_ACTLEN_MASK;
    if (pid == QUSB_PID_IN) {
        ctrl |= TD_CTRL_SPD;
    }
    if (to_uhci_dev(dev)->low_speed) {
        ctrl |= TD_CTRL_LS;
    }
    if (last) {
        ctrl |= TD_CTRL_IOC;
    }
    qusb_writel(hc, td + TD_LINK, last ? LINK_T : td_addr(p, i + 1) | LINK_VF);
    qusb_writel(hc, td + TD_TOKEN, token);
    qusb_writel(hc, td + TD_BUFFER, buf);
    /* The status last: it makes the TD active */
    qusb_writel(hc, td + TD_CTRL, ctrl);
}

/*
 * Fill TDs from @i on for @len bytes at @buf: max-packet ones and a
 * short (possibly empty) last one, data toggles alternating from
 * @toggle; the last one ends the chain if @last.  Returns the next TD.
 */
static int td_chain(QUSBDevice *dev, QUSBPipe *p, int ep, int i,
                    QUSBPid pid, bool toggle, uint64_t buf, size_t len,
                    bool last)
{
    size_t off = 0;

    do {
        size_t chunk = MIN(len - off, p->mps);

        td_fill(dev, p, ep, i++, pid, toggle, buf + off, chunk,
                last && off + chunk == len);
        toggle = !toggle;
        off += chunk;
    } while (off < len);
    return i;
}

static uint32_t td_ctrl(QUSBHost *hc, QUSBPipe *p, int i)
{
    return qusb_readl(hc, td_addr(p, i) + TD_CTRL);
}

static uint32_t td_token(QUSBHost *hc, QUSBPipe *p, int i)
{
    return qusb_readl(hc, td_addr(p, i) + TD_TOKEN);
}

/* Bytes a finished TD moved, and its maximum */
static size_t td_actlen(uint32_t ctrl)
{
    return ((ctrl & TD_CTRL_ACTLEN_MASK) + 1) & TD_CTRL_ACTLEN_MASK;
}

static size_t td_maxlen(uint32_t token)
{
    return ((token >> TD_TOKEN_MAXLEN_SH) + 1) & 0x7ff;
}

static bool td_short(uint32_t ctrl, uint32_t token)
{
    return (token & 0xff) == QUSB_PID_IN && td_actlen(ctrl) < td_maxlen(token);
}

static QUSBStatus error_status(uint32_t ctrl)
{
    return (ctrl & TD_CTRL_ERRORS) == TD_CTRL_STALL ? QUSB_STALL :
           QUSB_ERROR;
}

/*
 * Where the transfer on @p is: done (all TDs done, a short IN packet,
 * or an error, with the outcome in *@st), waiting (the device NAKs the
 * TD the controller is at, or holds the IN), or running.  A control
 * transfer's short IN data packet moves the queue on to the status TD.
 */
static QUSBXferState uhci_poll(QUSBDevice *dev, QUSBPipe *p, QUSBStatus *st)
{
    QUSBHost *hc = dev->hc;
    bool control = p == &dev->pipes[0];
    uint32_t ctrl, token;
    int i;

    for (i = 0; i < p->ntd; i++) {
        ctrl = td_ctrl(hc, p, i);
        if (ctrl & TD_CTRL_ACTIVE) {
            /*
             * A device that has nothing to send NAKs an IN, or holds it
             * (USB_RET_ASYNC) and the TD stays active without the NAK bit
             */
            if (ctrl & TD_CTRL_NAK ||
                (td_token(hc, p, i) & 0xff) == QUSB_PID_IN) {
                pipe_state(dev, p)->naked = ctrl & TD_CTRL_NAK;
                return QUSB_XFER_WAITING;
            }
            return QUSB_XFER_RUNNING;
        }
        if (ctrl & TD_CTRL_ERRORS) {
            *st = error_status(ctrl);
            return QUSB_XFER_DONE;
        }
        token = td_token(hc, p, i);
        if (td_short(ctrl, token)) {
            if (!control || i == p->ntd - 1) {
                *st = QUSB_OK;
                return QUSB_XFER_DONE;
            }
            /*
             * A short data stage: the controller stays at this TD (its
             * element link does not advance); go on with the status TD.
             */
            if ((qusb_readl(hc, p->page + QH_ELEMENT) & ~0xf) ==
                td_addr(p, i)) {
                qusb_writel(hc, p->page + QH_ELEMENT,
                            td_addr(p, p->ntd - 1));
            }
            i = p->ntd - 2;
        }
    }
    *st = QUSB_OK;
    return QUSB_XFER_DONE;
}

/*
 * Take the transfer off the QH and record what its TDs did: toggles of
 * the packets that went through, lengths of the IN packets.  Returns the
 * data bytes moved by TDs @first..@last (a control transfer's data
 * stage, or all of a bulk one).
 */
static size_t ep_finish(QUSBDevice *dev, QUSBPipe *p, int first, int last)
{
    QUSBHost *hc = dev->hc;
    QUHCIPipeState *ps = pipe_state(dev, p);
    size_t done = 0;
    uint32_t ctrl, token;
    int i;

    qusb_writel(hc, p->page + QH_ELEMENT, LINK_T);
    ps->in_packets = 0;
    for (i = 0; i < p->ntd; i++) {
        ctrl = td_ctrl(hc, p, i);
        if (ctrl & TD_CTRL_ACTIVE) {
            qusb_writel(hc, td_addr(p, i) + TD_CTRL, ctrl & ~TD_CTRL_ACTIVE);
            continue;
        }
        if (i < first || i > last || (ctrl & TD_CTRL_ERRORS)) {
            continue;
        }
        /* Completed, so it was a data packet of this transfer */
        token = td_token(hc, p, i);
        done += td_actlen(ctrl);
        p->toggle = !(token & TD_TOKEN_TOGGLE);
        if ((token & 0xff) == QUSB_PID_IN &&
            ps->in_packets < QUHCI_MAX_PACKETS) {
            ps->in_lens[ps->in_packets++] = td_actlen(ctrl);
        }
        if (td_short(ctrl, token)) {
            break;
        }
    }
    p->ntd = 0;
    return done;
}

static void uhci_cancel(QUSBDevice *dev, QUSBPipe *p)
{
    ep_finish(dev, p, 0, p->ntd - 1);
}

/*
 * Run the @n filled, active TDs on the idle QH of @p, and wait for them
 * (the TDs stay for ep_finish())
 */
static QUSBStatus ep_run(QUSBDevice *dev, QUSBPipe *p, int n)
{
    g_assert(!p->ntd);
    g_assert(n > 0 && n <= EP_MAX_TDS);
    g_assert_cmphex(qusb_readl(dev->hc, p->page + QH_ELEMENT), ==, LINK_T);
    p->ntd = n;
    qusb_writel(dev->hc, p->page + QH_ELEMENT, td_addr(p, 0));
    return qusb_wait(dev, p);
}

static int uhci_control_stage(QUSBDevice *dev, QUSBPipe *p, int i,
                              QUSBPid pid, bool toggle, uint64_t buf,
                              size_t len, bool last)
{
    /* Max-packet TDs: a data stage may take several */
    return td_chain(dev, p, 0, i, pid, toggle, buf, len, last);
}

static QUSBStatus uhci_control_run(QUSBDevice *dev, QUSBPipe *p, int n,
                                   size_t *data)
{
    QUSBStatus st = ep_run(dev, p, n);

    /* The data stage: all TDs but SETUP and STATUS */
    *data = ep_finish(dev, p, 1, n - 2);
    return st;
}

static QUSBStatus uhci_bulk_out(QUSBDevice *dev, QUSBPipe *p, int ep,
                                uint64_t buf, size_t len)
{
    QUSBStatus st;
    int n;

    g_assert(len <= QUHCI_MAX_XFER);
    n = td_chain(dev, p, ep, 0, QUSB_PID_OUT, p->toggle, buf, len, true);
    st = ep_run(dev, p, n);
    ep_finish(dev, p, 0, n - 1);
    return st;
}

QUSBStatus quhci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe_get(dev, ep, true);
    uint64_t gbuf = qusb_alloc(hc, MAX(maxlen, 1), 16);
    QUSBStatus st;
    size_t done;
    int n;

    g_assert(ep > 0);
    g_assert(maxlen > 0 && maxlen <= QUHCI_MAX_XFER);
    n = td_chain(dev, p, ep, 0, QUSB_PID_IN, p->toggle, gbuf, maxlen, true);
    st = ep_run(dev, p, n);
    done = ep_finish(dev, p, 0, n - 1);
    if (st == QUSB_OK) {
        qtest_memread(hc->qts, gbuf, buf, done);
    }
    if (actual) {
        *actual = st == QUSB_OK ? done : 0;
    }
    guest_free(hc->alloc, gbuf);
    return st;
}

bool quhci_bulk_in_naked(QUSBDevice *dev, int ep)
{
    return pipe_state(dev, qusb_pipe(dev, ep, true))->naked;
}

int quhci_bulk_in_packets(QUSBDevice *dev, int ep, size_t *lens, int max)
{
    QUHCIPipeState *ps = pipe_state(dev, qusb_pipe(dev, ep, true));
    int i;

    for (i = 0; i < ps->in_packets && i < max; i++) {
        lens[i] = ps->in_lens[i];
    }
    return ps->in_packets;
}

static const QUSBHostOps uhci_ops = {
    .port_connected = uhci_port_connected,
    .port_reset = uhci_port_reset,
    .device_new = uhci_device_new,
    .pipe_link = uhci_pipe_link,
    .control_stage = uhci_control_stage,
    .control_run = uhci_control_run,
    .bulk_out = uhci_bulk_out,
    .poll = uhci_poll,
    .cancel = uhci_cancel,
    .addressed = uhci_addressed,
    .pipe_reset = uhci_pipe_reset,
    .free = uhci_free,
};
