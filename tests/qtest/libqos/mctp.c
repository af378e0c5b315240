/*
 * MCTP bus owner for qtests: MCTP over USB through the libqos EHCI and
 * UHCI drivers, MCTP control and CXL messages, a CXL mailbox by MMIO
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Wire formats: DMTF DSP0283 1.0 (MCTP over USB), DSP0236 (MCTP base and
 * control), DSP0234/DSP0281 and CXL r3.x 7.6.3 (CXL messages over MCTP).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "qobject/qdict.h"
#include "mctp.h"

/* Transports */

static void ehci_bulk_out(MCTPTest *t, const void *buf, size_t len)
{
    assert_xfer_ok(qusb_bulk_out(t->dev, MCTP_EP, buf, len));
}

static bool ehci_bulk_in(MCTPTest *t, void *buf, size_t maxlen,
                         size_t *actual)
{
    QUSBStatus st = qehci_bulk_in(t->dev, MCTP_EP, buf, maxlen, actual);

    if (st == QUSB_NO_DATA) {
        *actual = 0;
        return false;
    }
    assert_xfer_ok(st);
    return true;
}

static const MCTPTransport ehci_transport = {
    .bulk_out = ehci_bulk_out,
    .bulk_in = ehci_bulk_in,
};

/*
 * Full speed: the controller splits a transfer into 64-byte packets; one
 * that is a multiple of 64 bytes (and shorter than the 512 a DSP0283
 * transfer may hold) ends with a zero-length packet, as USB wants of a
 * transfer whose length the receiver does not know.
 */
static void uhci_bulk_out(MCTPTest *t, const void *buf, size_t len)
{
    assert_xfer_ok(qusb_bulk_out(t->udev, MCTP_EP, buf, len));
    if (len && len % FS_BULK_MPS == 0 && len < MCTP_XFER_SIZE) {
        assert_xfer_ok(qusb_bulk_out(t->udev, MCTP_EP, NULL, 0));
    }
}

static bool uhci_bulk_in(MCTPTest *t, void *buf, size_t maxlen,
                         size_t *actual)
{
    QUSBStatus st = quhci_bulk_in(t->udev, MCTP_EP, buf, maxlen, actual);

    if (st == QUSB_NO_DATA) {
        /* Nothing at all: NAKed from the transfer's first packet */
        g_assert_cmpint(quhci_bulk_in_packets(t->udev, MCTP_EP, NULL, 0),
                        ==, 0);
        *actual = 0;
        return false;
    }
    assert_xfer_ok(st);
    return true;
}

static const MCTPTransport uhci_transport = {
    .bulk_out = uhci_bulk_out,
    .bulk_in = uhci_bulk_in,
};

/*
 * xHCI: an IN the device holds (nothing queued) stays posted when the
 * NAK budget runs out and the next call waits for it again: nothing
 * queued yet, not a transfer lost
 */
static void xhci_bulk_out(MCTPTest *t, const void *buf, size_t len)
{
    assert_xfer_ok(qusb_bulk_out(t->xdev, MCTP_EP, buf, len));
}

static bool xhci_bulk_in(MCTPTest *t, void *buf, size_t maxlen,
                         size_t *actual)
{
    QUSBStatus st = qxhci_bulk_in(t->xdev, MCTP_EP, buf, maxlen, actual);

    if (st == QUSB_NO_DATA) {
        g_assert_true(qxhci_bulk_in_pending(t->xdev, MCTP_EP));
        *actual = 0;
        return false;
    }
    assert_xfer_ok(st);
    return true;
}

static const MCTPTransport xhci_transport = {
    .bulk_out = xhci_bulk_out,
    .bulk_in = xhci_bulk_in,
};

/*
 * SMBus/I2C: each packet is a block write from the controller as master
 * to the endpoint; each packet of the endpoint a block write it masters
 * to the controller as target, which the driver reads out of the RX FIFO.
 */
uint8_t mctp_smbus_pec(uint8_t crc, const uint8_t *buf, size_t len)
{
    size_t i;
    int bit;

    for (i = 0; i < len; i++) {
        crc ^= buf[i];
        for (bit = 0; bit < 8; bit++) {
            crc = crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1;
        }
    }
    return crc;
}

size_t mctp_smbus_frame(MCTPTest *t, uint8_t *frame, const uint8_t *pkt,
                        size_t len)
{
    uint8_t addr = t->i2c_dest << 1;

    g_assert_cmpuint(len, <=, 255 - 1);
    frame[0] = SMBUS_MCTP_COMMAND;
    frame[1] = 1 + len;
    frame[2] = t->i2c_own << 1 | SMBUS_MCTP_SRC_BIT;
    memcpy(frame + 3, pkt, len);
    frame[3 + len] = mctp_smbus_pec(mctp_smbus_pec(0, &addr, 1), frame,
                                    3 + len);
    return 3 + len + 1;
}

