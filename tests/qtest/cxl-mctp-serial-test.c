/*
 * QTest testcase for cxl-mctp-serial: CXL FM-API and CCI over MCTP over a
 * serial line (DMTF DSP0253) on a chardev
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Two endpoints, one in front of a CXL switch and one in front of a type 3
 * device with dynamic capacity, each on a UNIX socket chardev.  The test
 * is the peer at the other end of the sockets, as a BMC's serial port is:
 * it writes DSP0253 frames and reads the endpoint's, every field of them
 * checked (libqos/mctp.c).  The MCTP and CXL layers are those of
 * libqos/mctp.h, shared with the USB and I2C tests.
 *
 * A frame: 0x7E, revision 0x01, byte count, the MCTP packet with 0x7E and
 * 0x7D escaped, FCS-16 high byte first, 0x7E.
 *
 * Where the test must know the endpoint has read what was written before
 * it writes more (a frame split across writes), it makes a qtest round
 * trip: QEMU's main loop reads every descriptor that was ready when it
 * polled, the chardev's among them.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/mctp.h"

#define FLAG                0x7e
#define ESC                 0x7d

typedef struct SerialTest {
    MCTPTest t;
    char *dir;
    char *usp;                  /* the switch endpoint's socket */
    char *dcd;                  /* the DCD endpoint's */
} SerialTest;

#define SERIAL_ARGS \
    "-chardev socket,id=fm-usp,path=%s,server=on,wait=off " \
    "-device cxl-mctp-serial,chardev=fm-usp,target=us0,id=ep-usp " \
    "-chardev socket,id=fm-dcd,path=%s,server=on,wait=off " \
    "-device cxl-mctp-serial,chardev=fm-dcd,target=dcd1,id=ep-dcd "

static void serial_test_paths(SerialTest *s)
{
    s->dir = g_dir_make_tmp("cxl-mctp-serial-XXXXXX", NULL);
    g_assert(s->dir);
    s->usp = g_strdup_printf("%s/usp", s->dir);
    s->dcd = g_strdup_printf("%s/dcd", s->dir);
}

/* QEMU with the topology and both endpoints; the test on the switch's */
static void serial_test_start(SerialTest *s)
{
    serial_test_paths(s);
    mctp_test_boot(&s->t, CXL_TOPOLOGY SERIAL_ARGS, s->usp, s->dcd);
    mctp_test_attach_serial(&s->t, s->usp);
}

static void serial_test_end(SerialTest *s)
{
    mctp_test_end(&s->t);
    unlink(s->usp);
    unlink(s->dcd);
    rmdir(s->dir);
    g_free(s->usp);
    g_free(s->dcd);
    g_free(s->dir);
}

/* The endpoint has read all that was written before (see above) */
static void serial_barrier(MCTPTest *t)
{
    qtest_qmp_assert_success(t->qts, "{ 'execute': 'query-status' }");
}

/* A Get EID request (single packet) to the null EID, tag @tag */
static size_t get_eid_packet(uint8_t *pkt, uint8_t tag)
{
    mctp_packet_header(pkt, MCTP_EID_NULL,
                       MCTP_SOM | MCTP_EOM | MCTP_TO | tag);
    pkt[4] = MCTP_TYPE_CONTROL;
    pkt[5] = MCTP_CTRL_RQ | 1;
    pkt[6] = MCTP_GET_EID;
    return 7;
}

/*
 * The endpoint answers a Get EID with @eid, and that answer is the next
 * frame it sends: nothing it sent before (to a bad frame) was left over
 */
static void assert_answers(MCTPTest *t, uint8_t eid)
{
    g_assert_cmphex(mctp_get_eid(t, MCTP_EID_NULL), ==, eid);
}

/* Test cases: the fabric over a serial line */

