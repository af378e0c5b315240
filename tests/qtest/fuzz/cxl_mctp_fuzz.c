/*
 * Fuzz targets for the CXL MCTP endpoints: usb-cxl-mctp (MCTP over USB,
 * DMTF DSP0283) behind EHCI, UHCI or xHCI and i2c_mctp_cxl (MCTP over
 * SMBus/I2C, DSP0237) behind designware-i2c-pci, in the CXL switch
 * topology of the MCTP qtests (tests/qtest/libqos/mctp.h), driven by the
 * libqos drivers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The machine is started, the controller set up and the endpoints
 * enumerated once; every input then runs in a child process forked from
 * that state, so that inputs are independent of each other and a crash
 * reproduces from its input alone.  The child's coverage counters are
 * copied back to the parent, where libFuzzer reads them.
 *
 * An input is a sequence of operations, each an op byte (taken modulo
 * the number of ops) and its arguments:
 *
 *   RAW      len16 bytes    one bulk OUT transfer / one I2C write of the
 *                           bytes as they are (framing up to the fuzzer)
 *   PACKET   len8 bytes     one MCTP packet (its header from the input)
 *                           in a correct DSP0283 packet / DSP0237 frame
 *                           (command 0Fh, byte count, source, PEC)
 *   MULTI    n8 (len8 bytes)*n  USB: n DSP0283 packets in one transfer;
 *                           I2C: a write then a read with a restart
 *   MESSAGE  dest tag type mtu len16 body
 *                           an MCTP message fragmented into packets with
 *                           correct SOM/EOM/sequence numbers
 *   CXL      dest sel opcode16 len16 payload
 *                           a CXL FM-API (type 7) or CCI (type 8) request
 *                           with a correct CXL message header, as MESSAGE
 *   DRAIN                   read every response packet queued
 *   STEP     n8             advance the virtual clock by 2^(n % 34) ns
 *   SWITCH   sel            talk to the other endpoint (I2C: sel >= 80h
 *                           addresses sel & 7Fh, perhaps nobody)
 *   CONTROL  setup8 data    USB: a control transfer (not SET_ADDRESS);
 *                           I2C: one frame the endpoint sends, if any
 *   CLEAR    ep             USB: CLEAR_FEATURE(ENDPOINT_HALT) of bulk
 *                           OUT or IN; I2C: as DRAIN
 *   IN       len16          USB: one bulk IN of at most len bytes;
 *                           I2C: a read of len8 bytes from the endpoint
 *
 * Behind xHCI a bulk IN the device holds stays posted, as a host driver
 * keeps an URB posted (see usb-xhci.h); an IN of another length, a
 * CLEAR of bulk IN or a reconfiguration first cancels it (Stop Endpoint:
 * the device's held packet is cancelled), as a driver kills its URB.
 *
 * Responses are drained after the last operation, so the response path
 * runs for every input.  What the endpoints send is checked: a DSP0283
 * packet with a wrong DMTF ID or length, or a DSP0237 frame with a wrong
 * command code, byte count or PEC, aborts (a finding).
 *
 * Environment: CXL_MCTP_FUZZ_DECODE=1 prints the operations as they run
 * (to turn an input into a qtest); CXL_MCTP_FUZZ_NOFORK=1 runs inputs in
 * the fuzzer's process, one after the other on the same machine: ten
 * times the executions per second of a fork per input, but what an input
 * leaves behind (an EID, a CXL device's state) is there for the next, so
 * a finding may need the inputs before it to reproduce (or a debugger).
 * LeakSanitizer sees leaks in that mode only: a forked child lacks the
 * parent's other threads, whose memory would look leaked.
 * CXL_MCTP_FUZZ_COVERAGE=FILE writes, at exit, every instrumented PC of
 * the binary (offset from its load address) and whether an input ran it:
 * scripts/fuzz.sh turns that into line coverage per source file.
 */

#include "qemu/osdep.h"
#include <link.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fuzz.h"
#include "tests/qtest/libqos/mctp.h"

#define FUZZ_RAW_MAX        1024
#define FUZZ_MSG_MAX        4096
#define FUZZ_DRAIN_XFERS    64
#define FUZZ_I2C_MAX_POLLS  16
#define FUZZ_I2C_POLL_NS    (50 * 1000)
#define FUZZ_USB_NAK_POLLS  3
#define SMBUS_ADDR_EP0      0x04
#define SMBUS_ADDR_EP1      0x05
#define SMBUS_ADDR_HOST     0x10
#define EP0_EID             DEVICE_EID
#define EP1_MTU             251

enum {
    OP_RAW,
    OP_PACKET,
    OP_MULTI,
    OP_MESSAGE,
    OP_CXL,
    OP_DRAIN,
    OP_STEP,
    OP_SWITCH,
    OP_CONTROL,
    OP_CLEAR,
    OP_IN,
    OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "raw", "packet", "multi", "message", "cxl", "drain", "step", "switch",
    "control", "clear", "in",
};

typedef enum FuzzXport {
    XPORT_EHCI,
    XPORT_UHCI,
    XPORT_XHCI,
    XPORT_I2C,
} FuzzXport;