static void i2c_send_packet(MCTPTest *t, const uint8_t *pkt, size_t len)
{
    uint8_t frame[SMBUS_FRAME_MAX];
    size_t n = mctp_smbus_frame(t, frame, pkt, len);

    g_assert_cmpstr(qdw_i2c_status_str(qdw_i2c_write(t->i2c, t->i2c_dest,
                                                     frame, n)),
                    ==, qdw_i2c_status_str(QDW_I2C_OK));
}

/*
 * The endpoint's next packet: a block write to our address, from the
 * endpoint's, with every DSP0237 field right and the PEC over our
 * address byte on
 */
static size_t i2c_recv_packet(MCTPTest *t, uint8_t *pkt, size_t max_pkt)
{
    uint8_t frame[SMBUS_FRAME_MAX + 1], addr = t->i2c_own << 1;
    size_t len;

    if (qdw_i2c_target_recv(t->i2c, frame, sizeof(frame), &len) ==
        QDW_I2C_TIMEOUT) {
        return 0;
    }
    g_assert_cmpuint(len, >=, 3 + MCTP_HDR_SIZE + 1);
    g_assert_cmpuint(len, <=, SMBUS_FRAME_MAX);
    g_assert_cmphex(frame[0], ==, SMBUS_MCTP_COMMAND);
    g_assert_cmpuint(frame[1] + 3, ==, len);
    g_assert_cmphex(frame[2], ==, t->i2c_dest << 1 | SMBUS_MCTP_SRC_BIT);
    g_assert_cmphex(mctp_smbus_pec(mctp_smbus_pec(0, &addr, 1), frame,
                                   len - 1), ==, frame[len - 1]);
    len = frame[1] - 1;
    g_assert_cmpuint(len, <=, max_pkt);
    memcpy(pkt, frame + 3, len);
    return len;
}

static const MCTPTransport i2c_transport = {
    .send_packet = i2c_send_packet,
    .recv_packet = i2c_recv_packet,
};

/* DSP0253: MCTP over a serial line, as Linux's mctp-serial frames it */

#define DSP0253_FLAG        0x7e
#define DSP0253_ESC         0x7d
#define DSP0253_REVISION    0x01
/* How long a frame may take to come, then none is coming */
#define SERIAL_RECV_TIMEOUT_MS  10000

/* CRC-16/CCITT as RFC 1662 computes it, bit by bit, no final complement */
uint16_t mctp_serial_fcs(uint16_t fcs, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        fcs ^= buf[i];
        for (int b = 0; b < 8; b++) {
            fcs = fcs & 1 ? (fcs >> 1) ^ 0x8408 : fcs >> 1;
        }
    }
    return fcs;
}

size_t mctp_serial_frame(uint8_t *frame, const uint8_t *pkt, size_t len)
{
    uint8_t hdr[2] = { DSP0253_REVISION, len };
    uint16_t fcs = mctp_serial_fcs(mctp_serial_fcs(0xffff, hdr, 2), pkt, len);
    size_t n = 0;

    g_assert_cmpuint(len, <=, 255);
    frame[n++] = DSP0253_FLAG;
    frame[n++] = hdr[0];
    frame[n++] = hdr[1];
    for (size_t i = 0; i < len; i++) {
        if (pkt[i] == DSP0253_FLAG || pkt[i] == DSP0253_ESC) {
            frame[n++] = DSP0253_ESC;
            frame[n++] = pkt[i] ^ 0x20;
        } else {
            frame[n++] = pkt[i];
        }
    }
    frame[n++] = fcs >> 8;
    frame[n++] = fcs;
    frame[n++] = DSP0253_FLAG;
    return n;
}

void mctp_serial_write(MCTPTest *t, const void *buf, size_t len)
{
    g_assert_cmpint(qemu_write_full(t->serial_fd, buf, len), ==, len);
}

static void serial_send_packet(MCTPTest *t, const uint8_t *pkt, size_t len)
{
    uint8_t frame[2 * 255 + 6];

    mctp_serial_write(t, frame, mctp_serial_frame(frame, pkt, len));
}

/* Byte @i of what came from the endpoint, reading more as needed */
static bool serial_byte(MCTPTest *t, size_t i, uint8_t *c)
{
    while (i >= t->srx_len) {
        struct pollfd pfd = { .fd = t->serial_fd, .events = POLLIN };
        ssize_t n;

        g_assert_cmpuint(t->srx_len, <, sizeof(t->srx));
        if (poll(&pfd, 1, SERIAL_RECV_TIMEOUT_MS) != 1) {
            return false;
        }
        n = read(t->serial_fd, t->srx + t->srx_len,
                 sizeof(t->srx) - t->srx_len);
        g_assert_cmpint(n, >, 0);
        t->srx_len += n;
    }
    *c = t->srx[i];
    return true;
}

/*
 * The endpoint's next frame, every DSP0253 field right: flag, revision,
 * byte count, packet with its escapes, FCS and closing flag.  0 if none
 * comes; once a frame has started it must complete.
 */
