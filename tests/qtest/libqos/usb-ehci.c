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
#define EPCHAR_ADDR_MASK        0x7f
#define EPCAP_MULT_1            (1u << 30)

/* A page per endpoint: its QH, then the qTDs of its transfer */
#define EP_PAGE_SIZE            4096
#define EP_QTD_OFFSET           64
#define EP_MAX_QTDS             ((EP_PAGE_SIZE - EP_QTD_OFFSET) / QTD_SIZE)
#define QTD_PAGE                4096

/* One poll is one (micro)frame period of the model: 1 ms */
#define POLL_NS                 (1000 * 1000)

#define NUM_EPS                 16
#define BULK_MPS                512     /* the only one high speed allows */

struct QEHCI {
    QTestState *qts;
    QGuestAllocator *alloc;
    QPCIDevice *pdev;
    QPCIBar bar;
    uint32_t opreg;
    int nports;

    uint64_t head;              /* halted head QH of the async ring */
    uint64_t tail;              /* last QH of the ring, links to head */
    GArray *qhs;                /* guest pages of all endpoints */

    unsigned max_polls;
    unsigned nak_polls;
};

typedef struct QEHCIEndpoint {
    uint64_t qh;                /* guest page: QH, qTDs; 0 until used */
    int nqtd;                   /* qTDs of the transfer in flight, or 0 */
    uint64_t buf;               /* bulk IN in flight: its buffer */
    size_t len;                 /* and its length */
} QEHCIEndpoint;

struct QEHCIDevice {
    QEHCI *hc;
    int port;
    uint8_t addr;
    uint16_t mps0;
    /* [0] control, [n] OUT n, [16 + n] IN n */
    QEHCIEndpoint eps[2 * NUM_EPS];
};

static const char *const status_names[] = {
    [QEHCI_OK] = "OK",
    [QEHCI_NO_DATA] = "NO_DATA (NAKed or held)",
    [QEHCI_STALL] = "STALL",
    [QEHCI_ERROR] = "ERROR",
    [QEHCI_TIMEOUT] = "TIMEOUT",
};

const char *qehci_status_str(QEHCIStatus st)
{
    if (st < ARRAY_SIZE(status_names) && status_names[st]) {
        return status_names[st];
    }
    return "?";
}

/* Registers */

static uint32_t op_readl(QEHCI *hc, uint32_t reg)
{
    return qpci_io_readl(hc->pdev, hc->bar, hc->opreg + reg);
}

static void op_writel(QEHCI *hc, uint32_t reg, uint32_t val)
{
    qpci_io_writel(hc->pdev, hc->bar, hc->opreg + reg, val);
}

static uint32_t portsc_reg(int port)
{
    return PORTSC_BASE + 4 * port;
}

static void step(QEHCI *hc)
{
    qtest_clock_step(hc->qts, POLL_NS);
}

/*
 * Wait until (USBSTS & @mask) == @want.  The model updates USBSTS from a
 * bottom half, so this normally holds after the first poll or two.
 */