typedef struct CMFuzz {
    FuzzXport xport;
    MCTPTest t;
    QUSBDevice *dev[2];
    uint8_t addr[2];        /* I2C addresses of the endpoints */
    unsigned mtu[2];
    int cur;
    uint8_t i2c_dest;       /* I2C: where writes go (usually addr[cur]) */
    uint8_t rx_frame[SMBUS_FRAME_MAX + 1];  /* I2C: a frame begun, no STOP */
    size_t rx_len;
    /*
     * I2C: inputs left (this one and the next) after a master transfer
     * the driver gave up half-way: the controller's STOP_DET then tells
     * of either side, and frames are not checked
     */
    unsigned i2c_disturbed;
    /*
     * USB: an IN transfer of the input's length may have taken part of the
     * device's transfer; the next IN gets the rest, which starts wherever
     * the cut was, and is not checked
     */
    bool in_cut[2];
    bool decode;
    bool nofork;
    bool reconfigure;       /* a control transfer may have deconfigured */
    uint8_t cxl_tag;
} CMFuzz;

static CMFuzz F;

/* Run the main loop when the libqos drivers step the clock: see below */
static bool flush_on_step;


/*
 * The fuzzer's QEMU runs its main loop only when told to, and the
 * controllers (EHCI's schedule, the endpoint's mastering) run in bottom
 * halves: let every clock step the drivers take run them.
 */
int64_t __wrap_qtest_clock_step(QTestState *s, int64_t step)
{
    int64_t r = __real_qtest_clock_step(s, step);

    if (flush_on_step) {
        flush_events(s);
    }
    return r;
}

#define DECODE(...) do { \
        if (F.decode) { \
            fprintf(stderr, "cxl-mctp-fuzz: " __VA_ARGS__); \
        } \
    } while (0)

static void decode_bytes(const char *what, const uint8_t *buf, size_t len)
{
    size_t i;

    if (!F.decode) {
        return;
    }
    fprintf(stderr, "cxl-mctp-fuzz:   %s (%zu):", what, len);
    for (i = 0; i < len; i++) {
        fprintf(stderr, " %02x", buf[i]);
    }
    fprintf(stderr, "\n");
}

