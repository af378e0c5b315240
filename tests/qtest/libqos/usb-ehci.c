/*
 * libqos driver for an EHCI USB 2.0 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * EHCI 1.0 data structures (section 3) in guest memory, driven through
 * the asynchronous schedule (section 4.8) only.  Each endpoint has a page
 * of guest memory with its queue head and the qTDs of the one transfer it
 * may have in flight.  A transfer is started by pointing the idle queue
 * head at its qTDs and waited for by polling the qTD tokens while stepping
 * the virtual clock.  It is cancelled by disabling the asynchronous
 * schedule (section 4.8.1: software may then change any of it), which
 * also makes QEMU's model drop the packets it holds for it.
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "hw/usb/ehci-regs.h"
#include "usb-ehci.h"

/* Capability registers */
#define HCSPARAMS_N_PORTS       0xf
#define HCCPARAMS_64BIT         (1 << 0)

/* Operational registers at CAPLENGTH; PORTSC from this offset */
#define PORTSC_BASE             0x44

/* Link pointers (3.1) */
#define LINK_T                  1
#define LINK_TYPE_QH            (1 << 1)

/* qTD (3.5): next, alternate next, token, 5 buffer pointers */
#define QTD_SIZE                32
#define QTD_NEXT                0x00
#define QTD_ALTNEXT             0x04
#define QTD_TOKEN               0x08
#define QTD_BUFPTR              0x0c

#define TOKEN_TOGGLE            (1u << 31)
#define TOKEN_BYTES_SH          16
#define TOKEN_BYTES_MASK        (0x7fffu << TOKEN_BYTES_SH)
#define TOKEN_IOC               (1 << 15)
#define TOKEN_CERR_3            (3 << 10)
#define TOKEN_PID_OUT           (0 << 8)
#define TOKEN_PID_IN            (1 << 8)
#define TOKEN_PID_SETUP         (2 << 8)
#define TOKEN_ACTIVE            (1 << 7)
#define TOKEN_HALT              (1 << 6)
#define TOKEN_DBERR             (1 << 5)
#define TOKEN_BABBLE            (1 << 4)
#define TOKEN_XACTERR           (1 << 3)

/* QH (3.6): link, characteristics, capabilities, then a qTD overlay */
#define QH_SIZE                 48
#define QH_NEXT                 0x00
#define QH_EPCHAR               0x04
#define QH_EPCAP                0x08
#define QH_CURRENT              0x0c
#define QH_OVERLAY              0x10    /* next qTD pointer on */
#define QH_TOKEN                0x18

#define EPCHAR_MPS_SH           16
#define EPCHAR_H                (1 << 15)
#define EPCHAR_DTC              (1 << 14)
#define EPCHAR_EPS_HIGH         (2 << 12)
#define EPCHAR_EP_SH            8
#define EPCAP_MULT_1            (1u << 30)

/* A pipe's page: its QH, then the qTDs of its transfer */
#define EP_QTD_OFFSET           64
#define EP_MAX_QTDS             ((QUSB_PIPE_PAGE_SIZE - EP_QTD_OFFSET) / \
                                 QTD_SIZE)
#define QTD_PAGE                4096

#define CONTROL_MPS             64      /* until the device says */
#define BULK_MPS                512     /* the only one high speed allows */

typedef struct QEHCI {
    QUSBHost usb;
    uint32_t opreg;
    uint64_t head;              /* halted head QH of the async ring */
    uint64_t tail;              /* last QH of the ring, links to head */
} QEHCI;

static const QUSBHostOps ehci_ops;

static QEHCI *to_ehci(QUSBHost *usb)
{
    g_assert(usb->ops == &ehci_ops);
    return container_of(usb, QEHCI, usb);
}

/* Registers */

static uint32_t op_readl(QEHCI *hc, uint32_t reg)
{
    return qpci_io_readl(hc->usb.pdev, hc->usb.bar, hc->opreg + reg);
}