static size_t serial_recv_packet(MCTPTest *t, uint8_t *pkt, size_t max_pkt)
{
    uint8_t hdr[2], c, fcs[2];
    size_t i = 0, len = 0, count;

    if (!serial_byte(t, i++, &c)) {
        return 0;
    }
    g_assert_cmphex(c, ==, DSP0253_FLAG);
    for (int j = 0; j < 2; j++) {
        g_assert(serial_byte(t, i++, &hdr[j]));
    }
    g_assert_cmphex(hdr[0], ==, DSP0253_REVISION);
    count = hdr[1];
    g_assert_cmpuint(count, >=, MCTP_HDR_SIZE);
    g_assert_cmpuint(count, <=, max_pkt);
    while (len < count) {
        g_assert(serial_byte(t, i++, &c));
        g_assert_cmphex(c, !=, DSP0253_FLAG);
        if (c == DSP0253_ESC) {
            g_assert(serial_byte(t, i++, &c));
            g_assert(c == (DSP0253_FLAG ^ 0x20) || c == (DSP0253_ESC ^ 0x20));
            c ^= 0x20;
        }
        pkt[len++] = c;
    }
    g_assert(serial_byte(t, i++, &fcs[0]));
    g_assert(serial_byte(t, i++, &fcs[1]));
    g_assert_cmphex(lduw_be_p(fcs), ==,
                    mctp_serial_fcs(mctp_serial_fcs(0xffff, hdr, 2), pkt,
                                    len));
    g_assert(serial_byte(t, i++, &c));
    g_assert_cmphex(c, ==, DSP0253_FLAG);
    t->srx_len -= i;
    memmove(t->srx, t->srx + i, t->srx_len);
    return len;
}

static const MCTPTransport serial_transport = {
    .send_packet = serial_send_packet,
    .recv_packet = serial_recv_packet,
};

void mctp_bulk_out(MCTPTest *t, const void *buf, size_t len)
{
    t->xport->bulk_out(t, buf, len);
}

/* Machine and device */

/* virt's RAM, and its PCIe host's ECAM (256 buses: highmem on) */
#define VIRT_RAM_BASE       0x40000000ULL
#define VIRT_PAGE_SIZE      4096

bool mctp_machine_is_virt(void)
{
    return !strcmp(qtest_get_arch(), "aarch64");
}

const char *mctp_machine_args(void)
{
    return mctp_machine_is_virt() ? MCTP_VIRT_MACHINE : MCTP_Q35_MACHINE;
}

void mctp_alloc_init(QGuestAllocator *alloc, QTestState *qts)
{
    QDict *rsp;
    uint64_t ram;

    if (!mctp_machine_is_virt()) {
        pc_alloc_init(alloc, qts, ALLOC_NO_FLAGS);
        return;
    }
    /* No firmware tables to read it from: ask QEMU how much RAM */
    rsp = qtest_qmp(qts, "{ 'execute': 'query-memory-size-summary' }");
    g_assert(qdict_haskey(rsp, "return"));
    ram = qdict_get_int(qdict_get_qdict(rsp, "return"), "base-memory");
    qobject_unref(rsp);
    /* DMA buffers stay below 4 GiB, as on q35 */
    alloc_init(alloc, ALLOC_NO_FLAGS, VIRT_RAM_BASE,
               MIN(VIRT_RAM_BASE + ram, 0x100000000ULL), VIRT_PAGE_SIZE);
}

QPCIBus *mctp_pci_new(QTestState *qts, QGuestAllocator *alloc)
{
    QGenericPCIBus *gbus;

    if (!mctp_machine_is_virt()) {
        return qpci_new_pc(qts, alloc);
    }
    /*
     * virt's PCIe host, through its ECAM; BARs from its 32-bit MMIO
     * window (below MCTP_VIRT_PCI_MMIO_END, cxl-host.h's window above)
     */
    gbus = g_new0(QGenericPCIBus, 1);
    qpci_init_generic(gbus, qts, alloc, false);
    g_assert_cmphex(gbus->bus.mmio_limit, <=, MCTP_VIRT_PCI_MMIO_END);
    return &gbus->bus;
}

void mctp_pci_free(QPCIBus *bus)
{
    if (!bus) {
        return;
    }
    if (!mctp_machine_is_virt()) {
        qpci_free_pc(bus);
        return;
    }
    g_free(container_of(bus, QGenericPCIBus, bus));
}

void mctp_test_boot(MCTPTest *t, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    memset(t, 0, sizeof(*t));
    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    t->qts = qtest_initf("%s%s", mctp_machine_args(), args);
    t->xport = &ehci_transport;         /* unless attached to UHCI */
    mctp_alloc_init(&t->alloc, t->qts);
    t->pcibus = mctp_pci_new(t->qts, &t->alloc);
    t->tag = 1;
    t->cxl_tag = 1;
}

void mctp_test_attach_ehci(MCTPTest *t, int devfn)
{
    int port;

    t->hc = qehci_init(t->qts, t->pcibus, &t->alloc, devfn);
    port = qusb_first_connected_port(t->hc);
    g_assert_cmpint(port, >=, 0);
    t->dev = qusb_enumerate(t->hc, port, USB_ADDR, t->desc);
    assert_xfer_ok(qusb_set_configuration(t->dev, 1));
}

