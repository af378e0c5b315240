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
#define TD_PID_SETUP            0x2d
#define TD_PID_IN               0x69
#define TD_PID_OUT              0xe1

/* QH (3.3): head link, element link */
#define QH_SIZE                 16
#define QH_LINK                 0x00
#define QH_ELEMENT              0x04

/* A page per endpoint: its QH, then the TDs of its transfer */
#define EP_PAGE_SIZE            4096
#define EP_TD_OFFSET            16
#define EP_MAX_TDS              ((EP_PAGE_SIZE - EP_TD_OFFSET) / TD_SIZE)

/* One poll is one frame: 1 ms */
#define POLL_NS                 (1000 * 1000)

#define NUM_EPS                 16
#define ADDR_MASK               0x7f
#define FULL_SPEED_BULK_MPS     64

struct QUHCI {
    QTestState *qts;
    QGuestAllocator *alloc;
    QPCIDevice *pdev;
    QPCIBar bar;

    uint64_t frame_list;
    uint64_t head;              /* QH every frame list entry points to */
    uint64_t tail;              /* last QH of the chain */
    GArray *qhs;                /* guest pages of all endpoints */

    unsigned max_polls;
    unsigned nak_polls;
};

typedef struct QUHCIEndpoint {
    uint64_t qh;                /* guest page: QH, TDs; 0 until used */
    uint16_t mps;
    bool toggle;                /* the next data packet's: DATA1 if set */
    int ntd;                    /* TDs of the transfer in flight, or 0 */
    bool control;               /* the transfer is a control transfer */
    /* Lengths of the packets the last IN transfer received */
    size_t in_lens[QUHCI_MAX_PACKETS];
    int in_packets;
    bool naked;                 /* the last wait for the device was NAKs */
} QUHCIEndpoint;

struct QUHCIDevice {
    QUHCI *hc;
    int port;
    uint8_t addr;
    bool low_speed;
    /* [0] control, [n] OUT n, [16 + n] IN n */
    QUHCIEndpoint eps[2 * NUM_EPS];
};

static const char *const status_names[] = {
    [QUHCI_OK] = "OK",
    [QUHCI_NO_DATA] = "NO_DATA (NAKed or held)",
    [QUHCI_STALL] = "STALL",
    [QUHCI_ERROR] = "ERROR",
    [QUHCI_TIMEOUT] = "TIMEOUT",
};

const char *quhci_status_str(QUHCIStatus st)
{
    if (st < ARRAY_SIZE(status_names) && status_names[st]) {
        return status_names[st];
    }
    return "?";
}

/* Registers */

static uint16_t reg_readw(QUHCI *hc, uint32_t reg)
{
    return qpci_io_readw(hc->pdev, hc->bar, reg);
}

static void reg_writew(QUHCI *hc, uint32_t reg, uint16_t val)
{
    qpci_io_writew(hc->pdev, hc->bar, reg, val);
}

static uint32_t portsc_reg(int port)
{
    return UHCI_USBPORTSC1 + 2 * port;
}

static void step(QUHCI *hc)
{
    qtest_clock_step(hc->qts, POLL_NS);
}

/* Guest memory */

static uint32_t mem_readl(QUHCI *hc, uint64_t addr)
{
    return qtest_readl(hc->qts, addr);
}

static void mem_writel(QUHCI *hc, uint64_t addr, uint32_t val)
{
    qtest_writel(hc->qts, addr, val);
}

static uint64_t alloc_low(QUHCI *hc, size_t size, uint64_t align)
{
    uint64_t addr = guest_alloc(hc->alloc, size);

    /* 32-bit controller */
    g_assert(addr && addr + size <= 0x100000000ULL);
    g_assert(!(addr & (align - 1)));
    return addr;
}

/* Controller */