static G_NORETURN void finding(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void finding(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "cxl-mctp-fuzz: FINDING: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* Input reader */

typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static uint8_t in_u8(Input *in)
{
    if (!in->left) {
        return 0;
    }
    in->left--;
    return *in->p++;
}

static uint16_t in_u16(Input *in)
{
    uint16_t lo = in_u8(in);

    return lo | in_u8(in) << 8;
}

/* Up to @len bytes of the input (fewer at its end); how many */
static size_t in_bytes(Input *in, uint8_t *buf, size_t len)
{
    len = MIN(len, in->left);
    memcpy(buf, in->p, len);
    in->p += len;
    in->left -= len;
    return len;
}

/* USB */

/* xHCI: take the IN posted on @dev, if any, off its ring */
static void xhci_in_cancel(QUSBDevice *dev)
{
    if (qxhci_bulk_in_pending(dev, MCTP_EP)) {
        DECODE("  cancel the IN posted (%zu bytes)\n",
               qusb_pipe(dev, MCTP_EP, true)->len);
        qxhci_bulk_in_cancel(dev, MCTP_EP);
    }
}

static QUSBStatus usb_bulk_in(QUSBDevice *dev, void *buf, size_t maxlen,
                              size_t *actual)
{
    switch (F.xport) {
    case XPORT_UHCI:
        return quhci_bulk_in(dev, MCTP_EP, buf, maxlen, actual);
    case XPORT_XHCI:
        /* The IN posted before goes on if it is of this length */
        if (qxhci_bulk_in_pending(dev, MCTP_EP) &&
            qusb_pipe(dev, MCTP_EP, true)->len != maxlen) {
            xhci_in_cancel(dev);
        }
        return qxhci_bulk_in(dev, MCTP_EP, buf, maxlen, actual);
    default:
        return qehci_bulk_in(dev, MCTP_EP, buf, maxlen, actual);
    }
}

static void usb_out(const uint8_t *buf, size_t len)
{
    QUSBDevice *dev = F.dev[F.cur];
    QUSBStatus st = qusb_bulk_out(dev, MCTP_EP, buf, len);

    /* Full speed: a transfer that ends on a full packet ends with a ZLP */
    if (st == QUSB_OK && F.xport == XPORT_UHCI && len &&
        len % FS_BULK_MPS == 0 && len < MCTP_XFER_SIZE) {
        st = qusb_bulk_out(dev, MCTP_EP, NULL, 0);
    }
    DECODE("  OUT %zu bytes: %s\n", len, qusb_status_str(st));
    if (st == QUSB_STALL) {
        /* What a host driver does: clear the halt and carry on */
        qusb_clear_halt(dev, MCTP_EP);
    }
}

/* A bulk IN transfer holds whole DSP0283 packets, each well formed */
static void usb_check_in(const uint8_t *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        const uint8_t *p = buf + off;
        size_t plen;

        if (len - off < DSP0283_HDR_SIZE) {
            finding("bulk IN: %zu stray bytes after the packets", len - off);
        }
        if (p[0] != DSP0283_DMTF_ID_HI || p[1] != DSP0283_DMTF_ID_LO ||
            p[2] != 0) {
            finding("bulk IN: DSP0283 header %02x %02x %02x", p[0], p[1],
                    p[2]);
        }
        plen = p[3];
        if (plen < DSP0283_LEN_MIN || plen > len - off) {
            finding("bulk IN: DSP0283 length %zu, %zu bytes left", plen,
                    len - off);
        }
        if ((p[DSP0283_HDR_SIZE] & 0x0f) != MCTP_HDR_VERSION) {
            finding("bulk IN: MCTP header version %x",
                    p[DSP0283_HDR_SIZE] & 0x0f);
        }
        off += plen;
    }
}

/* One bulk IN of at most @maxlen; false if nothing came */
static bool usb_in(QUSBDevice *dev, size_t maxlen, bool check)
{
    uint8_t buf[FUZZ_RAW_MAX];
    size_t actual = 0;
    QUSBStatus st;

    int i = dev == F.dev[0] ? 0 : 1;

    maxlen = MIN(maxlen, sizeof(buf));
    st = usb_bulk_in(dev, buf, maxlen, &actual);
    DECODE("  IN (max %zu): %s, %zu bytes\n", maxlen, qusb_status_str(st),
           actual);
    if (st == QUSB_STALL) {
        qusb_clear_halt(dev, USB_DIR_IN | MCTP_EP);
        return false;
    }
    if (st != QUSB_OK) {
        return false;
    }
    decode_bytes("data", buf, actual);
    if (check && !F.in_cut[i]) {
        usb_check_in(buf, actual);
    }
    F.in_cut[i] = !check;
    return true;
}

static void usb_drain(QUSBDevice *dev)
{
    unsigned i;

    for (i = 0; i < FUZZ_DRAIN_XFERS; i++) {
        if (!usb_in(dev, MCTP_XFER_SIZE, true)) {
            break;
        }
    }
}

/* I2C */

static void i2c_write(const uint8_t *buf, size_t len)
{
    QDWI2CStatus st;

    if (!len) {
        return;
    }
    st = qdw_i2c_write(F.t.i2c, F.i2c_dest, buf, len);
    DECODE("  write %zu bytes to %02x: %s\n", len, F.i2c_dest,
           qdw_i2c_status_str(st));
    if (st == QDW_I2C_TIMEOUT) {
        F.i2c_disturbed = 2;
    }
}

/*
 * qdw_i2c_target_recv() with longer clock steps: a poll costs the same
 * whatever the step, and the endpoints take up to a few hundred
 * microseconds (retries after a NAK) to start a frame.  The RX FIFO holds
 * the bus when full, so no byte is lost in a step.
 */
static bool i2c_target_recv(uint8_t *buf, size_t maxlen, size_t *len)
{
    unsigned i;

    /* A frame still coming when the last call gave up goes on */
    *len = F.rx_len;
    memcpy(buf, F.rx_frame, MIN(F.rx_len, maxlen));
    F.rx_len = 0;
    for (i = 0; i < FUZZ_I2C_MAX_POLLS; i++) {
        while (qdw_i2c_readl(F.t.i2c, DW_IC_STATUS) & DW_IC_STATUS_RFNE) {
            uint32_t data = qdw_i2c_readl(F.t.i2c, DW_IC_DATA_CMD);

            if (*len < maxlen) {
                buf[*len] = data & 0xff;
            }
            (*len)++;
        }
        if (qdw_i2c_readl(F.t.i2c, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET) {
            qdw_i2c_readl(F.t.i2c, DW_IC_CLR_STOP_DET);
            return true;
        }
        qtest_clock_step(F.t.qts, FUZZ_I2C_POLL_NS);
    }
    F.rx_len = *len;
    memcpy(F.rx_frame, buf, MIN(*len, sizeof(F.rx_frame)));
    return false;
}

/*
 * One block write an endpoint masters to us, if one comes; checks its
 * DSP0237 framing.  False if none came.
 */
static bool i2c_recv(void)
{
    uint8_t frame[SMBUS_FRAME_MAX + 1], addr = SMBUS_ADDR_HOST << 1;
    size_t len;
    uint8_t src;

    if (!i2c_target_recv(frame, sizeof(frame), &len)) {
        return false;
    }
    decode_bytes("frame to us", frame, MIN(len, sizeof(frame)));
    if (F.i2c_disturbed) {
        DECODE("  (not checked: a master transfer was left half-way)\n");
        return true;
    }
    if (len > SMBUS_FRAME_MAX || (len && frame[0] != SMBUS_MCTP_COMMAND)) {
        finding("I2C: a frame of %zu bytes, command %02x", len, frame[0]);
    }
    if (len < 2 || frame[1] + 3 > len) {
        /*
         * Cut short: an endpoint gives a frame up, with a STOP, when its
         * receiver holds the bus past the SMBus timeout (the input did
         * not read our RX FIFO for that long)
         */
        DECODE("  (cut short: its sender gave up)\n");
        return true;
    }
    if (frame[1] + 3 != len || len < 3 + MCTP_HDR_SIZE + 1) {
        finding("I2C: byte count %u in a %zu-byte frame", frame[1], len);
    }
    src = frame[2] >> 1;
    if (!(frame[2] & SMBUS_MCTP_SRC_BIT) ||
        (src != F.addr[0] && src != F.addr[1])) {
        finding("I2C: source byte %02x", frame[2]);
    }
    if (mctp_smbus_pec(mctp_smbus_pec(0, &addr, 1), frame, len - 1) !=
        frame[len - 1]) {
        finding("I2C: bad PEC %02x", frame[len - 1]);
    }
    if ((frame[3] & 0x0f) != MCTP_HDR_VERSION) {
        finding("I2C: MCTP header version %x", frame[3] & 0x0f);
    }
    return true;
}

static void i2c_drain(void)
{
    unsigned i;

    for (i = 0; i < FUZZ_DRAIN_XFERS; i++) {
        if (!i2c_recv()) {
            break;
        }
    }
}

/* DSP0237 frame around MCTP packet @pkt, to F.i2c_dest */
static void i2c_packet(const uint8_t *pkt, size_t len)
{
    uint8_t frame[SMBUS_FRAME_MAX];
    uint8_t addr = F.i2c_dest << 1;

    len = MIN(len, 255 - 1);
    frame[0] = SMBUS_MCTP_COMMAND;
    frame[1] = 1 + len;
    frame[2] = SMBUS_ADDR_HOST << 1 | SMBUS_MCTP_SRC_BIT;
    memcpy(frame + 3, pkt, len);
    frame[3 + len] = mctp_smbus_pec(mctp_smbus_pec(0, &addr, 1), frame,
                                    3 + len);
    i2c_write(frame, len + 4);
}

/* Transport-independent sending */

/* One MCTP packet (header first), in its transport's framing */
static void send_packet(const uint8_t *pkt, size_t len)
{
    uint8_t xfer[DSP0283_LEN_MAX];

    decode_bytes("packet", pkt, len);
    if (F.xport == XPORT_I2C) {
        i2c_packet(pkt, len);
        return;
    }
    len = MIN(len, DSP0283_LEN_MAX - DSP0283_HDR_SIZE);
    xfer[0] = DSP0283_DMTF_ID_HI;
    xfer[1] = DSP0283_DMTF_ID_LO;
    xfer[2] = 0;
    xfer[3] = DSP0283_HDR_SIZE + len;
    memcpy(xfer + DSP0283_HDR_SIZE, pkt, len);
    usb_out(xfer, DSP0283_HDR_SIZE + len);
}

static void drain(void)
{
    if (F.xport == XPORT_I2C) {
        i2c_drain();
    } else {
        usb_drain(F.dev[F.cur]);
    }
}

static uint8_t dest_eid(uint8_t sel)
{
    switch (sel & 3) {
    case 0:
        return MCTP_EID_NULL;
    case 1:
        return EP0_EID;
    case 2:
        return 0xff;
    default:
        return sel;
    }
}

/*
 * Message @msg (type byte first) to @dest in packets of at most @mtu
 * bytes (header included), tag @tag (TO and tag bits)
 */
static void send_message(uint8_t dest, uint8_t tag, const uint8_t *msg,
                         size_t len, size_t mtu)
{
    uint8_t pkt[MCTP_HDR_SIZE + 255];
    size_t chunk_max = mtu - MCTP_HDR_SIZE, off = 0;
    uint8_t seq = 0;

    DECODE("  message to %02x tag %02x, %zu bytes in packets of %zu\n",
           dest, tag, len, mtu);
    do {
        size_t chunk = MIN(chunk_max, len - off);
        uint8_t flags = (tag & (MCTP_TO | MCTP_TAG_MASK)) |
                        (seq++ & 3) << MCTP_SEQ_SHIFT;

        if (off == 0) {
            flags |= MCTP_SOM;
        }
        if (off + chunk == len) {
            flags |= MCTP_EOM;
        }
        mctp_packet_header(pkt, dest, flags);
        memcpy(pkt + MCTP_HDR_SIZE, msg + off, chunk);
        send_packet(pkt, MCTP_HDR_SIZE + chunk);
        off += chunk;
    } while (off < len);
}

/* The packet size to use: the endpoint's MTU, or one the input chose */
static size_t pick_mtu(uint8_t sel)
{
    size_t max = F.xport == XPORT_I2C ? 254 : DSP0283_LEN_MAX -
                                             DSP0283_HDR_SIZE;

    if (sel < 0x80) {
        return F.mtu[F.cur];
    }
    return MCTP_HDR_SIZE + 1 + (sel & 0x7f) % (max - MCTP_HDR_SIZE);
}

/* Operations */

static void op_raw(Input *in)
{
    uint8_t buf[FUZZ_RAW_MAX];
    size_t len = in_bytes(in, buf, MIN(in_u16(in), FUZZ_RAW_MAX));

    decode_bytes("raw", buf, len);
    if (F.xport == XPORT_I2C) {
        i2c_write(buf, len);
    } else {
        usb_out(buf, len);
    }
}

static void op_packet(Input *in)
{
    uint8_t pkt[255];
    size_t len = in_bytes(in, pkt, in_u8(in));

    if (len) {
        send_packet(pkt, len);
    }
}

static void op_multi(Input *in)
{
    if (F.xport == XPORT_I2C) {
        /* A write (to set up a read), a restart and a read */
        uint8_t wbuf[64], rbuf[256];
        size_t wlen = in_bytes(in, wbuf, in_u8(in) % sizeof(wbuf));
        size_t rlen = in_u8(in);
        QDWI2CStatus st;

        if (!wlen && !rlen) {
            return;
        }
        st = qdw_i2c_transfer(F.t.i2c, F.i2c_dest, wbuf, wlen, rbuf, rlen);
        DECODE("  write %zu + read %zu from %02x: %s\n", wlen, rlen,
               F.i2c_dest, qdw_i2c_status_str(st));
        if (st == QDW_I2C_TIMEOUT) {
            F.i2c_disturbed = 2;
        }
    } else {
        uint8_t xfer[FUZZ_RAW_MAX];
        unsigned n = in_u8(in) % 8 + 1, i;
        size_t off = 0;

        for (i = 0; i < n && in->left; i++) {
            uint8_t pkt[DSP0283_LEN_MAX];
            size_t len = in_bytes(in, pkt, MIN(in_u8(in),
                                               DSP0283_LEN_MAX -
                                               DSP0283_HDR_SIZE));

            if (off + DSP0283_HDR_SIZE + len > sizeof(xfer)) {
                break;
            }
            xfer[off] = DSP0283_DMTF_ID_HI;
            xfer[off + 1] = DSP0283_DMTF_ID_LO;
            xfer[off + 2] = 0;
            xfer[off + 3] = DSP0283_HDR_SIZE + len;
            memcpy(xfer + off + DSP0283_HDR_SIZE, pkt, len);
            off += DSP0283_HDR_SIZE + len;
        }
        decode_bytes("packets in one transfer", xfer, off);
        usb_out(xfer, off);
    }
}

static void op_message(Input *in)
{
    g_autofree uint8_t *msg = g_malloc(FUZZ_MSG_MAX);
    uint8_t dest = dest_eid(in_u8(in));
    uint8_t tag = in_u8(in);
    size_t mtu, len;

    msg[0] = in_u8(in);
    mtu = pick_mtu(in_u8(in));
    len = in_bytes(in, msg + 1, MIN(in_u16(in), FUZZ_MSG_MAX - 1));
    decode_bytes("message", msg, len + 1);
    send_message(dest, tag, msg, len + 1, mtu);
}

static void op_cxl(Input *in)
{
    g_autofree uint8_t *msg = g_malloc(FUZZ_MSG_MAX);
    uint8_t dest = dest_eid(in_u8(in));
    uint8_t sel = in_u8(in);
    uint16_t opcode = in_u16(in);
    uint16_t want = in_u16(in);
    size_t len;

    len = in_bytes(in, msg + 1 + CXL_HDR_SIZE,
                   MIN(want, FUZZ_MSG_MAX - 1 - CXL_HDR_SIZE));
    msg[0] = sel & 1 ? MCTP_TYPE_CXL_CCI : MCTP_TYPE_CXL_FMAPI;
    cxl_cci_request(msg + 1, F.cxl_tag++, opcode, msg + 1 + CXL_HDR_SIZE,
                    len);
    if (sel & 2) {
        /* A payload length that disagrees with the message's */
        msg[1 + 5] = want;
        msg[1 + 6] = want >> 8;
        msg[1 + 7] = sel >> 4;
    }
    DECODE("  CXL %s opcode %04x, %zu bytes of payload%s\n",
           sel & 1 ? "CCI" : "FM-API", opcode, len,
           sel & 2 ? " (length field from the input)" : "");
    send_message(dest, MCTP_TO | (sel >> 2 & MCTP_TAG_MASK), msg,
                 1 + CXL_HDR_SIZE + len, pick_mtu(sel & 0x80 ? opcode : 0));
}

static void op_step(Input *in)
{
    int64_t ns = 1LL << (in_u8(in) % 34);

    DECODE("  clock step %" PRId64 " ns\n", ns);
    qtest_clock_step(F.t.qts, ns);
}

static void op_switch(Input *in)
{
    uint8_t sel = in_u8(in);

    if (F.xport == XPORT_I2C && sel >= 0x80 &&
        (sel & 0x7f) != SMBUS_ADDR_HOST) {
        /* Any address but ours: the controller would write to itself */
        F.i2c_dest = sel & 0x7f;
    } else {
        F.cur = sel & 1;
        F.i2c_dest = F.addr[F.cur];
    }
    DECODE("  endpoint %d (I2C address %02x)\n", F.cur, F.i2c_dest);
}

static void op_control(Input *in)
{
    uint8_t setup[8], data[256];
    uint16_t value, index, length;
    QUSBStatus st;
    size_t actual = 0;

    if (F.xport == XPORT_I2C) {
        i2c_recv();
        return;
    }
    memset(setup, 0, sizeof(setup));
    in_bytes(in, setup, sizeof(setup));
    value = setup[2] | setup[3] << 8;
    index = setup[4] | setup[5] << 8;
    length = MIN(setup[6] | setup[7] << 8, sizeof(data));
    if ((setup[0] & 0x60) == USB_TYPE_STANDARD &&
        (setup[1] == USB_REQ_SET_ADDRESS)) {
        /* Would lose the device: a host does that once */
        return;
    }
    memset(data, 0, sizeof(data));
    if (!(setup[0] & USB_DIR_IN)) {
        in_bytes(in, data, length);
    }
    F.reconfigure = true;
    st = qusb_control(F.dev[F.cur], setup[0], setup[1], value, index, data,
                      length, &actual);
    DECODE("  control %02x %02x %04x %04x %u: %s\n", setup[0], setup[1],
           value, index, length, qusb_status_str(st));
}

static void op_clear(Input *in)
{
    uint8_t sel = in_u8(in);

    if (F.xport == XPORT_I2C) {
        i2c_drain();
        return;
    }
    if (F.xport == XPORT_XHCI && (sel & 1)) {
        /* A driver kills its URB before it clears the halt */
        xhci_in_cancel(F.dev[F.cur]);
    }
    qusb_clear_halt(F.dev[F.cur], sel & 1 ? USB_DIR_IN | MCTP_EP : MCTP_EP);
}

static void op_in(Input *in)
{
    if (F.xport == XPORT_I2C) {
        uint8_t buf[256];
        size_t len = in_u8(in);
        QDWI2CStatus st;

        if (!len) {
            return;
        }
        st = qdw_i2c_read(F.t.i2c, F.i2c_dest, buf, len);
        DECODE("  read %zu from %02x: %s\n", len, F.i2c_dest,
               qdw_i2c_status_str(st));
        if (st == QDW_I2C_TIMEOUT) {
            F.i2c_disturbed = 2;
        }
        return;
    }
    /*
     * Short ones may cut a packet: not checked, except behind xHCI at
     * super speed, where every IN of ours (at most 1024 bytes) is one USB
     * packet at most, and the device packs into it only whole DSP0283
     * packets that fit (or holds it): nothing is ever cut
     */
    usb_in(F.dev[F.cur], MAX(in_u16(in) % (FUZZ_RAW_MAX + 1), 1),
           F.xport == XPORT_XHCI);
}

static void run_input(QTestState *s, const uint8_t *data, size_t size)
{
    Input in = { data, size };
    int i;

    F.cur = 0;
    F.i2c_dest = F.addr[0];
    if (F.i2c_disturbed) {
        F.i2c_disturbed--;
    }

    while (in.left) {
        uint8_t op = in_u8(&in) % OP_COUNT;

        DECODE("op %s\n", op_names[op]);
        switch (op) {
        case OP_RAW:
            op_raw(&in);
            break;
        case OP_PACKET:
            op_packet(&in);
            break;
        case OP_MULTI:
            op_multi(&in);
            break;
        case OP_MESSAGE:
            op_message(&in);
            break;
        case OP_CXL:
            op_cxl(&in);
            break;
        case OP_DRAIN:
            drain();
            break;
        case OP_STEP:
            op_step(&in);
            break;
        case OP_SWITCH:
            op_switch(&in);
            break;
        case OP_CONTROL:
            op_control(&in);
            break;
        case OP_CLEAR:
            op_clear(&in);
            break;
        case OP_IN:
            op_in(&in);
            break;
        }
        flush_events(s);
    }

    /* The response path runs for every input */
    DECODE("final drain\n");
    for (i = 0; i < 2; i++) {
        if (F.xport == XPORT_I2C) {
            i2c_drain();
        } else {
            usb_drain(F.dev[i]);
        }
    }
    flush_events(s);
}

/*
 * Fork per input: libFuzzer's 8-bit counters live in the __sancov_cntrs
 * section (its bounds are declared in fuzz.h); the child copies them to
 * shared memory before it exits and the parent copies them back over its
 * own, which libFuzzer then reads.
 */
static uint8_t *shm_cntrs;
static size_t cntrs_len;

/* Coverage of every input so far, when CXL_MCTP_FUZZ_COVERAGE is set */
static uint8_t *seen;
static const char *coverage_file;

static void coverage_add(void)
{
    size_t i;

    for (i = 0; i < cntrs_len; i++) {
        seen[i] |= __start___sancov_cntrs[i] != 0;
    }
}

static int image_base(struct dl_phdr_info *info, size_t size, void *data)
{
    *(uintptr_t *)data = info->dlpi_addr;
    return 1;                   /* the first object is the executable */
}

static void coverage_write(void)
{
    size_t npcs = (__stop___sancov_pcs - __start___sancov_pcs) / 2, i;
    uintptr_t base = 0;
    FILE *f = fopen(coverage_file, "w");

    if (!f || npcs != cntrs_len) {
        fprintf(stderr, "cxl-mctp-fuzz: no coverage written to %s\n",
                coverage_file);
        return;
    }
    dl_iterate_phdr(image_base, &base);
    for (i = 0; i < npcs; i++) {
        fprintf(f, "0x%" PRIxPTR " %d\n",
                __start___sancov_pcs[2 * i] - base, seen[i]);
    }
    fclose(f);
}

static void coverage_init(void)
{
    coverage_file = getenv("CXL_MCTP_FUZZ_COVERAGE");
    cntrs_len = __stop___sancov_cntrs - __start___sancov_cntrs;
    if (coverage_file && cntrs_len) {
        seen = g_malloc0(cntrs_len);
        atexit(coverage_write);
    }
}

static void fork_init(void)
{
    cntrs_len = __stop___sancov_cntrs - __start___sancov_cntrs;
    if (!cntrs_len) {
        return;
    }
    shm_cntrs = mmap(NULL, cntrs_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert(shm_cntrs != MAP_FAILED);
}

static void cxl_mctp_fuzz(QTestState *s, const uint8_t *data, size_t size)
{
    pid_t pid;
    int status;

    flush_on_step = true;
    if (F.nofork) {
        run_input(s, data, size);
        if (seen) {
            coverage_add();
        }
        if (F.reconfigure) {
            /* The next input starts with both devices configured */
            F.reconfigure = false;
            if (F.xport == XPORT_XHCI) {
                /* No transfer in flight on a pipe it resets */
                xhci_in_cancel(F.dev[0]);
                xhci_in_cancel(F.dev[1]);
            }
            qusb_set_configuration(F.dev[0], 1);
            qusb_set_configuration(F.dev[1], 1);
            flush_events(s);
        }
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    g_assert(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        run_input(s, data, size);
        if (cntrs_len) {
            memcpy(shm_cntrs, __start___sancov_cntrs, cntrs_len);
        }
        _Exit(0);
    }
    while (waitpid(pid, &status, 0) < 0) {
        g_assert(errno == EINTR);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (cntrs_len) {
            memcpy(__start___sancov_cntrs, shm_cntrs, cntrs_len);
        }
        if (seen) {
            coverage_add();
        }
        return;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "cxl-mctp-fuzz: the input's process died of "
                "signal %d\n", WTERMSIG(status));
    } else {
        fprintf(stderr, "cxl-mctp-fuzz: the input's process exited with "
                "%d\n", WEXITSTATUS(status));
    }
    /* libFuzzer saves the input as a crash */
    abort();
}

static void setup_common(QTestState *s)
{
    MCTPTest *t = &F.t;

    F.decode = getenv("CXL_MCTP_FUZZ_DECODE") != NULL;
    F.nofork = getenv("CXL_MCTP_FUZZ_NOFORK") != NULL;
    F.cxl_tag = 1;
    memset(t, 0, sizeof(*t));
    t->qts = s;
    t->tag = 1;
    t->cxl_tag = 1;
    pc_alloc_init(&t->alloc, s, ALLOC_NO_FLAGS);
    t->pcibus = qpci_new_pc(s, &t->alloc);
    flush_on_step = true;
}

/*
 * Give the current endpoint an EID: Set Endpoint ID to the null EID, the
 * response drained
 */
static void set_eid(uint8_t eid)
{
    const uint8_t req[] = {
        MCTP_TYPE_CONTROL, MCTP_CTRL_RQ | 1, MCTP_SET_EID, 0x00, eid,
    };

    send_message(MCTP_EID_NULL, MCTP_TO | 1, req, sizeof(req),
                 MCTP_BASELINE_MTU);
    drain();
}

/* After set-up: the fuzzer's process runs no input itself */
static void setup_done(QTestState *s)
{
    flush_events(s);
    coverage_init();
    if (!F.nofork) {
        fork_init();
    }
}

static void usb_pre_fuzz(QTestState *s)
{
    MCTPTest *t = &F.t;
    QUSBHost *hc;
    int port;

    setup_common(s);
    if (F.xport == XPORT_UHCI) {
        mctp_test_attach_uhci(t, EHCI_DEVFN);
        hc = t->uhci;
        F.dev[0] = t->udev;
    } else if (F.xport == XPORT_XHCI) {
        mctp_test_attach_xhci(t, XHCI_DEVFN);
        hc = t->xhci;
        F.dev[0] = t->xdev;
    } else {
        mctp_test_attach_ehci(t, EHCI_DEVFN);
        hc = t->hc;
        F.dev[0] = t->dev;
    }
    /* The second endpoint, on the next connected port */
    for (port = 0; port < qusb_num_ports(hc) && !F.dev[1]; port++) {
        if (port != F.dev[0]->port && hc->ops->port_connected(hc, port)) {
            F.dev[1] = qusb_enumerate(hc, port, USB_ADDR + 1, NULL);
            assert_xfer_ok(qusb_set_configuration(F.dev[1], 1));
        }
    }
    g_assert(F.dev[1]);
    if (F.xport == XPORT_XHCI) {
        /* What op_in's checks rely on */
        g_assert_cmpint(qxhci_port_speed(hc, F.dev[0]->port), ==,
                        QXHCI_SPEED_SUPER);
        g_assert_cmpint(qxhci_port_speed(hc, F.dev[1]->port), ==,
                        QXHCI_SPEED_SUPER);
    }
    F.mtu[0] = MCTP_BASELINE_MTU;
    F.mtu[1] = EP1_MTU;
    /* The first endpoint has an EID, the second not */
    qusb_set_poll_limits(hc, 0, FUZZ_USB_NAK_POLLS);
    F.cur = 0;
    set_eid(EP0_EID);
    setup_done(s);
}

static void i2c_pre_fuzz(QTestState *s)
{
    MCTPTest *t = &F.t;

    setup_common(s);
    F.addr[0] = SMBUS_ADDR_EP0;
    F.addr[1] = SMBUS_ADDR_EP1;
    mctp_test_attach_i2c(t, QPCI_DEVFN(4, 0), SMBUS_ADDR_HOST,
                         SMBUS_ADDR_EP0);
    F.mtu[0] = MCTP_BASELINE_MTU;
    F.mtu[1] = EP1_MTU;
    qdw_i2c_set_max_polls(t->i2c, FUZZ_I2C_MAX_POLLS);
    F.cur = 0;
    F.i2c_dest = F.addr[0];
    set_eid(EP0_EID);
    setup_done(s);
}

static void ehci_pre_fuzz(QTestState *s)
{
    F.xport = XPORT_EHCI;
    usb_pre_fuzz(s);
}

static void uhci_pre_fuzz(QTestState *s)
{
    F.xport = XPORT_UHCI;
    usb_pre_fuzz(s);
}

static void xhci_pre_fuzz(QTestState *s)
{
    F.xport = XPORT_XHCI;
    usb_pre_fuzz(s);
}

static void i2c_pre_fuzz_entry(QTestState *s)
{
    F.xport = XPORT_I2C;
    i2c_pre_fuzz(s);
}

#define FUZZ_MACHINE \
    TARGET_NAME " -display none -accel qtest -m 64M -nodefaults " \
    MCTP_Q35_MACHINE CXL_TOPOLOGY

static GString *ehci_cmdline(FuzzTarget *t)
{
    return g_string_new(FUZZ_MACHINE EHCI_ARGS
        "-device usb-cxl-mctp,bus=ehci.0,port=1,target=us0 "
        "-device usb-cxl-mctp,bus=ehci.0,port=2,target=dcd1,mtu=251 ");
}

static GString *uhci_cmdline(FuzzTarget *t)
{
    return g_string_new(FUZZ_MACHINE
        "-device piix3-usb-uhci,id=uhci,bus=pcie.0,addr=1d.0 "
        "-device usb-cxl-mctp,bus=uhci.0,port=1,target=us0 "
        "-device usb-cxl-mctp,bus=uhci.0,port=2,target=dcd1,mtu=251 ");
}

/* Both on USB 3 ports, the first ones of qemu-xhci: super speed */
static GString *xhci_cmdline(FuzzTarget *t)
{
    return g_string_new(FUZZ_MACHINE XHCI_ARGS
        "-device usb-cxl-mctp,bus=xhci.0,target=us0 "
        "-device usb-cxl-mctp,bus=xhci.0,target=dcd1,mtu=251 ");
}

static GString *i2c_cmdline(FuzzTarget *t)
{
    return g_string_new(FUZZ_MACHINE
        "-device designware-i2c-pci,id=i2c0,bus=pcie.0,addr=04.0 "
        "-device i2c_mctp_cxl,bus=i2c0,address=0x04,target=us0 "
        "-device i2c_mctp_cxl,bus=i2c0,address=0x05,target=dcd1,mtu=251 ");
}

static void register_cxl_mctp_fuzz_targets(void)
{
    fuzz_add_target(&(FuzzTarget){
        .name = "cxl-mctp-usb",
        .description = "usb-cxl-mctp behind EHCI: DSP0283 bulk transfers "
                       "to a switch and a type 3 device's endpoint",
        .get_init_cmdline = ehci_cmdline,
        .pre_fuzz = ehci_pre_fuzz,
        .fuzz = cxl_mctp_fuzz,
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "cxl-mctp-usb-uhci",
        .description = "usb-cxl-mctp behind UHCI (full speed): DSP0283 "
                       "bulk transfers",
        .get_init_cmdline = uhci_cmdline,
        .pre_fuzz = uhci_pre_fuzz,
        .fuzz = cxl_mctp_fuzz,
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "cxl-mctp-usb-xhci",
        .description = "usb-cxl-mctp behind xHCI (super speed): DSP0283 "
                       "bulk transfers, INs held posted",
        .get_init_cmdline = xhci_cmdline,
        .pre_fuzz = xhci_pre_fuzz,
        .fuzz = cxl_mctp_fuzz,
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "cxl-mctp-i2c",
        .description = "i2c_mctp_cxl behind designware-i2c-pci: DSP0237 "
                       "SMBus block writes to a switch and a type 3 "
                       "device's endpoint",
        .get_init_cmdline = i2c_cmdline,
        .pre_fuzz = i2c_pre_fuzz_entry,
        .fuzz = cxl_mctp_fuzz,
    });
}

fuzz_target_init(register_cxl_mctp_fuzz_targets);