void mctp_test_attach_uhci(MCTPTest *t, int devfn)
{
    int port;

    t->xport = &uhci_transport;
    t->uhci = quhci_init(t->qts, t->pcibus, &t->alloc, devfn);
    port = qusb_first_connected_port(t->uhci);
    g_assert_cmpint(port, >=, 0);
    t->udev = qusb_enumerate(t->uhci, port, USB_ADDR, t->desc);
    assert_xfer_ok(qusb_set_configuration(t->udev, 1));
}

void mctp_test_attach_xhci(MCTPTest *t, int devfn)
{
    int port;

    t->xport = &xhci_transport;
    t->xhci = qxhci_init(t->qts, t->pcibus, &t->alloc, devfn);
    port = qusb_first_connected_port(t->xhci);
    g_assert_cmpint(port, >=, 0);
    t->xdev = qusb_enumerate(t->xhci, port, USB_ADDR, t->desc);
    assert_xfer_ok(qusb_set_configuration(t->xdev, 1));
}

QTestState *qos_migrate_unix(QTestState *src, const char *args)
{
    g_autofree char *tmp = g_dir_make_tmp("qos-migrate-XXXXXX", NULL);
    g_autofree char *sock = g_strdup_printf("%s/migrate", tmp);
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    QTestState *dst = qtest_initf("%s -incoming %s", args, uri);

    qtest_qmp_assert_success(src, "{ 'execute': 'migrate', "
                             "'arguments': { 'uri': %s } }", uri);
    qtest_qmp_eventwait(src, "STOP");
    qtest_qmp_eventwait(dst, "RESUME");
    qtest_quit(src);
    unlink(sock);
    rmdir(tmp);
    return dst;
}

void mctp_test_migrate(MCTPTest *t, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    g_autofree char *cmdline = NULL;
    va_list ap;

    g_assert(t->hc || t->i2c || t->serial_fd > 0);
    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    cmdline = g_strconcat(mctp_machine_args(), args, NULL);
    t->qts = qos_migrate_unix(t->qts, cmdline);
    mctp_pci_free(t->pcibus);
    t->pcibus = mctp_pci_new(t->qts, &t->alloc);
    if (t->hc) {
        qusb_migrated(t->hc, t->qts, t->pcibus);
    }
    if (t->i2c) {
        qdw_i2c_migrated(t->i2c, t->qts, t->pcibus);
    }
}

void mctp_test_attach_i2c(MCTPTest *t, int devfn, uint8_t own, uint8_t dest)
{
    t->xport = &i2c_transport;
    t->i2c = qdw_i2c_init(t->qts, t->pcibus, devfn);
    t->i2c_own = own;
    t->i2c_dest = dest;
    qdw_i2c_target_mode(t->i2c, own);
}

void mctp_test_attach_serial(MCTPTest *t, const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    if (t->serial_fd > 0) {
        close(t->serial_fd);
    }
    t->xport = &serial_transport;
    t->srx_len = 0;
    t->serial_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(t->serial_fd, >, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, path);
    g_assert_cmpint(connect(t->serial_fd, (struct sockaddr *)&addr,
                            sizeof(addr)), ==, 0);
}

void mctp_test_end(MCTPTest *t)
{
    if (t->serial_fd > 0) {
        close(t->serial_fd);
    }
    if (t->dev) {
        qusb_device_free(t->dev);
    }
    if (t->hc) {
        qusb_free(t->hc);
    }
    if (t->udev) {
        qusb_device_free(t->udev);
    }
    if (t->uhci) {
        qusb_free(t->uhci);
    }
    if (t->xdev) {
        qusb_device_free(t->xdev);
    }
    if (t->xhci) {
        qusb_free(t->xhci);
    }
    if (t->i2c) {
        qdw_i2c_free(t->i2c);
    }
    mctp_pci_free(t->pcibus);
    alloc_destroy(&t->alloc);
    qtest_quit(t->qts);
}

uint8_t mctp_next_tag(MCTPTest *t)
{
    uint8_t tag = t->tag;

    t->tag = (t->tag + 1) & MCTP_TAG_MASK;
    return tag;
}

/* Sending */

/* Append one DSP0283 packet to @out; returns its length */
void mctp_packet_header(uint8_t *hdr, uint8_t dest, uint8_t flags)
{
    hdr[0] = MCTP_HDR_VERSION;
    hdr[1] = dest;
    hdr[2] = HOST_EID;
    hdr[3] = flags;
}

size_t dsp0283_packet(uint8_t *out, uint8_t dest, uint8_t flags,
                      const uint8_t *payload, size_t len)
{
    size_t total = DSP0283_HDR_SIZE + MCTP_HDR_SIZE + len;

    g_assert_cmpuint(total, <=, DSP0283_LEN_MAX);
    out[0] = DSP0283_DMTF_ID_HI;
    out[1] = DSP0283_DMTF_ID_LO;
    out[2] = 0;
    out[3] = total;
    mctp_packet_header(out + DSP0283_HDR_SIZE, dest, flags);
    memcpy(out + DSP0283_HDR_SIZE + MCTP_HDR_SIZE, payload, len);
    return total;
}