static bool wait_usbsts(QEHCI *hc, uint32_t mask, uint32_t want)
{
    unsigned i;

    for (i = 0; i < hc->max_polls; i++) {
        if ((op_readl(hc, USBSTS) & mask) == want) {
            return true;
        }
        step(hc);
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

/* Guest memory */

static uint32_t mem_readl(QEHCI *hc, uint64_t addr)
{
    return qtest_readl(hc->qts, addr);
}

static void mem_writel(QEHCI *hc, uint64_t addr, uint32_t val)
{
    qtest_writel(hc->qts, addr, val);
}

static uint64_t alloc_low(QEHCI *hc, size_t size)
{
    uint64_t addr = guest_alloc(hc->alloc, size);

    /* 32-bit controller, 32-byte aligned structures */
    g_assert(addr && addr + size <= 0x100000000ULL);
    g_assert(!(addr & 0x1f));
    return addr;
}

/* Controller */

QEHCI *qehci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                  int devfn)
{
    QEHCI *hc = g_new0(QEHCI, 1);

    hc->qts = qts;
    hc->alloc = alloc;
    hc->max_polls = QEHCI_MAX_POLLS;
    hc->nak_polls = QEHCI_NAK_POLLS;
    hc->qhs = g_array_new(false, false, sizeof(uint64_t));

    hc->pdev = qpci_device_find(bus, devfn);
    g_assert(hc->pdev);
    qpci_device_enable(hc->pdev);
    hc->bar = qpci_iomap(hc->pdev, 0, NULL);

    hc->opreg = qpci_io_readb(hc->pdev, hc->bar, CAPLENGTH);
    g_assert_cmpuint(hc->opreg, >=, 0x10);
    hc->nports = qpci_io_readl(hc->pdev, hc->bar, HCSPARAMS) &
                 HCSPARAMS_N_PORTS;
    g_assert_cmpint(hc->nports, >, 0);
    /* 64-bit capable controllers use larger qTDs and QHs */
    g_assert(!(qpci_io_readl(hc->pdev, hc->bar, HCCPARAMS) &
               HCCPARAMS_64BIT));

    /* Stop, then reset (2.3.1: only reset a halted controller) */
    op_writel(hc, USBCMD, 0);
    g_assert(wait_usbsts(hc, USBSTS_HALT, USBSTS_HALT));
    op_writel(hc, USBCMD, USBCMD_HCRESET);
    g_assert_cmphex(op_readl(hc, USBCMD) & USBCMD_HCRESET, ==, 0);

    /* Head of the asynchronous ring: halted, H bit, linked to itself */
    hc->head = alloc_low(hc, QH_SIZE);
    qtest_memset(qts, hc->head, 0, QH_SIZE);
    mem_writel(hc, hc->head + QH_NEXT, hc->head | LINK_TYPE_QH);
    mem_writel(hc, hc->head + QH_EPCHAR, EPCHAR_H | EPCHAR_EPS_HIGH |
               (64 << EPCHAR_MPS_SH));
    mem_writel(hc, hc->head + QH_EPCAP, EPCAP_MULT_1);
    mem_writel(hc, hc->head + QH_CURRENT, 0);
    mem_writel(hc, hc->head + QH_OVERLAY, LINK_T);
    mem_writel(hc, hc->head + QH_OVERLAY + 4, LINK_T);
    mem_writel(hc, hc->head + QH_TOKEN, TOKEN_HALT);
    hc->tail = hc->head;

    op_writel(hc, USBINTR, 0);
    op_writel(hc, CTRLDSSEGMENT, 0);
    op_writel(hc, ASYNCLISTADDR, hc->head);
    op_writel(hc, USBCMD, USBCMD_RUNSTOP | USBCMD_ASE |
              (8 << USBCMD_ITC_SH));
    g_assert(wait_usbsts(hc, USBSTS_HALT | USBSTS_ASS, USBSTS_ASS));
    /* Every port to EHCI rather than to a companion controller */
    op_writel(hc, CONFIGFLAG, 1);

    return hc;
}

void qehci_free(QEHCI *hc)
{
    guint i;

    op_writel(hc, USBCMD, 0);
    g_assert(wait_usbsts(hc, USBSTS_HALT, USBSTS_HALT));
    op_writel(hc, ASYNCLISTADDR, 0);
    for (i = 0; i < hc->qhs->len; i++) {
        guest_free(hc->alloc, g_array_index(hc->qhs, uint64_t, i));
    }
    g_array_free(hc->qhs, true);
    guest_free(hc->alloc, hc->head);
    qpci_iounmap(hc->pdev, hc->bar);
    g_free(hc->pdev);
    g_free(hc);
}

void qehci_migrated(QEHCI *hc, QTestState *qts, QPCIBus *bus)
{
    QPCIDevice *pdev = qpci_device_find(bus, hc->pdev->devfn);

    /* Same BAR, same schedule in guest memory: only the QEMU changes */
    g_assert(pdev);
    g_free(hc->pdev);
    hc->pdev = pdev;
    hc->qts = qts;
}

void qehci_forget(QEHCI *hc)
{
    guint i;

    for (i = 0; i < hc->qhs->len; i++) {
        guest_free(hc->alloc, g_array_index(hc->qhs, uint64_t, i));
    }
    g_array_free(hc->qhs, true);
    guest_free(hc->alloc, hc->head);
    g_free(hc->pdev);
    g_free(hc);
}

void qehci_device_forget(QEHCIDevice *dev)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(dev->eps); i++) {
        if (dev->eps[i].nqtd) {
            guest_free(dev->hc->alloc, dev->eps[i].buf);
        }
    }
    g_free(dev);
}