static void op_writel(QEHCI *hc, uint32_t reg, uint32_t val)
{
    qpci_io_writel(hc->usb.pdev, hc->usb.bar, hc->opreg + reg, val);
}

static uint32_t portsc_reg(int port)
{
    return PORTSC_BASE + 4 * port;
}

/*
 * Wait until (USBSTS & @mask) == @want.  The model updates USBSTS from a
 * bottom half, so this normally holds after the first poll or two.
 */
static bool wait_usbsts(QEHCI *hc, uint32_t mask, uint32_t want)
{
    unsigned i;

    for (i = 0; i < hc->usb.max_polls; i++) {
        if ((op_readl(hc, USBSTS) & mask) == want) {
            return true;
        }
        qusb_step(&hc->usb, 1);
    }
    return false;
}

static void async_enable(QEHCI *hc, bool on)
{
    uint32_t cmd = op_readl(hc, USBCMD);

    cmd = on ? cmd | USBCMD_ASE : cmd & ~USBCMD_ASE;
    op_writel(hc, USBCMD, cmd);
    g_assert(wait_usbsts(hc, USBSTS_ASS, on ? USBSTS_ASS : 0));
}

/* Controller */

QUSBHost *qehci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn)
{
    QEHCI *hc = g_new0(QEHCI, 1);
    QUSBHost *usb = &hc->usb;

    qusb_host_init(usb, &ehci_ops, qts, bus, alloc, devfn, 0);
    hc->opreg = qpci_io_readb(usb->pdev, usb->bar, CAPLENGTH);
    g_assert_cmpuint(hc->opreg, >=, 0x10);
    usb->nports = qpci_io_readl(usb->pdev, usb->bar, HCSPARAMS) &
                  HCSPARAMS_N_PORTS;
    g_assert_cmpint(usb->nports, >, 0);
    /* 64-bit capable controllers use larger qTDs and QHs */
    g_assert(!(qpci_io_readl(usb->pdev, usb->bar, HCCPARAMS) &
               HCCPARAMS_64BIT));

    /* Stop, then reset (2.3.1: only reset a halted controller) */
    op_writel(hc, USBCMD, 0);
    g_assert(wait_usbsts(hc, USBSTS_HALT, USBSTS_HALT));
    op_writel(hc, USBCMD, USBCMD_HCRESET);
    g_assert_cmphex(op_readl(hc, USBCMD) & USBCMD_HCRESET, ==, 0);

    /* Head of the asynchronous ring: halted, H bit, linked to itself */
    hc->head = qusb_alloc(usb, QH_SIZE, 32);
    qtest_memset(qts, hc->head, 0, QH_SIZE);
    qusb_writel(usb, hc->head + QH_NEXT, hc->head | LINK_TYPE_QH);
    qusb_writel(usb, hc->head + QH_EPCHAR, EPCHAR_H | EPCHAR_EPS_HIGH |
                (64 << EPCHAR_MPS_SH));
    qusb_writel(usb, hc->head + QH_EPCAP, EPCAP_MULT_1);
    qusb_writel(usb, hc->head + QH_CURRENT, 0);
    qusb_writel(usb, hc->head + QH_OVERLAY, LINK_T);
    qusb_writel(usb, hc->head + QH_OVERLAY + 4, LINK_T);
    qusb_writel(usb, hc->head + QH_TOKEN, TOKEN_HALT);
    hc->tail = hc->head;

    op_writel(hc, USBINTR, 0);
    op_writel(hc, CTRLDSSEGMENT, 0);
    op_writel(hc, ASYNCLISTADDR, hc->head);
    op_writel(hc, USBCMD, USBCMD_RUNSTOP | USBCMD_ASE |
              (8 << USBCMD_ITC_SH));
    g_assert(wait_usbsts(hc, USBSTS_HALT | USBSTS_ASS, USBSTS_ASS));
    /* Every port to EHCI rather than to a companion controller */
    op_writel(hc, CONFIGFLAG, 1);

    return usb;
}