/*
 * Send a request of message type @type with body @msg (@len bytes after
 * the type byte) to @dest, tag @tag with TO set, fragmented into MCTP
 * packets of at most @mtu bytes (MCTP header included; 68 is the
 * baseline).  Each DSP0283 packet goes in its own OUT transfer or, if
 * @packed, they share transfers of at most 512 bytes.
 */
void mctp_flush(MCTPTest *t)
{
    if (t->tx_len) {
        mctp_bulk_out(t, t->tx, t->tx_len);
        t->tx_len = 0;
    }
}

void mctp_send_full(MCTPTest *t, uint8_t dest, uint8_t tag,
                    uint8_t type, const void *msg, size_t len,
                    size_t mtu, bool packed)
{
    g_autofree uint8_t *m = g_malloc(len + 1);
    size_t chunk_max = mtu - MCTP_HDR_SIZE;
    size_t off = 0;
    uint8_t seq = 0;

    g_assert_cmpuint(mtu, >, MCTP_HDR_SIZE);
    m[0] = type;
    memcpy(m + 1, msg, len);
    len++;

    while (off < len) {
        size_t chunk = MIN(chunk_max, len - off);
        uint8_t flags = MCTP_TO | (tag & MCTP_TAG_MASK) |
                        (seq++ & 3) << MCTP_SEQ_SHIFT;

        if (off == 0) {
            flags |= MCTP_SOM;
        }
        if (off + chunk == len) {
            flags |= MCTP_EOM;
        }
        if (t->xport->send_packet) {
            /* A packet at a time: nothing is kept back in t->tx */
            uint8_t pkt[MCTP_HDR_SIZE + 255];

            g_assert_cmpuint(chunk, <=, sizeof(pkt) - MCTP_HDR_SIZE);
            mctp_packet_header(pkt, dest, flags);
            memcpy(pkt + MCTP_HDR_SIZE, m + off, chunk);
            t->xport->send_packet(t, pkt, MCTP_HDR_SIZE + chunk);
            off += chunk;
            continue;
        }
        if (t->tx_len + DSP0283_HDR_SIZE + MCTP_HDR_SIZE + chunk >
            sizeof(t->tx)) {
            mctp_flush(t);
        }
        t->tx_len += dsp0283_packet(t->tx + t->tx_len, dest, flags, m + off,
                                    chunk);
        off += chunk;
        if (!packed && !t->batch) {
            mctp_flush(t);
        }
    }
    if (!t->batch) {
        mctp_flush(t);
    }
}

void mctp_send(MCTPTest *t, uint8_t dest, uint8_t tag, uint8_t type,
               const void *msg, size_t len, size_t mtu)
{
    mctp_send_full(t, dest, tag, type, msg, len, mtu, false);
}

void mctp_send_packed(MCTPTest *t, uint8_t dest, uint8_t tag,
                      uint8_t type, const void *msg, size_t len,
                      size_t mtu)
{
    mctp_send_full(t, dest, tag, type, msg, len, mtu, true);
}

/* Receiving */

/*
 * Next DSP0283 packet from the device into @pkt (the MCTP packet, header
 * first); its length, or 0 if the device has nothing queued.  Checks the
 * DSP0283 framing and that the MCTP packet is at most @max_pkt bytes.
 */
size_t mctp_recv_packet(MCTPTest *t, uint8_t *pkt, size_t max_pkt)
{
    const uint8_t *p;
    size_t len;
    int zlps = 0;

    if (t->xport->recv_packet) {
        return t->xport->recv_packet(t, pkt, max_pkt);
    }
    /* What is still to be sent goes first */
    mctp_flush(t);
    while (t->rx_off == t->rx_len) {
        bool got = t->xport->bulk_in(t, t->rx, sizeof(t->rx), &t->rx_len);

        t->rx_off = 0;
        if (!got) {
            t->rx_len = 0;
            return 0;
        }
        if (t->rx_len) {
            t->in_xfers++;
        }
        /* A zero-length packet only ends a transfer of 512 bytes */
        if (!t->rx_len) {
            g_assert_cmpint(++zlps, <=, 1);
        }
    }

    p = t->rx + t->rx_off;
    g_assert_cmpuint(t->rx_len - t->rx_off, >=, DSP0283_HDR_SIZE);
    g_assert_cmphex(p[0], ==, DSP0283_DMTF_ID_HI);
    g_assert_cmphex(p[1], ==, DSP0283_DMTF_ID_LO);
    g_assert_cmphex(p[2], ==, 0);
    len = p[3];
    g_assert_cmpuint(len, >=, DSP0283_LEN_MIN);
    /* DSP0283 1.0: packets never span transfers */
    g_assert_cmpuint(len, <=, t->rx_len - t->rx_off);
    len -= DSP0283_HDR_SIZE;
    g_assert_cmpuint(len, <=, max_pkt);
    memcpy(pkt, p + DSP0283_HDR_SIZE, len);
    t->rx_off += DSP0283_HDR_SIZE + len;
    return len;
}