void qehci_set_poll_limits(QEHCI *hc, unsigned max_polls, unsigned nak_polls)
{
    if (max_polls) {
        hc->max_polls = max_polls;
    }
    if (nak_polls) {
        hc->nak_polls = nak_polls;
    }
}

/* Ports */

int qehci_num_ports(QEHCI *hc)
{
    return hc->nports;
}

uint32_t qehci_portsc(QEHCI *hc, int port)
{
    g_assert(port >= 0 && port < hc->nports);
    return op_readl(hc, portsc_reg(port));
}

int qehci_first_connected_port(QEHCI *hc)
{
    int port;

    for (port = 0; port < hc->nports; port++) {
        if (qehci_portsc(hc, port) & PORTSC_CONNECT) {
            return port;
        }
    }
    return -1;
}

bool qehci_port_reset(QEHCI *hc, int port)
{
    uint32_t portsc = qehci_portsc(hc, port);

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
    qtest_clock_step(hc->qts, 50 * POLL_NS);
    op_writel(hc, portsc_reg(port), PORTSC_PPOWER);
    portsc = qehci_portsc(hc, port);
    if (portsc & PORTSC_PRESET) {
        return false;
    }
    /* Acknowledge the change bits, keeping the port enabled */
    op_writel(hc, portsc_reg(port), PORTSC_PPOWER | (portsc & PORTSC_PED) |
              PORTSC_CSC | PORTSC_PEDC | PORTSC_OCC);
    return (qehci_portsc(hc, port) & (PORTSC_CONNECT | PORTSC_PED)) ==
           (PORTSC_CONNECT | PORTSC_PED);
}

/* Endpoints: a queue head and its qTDs */

static QEHCIEndpoint *ep_lookup(QEHCIDevice *dev, int ep, bool in)
{
    g_assert(ep >= 0 && ep < NUM_EPS);
    return &dev->eps[ep && in ? NUM_EPS + ep : ep];
}

static uint32_t qh_epchar(QEHCIDevice *dev, int ep)
{
    uint32_t epchar = EPCHAR_EPS_HIGH | (ep << EPCHAR_EP_SH) | dev->addr;

    if (ep == 0) {
        /* control: the toggle comes from each qTD (4.10.2) */
        epchar |= EPCHAR_DTC | (dev->mps0 << EPCHAR_MPS_SH);
    } else {
        epchar |= BULK_MPS << EPCHAR_MPS_SH;
    }
    return epchar;
}

/* Idle overlay: no current qTD, nothing next, inactive, toggle kept */
static void qh_idle(QEHCI *hc, uint64_t qh, uint32_t toggle)
{
    int i;

    mem_writel(hc, qh + QH_CURRENT, 0);
    mem_writel(hc, qh + QH_OVERLAY, LINK_T);
    mem_writel(hc, qh + QH_OVERLAY + 4, LINK_T);
    for (i = 0; i < 5; i++) {
        mem_writel(hc, qh + QH_TOKEN + 4 + 4 * i, 0);
    }
    mem_writel(hc, qh + QH_TOKEN, toggle & TOKEN_TOGGLE);
}

static QEHCIEndpoint *ep_get(QEHCIDevice *dev, int ep, bool in)
{
    QEHCI *hc = dev->hc;
    QEHCIEndpoint *e = ep_lookup(dev, ep, in);
    uint64_t qh;

    if (e->qh) {
        return e;
    }
    qh = alloc_low(hc, EP_PAGE_SIZE);
    qtest_memset(hc->qts, qh, 0, EP_PAGE_SIZE);
    mem_writel(hc, qh + QH_EPCHAR, qh_epchar(dev, ep));
    mem_writel(hc, qh + QH_EPCAP, EPCAP_MULT_1);
    qh_idle(hc, qh, 0);
    /* Complete the QH, then append it to the ring (4.8.1) */
    mem_writel(hc, qh + QH_NEXT, hc->head | LINK_TYPE_QH);
    mem_writel(hc, hc->tail + QH_NEXT, qh | LINK_TYPE_QH);
    hc->tail = qh;
    g_array_append_val(hc->qhs, qh);
    e->qh = qh;
    return e;
}