QUHCI *quhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                  int devfn)
{
    QUHCI *hc = g_new0(QUHCI, 1);
    int i;

    hc->qts = qts;
    hc->alloc = alloc;
    hc->max_polls = QUHCI_MAX_POLLS;
    hc->nak_polls = QUHCI_NAK_POLLS;
    hc->qhs = g_array_new(false, false, sizeof(uint64_t));

    hc->pdev = qpci_device_find(bus, devfn);
    g_assert(hc->pdev);
    qpci_device_enable(hc->pdev);
    hc->bar = qpci_iomap(hc->pdev, UHCI_IO_BAR, NULL);

    /* Stop, then reset */
    reg_writew(hc, UHCI_USBCMD, 0);
    g_assert(reg_readw(hc, UHCI_USBSTS) & UHCI_STS_HCHALTED);
    reg_writew(hc, UHCI_USBCMD, UHCI_CMD_HCRESET);
    g_assert_cmphex(reg_readw(hc, UHCI_USBCMD) & UHCI_CMD_HCRESET, ==, 0);
    reg_writew(hc, UHCI_USBINTR, 0);

    /* Head QH without elements, the end of the chain for now */
    hc->head = alloc_low(hc, QH_SIZE, QH_SIZE);
    mem_writel(hc, hc->head + QH_LINK, LINK_T);
    mem_writel(hc, hc->head + QH_ELEMENT, LINK_T);
    hc->tail = hc->head;

    hc->frame_list = alloc_low(hc, FRAME_LIST_SIZE, FRAME_LIST_SIZE);
    for (i = 0; i < FRAME_LIST_ENTRIES; i++) {
        mem_writel(hc, hc->frame_list + 4 * i, hc->head | LINK_QH);
    }
    qpci_io_writel(hc->pdev, hc->bar, UHCI_USBFLBASEADD, hc->frame_list);
    reg_writew(hc, UHCI_USBFRNUM, 0);
    reg_writew(hc, UHCI_USBSTS, 0xffff);

    reg_writew(hc, UHCI_USBCMD, UHCI_CMD_RS | UHCI_CMD_CF | UHCI_CMD_MAXP);
    g_assert(!(reg_readw(hc, UHCI_USBSTS) & UHCI_STS_HCHALTED));
    return hc;
}

void quhci_free(QUHCI *hc)
{
    int i;

    reg_writew(hc, UHCI_USBCMD, 0);
    step(hc);
    g_assert(reg_readw(hc, UHCI_USBSTS) & UHCI_STS_HCHALTED);
    for (i = 0; i < hc->qhs->len; i++) {
        guest_free(hc->alloc, g_array_index(hc->qhs, uint64_t, i));
    }
    g_array_free(hc->qhs, true);
    guest_free(hc->alloc, hc->frame_list);
    guest_free(hc->alloc, hc->head);
    g_free(hc->pdev);
    g_free(hc);
}

void quhci_set_poll_limits(QUHCI *hc, unsigned max_polls, unsigned nak_polls)
{
    if (max_polls) {
        hc->max_polls = max_polls;
    }
    if (nak_polls) {
        hc->nak_polls = nak_polls;
    }
}

/* Ports */

int quhci_num_ports(QUHCI *hc)
{
    return UHCI_NUM_PORTS;
}

uint16_t quhci_portsc(QUHCI *hc, int port)
{
    g_assert(port >= 0 && port < UHCI_NUM_PORTS);
    return reg_readw(hc, portsc_reg(port));
}

int quhci_first_connected_port(QUHCI *hc)
{
    int port;

    for (port = 0; port < UHCI_NUM_PORTS; port++) {
        if (quhci_portsc(hc, port) & UHCI_PORT_CCS) {
            return port;
        }
    }
    return -1;
}