/*
 * Reassemble the next message from the device, whose MTU is @max_pkt
 * bytes (MCTP header included; its "mtu" property): every packet at most
 * that, all but the last exactly that.  False if nothing is queued; once
 * a message has started it must complete.
 */
bool mctp_recv_mtu(MCTPTest *t, MCTPMessage *m, size_t max_pkt)
{
    uint8_t pkt[DSP0283_LEN_MAX];
    uint8_t flags, seq = 0;
    size_t len;

    memset(m, 0, sizeof(*m));
    for (;;) {
        len = mctp_recv_packet(t, pkt, max_pkt);
        if (!len) {
            /* Nothing queued between messages, not within one */
            g_assert_cmpuint(m->packets, ==, 0);
            return false;
        }
        g_assert_cmphex(pkt[0] & 0x0f, ==, MCTP_HDR_VERSION);
        flags = pkt[3];
        if (m->packets == 0) {
            g_assert_cmphex(flags & MCTP_SOM, ==, MCTP_SOM);
            m->dest = pkt[1];
            m->src = pkt[2];
            m->tag = flags & (MCTP_TO | MCTP_TAG_MASK);
            /* The message type byte comes with the start of message */
            g_assert_cmpuint(len, >, MCTP_HDR_SIZE);
        } else {
            g_assert_cmphex(flags & MCTP_SOM, ==, 0);
            g_assert_cmphex(pkt[1], ==, m->dest);
            g_assert_cmphex(pkt[2], ==, m->src);
            g_assert_cmphex(flags & (MCTP_TO | MCTP_TAG_MASK), ==, m->tag);
            g_assert_cmpuint((flags >> MCTP_SEQ_SHIFT) & 3, ==,
                             (seq + 1) & 3);
            /* All but the last packet carry a full transmission unit */
            g_assert_cmpuint(m->len % (max_pkt - MCTP_HDR_SIZE), ==, 0);
        }
        seq = (flags >> MCTP_SEQ_SHIFT) & 3;
        len -= MCTP_HDR_SIZE;
        g_assert_cmpuint(m->len + len, <=, sizeof(m->data));
        memcpy(m->data + m->len, pkt + MCTP_HDR_SIZE, len);
        m->len += len;
        m->packets++;
        if (flags & MCTP_EOM) {
            return true;
        }
    }
}

bool mctp_recv(MCTPTest *t, MCTPMessage *m)
{
    return mctp_recv_mtu(t, m, MCTP_BASELINE_MTU);
}

/* The response to a request sent with @tag: to us, TO clear, same tag */
void mctp_recv_response(MCTPTest *t, MCTPMessage *m, uint8_t tag,
                        uint8_t type)
{
    g_assert(mctp_recv(t, m));
    g_assert_cmphex(m->dest, ==, HOST_EID);
    g_assert_cmphex(m->tag, ==, tag & MCTP_TAG_MASK);
    g_assert_cmphex(m->data[0], ==, type);
}

/* Nothing queued: the device NAKs bulk IN */
void mctp_assert_nothing_queued(MCTPTest *t)
{
    uint8_t pkt[DSP0283_LEN_MAX];

    g_assert_cmpuint(mctp_recv_packet(t, pkt, DSP0283_LEN_MAX), ==, 0);
}

/* MCTP control */

/*
 * Control request @cmd with @len bytes of @data to @dest; returns the
 * completion code and puts the response data after it in @rsp (at most
 * @rsp_size bytes, *@rsp_len of them) and its source EID in *@src.
 */
uint8_t mctp_control_full(MCTPTest *t, uint8_t dest, uint8_t cmd,
                          const void *data, size_t len, void *rsp,
                          size_t rsp_size, size_t *rsp_len,
                          uint8_t *src)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t req[MCTP_BASELINE_MTU];
    uint8_t iid = t->iid++ & MCTP_CTRL_IID_MASK;
    uint8_t tag = mctp_next_tag(t);
    size_t n;

    g_assert_cmpuint(2 + len, <=, sizeof(req));
    req[0] = MCTP_CTRL_RQ | iid;
    req[1] = cmd;
    if (len) {
        memcpy(req + 2, data, len);
    }
    mctp_send(t, dest, tag, MCTP_TYPE_CONTROL, req, 2 + len,
              MCTP_BASELINE_MTU);

    mctp_recv_response(t, m, tag, MCTP_TYPE_CONTROL);
    /* type, Rq = 0, D = 0 and the request's IID, command, cc */
    g_assert_cmpuint(m->len, >=, 4);
    g_assert_cmphex(m->data[1], ==, iid);
    g_assert_cmphex(m->data[2], ==, cmd);
    n = m->len - 4;
    g_assert_cmpuint(n, <=, rsp_size);
    memcpy(rsp, m->data + 4, n);
    if (rsp_len) {
        *rsp_len = n;
    }
    if (src) {
        *src = m->src;
    }
    return m->data[3];
}

