/*
 * libqos USB host: what the EHCI, UHCI and xHCI drivers share
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * USB 2.0 chapter 9 on top of a host controller driver's QUSBHostOps:
 * control transfers, standard requests, enumeration, and the pipes and
 * their guest pages.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "../libqtest.h"
#include "usb-hcd.h"

#define ADDR_MASK               0x7f
/* The setup packet, then the data stage, in one guest buffer */
#define CONTROL_DATA_OFFSET     64

static const char *const status_names[] = {
    [QUSB_OK] = "OK",
    [QUSB_NO_DATA] = "NO_DATA (NAKed or held)",
    [QUSB_STALL] = "STALL",
    [QUSB_ERROR] = "ERROR",
    [QUSB_TIMEOUT] = "TIMEOUT",
};

const char *qusb_status_str(QUSBStatus st)
{
    if (st < ARRAY_SIZE(status_names) && status_names[st]) {
        return status_names[st];
    }
    return "?";
}

/* For the drivers */

void qusb_host_init(QUSBHost *hc, const QUSBHostOps *ops, QTestState *qts,
                    QPCIBus *bus, QGuestAllocator *alloc, int devfn,
                    int bar)
{
    hc->ops = ops;
    hc->qts = qts;
    hc->alloc = alloc;
    hc->max_polls = QUSB_MAX_POLLS;
    hc->nak_polls = QUSB_NAK_POLLS;
    hc->pages = g_array_new(false, false, sizeof(uint64_t));

    hc->pdev = qpci_device_find(bus, devfn);
    g_assert(hc->pdev);
    qpci_device_enable(hc->pdev);
    hc->bar = qpci_iomap(hc->pdev, bar, NULL);
}

void qusb_host_cleanup(QUSBHost *hc)
{
    guint i;

    for (i = 0; i < hc->pages->len; i++) {
        guest_free(hc->alloc, g_array_index(hc->pages, uint64_t, i));
    }
    g_array_free(hc->pages, true);
    qpci_iounmap(hc->pdev, hc->bar);
    g_free(hc->pdev);
}

uint64_t qusb_alloc(QUSBHost *hc, size_t size, uint64_t align)
{
    uint64_t addr = guest_alloc(hc->alloc, size);

    /* 32-bit controllers */
    g_assert(addr && addr + size <= 0x100000000ULL);
    g_assert(!(addr & (align - 1)));
    return addr;
}

uint32_t qusb_readl(QUSBHost *hc, uint64_t addr)
{
    return qtest_readl(hc->qts, addr);
}

void qusb_writel(QUSBHost *hc, uint64_t addr, uint32_t val)
{
    qtest_writel(hc->qts, addr, val);
}

void qusb_step(QUSBHost *hc, unsigned frames)
{
    qtest_clock_step(hc->qts, frames * QUSB_POLL_NS);
}

QUSBPipe *qusb_pipe(QUSBDevice *dev, int ep, bool in)
{
    g_assert(ep >= 0 && ep < QUSB_NUM_EPS);
    return &dev->pipes[ep && in ? QUSB_NUM_EPS + ep : ep];
}

QUSBPipe *qusb_pipe_get(QUSBDevice *dev, int ep, bool in)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe(dev, ep, in);

    if (!p->page) {
        p->page = qusb_alloc(hc, QUSB_PIPE_PAGE_SIZE, 32);
        qtest_memset(hc->qts, p->page, 0, QUSB_PIPE_PAGE_SIZE);
        hc->ops->pipe_link(dev, ep, p);
        g_array_append_val(hc->pages, p->page);
    }
    return p;
}

QUSBStatus qusb_wait(QUSBDevice *dev, QUSBPipe *p)
{
    QUSBHost *hc = dev->hc;
    unsigned polls, naks = 0;
    QUSBStatus st = QUSB_OK;
    QUSBXferState xs;

    g_assert(p->ntd);
    for (polls = 0; polls < hc->max_polls; polls++) {
        xs = hc->ops->poll(dev, p, &st);
        if (xs == QUSB_XFER_DONE) {
            return st;
        }
        if (xs == QUSB_XFER_WAITING && ++naks >= hc->nak_polls) {
            break;
        }
        qusb_step(hc, 1);
    }
    return naks ? QUSB_NO_DATA : QUSB_TIMEOUT;
}

/* Controller */

void qusb_free(QUSBHost *hc)
{
    hc->ops->free(hc, true);
}

void qusb_forget(QUSBHost *hc)
{
    hc->ops->free(hc, false);
}

void qusb_migrated(QUSBHost *hc, QTestState *qts, QPCIBus *bus)
{
    QPCIDevice *pdev = qpci_device_find(bus, hc->pdev->devfn);

    /* Same BAR, same schedule in guest memory: only the QEMU changes */
    g_assert(pdev);
    g_free(hc->pdev);
    hc->pdev = pdev;
    hc->qts = qts;
}