bool quhci_port_reset(QUHCI *hc, int port)
{
    /* USB 2.0 7.1.7.5: reset for at least 10 ms, recover for 10 ms */
    reg_writew(hc, portsc_reg(port), UHCI_PORT_RESET);
    qtest_clock_step(hc->qts, 50 * POLL_NS);
    reg_writew(hc, portsc_reg(port), 0);
    qtest_clock_step(hc->qts, 10 * POLL_NS);
    /* Enable, and acknowledge the change bits (write 1 to clear) */
    reg_writew(hc, portsc_reg(port), UHCI_PORT_EN | UHCI_PORT_CSC |
               UHCI_PORT_ENC);
    return (quhci_portsc(hc, port) & (UHCI_PORT_CCS | UHCI_PORT_EN)) ==
           (UHCI_PORT_CCS | UHCI_PORT_EN);
}

bool quhci_port_low_speed(QUHCI *hc, int port)
{
    return quhci_portsc(hc, port) & UHCI_PORT_LSDA;
}

/* Endpoints: a queue head and its TDs */

static QUHCIEndpoint *ep_lookup(QUHCIDevice *dev, int ep, bool in)
{
    g_assert(ep >= 0 && ep < NUM_EPS);
    return &dev->eps[ep && in ? NUM_EPS + ep : ep];
}

static QUHCIEndpoint *ep_get(QUHCIDevice *dev, int ep, bool in)
{
    QUHCI *hc = dev->hc;
    QUHCIEndpoint *e = ep_lookup(dev, ep, in);
    uint64_t qh;

    if (e->qh) {
        return e;
    }
    qh = alloc_low(hc, EP_PAGE_SIZE, QH_SIZE);
    qtest_memset(hc->qts, qh, 0, EP_PAGE_SIZE);
    mem_writel(hc, qh + QH_ELEMENT, LINK_T);
    /* Complete the QH, then append it to the chain */
    mem_writel(hc, qh + QH_LINK, LINK_T);
    mem_writel(hc, hc->tail + QH_LINK, qh | LINK_QH);
    hc->tail = qh;
    g_array_append_val(hc->qhs, qh);
    e->qh = qh;
    return e;
}

void quhci_set_max_packet(QUHCIDevice *dev, int ep, bool in, uint16_t mps)
{
    QUHCIEndpoint *e = ep_lookup(dev, ep, in);

    g_assert(mps > 0 && mps <= 1023);
    e->mps = mps;
    if (ep == 0) {
        /* One control endpoint for both directions */
        dev->eps[0].mps = mps;
    }
}

uint16_t quhci_max_packet(QUHCIDevice *dev, int ep, bool in)
{
    return ep_lookup(dev, ep, in)->mps;
}

/* Transfers */

static uint64_t td_addr(QUHCIEndpoint *e, int i)
{
    g_assert(i >= 0 && i < EP_MAX_TDS);
    return e->qh + EP_TD_OFFSET + i * TD_SIZE;
}

/*
 * Fill TD @i: @pid, @len bytes at guest address @buf, data toggle
 * @toggle, linked depth first to TD @i+1 unless @last.  An IN TD stops
 * the queue on a short packet.
 */
static void td_fill(QUHCIDevice *dev, QUHCIEndpoint *e, int ep, int i,
                    uint8_t pid, bool toggle, uint64_t buf, size_t len,
                    bool last)
{
    QUHCI *hc = dev->hc;
    uint64_t td = td_addr(e, i);
    uint32_t ctrl, token;

    g_assert(len <= e->mps);
    token = ((len - 1) & 0x7ff) << TD_TOKEN_MAXLEN_SH |
            (toggle ? TD_TOKEN_TOGGLE : 0) |
            ep << TD_TOKEN_EP_SH | dev->addr << TD_TOKEN_ADDR_SH | pid;
    ctrl = TD_CTRL_ACTIVE | TD_CTRL_CERR_3 | TD_CTRL_ACTLEN_MASK;
    if (pid == TD_PID_IN) {
        ctrl |= TD_CTRL_SPD;
    }
    if (dev->low_speed) {
        ctrl |= TD_CTRL_LS;
    }
    if (last) {
        ctrl |= TD_CTRL_IOC;
    }
    mem_writel(hc, td + TD_LINK, last ? LINK_T : td_addr(e, i + 1) | LINK_VF);
    mem_writel(hc, td + TD_TOKEN, token);
    mem_writel(hc, td + TD_BUFFER, buf);
    /* The status last: it makes the TD active */
    mem_writel(hc, td + TD_CTRL, ctrl);
}