/* Transfers */

static uint64_t qtd_addr(QEHCIEndpoint *e, int i)
{
    g_assert(i >= 0 && i < EP_MAX_QTDS);
    return e->qh + EP_QTD_OFFSET + i * QTD_SIZE;
}

/* Fill qTD @i for @len bytes at guest address @buf, linked to qTD @i+1 */
static void qtd_fill(QEHCI *hc, QEHCIEndpoint *e, int i, uint32_t token,
                     uint64_t buf, size_t len, bool last)
{
    uint64_t qtd = qtd_addr(e, i);
    int page;

    g_assert(len <= QEHCI_QTD_MAX_BYTES);
    mem_writel(hc, qtd + QTD_NEXT, last ? LINK_T : qtd_addr(e, i + 1));
    mem_writel(hc, qtd + QTD_ALTNEXT, LINK_T);
    mem_writel(hc, qtd + QTD_BUFPTR, buf);
    for (page = 1; page < 5; page++) {
        mem_writel(hc, qtd + QTD_BUFPTR + 4 * page,
                   (buf & ~(uint64_t)(QTD_PAGE - 1)) + page * QTD_PAGE);
    }
    token |= TOKEN_ACTIVE | TOKEN_CERR_3 | (len << TOKEN_BYTES_SH);
    if (last) {
        token |= TOKEN_IOC;
    }
    /* The token last: it makes the qTD active */
    mem_writel(hc, qtd + QTD_TOKEN, token);
}

static uint32_t qtd_token(QEHCI *hc, QEHCIEndpoint *e, int i)
{
    return mem_readl(hc, qtd_addr(e, i) + QTD_TOKEN);
}

/* Bytes qTD @i of @len bytes moved */
static size_t qtd_done(QEHCI *hc, QEHCIEndpoint *e, int i, size_t len)
{
    size_t left = (qtd_token(hc, e, i) & TOKEN_BYTES_MASK) >> TOKEN_BYTES_SH;

    return left <= len ? len - left : 0;
}

static QEHCIStatus halt_status(uint32_t token)
{
    return token & (TOKEN_BABBLE | TOKEN_XACTERR | TOKEN_DBERR) ?
           QEHCI_ERROR : QEHCI_STALL;
}

/*
 * Whether the transfer's qTDs are finished: the last one done, or one
 * halted (which ends the transfer).  *@st gets the outcome.
 */
static bool ep_finished(QEHCI *hc, QEHCIEndpoint *e, QEHCIStatus *st)
{
    uint32_t token;
    int i;

    for (i = 0; i < e->nqtd; i++) {
        token = qtd_token(hc, e, i);
        if (token & TOKEN_HALT) {
            *st = halt_status(token);
            return true;
        }
        if (token & TOKEN_ACTIVE) {
            return false;
        }
    }
    *st = QEHCI_OK;
    return true;
}

/* The HC holds one of the transfer's qTDs in the overlay, not done */
static bool ep_pending(QEHCI *hc, QEHCIEndpoint *e)
{
    uint32_t cur = mem_readl(hc, e->qh + QH_CURRENT);

    return cur >= qtd_addr(e, 0) && cur <= qtd_addr(e, e->nqtd - 1) &&
           (mem_readl(hc, e->qh + QH_TOKEN) & TOKEN_ACTIVE);
}

/*
 * Take the transfer off the QH with the asynchronous schedule stopped,
 * unless it finished before the schedule stopped: then return false
 * with its outcome in *@st.  Transfers on other QHs stay queued: QEMU
 * drops the packets it holds for them and executes them again.
 */