static void test_control(void)
{
    uint8_t set[2] = { 0x00, DEVICE_EID }, rsp[64], uuid[16];
    uint8_t type = MCTP_TYPE_CXL_FMAPI;
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len;

    serial_test_start(&s);
    assert_answers(t, 0);
    g_assert_cmphex(mctp_control(t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmphex(rsp[1], ==, DEVICE_EID);
    g_assert_cmphex(mctp_get_eid(t, DEVICE_EID), ==, DEVICE_EID);
    g_assert_cmphex(mctp_control(t, DEVICE_EID, MCTP_GET_VERSION, &type, 1,
                                 rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 1 + 4 * rsp[0]);
    g_assert_cmphex(mctp_control(t, DEVICE_EID, MCTP_GET_MSG_TYPES, NULL, 0,
                                 rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 3);
    g_assert_cmphex(rsp[1], ==, MCTP_TYPE_CXL_FMAPI);
    g_assert_cmphex(rsp[2], ==, MCTP_TYPE_CXL_CCI);
    g_assert_cmphex(mctp_control(t, DEVICE_EID, MCTP_GET_UUID, NULL, 0,
                                 uuid, sizeof(uuid), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 16);
    g_assert(memcmp(uuid, (uint8_t[16]) {}, 16));
    serial_test_end(&s);
}

/*
 * Identify Switch and Get Physical Port State over FM-API, the DCD's
 * Identify through a Tunnel Management Command, with CXL tags 0x7E and
 * 0x7D: escaped in the requests and in the responses
 */
static void test_fmapi(void)
{
    uint8_t tunnel[4 + CXL_HDR_SIZE] = {
        CXL_DCD_PORT, 0, CXL_HDR_SIZE, 0,
        CXL_CATEGORY_REQ, FLAG, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };
    uint8_t ports[3] = { 2, 0, CXL_USP_PORT }, out[128];
    const uint8_t *pl;
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len;

    serial_test_start(&s);
    t->cxl_tag = FLAG;
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    g_assert_cmpuint(out[2], ==, CXL_NUM_DSPS + 1);
    t->cxl_tag = ESC;
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            ports, sizeof(ports), out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 2 * 16);
    g_assert_cmpuint(out[4 + 16], ==, CXL_USP_PORT);
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_TUNNEL, CXL_CMD_TUNNEL, tunnel,
                            sizeof(tunnel), out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(cxl_cci_response(out + 4, len - 4, FLAG, 0x0001, &pl,
                                     &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(ldq_le_p(pl + 8), ==, CXL_DCD_SN);
    serial_test_end(&s);
}

/*
 * A request of two packets (Get Physical Port State of 60 ports) and,
 * after Set Response Message Limit 2^10, a response of 16 packets; a
 * 1 KiB Get Log of the CEL in 17
 */
static void test_multi_packet(void)
{
    g_autofree uint8_t *out = g_malloc(2048);
    uint8_t in[1 + 60], limit = 10, log[CXL_GET_LOG_IN_SIZE];
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len;
    int i;

    serial_test_start(&s);
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, out, 2048, &len), ==, CXL_MBOX_SUCCESS);
    in[0] = 60;
    for (i = 1; i <= 60; i++) {
        in[i] = i % 2 ? CXL_USP_PORT : 0;
    }
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            in, sizeof(in), out, 2048, &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 60 * 16);
    for (i = 0; i < 60; i++) {
        g_assert_cmpuint(out[4 + 16 * i], ==, i % 2 ? 0 : CXL_USP_PORT);
    }
    cxl_get_cel_in(log, 0, 1024);
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_LOGS, CXL_CMD_GET_LOG, log, sizeof(log),
                            out, 2048, &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 1024);
    g_assert_cmphex(lduw_le_p(out), ==, 0x0001);       /* CEL: Identify */
    assert_answers(t, 0);
    serial_test_end(&s);
}

/* Two endpoints, each on its own line, EID and CCI, at the same time */
static void test_two_endpoints(void)
{
    uint8_t out[128];
    SerialTest s;
    MCTPTest *t = &s.t, u = { .qts = NULL };
    size_t len;

    serial_test_start(&s);
    u.qts = t->qts;
    u.tag = u.cxl_tag = 1;
    mctp_test_attach_serial(&u, s.dcd);
    mctp_set_eid(t, MCTP_EID_NULL, DEVICE_EID);
    mctp_set_eid(&u, MCTP_EID_NULL, DEVICE_EID + 1);
    g_assert_cmphex(cxl_cmd(&u, DEVICE_EID + 1, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_DCD_SN);
    g_assert_cmpuint(out[17], ==, 0x03);
    g_assert_cmphex(cxl_cmd(t, DEVICE_EID, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_USP_SN);
    g_assert_cmpuint(out[17], ==, 0x00);
    g_assert_cmphex(cxl_cmd(&u, DEVICE_EID + 1, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_FM_DCD, CXL_CMD_GET_DCD_INFO, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(out[1], ==, CXL_DCD_REGIONS);
    assert_answers(t, DEVICE_EID);
    assert_answers(&u, DEVICE_EID + 1);
    close(u.serial_fd);
    serial_test_end(&s);
}

/*
 * A Get EID frame with escapes (its tag carried in an MCTP header whose
 * source EID is 0x7D) written one part at a time, split at byte @at
 */
static void test_split_writes(void)
{
    uint8_t pkt[16], frame[40];
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len, at;

    serial_test_start(&s);
    len = get_eid_packet(pkt, 2);
    pkt[2] = ESC;                       /* source EID: escaped */
    pkt[5] = MCTP_CTRL_RQ | 0x1e;       /* IID 30, 0x9E: not escaped */
    len = mctp_serial_frame(frame, pkt, len);
    g_assert_cmpuint(len, ==, 7 + 6 + 1);
    for (at = 1; at < len; at++) {
        mctp_serial_write(t, frame, at);
        serial_barrier(t);
        mctp_serial_write(t, frame + at, len - at);
        g_assert(mctp_recv(t, m));
        g_assert_cmphex(m->dest, ==, ESC);
        g_assert_cmphex(m->tag, ==, 2);
        g_assert_cmpuint(m->len, ==, 1 + 2 + 4);
        g_assert_cmphex(m->data[1], ==, 0x1e);
        g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    }
    /* Every byte alone */
    for (at = 0; at < len; at++) {
        mctp_serial_write(t, frame + at, 1);
        serial_barrier(t);
    }
    g_assert(mctp_recv(t, m));
    g_assert_cmphex(m->tag, ==, 2);
    assert_answers(t, 0);
    serial_test_end(&s);
}

/* Bad frames: dropped, nothing answered, the next good frame answered */

/*
 * Write @len bytes of @bad, then check the endpoint answers the next
 * good request and nothing else
 */
static void serial_test_bad(const uint8_t *bad, size_t len)
{
    SerialTest s;

    serial_test_start(&s);
    mctp_serial_write(&s.t, bad, len);
    assert_answers(&s.t, 0);
    assert_answers(&s.t, 0);
    serial_test_end(&s);
}

/*
 * A Get EID frame (tag 5) with byte @index (from the end if negative)
 * changed to @value, or with @flip's bits flipped if @flip
 */
static void serial_test_bad_byte(int index, uint8_t value, uint8_t flip)
{
    uint8_t pkt[16], frame[40];
    size_t len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 5));

    if (index < 0) {
        index += len;
    }
    frame[index] = flip ? frame[index] ^ flip : value;
    serial_test_bad(frame, len);
}

static void test_bad_fcs(void)
{
    serial_test_bad_byte(-2, 0, 0x01);
    serial_test_bad_byte(-3, 0, 0x80);
}

static void test_bad_revision(void)
{
    serial_test_bad_byte(1, 0x02, 0);
}

static void test_byte_count_below_header(void)
{
    serial_test_bad_byte(2, 3, 0);
    serial_test_bad_byte(2, 0, 0);
}

/* More than the MTU (68): even with the FCS right */
static void test_oversize(void)
{
    uint8_t pkt[69], frame[2 * sizeof(pkt) + 6];

    get_eid_packet(pkt, 5);
    memset(pkt + 7, 0, sizeof(pkt) - 7);
    serial_test_bad(frame, mctp_serial_frame(frame, pkt, sizeof(pkt)));
}

/* A byte count one short and one long of the packet that follows */
static void test_byte_count_mismatch(void)
{
    serial_test_bad_byte(2, 6, 0);
    serial_test_bad_byte(2, 8, 0);
}

/* 0x7D before a byte that needs no escape, and before the flag */
static void test_bad_escape(void)
{
    uint8_t pkt[16], frame[40], bad[41];
    size_t len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 5));

    /* 7E 01 07 | 01 ...: the MCTP version byte as 7D 21 */
    memcpy(bad, frame, 3);
    bad[3] = ESC;
    bad[4] = 0x01 ^ 0x20;
    memcpy(bad + 5, frame + 4, len - 4);
    serial_test_bad(bad, len + 1);
    bad[4] = FLAG;
    serial_test_bad(bad, len + 1);
}

/*
 * Frames cut short: the next frame's flag (or the FCS) comes in the
 * middle of the packet, or the closing flag is missing
 */
static void test_truncated(void)
{
    uint8_t pkt[16], frame[40], bad[80];
    size_t len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 5));

    /*
     * The packet's first four bytes, then a whole frame: its flag ends
     * the first and opens it, and it alone is answered
     */
    {
        g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
        SerialTest s;

        serial_test_start(&s);
        memcpy(bad, frame, 7);
        memcpy(bad + 7, frame, len);
        mctp_serial_write(&s.t, bad, 7 + len);
        mctp_recv_response(&s.t, m, 5, MCTP_TYPE_CONTROL);
        assert_answers(&s.t, 0);
        serial_test_end(&s);
    }
    /* The packet, then the closing flag for the FCS */
    serial_test_bad(frame, len - 3);
    /* No closing flag: the first byte after the FCS is not a flag */
    memcpy(bad, frame, len - 1);
    bad[len - 1] = 0x00;
    serial_test_bad(bad, len);
}