static void ehci_free(QUSBHost *usb, bool stop)
{
    QEHCI *hc = to_ehci(usb);

    if (stop) {
        op_writel(hc, USBCMD, 0);
        g_assert(wait_usbsts(hc, USBSTS_HALT, USBSTS_HALT));
        op_writel(hc, ASYNCLISTADDR, 0);
    }
    guest_free(usb->alloc, hc->head);
    qusb_host_cleanup(usb);
    g_free(hc);
}

/* Ports */

uint32_t qehci_portsc(QUSBHost *hc, int port)
{
    g_assert(port >= 0 && port < hc->nports);
    return op_readl(to_ehci(hc), portsc_reg(port));
}

static bool ehci_port_connected(QUSBHost *hc, int port)
{
    return qehci_portsc(hc, port) & PORTSC_CONNECT;
}

static bool ehci_port_reset(QUSBHost *usb, int port)
{
    QEHCI *hc = to_ehci(usb);
    uint32_t portsc = qehci_portsc(usb, port);

    if (!(portsc & PORTSC_CONNECT)) {
        return false;
    }
    if (!(portsc & PORTSC_PPOWER)) {
        op_writel(hc, portsc_reg(port), PORTSC_PPOWER);
    }
    /*
     * Assert reset with PED clear (software may only clear it), for the
     * 50 ms USB 2.0 asks for, then end it; the port then reports itself
     * enabled if the device is high speed (2.3.9).
     */
    op_writel(hc, portsc_reg(port), PORTSC_PPOWER | PORTSC_PRESET);
    qusb_step(usb, 50);
    op_writel(hc, portsc_reg(port), PORTSC_PPOWER);
    portsc = qehci_portsc(usb, port);
    if (portsc & PORTSC_PRESET) {
        return false;
    }
    /* Acknowledge the change bits, keeping the port enabled */
    op_writel(hc, portsc_reg(port), PORTSC_PPOWER | (portsc & PORTSC_PED) |
              PORTSC_CSC | PORTSC_PEDC | PORTSC_OCC);
    return (qehci_portsc(usb, port) & (PORTSC_CONNECT | PORTSC_PED)) ==
           (PORTSC_CONNECT | PORTSC_PED);
}

/* Devices and their endpoints: a queue head and its qTDs */

static QUSBDevice *ehci_device_new(QUSBHost *hc, int port)
{
    QUSBDevice *dev = g_new0(QUSBDevice, 1);
    int i;

    dev->pipes[0].mps = CONTROL_MPS;
    for (i = 1; i < ARRAY_SIZE(dev->pipes); i++) {
        dev->pipes[i].mps = BULK_MPS;
    }
    return dev;
}

static uint32_t qh_epchar(QUSBDevice *dev, int ep, QUSBPipe *p)
{
    uint32_t epchar = EPCHAR_EPS_HIGH | (ep << EPCHAR_EP_SH) | dev->addr |
                      p->mps << EPCHAR_MPS_SH;

    if (ep == 0) {
        /* control: the toggle comes from each qTD (4.10.2) */
        epchar |= EPCHAR_DTC;
    }
    return epchar;
}

/* Idle overlay: no current qTD, nothing next, inactive, toggle kept */
static void qh_idle(QUSBHost *hc, uint64_t qh, uint32_t toggle)
{
    int i;

    qusb_writel(hc, qh + QH_CURRENT, 0);
    qusb_writel(hc, qh + QH_OVERLAY, LINK_T);
    qusb_writel(hc, qh + QH_OVERLAY + 4, LINK_T);
    for (i = 0; i < 5; i++) {
        qusb_writel(hc, qh + QH_TOKEN + 4 + 4 * i, 0);
    }
    qusb_writel(hc, qh + QH_TOKEN, toggle & TOKEN_TOGGLE);
}