static uint32_t td_ctrl(QUHCI *hc, QUHCIEndpoint *e, int i)
{
    return mem_readl(hc, td_addr(e, i) + TD_CTRL);
}

static uint32_t td_token(QUHCI *hc, QUHCIEndpoint *e, int i)
{
    return mem_readl(hc, td_addr(e, i) + TD_TOKEN);
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
    return (token & 0xff) == TD_PID_IN && td_actlen(ctrl) < td_maxlen(token);
}

static QUHCIStatus error_status(uint32_t ctrl)
{
    return (ctrl & TD_CTRL_ERRORS) == TD_CTRL_STALL ? QUHCI_STALL :
           QUHCI_ERROR;
}

/* Waiting: the device NAKs the TD the controller is at, or holds the IN */
typedef enum {
    XFER_RUNNING,               /* a TD is active and not NAKed */
    XFER_WAITING,
    XFER_DONE,
} XferState;

/*
 * Where the transfer on @e is: done (all TDs done, a short IN packet,
 * or an error, with the outcome in *@st), or running.  A control
 * transfer's short IN data packet moves the queue on to the status TD.
 */
static XferState ep_scan(QUHCI *hc, QUHCIEndpoint *e, QUHCIStatus *st)
{
    uint32_t ctrl, token;
    int i;

    for (i = 0; i < e->ntd; i++) {
        ctrl = td_ctrl(hc, e, i);
        if (ctrl & TD_CTRL_ACTIVE) {
            /*
             * A device that has nothing to send NAKs an IN, or holds it
             * (USB_RET_ASYNC) and the TD stays active without the NAK bit
             */
            if (ctrl & TD_CTRL_NAK ||
                (td_token(hc, e, i) & 0xff) == TD_PID_IN) {
                e->naked = ctrl & TD_CTRL_NAK;
                return XFER_WAITING;
            }
            return XFER_RUNNING;
        }
        if (ctrl & TD_CTRL_ERRORS) {
            *st = error_status(ctrl);
            return XFER_DONE;
        }
        token = td_token(hc, e, i);
        if (td_short(ctrl, token)) {
            if (!e->control || i == e->ntd - 1) {
                *st = QUHCI_OK;
                return XFER_DONE;
            }
            /*
             * A short data stage: the controller stays at this TD (its
             * element link does not advance); go on with the status TD.
             */
            if ((mem_readl(hc, e->qh + QH_ELEMENT) & ~0xf) == td_addr(e, i)) {
                mem_writel(hc, e->qh + QH_ELEMENT,
                           td_addr(e, e->ntd - 1));
            }
            i = e->ntd - 2;
        }
    }
    *st = QUHCI_OK;
    return XFER_DONE;
}

/*
 * Take the transfer off the QH and record what its TDs did: toggles of
 * the packets that went through, lengths of the IN packets.  Returns the
 * data bytes moved by TDs @first..@last (a control transfer's data
 * stage, or all of a bulk one).
 */