/* A well-framed packet the MCTP core drops (version 2 in its header) */
static void test_bad_mctp_header(void)
{
    uint8_t pkt[16], frame[40];
    size_t len = get_eid_packet(pkt, 5);

    pkt[0] = 0x02;
    serial_test_bad(frame, mctp_serial_frame(frame, pkt, len));
}

/* Resident memory of QEMU, in KiB */
static long qemu_rss_kib(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            qtest_pid(qts));
    g_autofree char *status = NULL;
    const char *p, *end;
    unsigned long kib;

    g_assert(g_file_get_contents(path, &status, NULL, NULL));
    p = strstr(status, "VmRSS:");
    g_assert(p);
    g_assert_cmpint(qemu_strtoul(p + strlen("VmRSS:"), &end, 10, &kib), ==,
                    0);
    return kib;
}

/* Pseudo-random bytes from a fixed seed, as line noise */
static void noise(uint32_t *x, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        buf[i] = *x;
    }
}

/*
 * 16 MiB of line noise (flags among it), then a good frame: answered,
 * whatever state the noise left the receiver in, QEMU's resident memory
 * no larger than 2 MiB more.  Then the noise ends at each of 1 to 200
 * bytes in turn, each time followed by a good frame, which is answered.
 */
static void test_garbage_flood(void)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    uint32_t x = 0x12345678;
    long rss0, rss1;
    SerialTest s;
    int i;

    serial_test_start(&s);
    assert_answers(&s.t, 0);
    rss0 = qemu_rss_kib(s.t.qts);
    for (i = 0; i < 256; i++) {
        noise(&x, buf, 64 * KiB);
        mctp_serial_write(&s.t, buf, 64 * KiB);
    }
    assert_answers(&s.t, 0);
    rss1 = qemu_rss_kib(s.t.qts);
    g_test_message("VmRSS %ld KiB before, %ld KiB after 16 MiB of noise",
                   rss0, rss1);