void qusb_set_poll_limits(QUSBHost *hc, unsigned max_polls,
                          unsigned nak_polls)
{
    if (max_polls) {
        hc->max_polls = max_polls;
    }
    if (nak_polls) {
        hc->nak_polls = nak_polls;
    }
}

/* Ports */

int qusb_num_ports(QUSBHost *hc)
{
    return hc->nports;
}

int qusb_first_connected_port(QUSBHost *hc)
{
    int port;

    for (port = 0; port < hc->nports; port++) {
        if (hc->ops->port_connected(hc, port)) {
            return port;
        }
    }
    return -1;
}

bool qusb_port_reset(QUSBHost *hc, int port)
{
    g_assert(port >= 0 && port < hc->nports);
    return hc->ops->port_reset(hc, port);
}

/* Devices */

QUSBDevice *qusb_device_new(QUSBHost *hc, int port)
{
    QUSBDevice *dev;

    g_assert(port >= 0 && port < hc->nports);
    dev = hc->ops->device_new(hc, port);
    dev->hc = hc;
    dev->port = port;
    return dev;
}

QUSBDevice *qusb_enumerate(QUSBHost *hc, int port, uint8_t addr,
                           uint8_t *desc)
{
    QUSBDevice *dev;
    uint8_t buf[18];
    QUSBStatus st;
    size_t len;

    g_assert_cmpint(port, >=, 0);
    g_assert(qusb_port_reset(hc, port));
    dev = qusb_device_new(hc, port);

    st = qusb_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, 8, &len);
    g_assert_cmpstr(qusb_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmpuint(buf[1], ==, USB_DT_DEVICE);
    if (lduw_le_p(buf + 2) >= 0x0300) {
        /* From USB 3.0 on an exponent: 512 bytes at super speed */
        g_assert_cmpuint(buf[7], ==, 9);
        qusb_set_max_packet(dev, 0, false, 1 << buf[7]);
    } else {
        g_assert(buf[7] == 8 || buf[7] == 16 || buf[7] == 32 ||
                 buf[7] == 64);
        qusb_set_max_packet(dev, 0, false, buf[7]);
    }

    st = qusb_set_address(dev, addr);
    g_assert_cmpstr(qusb_status_str(st), ==, "OK");

    st = qusb_get_descriptor(dev, USB_DT_DEVICE, 0, 0, buf, sizeof(buf),
                             &len);
    g_assert_cmpstr(qusb_status_str(st), ==, "OK");
    g_assert_cmpuint(len, ==, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, sizeof(buf));
    if (desc) {
        memcpy(desc, buf, sizeof(buf));
    }
    return dev;
}

void qusb_device_free(QUSBDevice *dev)
{
    int i;

    /* A transfer may still be in flight (a bulk IN, on EHCI) */
    for (i = 0; i < ARRAY_SIZE(dev->pipes); i++) {
        if (dev->pipes[i].ntd) {
            dev->hc->ops->cancel(dev, &dev->pipes[i]);
        }
    }
    qusb_device_forget(dev);
}

void qusb_device_forget(QUSBDevice *dev)
{
    int i;

    for (i = 0; i < ARRAY_SIZE(dev->pipes); i++) {
        if (dev->pipes[i].buf) {
            guest_free(dev->hc->alloc, dev->pipes[i].buf);
        }
    }
    g_free(dev);
}

uint8_t qusb_device_addr(QUSBDevice *dev)
{
    return dev->addr;
}

void qusb_set_max_packet(QUSBDevice *dev, int ep, bool in, uint16_t mps)
{
    g_assert(mps > 0 && mps <= 1024);
    qusb_pipe(dev, ep, in)->mps = mps;
}

uint16_t qusb_max_packet(QUSBDevice *dev, int ep, bool in)
{
    return qusb_pipe(dev, ep, in)->mps;
}

/* Control transfers */

QUSBStatus qusb_control(QUSBDevice *dev, uint8_t request_type,
                        uint8_t request, uint16_t value, uint16_t index,
                        void *data, uint16_t length, size_t *actual)
{
    QUSBHost *hc = dev->hc;
    const QUSBHostOps *ops = hc->ops;
    bool in = request_type & USB_DIR_IN;
    uint64_t buf = qusb_alloc(hc, CONTROL_DATA_OFFSET + MAX(length, 1), 16);
    uint8_t setup[8] = {
        request_type, request, value, value >> 8, index, index >> 8,
        length, length >> 8,
    };
    QUSBPipe *p = qusb_pipe_get(dev, 0, false);
    QUSBStatus st;
    size_t done = 0;
    int n;

    qtest_memwrite(hc->qts, buf, setup, sizeof(setup));
    n = ops->control_stage(dev, p, 0, QUSB_PID_SETUP, false, buf,
                           sizeof(setup), false);
    if (length) {
        if (!in) {
            qtest_memwrite(hc->qts, buf + CONTROL_DATA_OFFSET, data, length);
        }
        n = ops->control_stage(dev, p, n, in ? QUSB_PID_IN : QUSB_PID_OUT,
                               true, buf + CONTROL_DATA_OFFSET, length,
                               false);
    }
    /* Status stage: the other direction (IN without data), DATA1 */
    n = ops->control_stage(dev, p, n, in && length ? QUSB_PID_OUT :
                           QUSB_PID_IN, true, 0, 0, true);

    st = ops->control_run(dev, p, n, &done);
    if (st != QUSB_OK) {
        done = 0;
    } else if (in) {
        qtest_memread(hc->qts, buf + CONTROL_DATA_OFFSET, data, done);
    }
    if (actual) {
        *actual = done;
    }
    guest_free(hc->alloc, buf);
    return st;
}