static size_t ep_finish(QUHCI *hc, QUHCIEndpoint *e, int first, int last)
{
    size_t done = 0;
    uint32_t ctrl, token;
    int i;

    mem_writel(hc, e->qh + QH_ELEMENT, LINK_T);
    e->in_packets = 0;
    for (i = 0; i < e->ntd; i++) {
        ctrl = td_ctrl(hc, e, i);
        if (ctrl & TD_CTRL_ACTIVE) {
            mem_writel(hc, td_addr(e, i) + TD_CTRL, ctrl & ~TD_CTRL_ACTIVE);
            continue;
        }
        if (i < first || i > last || (ctrl & TD_CTRL_ERRORS)) {
            continue;
        }
        /* Completed, so it was a data packet of this transfer */
        token = td_token(hc, e, i);
        done += td_actlen(ctrl);
        e->toggle = !(token & TD_TOKEN_TOGGLE);
        if ((token & 0xff) == TD_PID_IN &&
            e->in_packets < QUHCI_MAX_PACKETS) {
            e->in_lens[e->in_packets++] = td_actlen(ctrl);
        }
        if (td_short(ctrl, token)) {
            break;
        }
    }
    e->ntd = 0;
    return done;
}

/* Start the @n filled, active TDs on the idle QH of @e */
static void ep_start(QUHCI *hc, QUHCIEndpoint *e, int n, bool control)
{
    g_assert(!e->ntd);
    g_assert(n > 0 && n <= EP_MAX_TDS);
    g_assert_cmphex(mem_readl(hc, e->qh + QH_ELEMENT), ==, LINK_T);
    e->ntd = n;
    e->control = control;
    mem_writel(hc, e->qh + QH_ELEMENT, td_addr(e, 0));
}

/*
 * Wait for the transfer started on @e, for at most max_polls frames, or
 * nak_polls frames of waiting for the device (NAKs, or an IN it holds).
 * The TDs stay for ep_finish().
 */
static QUHCIStatus ep_wait(QUHCI *hc, QUHCIEndpoint *e)
{
    unsigned polls, naks = 0;
    QUHCIStatus st = QUHCI_OK;
    XferState xs;

    g_assert(e->ntd);
    for (polls = 0; polls < hc->max_polls; polls++) {
        xs = ep_scan(hc, e, &st);
        if (xs == XFER_DONE) {
            return st;
        }
        if (xs == XFER_WAITING && ++naks >= hc->nak_polls) {
            return QUHCI_NO_DATA;
        }
        step(hc);
    }
    return naks ? QUHCI_NO_DATA : QUHCI_TIMEOUT;
}

QUHCIStatus quhci_control(QUHCIDevice *dev, uint8_t request_type,
                          uint8_t request, uint16_t value, uint16_t index,
                          void *data, uint16_t length, size_t *actual)
{
    QUHCI *hc = dev->hc;
    bool in = request_type & USB_DIR_IN;
    QUHCIEndpoint *e = ep_get(dev, 0, false);
    uint64_t buf = alloc_low(hc, 64 + MAX(length, 1), 16);
    uint8_t setup[8] = {
        request_type, request, value, value >> 8, index, index >> 8,
        length, length >> 8,
    };
    QUHCIStatus st;
    size_t done = 0, off = 0;
    bool toggle = true;
    int n = 0;

    qtest_memwrite(hc->qts, buf, setup, sizeof(setup));
    td_fill(dev, e, 0, n++, TD_PID_SETUP, false, buf, sizeof(setup), false);
    if (length && !in) {
        qtest_memwrite(hc->qts, buf + 64, data, length);
    }
    /* Data stage: max-packet TDs from DATA1 */
    while (off < length) {
        size_t chunk = MIN(length - off, e->mps);

        td_fill(dev, e, 0, n++, in ? TD_PID_IN : TD_PID_OUT, toggle,
                buf + 64 + off, chunk, false);
        toggle = !toggle;
        off += chunk;
    }
    /* Status stage: the other direction (IN without data), DATA1 */
    td_fill(dev, e, 0, n++, in && length ? TD_PID_OUT : TD_PID_IN, true,
            0, 0, true);

    ep_start(hc, e, n, true);
    st = ep_wait(hc, e);
    done = ep_finish(hc, e, 1, n - 2);
    if (st == QUHCI_OK && in) {
        qtest_memread(hc->qts, buf + 64, data, done);
    }
    if (actual) {
        *actual = st == QUHCI_OK ? done : 0;
    }
    guest_free(hc->alloc, buf);
    return st;
}