static void ehci_pipe_link(QUSBDevice *dev, int ep, QUSBPipe *p)
{
    QEHCI *hc = to_ehci(dev->hc);
    uint64_t qh = p->page;

    qusb_writel(dev->hc, qh + QH_EPCHAR, qh_epchar(dev, ep, p));
    qusb_writel(dev->hc, qh + QH_EPCAP, EPCAP_MULT_1);
    qh_idle(dev->hc, qh, 0);
    /* Complete the QH, then append it to the ring (4.8.1) */
    qusb_writel(dev->hc, qh + QH_NEXT, hc->head | LINK_TYPE_QH);
    qusb_writel(dev->hc, hc->tail + QH_NEXT, qh | LINK_TYPE_QH);
    hc->tail = qh;
}

static void ehci_addressed(QUSBDevice *dev)
{
    int i;

    /* The QHs are idle: software may change their characteristics */
    for (i = 0; i < ARRAY_SIZE(dev->pipes); i++) {
        if (dev->pipes[i].page) {
            qusb_writel(dev->hc, dev->pipes[i].page + QH_EPCHAR,
                        qh_epchar(dev, i % QUSB_NUM_EPS, &dev->pipes[i]));
        }
    }
}

static void ehci_pipe_reset(QUSBDevice *dev, QUSBPipe *p)
{
    qh_idle(dev->hc, p->page, 0);
}

/* Transfers */

static uint64_t qtd_addr(QUSBPipe *p, int i)
{
    g_assert(i >= 0 && i < EP_MAX_QTDS);
    return p->page + EP_QTD_OFFSET + i * QTD_SIZE;
}

/* Fill qTD @i for @len bytes at guest address @buf, linked to qTD @i+1 */
static void qtd_fill(QUSBHost *hc, QUSBPipe *p, int i, uint32_t token,
                     uint64_t buf, size_t len, bool last)
{
    uint64_t qtd = qtd_addr(p, i);
    int page;

    g_assert(len <= QEHCI_QTD_MAX_BYTES);
    qusb_writel(hc, qtd + QTD_NEXT, last ? LINK_T : qtd_addr(p, i + 1));
    qusb_writel(hc, qtd + QTD_ALTNEXT, LINK_T);
    qusb_writel(hc, qtd + QTD_BUFPTR, buf);
    for (page = 1; page < 5; page++) {
        qusb_writel(hc, qtd + QTD_BUFPTR + 4 * page,
                    (buf & ~(uint64_t)(QTD_PAGE - 1)) + page * QTD_PAGE);
    }
    token |= TOKEN_ACTIVE | TOKEN_CERR_3 | (len << TOKEN_BYTES_SH);
    if (last) {
        token |= TOKEN_IOC;
    }
    /* The token last: it makes the qTD active */
    qusb_writel(hc, qtd + QTD_TOKEN, token);
}

static uint32_t qtd_token(QUSBHost *hc, QUSBPipe *p, int i)
{
    return qusb_readl(hc, qtd_addr(p, i) + QTD_TOKEN);
}

/* Bytes qTD @i of @len bytes moved */
static size_t qtd_done(QUSBHost *hc, QUSBPipe *p, int i, size_t len)
{
    size_t left = (qtd_token(hc, p, i) & TOKEN_BYTES_MASK) >> TOKEN_BYTES_SH;

    return left <= len ? len - left : 0;
}

static QUSBStatus halt_status(uint32_t token)
{
    return token & (TOKEN_BABBLE | TOKEN_XACTERR | TOKEN_DBERR) ?
           QUSB_ERROR : QUSB_STALL;
}

/*
 * Whether the transfer's qTDs are finished: the last one done, or one
 * halted (which ends the transfer).  *@st gets the outcome.
 */