uint8_t mctp_control(MCTPTest *t, uint8_t dest, uint8_t cmd,
                     const void *data, size_t len, void *rsp,
                     size_t rsp_size, size_t *rsp_len)
{
    return mctp_control_full(t, dest, cmd, data, len, rsp, rsp_size,
                             rsp_len, NULL);
}

/* Get Endpoint ID: the EID, after checking the response is complete */
uint8_t mctp_get_eid(MCTPTest *t, uint8_t dest)
{
    uint8_t rsp[8];
    size_t len;

    g_assert_cmphex(mctp_control(t, dest, MCTP_GET_EID, NULL, 0, rsp,
                                 sizeof(rsp), &len), ==, MCTP_CC_SUCCESS);
    /* EID, endpoint type, medium-specific: mctpd wants all three */
    g_assert_cmpuint(len, ==, 3);
    return rsp[0];
}

void mctp_set_eid(MCTPTest *t, uint8_t dest, uint8_t eid)
{
    uint8_t set[2] = { 0x00, eid }, rsp[8];
    size_t len;

    g_assert_cmphex(mctp_control(t, dest, MCTP_SET_EID, set, sizeof(set),
                                 rsp, sizeof(rsp), &len), ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 3);
    g_assert_cmphex(rsp[0] & 0x30, ==, 0x00);           /* accepted */
    g_assert_cmphex(rsp[1], ==, eid);
}

/* CXL messages */


/* The request half of cxl_cmd(): what the response must match in @r */
size_t cxl_cci_request(uint8_t *msg, uint8_t tag, uint16_t opcode,
                       const void *in, size_t len)
{
    memset(msg, 0, CXL_HDR_SIZE);
    msg[0] = CXL_CATEGORY_REQ;
    msg[1] = tag;
    msg[3] = opcode & 0xff;
    msg[4] = opcode >> 8;
    st24_le_p(msg + 5, len);
    if (len) {
        memcpy(msg + CXL_HDR_SIZE, in, len);
    }
    return CXL_HDR_SIZE + len;
}

uint16_t cxl_cci_response(const uint8_t *rsp, size_t len, uint8_t tag,
                          uint16_t opcode, const uint8_t **pl, size_t *pl_len)
{
    g_assert_cmpuint(len, >=, CXL_HDR_SIZE);
    g_assert_cmphex(rsp[0] & 0x0f, ==, CXL_CATEGORY_RSP);
    g_assert_cmphex(rsp[1], ==, tag);
    g_assert_cmphex(rsp[3] | rsp[4] << 8, ==, opcode);
    *pl_len = ldl_le_p(rsp + 5) & CXL_PL_LEN_MASK;
    g_assert_cmpuint(*pl_len, ==, len - CXL_HDR_SIZE);
    *pl = rsp + CXL_HDR_SIZE;
    return lduw_le_p(rsp + 8);
}

void cxl_cmd_send(MCTPTest *t, CXLRequest *r, uint8_t dest, uint8_t type,
                  uint8_t set, uint8_t cmd, const void *in, size_t in_len)
{
    g_autofree uint8_t *req = g_malloc(CXL_HDR_SIZE + in_len);
    uint8_t tag = mctp_next_tag(t);
    uint8_t cxl_tag = t->cxl_tag++;

    *r = (CXLRequest) {
        .type = type, .set = set, .cmd = cmd, .tag = tag, .cxl_tag = cxl_tag,
    };
    mctp_send(t, dest, tag, type, req,
              cxl_cci_request(req, cxl_tag, set << 8 | cmd, in, in_len),
              MCTP_BASELINE_MTU);
}

uint16_t cxl_cmd_recv(MCTPTest *t, const CXLRequest *r, void *out,
                      size_t out_size, size_t *out_len)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    const uint8_t *pl;
    size_t pl_len;
    uint16_t rc;

    /* The response comes back over the binding the request used */
    mctp_recv_response(t, m, r->tag, r->type);
    rc = cxl_cci_response(m->data + 1, m->len - 1, r->cxl_tag,
                          r->set << 8 | r->cmd, &pl, &pl_len);
    g_assert_cmpuint(pl_len, <=, out_size);
    memcpy(out, pl, pl_len);
    if (out_len) {
        *out_len = pl_len;
    }
    return rc;
}

/*
 * CXL command @set/@cmd with @in_len bytes of payload @in over MCTP
 * message type @type (FM-API or CCI) to @dest.  Returns the CXL return
 * code, the response payload in @out (*@out_len bytes, at most
 * @out_size).  Checks the response header against the request.
 */