QUSBStatus qusb_get_descriptor(QUSBDevice *dev, uint8_t type,
                               uint8_t index, uint16_t langid,
                               void *buf, uint16_t len, size_t *actual)
{
    return qusb_control(dev, USB_DIR_IN | USB_TYPE_STANDARD |
                        USB_RECIP_DEVICE, USB_REQ_GET_DESCRIPTOR,
                        type << 8 | index, langid, buf, len, actual);
}

char *qusb_get_string(QUSBDevice *dev, uint8_t index)
{
    uint8_t buf[255];
    size_t len, i;
    uint16_t langid;
    GString *s;

    if (qusb_get_descriptor(dev, USB_DT_STRING, 0, 0, buf, sizeof(buf),
                            &len) != QUSB_OK ||
        len < 4 || buf[1] != USB_DT_STRING) {
        return NULL;
    }
    langid = buf[2] | buf[3] << 8;
    if (qusb_get_descriptor(dev, USB_DT_STRING, index, langid, buf,
                            sizeof(buf), &len) != QUSB_OK ||
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

QUSBStatus qusb_bulk_out(QUSBDevice *dev, int ep, const void *buf,
                         size_t len)
{
    QUSBHost *hc = dev->hc;
    QUSBPipe *p = qusb_pipe_get(dev, ep, false);
    uint64_t gbuf = qusb_alloc(hc, MAX(len, 1), 32);
    QUSBStatus st;

    g_assert(ep > 0);
    qtest_memwrite(hc->qts, gbuf, buf, len);
    st = hc->ops->bulk_out(dev, p, ep, gbuf, len);
    guest_free(hc->alloc, gbuf);
    return st;
}

/* A standard request without a data stage to @recipient */
static QUSBStatus request_no_data(QUSBDevice *dev, uint8_t recipient,
                                  uint8_t request, uint16_t value,
                                  uint16_t index)
{
    return qusb_control(dev, USB_DIR_OUT | USB_TYPE_STANDARD | recipient,
                        request, value, index, NULL, 0, NULL);
}

QUSBStatus qusb_set_address(QUSBDevice *dev, uint8_t addr)
{
    QUSBStatus st;
    int i;

    g_assert(addr <= ADDR_MASK);
    st = request_no_data(dev, USB_RECIP_DEVICE, USB_REQ_SET_ADDRESS, addr, 0);
    if (st != QUSB_OK) {
        return st;
    }
    for (i = 0; i < ARRAY_SIZE(dev->pipes); i++) {
        g_assert(!dev->pipes[i].ntd);
    }
    dev->addr = addr;
    dev->hc->ops->addressed(dev);
    return QUSB_OK;
}

QUSBStatus qusb_set_configuration(QUSBDevice *dev, uint8_t value)
{
    QUSBStatus st;
    int i;

    st = request_no_data(dev, USB_RECIP_DEVICE, USB_REQ_SET_CONFIGURATION,
                         value, 0);
    if (st != QUSB_OK) {
        return st;
    }
    /* A (re)configured endpoint starts with DATA0 */
    for (i = 1; i < ARRAY_SIZE(dev->pipes); i++) {
        if (dev->pipes[i].page) {
            g_assert(!dev->pipes[i].ntd);
            dev->hc->ops->pipe_reset(dev, &dev->pipes[i]);
        }
    }
    return QUSB_OK;
}

QUSBStatus qusb_clear_halt(QUSBDevice *dev, uint8_t ep_addr)
{
    int ep = ep_addr & 0xf;
    QUSBPipe *p;
    QUSBStatus st;

    g_assert(ep);
    st = request_no_data(dev, USB_RECIP_ENDPOINT, USB_REQ_CLEAR_FEATURE,
                         0 /* ENDPOINT_HALT */, ep_addr);
    if (st == QUSB_OK) {
        p = qusb_pipe_get(dev, ep, ep_addr & USB_DIR_IN);
        g_assert(!p->ntd);
        dev->hc->ops->pipe_reset(dev, p);
    }
    return st;
}