static bool ep_cancel(QEHCI *hc, QEHCIEndpoint *e, QEHCIStatus *st)
{
    bool finished;
    int i;

    async_enable(hc, false);
    finished = ep_finished(hc, e, st);
    if (!finished) {
        for (i = 0; i < e->nqtd; i++) {
            uint64_t qtd = qtd_addr(e, i);

            mem_writel(hc, qtd + QTD_TOKEN,
                       mem_readl(hc, qtd + QTD_TOKEN) & ~TOKEN_ACTIVE);
        }
        qh_idle(hc, e->qh, mem_readl(hc, e->qh + QH_TOKEN));
    }
    async_enable(hc, true);
    return !finished;
}

/*
 * Start @n filled, active qTDs on the idle QH of @e.  A halted bulk
 * endpoint stays halted until qehci_clear_halt(), a control endpoint
 * (@ep0) until the next SETUP.
 */
static QEHCIStatus ep_start(QEHCI *hc, QEHCIEndpoint *e, int n, bool ep0)
{
    uint32_t token = mem_readl(hc, e->qh + QH_TOKEN);

    g_assert(!e->nqtd);
    g_assert(!(token & TOKEN_ACTIVE));
    if (token & TOKEN_HALT) {
        if (!ep0) {
            return halt_status(token);
        }
        qh_idle(hc, e->qh, 0);
    }
    e->nqtd = n;
    /* Idle QH: the HC takes the next qTD pointer from the overlay */
    mem_writel(hc, e->qh + QH_OVERLAY, qtd_addr(e, 0));
    return QEHCI_OK;
}

/*
 * Wait for the transfer started on @e, for at most max_polls frames, or
 * nak_polls frames once the controller is working on it.
 */
static QEHCIStatus ep_wait(QEHCI *hc, QEHCIEndpoint *e)
{
    unsigned polls, naks = 0;
    QEHCIStatus st;

    g_assert(e->nqtd);
    for (polls = 0; polls < hc->max_polls; polls++) {
        if (ep_finished(hc, e, &st)) {
            goto out;
        }
        if (ep_pending(hc, e) && ++naks >= hc->nak_polls) {
            break;
        }
        step(hc);
    }
    if (ep_cancel(hc, e, &st)) {
        st = naks ? QEHCI_NO_DATA : QEHCI_TIMEOUT;
    }
out:
    e->nqtd = 0;
    return st;
}

QEHCIStatus qehci_control(QEHCIDevice *dev, uint8_t request_type,
                          uint8_t request, uint16_t value, uint16_t index,
                          void *data, uint16_t length, size_t *actual)
{
    QEHCI *hc = dev->hc;
    bool in = request_type & USB_DIR_IN;
    QEHCIEndpoint *e = ep_get(dev, 0, false);
    uint64_t buf = alloc_low(hc, 64 + length);
    uint8_t setup[8] = {
        request_type, request, value, value >> 8, index, index >> 8,
        length, length >> 8,
    };
    QEHCIStatus st;
    size_t done = 0;
    int n = 0;

    qtest_memwrite(hc->qts, buf, setup, sizeof(setup));
    qtd_fill(hc, e, n++, TOKEN_PID_SETUP, buf, sizeof(setup), false);
    if (length) {
        if (!in) {
            qtest_memwrite(hc->qts, buf + 64, data, length);
        }
        qtd_fill(hc, e, n++, TOKEN_TOGGLE |
                 (in ? TOKEN_PID_IN : TOKEN_PID_OUT),
                 buf + 64, length, false);
    }
    /* Status stage: the other direction (IN without data), DATA1 */
    qtd_fill(hc, e, n++, TOKEN_TOGGLE |
             (in && length ? TOKEN_PID_OUT : TOKEN_PID_IN), 0, 0, true);

    st = ep_start(hc, e, n, true);
    g_assert(st == QEHCI_OK);
    st = ep_wait(hc, e);
    if (st == QEHCI_OK && length) {
        done = qtd_done(hc, e, 1, length);
        if (in) {
            qtest_memread(hc->qts, buf + 64, data, done);
        }
    }
    if (actual) {
        *actual = done;
    }
    guest_free(hc->alloc, buf);
    return st;
}