#ifndef QEMU_SANITIZE_ADDRESS
    /* (ASan's quarantine holds freed memory; LeakSanitizer checks it) */
    g_assert_cmpint(rss1 - rss0, <=, 2048);
#endif
    for (i = 1; i <= 200; i++) {
        noise(&x, buf, i);
        mctp_serial_write(&s.t, buf, i);
        assert_answers(&s.t, 0);
    }
    serial_test_end(&s);
}

/* Flow control */

/*
 * Request @i of the back-pressure test: an Identify, or every 16th a
 * 1 KiB Get Log of the CEL (17 packets); CXL tag @i, MCTP tag @i % 8
 */
static size_t bp_request(uint8_t *frame, unsigned i, CXLRequest *r)
{
    uint8_t pkt[MCTP_BASELINE_MTU], log[CXL_GET_LOG_IN_SIZE];
    bool big = i % 16 == 0;
    size_t len;

    *r = (CXLRequest) {
        .type = MCTP_TYPE_CXL_CCI,
        .set = big ? CXL_SET_LOGS : CXL_SET_INFOSTAT,
        .cmd = big ? CXL_CMD_GET_LOG : CXL_CMD_IDENTIFY,
        .tag = i & MCTP_TAG_MASK,
        .cxl_tag = i,
    };
    cxl_get_cel_in(log, 0, 1024);
    mctp_packet_header(pkt, MCTP_EID_NULL,
                       MCTP_SOM | MCTP_EOM | MCTP_TO | r->tag);
    pkt[MCTP_HDR_SIZE] = r->type;
    len = MCTP_HDR_SIZE + 1 +
          cxl_cci_request(pkt + MCTP_HDR_SIZE + 1, r->cxl_tag,
                          r->set << 8 | r->cmd, log, big ? sizeof(log) : 0);
    return mctp_serial_frame(frame, pkt, len);
}