static bool ep_finished(QUSBHost *hc, QUSBPipe *p, QUSBStatus *st)
{
    uint32_t token;
    int i;

    for (i = 0; i < p->ntd; i++) {
        token = qtd_token(hc, p, i);
        if (token & TOKEN_HALT) {
            *st = halt_status(token);
            return true;
        }
        if (token & TOKEN_ACTIVE) {
            return false;
        }
    }
    *st = QUSB_OK;
    return true;
}

/*
 * Finished, or waiting: the HC holds one of the transfer's qTDs in the
 * overlay, not done
 */
static QUSBXferState ehci_poll(QUSBDevice *dev, QUSBPipe *p, QUSBStatus *st)
{
    uint32_t cur;

    if (ep_finished(dev->hc, p, st)) {
        return QUSB_XFER_DONE;
    }
    cur = qusb_readl(dev->hc, p->page + QH_CURRENT);
    if (cur >= qtd_addr(p, 0) && cur <= qtd_addr(p, p->ntd - 1) &&
        (qusb_readl(dev->hc, p->page + QH_TOKEN) & TOKEN_ACTIVE)) {
        return QUSB_XFER_WAITING;
    }
    return QUSB_XFER_RUNNING;
}

/*
 * Take the transfer off the QH with the asynchronous schedule stopped,
 * unless it finished before the schedule stopped: then return false
 * with its outcome in *@st.  Transfers on other QHs stay queued: QEMU
 * drops the packets it holds for them and executes them again.
 */
static bool ep_cancel(QUSBHost *usb, QUSBPipe *p, QUSBStatus *st)
{
    QEHCI *hc = to_ehci(usb);
    bool finished;
    int i;

    async_enable(hc, false);
    finished = ep_finished(usb, p, st);
    if (!finished) {
        for (i = 0; i < p->ntd; i++) {
            uint64_t qtd = qtd_addr(p, i);

            qusb_writel(usb, qtd + QTD_TOKEN,
                        qusb_readl(usb, qtd + QTD_TOKEN) & ~TOKEN_ACTIVE);
        }
        qh_idle(usb, p->page, qusb_readl(usb, p->page + QH_TOKEN));
    }
    async_enable(hc, true);
    return !finished;
}

static void ehci_cancel(QUSBDevice *dev, QUSBPipe *p)
{
    QUSBStatus st;

    ep_cancel(dev->hc, p, &st);
    p->ntd = 0;
}

/*
 * Start @n filled, active qTDs on the idle QH of @p.  A halted bulk
 * endpoint stays halted until qusb_clear_halt(), a control endpoint
 * (@ep0) until the next SETUP.
 */
static QUSBStatus ep_start(QUSBHost *hc, QUSBPipe *p, int n, bool ep0)
{
    uint32_t token = qusb_readl(hc, p->page + QH_TOKEN);

    g_assert(!p->ntd);
    g_assert(!(token & TOKEN_ACTIVE));
    if (token & TOKEN_HALT) {
        if (!ep0) {
            return halt_status(token);
        }
        qh_idle(hc, p->page, 0);
    }
    p->ntd = n;
    /* Idle QH: the HC takes the next qTD pointer from the overlay */
    qusb_writel(hc, p->page + QH_OVERLAY, qtd_addr(p, 0));
    return QUSB_OK;
}

/*
 * Wait for the transfer started on @p; one the device NAKed, or the
 * controller never got to, is cancelled
 */
static QUSBStatus ep_wait(QUSBDevice *dev, QUSBPipe *p)
{
    QUSBStatus st = qusb_wait(dev, p);
    QUSBStatus done;

    if ((st == QUSB_NO_DATA || st == QUSB_TIMEOUT) &&
        !ep_cancel(dev->hc, p, &done)) {
        st = done;
    }
    p->ntd = 0;
    return st;
}