QEHCIStatus qehci_get_descriptor(QEHCIDevice *dev, uint8_t type,
                                 uint8_t index, uint16_t langid,
                                 void *buf, uint16_t len, size_t *actual)
{
    return qehci_control(dev, USB_DIR_IN | USB_TYPE_STANDARD |
                         USB_RECIP_DEVICE, USB_REQ_GET_DESCRIPTOR,
                         type << 8 | index, langid, buf, len, actual);
}

char *qehci_get_string(QEHCIDevice *dev, uint8_t index)
{
    uint8_t buf[255];
    size_t len, i;
    uint16_t langid;
    GString *s;

    if (qehci_get_descriptor(dev, USB_DT_STRING, 0, 0, buf, sizeof(buf),
                             &len) != QEHCI_OK ||
        len < 4 || buf[1] != USB_DT_STRING) {
        return NULL;
    }
    langid = buf[2] | buf[3] << 8;
    if (qehci_get_descriptor(dev, USB_DT_STRING, index, langid, buf,
                             sizeof(buf), &len) != QEHCI_OK ||
        len < 2 || buf[1] != USB_DT_STRING || buf[0] > len) {
        return NULL;
    }
    s = g_string_new(NULL);
    for (i = 2; i + 1 < buf[0]; i += 2) {
        uint16_t c = buf[i] | buf[i + 1] << 8;

        g_string_append_c(s, c >= 0x20 && c < 0x7f ? c : '?');
    }
    return g_string_free(s, false);
}

QEHCIStatus qehci_set_address(QEHCIDevice *dev, uint8_t addr)
{
    QEHCIStatus st;
    int i;

    g_assert(addr <= EPCHAR_ADDR_MASK);
    st = qehci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_DEVICE, USB_REQ_SET_ADDRESS, addr, 0,
                       NULL, 0, NULL);
    if (st != QEHCI_OK) {
        return st;
    }
    /* The QHs are idle: software may change their characteristics */
    dev->addr = addr;
    for (i = 0; i < ARRAY_SIZE(dev->eps); i++) {
        if (dev->eps[i].qh) {
            g_assert(!dev->eps[i].nqtd);
            mem_writel(dev->hc, dev->eps[i].qh + QH_EPCHAR,
                       qh_epchar(dev, i % NUM_EPS));
        }
    }
    return QEHCI_OK;
}

QEHCIStatus qehci_set_configuration(QEHCIDevice *dev, uint8_t value)
{
    QEHCIStatus st;
    int i;

    st = qehci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_DEVICE, USB_REQ_SET_CONFIGURATION, value, 0,
                       NULL, 0, NULL);
    if (st != QEHCI_OK) {
        return st;
    }
    /* A (re)configured endpoint starts with DATA0 */
    for (i = 1; i < ARRAY_SIZE(dev->eps); i++) {
        if (dev->eps[i].qh) {
            g_assert(!dev->eps[i].nqtd);
            qh_idle(dev->hc, dev->eps[i].qh, 0);
        }
    }
    return QEHCI_OK;
}

QEHCIStatus qehci_clear_halt(QEHCIDevice *dev, uint8_t ep_addr)
{
    int ep = ep_addr & 0xf;
    QEHCIEndpoint *e;
    QEHCIStatus st;

    g_assert(ep);
    st = qehci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_ENDPOINT, USB_REQ_CLEAR_FEATURE,
                       0 /* ENDPOINT_HALT */, ep_addr, NULL, 0, NULL);
    if (st == QEHCI_OK) {
        e = ep_get(dev, ep, ep_addr & USB_DIR_IN);
        g_assert(!e->nqtd);
        qh_idle(dev->hc, e->qh, 0);
    }
    return st;
}

QEHCIStatus qehci_bulk_out(QEHCIDevice *dev, int ep, const void *buf,
                           size_t len)
{
    QEHCI *hc = dev->hc;
    QEHCIEndpoint *e = ep_get(dev, ep, false);
    uint64_t gbuf = alloc_low(hc, MAX(len, 1));
    size_t off = 0;
    QEHCIStatus st;
    int n = 0;

    g_assert(ep > 0);
    qtest_memwrite(hc->qts, gbuf, buf, len);
    /* Full qTDs hold a multiple of the packet size: no short packet */
    do {
        size_t chunk = MIN(len - off, QEHCI_QTD_MAX_BYTES);

        qtd_fill(hc, e, n, TOKEN_PID_OUT, gbuf + off, chunk,
                 off + chunk == len);
        n++;
        off += chunk;
    } while (off < len);

    st = ep_start(hc, e, n, false);
    if (st == QEHCI_OK) {
        st = ep_wait(hc, e);
    }
    guest_free(hc->alloc, gbuf);
    return st;
}