/* The test's end of the socket non-blocking, or blocking again */
static void serial_nonblocking(MCTPTest *t, bool on)
{
    int flags = fcntl(t->serial_fd, F_GETFL);

    g_assert_cmpint(flags, >=, 0);
    g_assert(fcntl(t->serial_fd, F_SETFL,
                   on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0);
}

/*
 * With the socket non-blocking, write requests (bp_request(), from 0 on)
 * in buffers of 63 KiB and more until a buffer is not taken whole: the
 * socket is full.  Returns how many requests were made.  The last buffer
 * stays in @buf: *@len bytes, requests *@first on, request i ending at
 * @ends[i - *@first], the first *@off bytes written.
 */
static unsigned fill_socket(MCTPTest *t, uint8_t *buf, size_t *ends,
                            unsigned *first, size_t *len, size_t *off)
{
    unsigned n = 0;
    CXLRequest r;
    ssize_t w;

    for (;;) {
        *first = n;
        *len = *off = 0;
        while (*len < 63 * KiB) {
            *len += bp_request(buf + *len, n, &r);
            ends[n++ - *first] = *len;
        }
        w = write(t->serial_fd, buf, *len);
        if (w < 0) {
            g_assert_cmpint(errno, ==, EAGAIN);
            return n;
        }
        *off = w;
        if (*off < *len) {
            return n;
        }
        g_assert_cmpuint(n, <, 1000000);
    }
}

/*
 * The test stops reading and writes requests until the socket takes no
 * more: the endpoint, unable to send, stopped reading.  QEMU still
 * answers QMP and qtest.  Then every request is answered, in order,
 * each response complete.
 */
static void test_back_pressure(void)
{
    g_autofree uint8_t *out = g_malloc(2048);
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    g_autofree size_t *ends = g_new(size_t, 4096);
    uint8_t limit = 10;
    SerialTest s;
    MCTPTest *t = &s.t;
    unsigned n, first, i;
    size_t len, off, rsp_len;
    ssize_t w;
    CXLRequest r;

    serial_test_start(&s);
    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, out, 2048, &rsp_len), ==, CXL_MBOX_SUCCESS);
    serial_nonblocking(t, true);
    n = fill_socket(t, buf, ends, &first, &len, &off);
    g_test_message("%u requests made when the socket filled, %u of them "
                   "not written", n, n - first);
    /* The main loop runs */
    serial_barrier(t);
    qtest_clock_step(t->qts, 1000);

    /* The answers, in order; the rest of the requests as they fit */
    for (i = 0; i < n; i++) {
        while (i >= first && off < ends[i - first]) {
            struct pollfd pfd = { .fd = t->serial_fd, .events = POLLOUT };

            g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
            w = write(t->serial_fd, buf + off, len - off);
            g_assert(w > 0 || errno == EAGAIN);
            off += MAX(w, 0);
        }
        bp_request(out, i, &r);
        g_assert_cmphex(cxl_cmd_recv(t, &r, out, 2048, &rsp_len),
                        ==, CXL_MBOX_SUCCESS);
        g_assert_cmpuint(rsp_len, ==, i % 16 ? 18 : 1024);
    }
    serial_nonblocking(t, false);
    assert_answers(t, 0);
    serial_test_end(&s);
}