static int ehci_control_stage(QUSBDevice *dev, QUSBPipe *p, int i,
                              QUSBPid pid, bool toggle, uint64_t buf,
                              size_t len, bool last)
{
    uint32_t token = pid == QUSB_PID_SETUP ? TOKEN_PID_SETUP :
                     pid == QUSB_PID_IN ? TOKEN_PID_IN : TOKEN_PID_OUT;

    if (pid != QUSB_PID_SETUP && !last) {
        p->len = len;           /* the data stage's */
    }
    if (toggle) {
        token |= TOKEN_TOGGLE;
    }
    qtd_fill(dev->hc, p, i, token, buf, len, last);
    return i + 1;
}

static QUSBStatus ehci_control_run(QUSBDevice *dev, QUSBPipe *p, int n,
                                   size_t *data)
{
    QUSBStatus st = ep_start(dev->hc, p, n, true);

    g_assert(st == QUSB_OK);
    st = ep_wait(dev, p);
    /* SETUP, DATA, STATUS: the data stage is qTD 1 */
    *data = st == QUSB_OK && n == 3 ? qtd_done(dev->hc, p, 1, p->len) : 0;
    return st;
}

static QUSBStatus ehci_bulk_out(QUSBDevice *dev, QUSBPipe *p, int ep,
                                uint64_t buf, size_t len)
{
    size_t off = 0;
    QUSBStatus st;
    int n = 0;

    /* Full qTDs hold a multiple of the packet size: no short packet */
    do {
        size_t chunk = MIN(len - off, QEHCI_QTD_MAX_BYTES);

        qtd_fill(dev->hc, p, n, TOKEN_PID_OUT, buf + off, chunk,
                 off + chunk == len);
        n++;
        off += chunk;
    } while (off < len);

    st = ep_start(dev->hc, p, n, false);
    if (st == QUSB_OK) {
        st = ep_wait(dev, p);
    }
    return st;
}

QUSBStatus qehci_bulk_in_submit(QUSBDevice *dev, int ep, size_t maxlen)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe_get(dev, ep, true);
    QUSBStatus st;

    g_assert(ep > 0);
    g_assert(maxlen <= QEHCI_QTD_MAX_BYTES);
    g_assert(!p->ntd);
    p->buf = qusb_alloc(hc, MAX(maxlen, 1), 32);
    p->len = maxlen;
    qtd_fill(hc, p, 0, TOKEN_PID_IN, p->buf, maxlen, true);
    st = ep_start(hc, p, 1, false);
    if (st != QUSB_OK) {
        guest_free(hc->alloc, p->buf);
        p->buf = 0;
    }
    return st;
}

QUSBStatus qehci_bulk_in_wait(QUSBDevice *dev, int ep, void *buf,
                              size_t *actual)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe(dev, ep, true);
    QUSBStatus st;
    size_t done = 0;

    g_assert(p->ntd);
    st = ep_wait(dev, p);
    if (st == QUSB_OK) {
        done = qtd_done(hc, p, 0, p->len);
        qtest_memread(hc->qts, p->buf, buf, done);
    }
    if (actual) {
        *actual = done;
    }
    guest_free(hc->alloc, p->buf);
    p->buf = 0;
    return st;
}

QUSBStatus qehci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual)
{
    QUSBStatus st = qehci_bulk_in_submit(dev, ep, maxlen);

    if (st != QUSB_OK) {
        if (actual) {
            *actual = 0;
        }
        return st;
    }
    return qehci_bulk_in_wait(dev, ep, buf, actual);
}

static const QUSBHostOps ehci_ops = {
    .port_connected = ehci_port_connected,
    .port_reset = ehci_port_reset,
    .device_new = ehci_device_new,
    .pipe_link = ehci_pipe_link,
    .control_stage = ehci_control_stage,
    .control_run = ehci_control_run,
    .bulk_out = ehci_bulk_out,
    .poll = ehci_poll,
    .cancel = ehci_cancel,
    .addressed = ehci_addressed,
    .pipe_reset = ehci_pipe_reset,
    .free = ehci_free,
};