QEHCIStatus qehci_bulk_in_submit(QEHCIDevice *dev, int ep, size_t maxlen)
{
    QEHCI *hc = dev->hc;
    QEHCIEndpoint *e = ep_get(dev, ep, true);
    QEHCIStatus st;

    g_assert(ep > 0);
    g_assert(maxlen <= QEHCI_QTD_MAX_BYTES);
    g_assert(!e->nqtd);
    e->buf = alloc_low(hc, MAX(maxlen, 1));
    e->len = maxlen;
    qtd_fill(hc, e, 0, TOKEN_PID_IN, e->buf, maxlen, true);
    st = ep_start(hc, e, 1, false);
    if (st != QEHCI_OK) {
        guest_free(hc->alloc, e->buf);
    }
    return st;
}

QEHCIStatus qehci_bulk_in_wait(QEHCIDevice *dev, int ep, void *buf,
                               size_t *actual)
{
    QEHCI *hc = dev->hc;
    QEHCIEndpoint *e = ep_lookup(dev, ep, true);
    QEHCIStatus st;
    size_t done = 0;

    g_assert(e->nqtd);
    st = ep_wait(hc, e);
    if (st == QEHCI_OK) {
        done = qtd_done(hc, e, 0, e->len);
        qtest_memread(hc->qts, e->buf, buf, done);
    }
    if (actual) {
        *actual = done;
    }
    guest_free(hc->alloc, e->buf);
    return st;
}

QEHCIStatus qehci_bulk_in(QEHCIDevice *dev, int ep, void *buf,
                          size_t maxlen, size_t *actual)
{
    QEHCIStatus st = qehci_bulk_in_submit(dev, ep, maxlen);

    if (st != QEHCI_OK) {
        if (actual) {
            *actual = 0;
        }
        return st;
    }
    return qehci_bulk_in_wait(dev, ep, buf, actual);
}

/* Devices */

QEHCIDevice *qehci_device_new(QEHCI *hc, int port)
{
    QEHCIDevice *dev = g_new0(QEHCIDevice, 1);

    g_assert(port >= 0 && port < hc->nports);
    dev->hc = hc;
    dev->port = port;
    dev->mps0 = 64;
    return dev;
}

QEHCIDevice *qehci_enumerate(QEHCI *hc, int port, uint8_t addr,
                             uint8_t *desc)
{
    QEHCIDevice *dev;
    uint8_t buf[18];
    QEHCIStatus st;
    size_t len;

    g_assert_cmpint(port, >=, 0);
    g_assert(qehci_port_reset(hc, port));
    dev = qehci_device_new(hc, port);

    st = qehci_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, 8, &len);
    g_assert_cmpstr(qehci_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmpuint(buf[1], ==, USB_DT_DEVICE);
    g_assert(buf[7] == 8 || buf[7] == 16 || buf[7] == 32 || buf[7] == 64);
    dev->mps0 = buf[7];

    st = qehci_set_address(dev, addr);
    g_assert_cmpstr(qehci_status_str(st), ==, "OK");

    st = qehci_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, sizeof(buf),
                              &len);
    g_assert_cmpstr(qehci_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, sizeof(buf));
    if (desc) {
        memcpy(desc, buf, sizeof(buf));
    }
    return dev;
}

void qehci_device_free(QEHCIDevice *dev)
{
    QEHCIStatus st;
    int i;

    /* A bulk IN may still be in flight */
    for (i = 0; i < ARRAY_SIZE(dev->eps); i++) {
        if (dev->eps[i].nqtd) {
            ep_cancel(dev->hc, &dev->eps[i], &st);
            guest_free(dev->hc->alloc, dev->eps[i].buf);
        }
    }
    g_free(dev);
}

uint8_t qehci_device_addr(QEHCIDevice *dev)
{
    return dev->addr;
}