QUHCIStatus quhci_get_descriptor(QUHCIDevice *dev, uint8_t type,
                                 uint8_t index, uint16_t langid,
                                 void *buf, uint16_t len, size_t *actual)
{
    return quhci_control(dev, USB_DIR_IN | USB_TYPE_STANDARD |
                         USB_RECIP_DEVICE, USB_REQ_GET_DESCRIPTOR,
                         type << 8 | index, langid, buf, len, actual);
}

char *quhci_get_string(QUHCIDevice *dev, uint8_t index)
{
    uint8_t buf[255];
    size_t len, i;
    uint16_t langid;
    GString *s;

    if (quhci_get_descriptor(dev, USB_DT_STRING, 0, 0, buf, sizeof(buf),
                             &len) != QUHCI_OK ||
        len < 4 || buf[1] != USB_DT_STRING) {
        return NULL;
    }
    langid = buf[2] | buf[3] << 8;
    if (quhci_get_descriptor(dev, USB_DT_STRING, index, langid, buf,
                             sizeof(buf), &len) != QUHCI_OK ||
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

QUHCIStatus quhci_set_address(QUHCIDevice *dev, uint8_t addr)
{
    QUHCIStatus st;

    g_assert(addr <= ADDR_MASK);
    st = quhci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_DEVICE, USB_REQ_SET_ADDRESS, addr, 0,
                       NULL, 0, NULL);
    if (st != QUHCI_OK) {
        return st;
    }
    /* The address is in each TD: the next transfer uses it */
    dev->addr = addr;
    /* USB 2.0 9.2.6.3: 2 ms of recovery */
    qtest_clock_step(dev->hc->qts, 2 * POLL_NS);
    return QUHCI_OK;
}

QUHCIStatus quhci_set_configuration(QUHCIDevice *dev, uint8_t value)
{
    QUHCIStatus st;
    int i;

    st = quhci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_DEVICE, USB_REQ_SET_CONFIGURATION, value, 0,
                       NULL, 0, NULL);
    if (st != QUHCI_OK) {
        return st;
    }
    /* A (re)configured endpoint starts with DATA0 */
    for (i = 1; i < ARRAY_SIZE(dev->eps); i++) {
        g_assert(!dev->eps[i].ntd);
        dev->eps[i].toggle = false;
    }
    return QUHCI_OK;
}

QUHCIStatus quhci_clear_halt(QUHCIDevice *dev, uint8_t ep_addr)
{
    int ep = ep_addr & 0xf;
    QUHCIStatus st;

    g_assert(ep);
    st = quhci_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD |
                       USB_RECIP_ENDPOINT, USB_REQ_CLEAR_FEATURE,
                       0 /* ENDPOINT_HALT */, ep_addr, NULL, 0, NULL);
    if (st == QUHCI_OK) {
        ep_lookup(dev, ep, ep_addr & USB_DIR_IN)->toggle = false;
    }
    return st;
}

QUHCIStatus quhci_bulk_out(QUHCIDevice *dev, int ep, const void *buf,
                           size_t len)
{
    QUHCI *hc = dev->hc;
    QUHCIEndpoint *e = ep_get(dev, ep, false);
    uint64_t gbuf = alloc_low(hc, MAX(len, 1), 16);
    bool toggle = e->toggle;
    size_t off = 0;
    QUHCIStatus st;
    int n = 0;

    g_assert(ep > 0);
    g_assert(len <= QUHCI_MAX_XFER);
    qtest_memwrite(hc->qts, gbuf, buf, len);
    /* Max-packet TDs and a short (possibly empty) last one */
    do {
        size_t chunk = MIN(len - off, e->mps);

        td_fill(dev, e, ep, n, TD_PID_OUT, toggle, gbuf + off, chunk,
                off + chunk == len);
        toggle = !toggle;
        n++;
        off += chunk;
    } while (off < len);

    ep_start(hc, e, n, false);
    st = ep_wait(hc, e);
    ep_finish(hc, e, 0, n - 1);
    guest_free(hc->alloc, gbuf);
    return st;
}