/* Peers come and go */

/*
 * The peer goes with half a frame sent, and with a request unanswered;
 * the next peer's first frame is answered, and only its own: the EID
 * set before stays
 */
static void test_reconnect(void)
{
    uint8_t pkt[16], frame[40];
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len;

    serial_test_start(&s);
    mctp_set_eid(t, MCTP_EID_NULL, DEVICE_EID);
    len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 5));
    mctp_serial_write(t, frame, len / 2);
    serial_barrier(t);
    mctp_test_attach_serial(t, s.usp);
    /* The rest of the old frame is noise to the new peer's endpoint */
    mctp_serial_write(t, frame + len / 2, len - len / 2);
    assert_answers(t, DEVICE_EID);

    /* A request and gone before the answer: not for the next peer */
    mctp_serial_write(t, frame, len);
    mctp_test_attach_serial(t, s.usp);
    assert_answers(t, DEVICE_EID);
    serial_test_end(&s);
}

/*
 * The peer goes while the endpoint waits for it to read: what waited is
 * dropped, and the next peer is read from and answered
 */
static void test_reconnect_blocked(void)
{
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    g_autofree size_t *ends = g_new(size_t, 4096);
    SerialTest s;
    MCTPTest *t = &s.t;
    unsigned first;
    size_t len, off;

    serial_test_start(&s);
    serial_nonblocking(t, true);
    fill_socket(t, buf, ends, &first, &len, &off);
    serial_barrier(t);
    mctp_test_attach_serial(t, s.usp);
    assert_answers(t, 0);
    assert_answers(t, 0);
    serial_test_end(&s);
}

/*
 * System reset: the EID goes, and so does half a frame (its rest, sent
 * after the reset, is not taken for a request)
 */
static void test_reset(void)
{
    uint8_t pkt[16], frame[40];
    SerialTest s;
    MCTPTest *t = &s.t;
    size_t len;

    serial_test_start(&s);
    mctp_set_eid(t, MCTP_EID_NULL, DEVICE_EID);
    len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 5));
    mctp_serial_write(t, frame, len / 2);
    serial_barrier(t);
    qtest_system_reset(t->qts);
    mctp_serial_write(t, frame + len / 2, len - len / 2);
    assert_answers(t, 0);
    serial_test_end(&s);
}

/*
 * Migration with half a frame received: the destination's endpoint,
 * reached on its own socket, takes the rest of the frame and answers it
 * with the EID set before
 */
static void test_migrate_half_frame(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t pkt[16], frame[40];
    SerialTest s, d;
    MCTPTest *t = &s.t;
    g_autofree char *args = NULL;
    size_t len;

    serial_test_start(&s);
    serial_test_paths(&d);
    mctp_set_eid(t, MCTP_EID_NULL, DEVICE_EID);
    len = mctp_serial_frame(frame, pkt, get_eid_packet(pkt, 6));
    mctp_serial_write(t, frame, len - 4);
    serial_barrier(t);
    args = g_strdup_printf(CXL_TOPOLOGY SERIAL_ARGS, d.usp, d.dcd);
    mctp_test_migrate(t, "%s", args);
    mctp_test_attach_serial(t, d.usp);
    mctp_serial_write(t, frame + len - 4, 4);
    mctp_recv_response(t, m, 6, MCTP_TYPE_CONTROL);
    g_assert_cmpuint(m->len, ==, 1 + 2 + 4);
    g_assert_cmphex(m->data[4], ==, DEVICE_EID);
    assert_answers(t, DEVICE_EID);
    serial_test_end(&s);
    unlink(d.usp);
    unlink(d.dcd);
    rmdir(d.dir);
    g_free(d.usp);
    g_free(d.dcd);
    g_free(d.dir);
}