uint16_t cxl_cmd(MCTPTest *t, uint8_t dest, uint8_t type,
                 uint8_t set, uint8_t cmd, const void *in,
                 size_t in_len, void *out, size_t out_size,
                 size_t *out_len)
{
    CXLRequest r;

    cxl_cmd_send(t, &r, dest, type, set, cmd, in, in_len);
    return cxl_cmd_recv(t, &r, out, out_size, out_len);
}

const uint8_t cxl_cel_uuid[16] = {
    0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
    0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17,
};

void cxl_get_cel_in(uint8_t *in, uint32_t offset, uint32_t len)
{
    memcpy(in, cxl_cel_uuid, sizeof(cxl_cel_uuid));
    stl_le_p(in + 16, offset);
    stl_le_p(in + 20, len);
}

size_t cxl_bench_command(size_t log_len, uint8_t *set, uint8_t *cmd,
                         uint8_t *in)
{
    if (!log_len) {
        *set = CXL_SET_INFOSTAT;
        *cmd = CXL_CMD_IDENTIFY;
        return 0;
    }
    *set = CXL_SET_LOGS;
    *cmd = CXL_CMD_GET_LOG;
    cxl_get_cel_in(in, 0, log_len);
    return CXL_GET_LOG_IN_SIZE;
}

unsigned cxl_bench_iterations(void)
{
    const char *n = g_getenv("BENCH_ITERATIONS");

    return n ? atoi(n) : 200;
}

double cxl_bench_mctp(MCTPTest *t, const char *name, const char *what,
                      size_t log_len)
{
    g_autofree uint8_t *out = g_malloc(2048);
    uint8_t in[CXL_GET_LOG_IN_SIZE], set, cmd, limit = 10;
    size_t in_len = cxl_bench_command(log_len, &set, &cmd, in);
    unsigned n = cxl_bench_iterations(), i;
    size_t len;
    int64_t t0;
    double us;

    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit, 1,
                            out, 2048, &len), ==, CXL_MBOX_SUCCESS);
    t0 = g_get_monotonic_time();
    for (i = 0; i < n; i++) {
        g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, set,
                                cmd, in, in_len, out, 2048, &len),
                        ==, CXL_MBOX_SUCCESS);
    }
    us = (double)(g_get_monotonic_time() - t0) / n;
    g_test_message("BENCH %s %s %.1f us/cmd (%u commands, %zu-byte payload)",
                   name, what, us, n, len);
    g_assert_cmpuint(len, ==, log_len ? log_len : 18);
    return us;
}


/* CXL mailbox */

void cxl_mbox_init(MCTPTest *t, CXLMailbox *mb, int devfn, int bar)
{
    uint32_t count, i;

    mb->dev = qpci_device_find(t->pcibus, devfn);
    g_assert_nonnull(mb->dev);
    qpci_device_enable(mb->dev);
    mb->bar = qpci_iomap(mb->dev, bar, NULL);
    /* CXL r3.2 8.2.8.1: the device capabilities array */
    count = qpci_io_readq(mb->dev, mb->bar, 0) >> 32 & 0xffff;
    mb->regs = 0;
    for (i = 1; i <= count; i++) {
        uint64_t hdr = qpci_io_readq(mb->dev, mb->bar, i * 16);

        if ((hdr & 0xffff) == CXL_MBOX_CAP_ID) {
            mb->regs = qpci_io_readl(mb->dev, mb->bar, i * 16 + 4);
        }
    }
    g_assert_cmphex(mb->regs, !=, 0);
}

void cxl_mbox_free(CXLMailbox *mb)
{
    g_free(mb->dev);
    mb->dev = NULL;
}

uint16_t cxl_mbox_cmd(CXLMailbox *mb, uint8_t set, uint8_t cmd,
                      const void *in, size_t in_len, void *out,
                      size_t *out_len)
{
    uint64_t reg;

    if (in_len) {
        qpci_memwrite(mb->dev, mb->bar, mb->regs + CXL_MBOX_PAYLOAD, in,
                      MIN(in_len, CXL_MBOX_PAYLOAD_SIZE));
    }
    qpci_io_writeq(mb->dev, mb->bar, mb->regs + CXL_MBOX_CMD,
                   cmd | set << 8 | (uint64_t)in_len << 16);
    qpci_io_writel(mb->dev, mb->bar, mb->regs + CXL_MBOX_CTRL, 1);
    /* The command runs synchronously: the doorbell is clear again */
    g_assert_cmphex(qpci_io_readl(mb->dev, mb->bar,
                                  mb->regs + CXL_MBOX_CTRL) & 1, ==, 0);
    reg = qpci_io_readq(mb->dev, mb->bar, mb->regs + CXL_MBOX_CMD);
    *out_len = reg >> 16 & 0xfffff;
    g_assert_cmpuint(*out_len, <=, CXL_MBOX_PAYLOAD_SIZE);
    if (*out_len) {
        qpci_memread(mb->dev, mb->bar, mb->regs + CXL_MBOX_PAYLOAD, out,
                     *out_len);
    }
    return qpci_io_readq(mb->dev, mb->bar, mb->regs + CXL_MBOX_STS) >> 32;
}