QUHCIStatus quhci_bulk_in(QUHCIDevice *dev, int ep, void *buf,
                          size_t maxlen, size_t *actual)
{
    QUHCI *hc = dev->hc;
    QUHCIEndpoint *e = ep_get(dev, ep, true);
    uint64_t gbuf = alloc_low(hc, MAX(maxlen, 1), 16);
    bool toggle = e->toggle;
    size_t off = 0, done;
    QUHCIStatus st;
    int n = 0;

    g_assert(ep > 0);
    g_assert(maxlen > 0 && maxlen <= QUHCI_MAX_XFER);
    while (off < maxlen) {
        size_t chunk = MIN(maxlen - off, e->mps);

        td_fill(dev, e, ep, n, TD_PID_IN, toggle, gbuf + off, chunk,
                off + chunk == maxlen);
        toggle = !toggle;
        n++;
        off += chunk;
    }

    ep_start(hc, e, n, false);
    st = ep_wait(hc, e);
    done = ep_finish(hc, e, 0, n - 1);
    if (st == QUHCI_OK) {
        qtest_memread(hc->qts, gbuf, buf, done);
    }
    if (actual) {
        *actual = st == QUHCI_OK ? done : 0;
    }
    guest_free(hc->alloc, gbuf);
    return st;
}

bool quhci_bulk_in_naked(QUHCIDevice *dev, int ep)
{
    return ep_lookup(dev, ep, true)->naked;
}

int quhci_bulk_in_packets(QUHCIDevice *dev, int ep, size_t *lens, int max)
{
    QUHCIEndpoint *e = ep_lookup(dev, ep, true);
    int i;

    for (i = 0; i < e->in_packets && i < max; i++) {
        lens[i] = e->in_lens[i];
    }
    return e->in_packets;
}

/* Devices */

QUHCIDevice *quhci_device_new(QUHCI *hc, int port)
{
    QUHCIDevice *dev = g_new0(QUHCIDevice, 1);
    int i;

    g_assert(port >= 0 && port < UHCI_NUM_PORTS);
    dev->hc = hc;
    dev->port = port;
    dev->low_speed = quhci_port_low_speed(hc, port);
    /* 8 bytes until the device descriptor says */
    dev->eps[0].mps = 8;
    for (i = 1; i < ARRAY_SIZE(dev->eps); i++) {
        dev->eps[i].mps = dev->low_speed ? 8 : FULL_SPEED_BULK_MPS;
    }
    return dev;
}

QUHCIDevice *quhci_enumerate(QUHCI *hc, int port, uint8_t addr,
                             uint8_t *desc)
{
    QUHCIDevice *dev;
    uint8_t buf[18];
    QUHCIStatus st;
    size_t len;

    g_assert_cmpint(port, >=, 0);
    g_assert(quhci_port_reset(hc, port));
    dev = quhci_device_new(hc, port);

    st = quhci_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, 8, &len);
    g_assert_cmpstr(quhci_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmpuint(buf[1], ==, USB_DT_DEVICE);
    g_assert(buf[7] == 8 || buf[7] == 16 || buf[7] == 32 || buf[7] == 64);
    quhci_set_max_packet(dev, 0, false, buf[7]);

    st = quhci_set_address(dev, addr);
    g_assert_cmpstr(quhci_status_str(st), ==, "OK");

    st = quhci_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, sizeof(buf),
                              &len);
    g_assert_cmpstr(quhci_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, sizeof(buf));
    if (desc) {
        memcpy(desc, buf, sizeof(buf));
    }
    return dev;
}

void quhci_device_free(QUHCIDevice *dev)
{
    g_free(dev);
}

uint8_t quhci_device_addr(QUHCIDevice *dev)
{
    return dev->addr;
}