/* Configuration errors: QEMU does not start, and says why */

static void assert_refused(const char *device, const char *why)
{
    g_autofree char *cmd = g_strdup_printf(
        "%s -nodefaults -display none %s" CXL_TOPOLOGY
        "-chardev null,id=c0 -device %s",
        qtest_qemu_binary(NULL), mctp_machine_args(), device);
    g_autofree char *err = NULL;
    int status;

    g_assert(g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL));
    g_assert(!g_spawn_check_exit_status(status, NULL));
    g_test_message("%s: %s", device, err);
    g_assert(strstr(err, why));
}

static void test_config_errors(void)
{
    assert_refused("cxl-mctp-serial,target=us0", "chardev property not set");
    assert_refused("cxl-mctp-serial,chardev=c0", "'target' is required");
    assert_refused("cxl-mctp-serial,chardev=c0,target=rp0",
                   "target 'rp0' is a cxl-rp");
    assert_refused("cxl-mctp-serial,chardev=c0,target=us0,mtu=67",
                   "mtu 67 out of range");
    assert_refused("cxl-mctp-serial,chardev=c0,target=us0,mtu=256",
                   "mtu 256 out of range");
    assert_refused("cxl-mctp-serial,chardev=c0,target=us0,"
                   "max-message-size=63", "max-message-size 63 out of range");
}

/* Benchmarks (-m perf): see cxl_bench_mctp() */

static void bench_one(const char *name, size_t log_len)
{
    SerialTest s;

    serial_test_start(&s);
    cxl_bench_mctp(&s.t, name, "cxl-mctp-serial", log_len);
    serial_test_end(&s);
}

static void test_perf_identify(void)
{
    bench_one("identify", 0);
}

static void test_perf_get_log_1k(void)
{
    bench_one("get-log-1k", 1024);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/cxl-mctp-serial/control", test_control);
    qtest_add_func("/cxl-mctp-serial/fmapi", test_fmapi);
    qtest_add_func("/cxl-mctp-serial/multi-packet", test_multi_packet);
    qtest_add_func("/cxl-mctp-serial/two-endpoints", test_two_endpoints);
    qtest_add_func("/cxl-mctp-serial/split-writes", test_split_writes);
    qtest_add_func("/cxl-mctp-serial/malformed/bad-fcs", test_bad_fcs);
    qtest_add_func("/cxl-mctp-serial/malformed/bad-revision",
                   test_bad_revision);
    qtest_add_func("/cxl-mctp-serial/malformed/byte-count-below-header",
                   test_byte_count_below_header);
    qtest_add_func("/cxl-mctp-serial/malformed/oversize", test_oversize);
    qtest_add_func("/cxl-mctp-serial/malformed/byte-count-mismatch",
                   test_byte_count_mismatch);
    qtest_add_func("/cxl-mctp-serial/malformed/bad-escape", test_bad_escape);
    qtest_add_func("/cxl-mctp-serial/malformed/truncated", test_truncated);
    qtest_add_func("/cxl-mctp-serial/malformed/bad-mctp-header",
                   test_bad_mctp_header);
    qtest_add_func("/cxl-mctp-serial/malformed/garbage-flood",
                   test_garbage_flood);
    qtest_add_func("/cxl-mctp-serial/back-pressure", test_back_pressure);
    qtest_add_func("/cxl-mctp-serial/reconnect", test_reconnect);
    qtest_add_func("/cxl-mctp-serial/reconnect-blocked",
                   test_reconnect_blocked);
    qtest_add_func("/cxl-mctp-serial/reset", test_reset);
    qtest_add_func("/cxl-mctp-serial/migrate-half-frame",
                   test_migrate_half_frame);
    qtest_add_func("/cxl-mctp-serial/config-errors", test_config_errors);
    if (g_test_perf()) {
        qtest_add_func("/cxl-mctp-serial/perf/identify", test_perf_identify);
        qtest_add_func("/cxl-mctp-serial/perf/get-log-1k",
                       test_perf_get_log_1k);
    }
    return g_test_run();
}
