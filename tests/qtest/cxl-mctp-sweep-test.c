/*
 * QTest: every CXL command opcode against every CCI reachable over MCTP
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A fabric manager in the guest can send any opcode with any payload to
 * the CCIs a usb-cxl-mctp endpoint reaches: the switch's (upstream port),
 * a type 3 device's own, and, by Tunnel Management Command, the FM-owned
 * LD of each device below a switch port and the LD of a type 3 device.
 * The switch mailbox CCI has the same handlers.  The switch's CCI is also
 * swept over a cxl-mctp-serial endpoint, whose transport is the only
 * difference.  QEMU must answer every
 * request with a CXL return code; a crash, an assertion or a hang fails
 * the test (the last one by meson's timeout).
 *
 * For each target CCI (one test case each, in a fresh QEMU):
 *
 *   1. its Command Effects Log lists exactly the opcodes the table below
 *      says it answers (the table is the one in docs/system/devices/cxl.rst);
 *   2. every opcode of the table, with (a) the minimum valid payload: for
 *      the commands the CCI answers, a request that must succeed (or fail
 *      the way the model defines) with its response checked; for the
 *      others a zeroed payload of the spec's length, answered Unsupported;
 *      (b) an empty payload; (c) the largest payload a CCI takes (2 KiB, or
 *      less the tunnel headers) of random bytes from a fixed seed;
 *   3. the same three over the other MCTP message type, which the binding
 *      refuses (FM-API command sets only over 07h, the rest only over 08h);
 *   4. every command code of every command set the spec defines (and a
 *      vendor one), with an empty payload;
 *   5. Identify still answers, with the target's identity.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/mctp.h"

/*
 * Three endpoints on EHCI (switch, plain type 3, DCD), a switch mailbox,
 * and the switch's endpoint on a serial line (a socket, at %s)
 */
#define SWEEP_ARGS \
    EHCI_ARGS SWCCI_ARGS \
    "-device usb-cxl-mctp,bus=ehci.0,port=1,target=us0 " \
    "-device usb-cxl-mctp,bus=ehci.0,port=2,target=mem0 " \
    "-device usb-cxl-mctp,bus=ehci.0,port=3,target=dcd1 " \
    "-chardev socket,id=fm0,path=%s,server=on,wait=off " \
    "-device cxl-mctp-serial,chardev=fm0,target=us0 "
#define EP_SWITCH           0
#define EP_MEM0             1
#define EP_DCD              2
#define NUM_EPS             3
#define EP_MAILBOX          (-1)
#define EP_SERIAL           (-2)

#define CXL_MBOX_BG_STARTED 0x0001
#define CXL_MBOX_BUSY       0x0006
#define CXL_MBOX_INVALID_PA 0x000f
#define CXL_MBOX_INVALID_LOG 0x0017
#define CXL_MBOX_INVALID_EXTENT_LIST 0x001e
#define CXL_MBOX_REQUEST_ABORT_NOTSUP 0x0020
#define CXL_MBOX_RC_MAX     0x0020
#define CXL_MAX_PAYLOAD     2048        /* a CCI's largest input payload */
#define TUNNEL_HDR_SIZE     4           /* port or LD ID, type, size */
#define MCTP_CCI_PAYLOAD    512         /* an MCTP CCI's initial limit */
#define SWEEP_SEED          0x5eed0cc1
#define NSEC_PER_SEC        1000000000ULL
#define SWEEP_BATCH         32          /* requests in flight (divides 256) */

/* The kinds of CCI, by command set */
enum {
    CCI_USP = 1 << 0,       /* switch upstream port, over MCTP */
    CCI_MBOX = 1 << 1,      /* switch mailbox CCI */
    CCI_T3 = 1 << 2,        /* type 3 FM-owned LD, by tunnel */
    CCI_T3_DCD = 1 << 3,    /* the same on a device with DC regions */
    CCI_LD = 1 << 4,        /* the LD of a type 3 device, by tunnel */
    CCI_T3_EP = 1 << 5,     /* a type 3 device's own MCTP endpoint */
    CCI_T3_DCD_EP = 1 << 6, /* the same on a device with DC regions */
};
#define CCI_T3_MCTP         (CCI_T3_EP | CCI_T3_DCD_EP)
#define CCI_DCD_ANY         (CCI_T3_DCD | CCI_T3_DCD_EP)
#define CCI_T3_ANY          (CCI_T3 | CCI_DCD_ANY | CCI_T3_EP)
#define CCI_SWITCH          (CCI_USP | CCI_MBOX)
#define CCI_ALL             (CCI_SWITCH | CCI_T3_ANY | CCI_LD)

typedef struct SweepTarget {
    const char *name;
    unsigned kind;          /* one CCI_* */
    int endpoint;           /* EP_* it is reached through */
    int hops;               /* Tunnel Management Commands around a request */
    uint8_t hop[2];         /* port (switch) or LD ID (type 3) of each */
    uint64_t sn;            /* what Identify reports */
    uint16_t vendor;
    uint8_t component_type;
    size_t payload_max;     /* response limit to begin with */
} SweepTarget;

typedef struct Sweep Sweep;
typedef struct SweepOp SweepOp;

struct SweepOp {
    uint16_t opcode;
    const char *name;
    uint16_t in_len;        /* the spec's request payload (fixed part) */
    bool variable;          /* a list follows the fixed part */
    unsigned answered;      /* CCI_* that implement it */
    /* A valid request to a CCI that answers it, response checked */
    void (*valid)(Sweep *s, const SweepOp *op);
};

struct Sweep {
    MCTPTest t;
    char *dir;              /* of the serial endpoint's socket */
    char *sock;
    QUSBDevice *dev[NUM_EPS];
    CXLMailbox mb;
    const SweepTarget *target;
    GRand *rand;
    size_t payload_max;     /* the target's response limit now */
    unsigned requests;
    uint8_t out[MCTP_MSG_MAX];
    size_t out_len;
};

static bool set_is_fmapi(uint8_t set)
{
    return set >= 0x51 && set <= 0x59;
}

static bool answers(const Sweep *s, const SweepOp *op)
{
    return op->answered & s->target->kind;
}

/* Sending a request to the target */

/* A request on its way to the target */
typedef struct SweepReq {
    uint16_t opcode;
    uint8_t type;
    CXLRequest r;           /* the outer message, over MCTP */
    uint8_t tags[3];        /* CXL tags of the tunnelled messages */
    uint16_t rc;            /* through the mailbox: the answer */
} SweepReq;

/*
 * Send @opcode with @len bytes of @in to the target, over MCTP message
 * @type (for a direct MCTP target), or wrapped in the target's tunnels.
 * With s->t.batch set, the OUT transfer may wait for more requests.
 */
static void sweep_send(Sweep *s, SweepReq *q, uint8_t type, uint16_t opcode,
                       const void *in, size_t len)
{
    const SweepTarget *tg = s->target;
    g_autofree uint8_t *msg = g_malloc(CXL_MAX_PAYLOAD + 64);
    g_autofree uint8_t *outer = g_malloc(CXL_MAX_PAYLOAD + 64);
    uint16_t outer_op = tg->hops ? 0x5300 : opcode;
    size_t msg_len = len;
    int i;

    s->requests++;
    q->opcode = opcode;
    q->type = type;
    if (len) {
        memcpy(msg, in, len);
    }
    /* Innermost first: each tunnel wraps the CCI message inside it */
    for (i = tg->hops - 1; i >= 0; i--) {
        q->tags[i + 1] = s->t.cxl_tag++;
        outer[0] = tg->hop[i];
        outer[1] = 0;                       /* target type: port or LD */
        msg_len = cxl_cci_request(outer + TUNNEL_HDR_SIZE, q->tags[i + 1],
                              i == tg->hops - 1 ? opcode : 0x5300,
                              msg, msg_len);
        stw_le_p(outer + 2, msg_len);
        msg_len += TUNNEL_HDR_SIZE;
        memcpy(msg, outer, msg_len);
    }
    g_assert_cmpuint(msg_len, <=, CXL_MAX_PAYLOAD);

    if (tg->endpoint == EP_MAILBOX) {
        q->rc = cxl_mbox_cmd(&s->mb, outer_op >> 8, outer_op & 0xff, msg,
                             msg_len, s->out, &s->out_len);
    } else {
        s->t.dev = tg->endpoint == EP_SERIAL ? NULL : s->dev[tg->endpoint];
        cxl_cmd_send(&s->t, &q->r, MCTP_EID_NULL, type, outer_op >> 8,
                     outer_op & 0xff, msg, msg_len);
    }
}

/*
 * The answer to @q: the return code of the innermost command, its
 * payload in s->out.  Every tunnel on the way must carry the request and
 * its response intact.
 */
static uint16_t sweep_recv(Sweep *s, SweepReq *q)
{
    const SweepTarget *tg = s->target;
    const uint8_t *pl;
    size_t pl_len;
    uint16_t rc;
    int i;

    if (tg->endpoint == EP_MAILBOX) {
        rc = q->rc;
    } else {
        rc = cxl_cmd_recv(&s->t, &q->r, s->out, sizeof(s->out), &s->out_len);
    }
    if (!tg->hops ||
        (q->type == MCTP_TYPE_CXL_CCI && tg->endpoint != EP_MAILBOX)) {
        /* Direct, or a tunnel (FM-API) refused over the CCI binding */
        return rc;
    }

    /* Unwrap: [response length, reserved, CCI message response] */
    for (i = 0; i < tg->hops; i++) {
        g_assert_cmphex(rc, ==, CXL_MBOX_SUCCESS);
        g_assert_cmpuint(s->out_len, >=, TUNNEL_HDR_SIZE);
        g_assert_cmpuint(lduw_le_p(s->out), ==, s->out_len - TUNNEL_HDR_SIZE);
        rc = cxl_cci_response(s->out + TUNNEL_HDR_SIZE,
                          s->out_len - TUNNEL_HDR_SIZE, q->tags[i + 1],
                          i == tg->hops - 1 ? q->opcode : 0x5300, &pl,
                          &pl_len);
        memmove(s->out, pl, pl_len);
        s->out_len = pl_len;
    }
    return rc;
}

static uint16_t sweep_cmd_type(Sweep *s, uint8_t type, uint16_t opcode,
                               const void *in, size_t len)
{
    SweepReq q;

    sweep_send(s, &q, type, opcode, in, len);
    return sweep_recv(s, &q);
}

/* The MCTP message type a request for @opcode travels in */
static uint8_t sweep_type(Sweep *s, uint16_t opcode)
{
    if (s->target->hops) {
        return MCTP_TYPE_CXL_FMAPI;         /* Tunnel Management Command */
    }
    return set_is_fmapi(opcode >> 8) ? MCTP_TYPE_CXL_FMAPI : MCTP_TYPE_CXL_CCI;
}

static uint16_t sweep_cmd(Sweep *s, uint16_t opcode, const void *in,
                          size_t len)
{
    return sweep_cmd_type(s, sweep_type(s, opcode), opcode, in, len);
}

/* A command the target must answer with success and @len bytes */
static const uint8_t *sweep_ok(Sweep *s, uint16_t opcode, const void *in,
                               size_t in_len, size_t len)
{
    g_assert_cmphex(sweep_cmd(s, opcode, in, in_len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(s->out_len, ==, len);
    return s->out;
}

/* Valid requests, responses checked */

/* 0001h Identify: the target's identity and its response limit */
static void valid_identify(Sweep *s, const SweepOp *op)
{
    const uint8_t *id = sweep_ok(s, op->opcode, NULL, 0, 18);

    g_assert_cmphex(lduw_le_p(id), ==, s->target->vendor);
    g_assert_cmphex(ldq_le_p(id + 8), ==, s->target->sn);
    g_assert_cmpuint(1u << id[16], ==, s->payload_max);
    g_assert_cmpuint(id[17], ==, s->target->component_type);
}

/* 0002h Background Operation Status: nothing has run */
static void valid_bg_status(Sweep *s, const SweepOp *op)
{
    const uint8_t *st = sweep_ok(s, op->opcode, NULL, 0, 8);

    g_assert_cmphex(st[0], ==, 0);
    g_assert_cmphex(lduw_le_p(st + 2), ==, 0);
}

/* 0003h Get Response Message Limit: 2^9 to begin with */
static void valid_get_rsp_limit(Sweep *s, const SweepOp *op)
{
    const uint8_t *lim = sweep_ok(s, op->opcode, NULL, 0, 1);

    g_assert_cmpuint(1u << lim[0], ==, s->payload_max);
}

/* 0004h Set Response Message Limit: 2^10 takes effect; 2^11 is refused */
static void valid_set_rsp_limit(Sweep *s, const SweepOp *op)
{
    uint8_t lim = 10;

    g_assert_cmpuint(sweep_ok(s, op->opcode, &lim, 1, 1)[0], ==, 10);
    g_assert_cmpuint(sweep_ok(s, 0x0003, NULL, 0, 1)[0], ==, 10);
    lim = 11;
    g_assert_cmphex(sweep_cmd(s, op->opcode, &lim, 1), ==,
                    CXL_MBOX_INVALID_INPUT);
    lim = 9;
    g_assert_cmpuint(sweep_ok(s, op->opcode, &lim, 1, 1)[0], ==, 9);
}

/* 0005h Request Abort Background Operation: none runs that could abort */
static void valid_bg_abort(Sweep *s, const SweepOp *op)
{
    g_assert_cmphex(sweep_cmd(s, op->opcode, NULL, 0), ==,
                    CXL_MBOX_REQUEST_ABORT_NOTSUP);
    g_assert_cmpuint(s->out_len, ==, 0);
}

/*
 * 0300h Get Timestamp: 0 until it is set (through a tunnel it cannot be);
 * once set it runs with the virtual clock.
 */
static void valid_get_timestamp(Sweep *s, const SweepOp *op)
{
    uint64_t t0 = ldq_le_p(sweep_ok(s, op->opcode, NULL, 0, 8));

    qtest_clock_step(s->t.qts, NSEC_PER_SEC);
    if (s->target->kind & (CCI_SWITCH | CCI_T3_MCTP)) {
        /* Set Timestamp's case below has set it already */
        g_assert_cmpuint(ldq_le_p(sweep_ok(s, op->opcode, NULL, 0, 8)), >=,
                         t0 + NSEC_PER_SEC);
    } else {
        g_assert_cmpuint(t0, ==, 0);
        g_assert_cmpuint(ldq_le_p(sweep_ok(s, op->opcode, NULL, 0, 8)), ==,
                         0);
    }
}

/* 0301h Set Timestamp: Get Timestamp then reads it, running */
static void valid_set_timestamp(Sweep *s, const SweepOp *op)
{
    const uint64_t set = 0x1234567800000000ULL;
    uint8_t in[8];
    uint64_t now;

    stq_le_p(in, set);
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    now = ldq_le_p(sweep_ok(s, 0x0300, NULL, 0, 8));
    g_assert_cmpuint(now, >=, set);
    g_assert_cmpuint(now, <, set + 10 * NSEC_PER_SEC);
    qtest_clock_step(s->t.qts, 2 * NSEC_PER_SEC);
    g_assert_cmpuint(ldq_le_p(sweep_ok(s, 0x0300, NULL, 0, 8)), >=,
                     now + 2 * NSEC_PER_SEC);
}

/*
 * Background Operation Status: @opcode runs; a second of virtual time at
 * a time (the status updates once a second), it completes successfully
 */
static void bg_wait(Sweep *s, uint16_t opcode)
{
    const uint8_t *st = sweep_ok(s, 0x0002, NULL, 0, 8);
    int secs;

    g_assert_cmphex(st[0] & 1, ==, 1);              /* running */
    g_assert_cmphex(lduw_le_p(st + 2), ==, opcode);
    for (secs = 0; secs < 10 && (st[0] & 1); secs++) {
        qtest_clock_step(s->t.qts, NSEC_PER_SEC);
        st = sweep_ok(s, 0x0002, NULL, 0, 8);
    }
    g_assert_cmphex(st[0], ==, 100 << 1);           /* done, 100% */
    g_assert_cmphex(lduw_le_p(st + 2), ==, opcode);
    g_assert_cmphex(lduw_le_p(st + 4), ==, CXL_MBOX_SUCCESS);
}

/* The type 3 device's size, and what of it is static (not DC) capacity */
static uint64_t t3_size(Sweep *s)
{
    return s->target->kind & CCI_DCD_ANY ? CXL_DCD_SIZE : CXL_MEM0_SIZE;
}

static uint64_t t3_static_size(Sweep *s)
{
    return s->target->kind & CCI_DCD_ANY ? 0 : CXL_MEM0_SIZE;
}

/*
 * 0100h Get Event Records: the informational log is empty (nothing has
 * happened); a log the spec does not define is Invalid Input
 */
static void valid_get_event_records(Sweep *s, const SweepOp *op)
{
    uint8_t log = 0;
    const uint8_t *ev = sweep_ok(s, op->opcode, &log, 1, 0x20);

    g_assert_cmpuint(lduw_le_p(ev + 0x14), ==, 0);  /* record count */
    log = 5;
    g_assert_cmphex(sweep_cmd(s, op->opcode, &log, 1), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 0101h Clear Event Records: clear all of a log; no such log */
static void valid_clear_event_records(Sweep *s, const SweepOp *op)
{
    uint8_t in[6] = { 1, 1, 0 };                    /* warning, clear all */

    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    in[0] = 5;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    /* More handles than the payload carries */
    in[0] = 0;
    in[1] = 0;
    in[2] = 4;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

/* 0200h Get FW Info: two slots, slot 1 active with QEMU's revision */
static void valid_fw_info(Sweep *s, const SweepOp *op)
{
    const uint8_t *fw = sweep_ok(s, op->opcode, NULL, 0, 0x50);

    g_assert_cmpuint(fw[0], ==, 2);
    g_assert_cmphex(fw[1] & 7, ==, 1);
    g_assert_cmpstr((const char *)fw + 0x10, ==, "BWFW VERSION 0");
    g_assert_cmpuint(fw[0x20], ==, 0);              /* slot 2 empty */
}

static const uint8_t patrol_scrub_uuid[16] = {
    0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,
    0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a,
};

/* 0500h Get Supported Features: patrol scrub and ECS */
static void valid_supported_features(Sweep *s, const SweepOp *op)
{
    uint8_t in[8] = { 0 };
    const uint8_t *f;

    stl_le_p(in, 8 + 2 * 0x30);
    f = sweep_ok(s, op->opcode, in, sizeof(in), 8 + 2 * 0x30);
    g_assert_cmpuint(lduw_le_p(f), ==, 2);          /* entries */
    g_assert_cmpuint(lduw_le_p(f + 2), ==, 2);      /* features */
    g_assert(!memcmp(f + 8, patrol_scrub_uuid, 16));
    /* Past the last feature */
    stw_le_p(in + 4, 2);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* A Get Feature of the patrol scrub's 4 bytes of attributes */
static const uint8_t *get_patrol_scrub(Sweep *s, uint16_t offset)
{
    uint8_t in[0x15] = { 0 };

    memcpy(in, patrol_scrub_uuid, 16);
    stw_le_p(in + 16, offset);
    stw_le_p(in + 18, 0x20);
    return sweep_ok(s, 0x0501, in, sizeof(in), 4 - offset);
}

/* 0501h Get Feature: patrol scrub, cycle 12 h, disabled; past its end */
static void valid_get_feature(Sweep *s, const SweepOp *op)
{
    uint8_t in[0x15] = { 0 };
    const uint8_t *ps = get_patrol_scrub(s, 0);

    g_assert_cmpuint(lduw_le_p(ps + 1) & 0xff, ==, 12);
    g_assert_cmpuint(ps[3] & 1, ==, 0);
    g_assert_cmpuint(get_patrol_scrub(s, 3)[0], ==, ps[3]);
    memcpy(in, patrol_scrub_uuid, 16);
    stw_le_p(in + 16, 4);
    stw_le_p(in + 18, 1);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 0502h Set Feature: patrol scrub every 5 h, enabled; Get Feature agrees */
static void valid_set_feature(Sweep *s, const SweepOp *op)
{
    uint8_t in[0x20 + 2] = { 0 };
    const uint8_t *ps;

    memcpy(in, patrol_scrub_uuid, 16);
    in[0x16] = 1;                                   /* version */
    in[0x20] = 5;
    in[0x21] = 1;
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    ps = get_patrol_scrub(s, 0);
    g_assert_cmpuint(lduw_le_p(ps + 1) & 0xff, ==, 5);
    g_assert_cmpuint(ps[3] & 1, ==, 1);
    /* A write past the attributes */
    stw_le_p(in + 0x14, 1);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

/* 4000h Identify Memory Device: capacities in 256 MiB */
static void valid_identify_memdev(Sweep *s, const SweepOp *op)
{
    const uint8_t *id = sweep_ok(s, op->opcode, NULL, 0, 0x45);

    g_assert_cmpstr((const char *)id, ==, "BWFW VERSION 00");
    g_assert_cmphex(ldq_le_p(id + 0x10), ==, t3_static_size(s) >> 28);
    g_assert_cmphex(ldq_le_p(id + 0x18), ==, t3_static_size(s) >> 28);
    g_assert_cmphex(ldq_le_p(id + 0x20), ==, 0);    /* persistent */
}

/* 4100h Get Partition Info: all of the static capacity volatile */
static void valid_partition_info(Sweep *s, const SweepOp *op)
{
    const uint8_t *pi = sweep_ok(s, op->opcode, NULL, 0, 0x20);

    g_assert_cmphex(ldq_le_p(pi), ==, t3_static_size(s) >> 28);
    g_assert_cmphex(ldq_le_p(pi + 8), ==, 0);
}

/* 4200h Get Health Info: healthy, no wear or temperature modelled */
static void valid_health_info(Sweep *s, const SweepOp *op)
{
    const uint8_t *hi = sweep_ok(s, op->opcode, NULL, 0, 0x12);

    g_assert_cmphex(hi[0], ==, 0);                  /* health status */
    g_assert_cmphex(hi[1], ==, 0);                  /* media normal */
    g_assert_cmphex(hi[3], ==, 0xff);               /* life used n/a */
    g_assert_cmphex(lduw_le_p(hi + 4), ==, 0xffff); /* temperature n/a */
    g_assert_cmphex(ldl_le_p(hi + 6), ==, 0);       /* dirty shutdowns */
}

/* 4201h Get Alert Configuration: no alert enabled */
static void valid_get_alert_config(Sweep *s, const SweepOp *op)
{
    const uint8_t *ac = sweep_ok(s, op->opcode, NULL, 0, 0x10);

    g_assert_cmphex(ac[1], ==, 0);
}

/* 4202h Set Alert Configuration: a life-used warning at 50% */
static void valid_set_alert_config(Sweep *s, const SweepOp *op)
{
    uint8_t in[12] = { 1, 1, 50 };
    const uint8_t *ac;

    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    ac = sweep_ok(s, 0x4201, NULL, 0, 0x10);
    g_assert_cmphex(ac[1] & 1, ==, 1);
    g_assert_cmpuint(ac[3], ==, 50);
    in[2] = 200;                                    /* above critical */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 4203h Get Shutdown State: clean until set */
static void valid_get_shutdown_state(Sweep *s, const SweepOp *op)
{
    g_assert_cmphex(sweep_ok(s, op->opcode, NULL, 0, 1)[0], ==, 0);
}

/* 4204h Set Shutdown State: dirty, read back, clean again; reserved bits */
static void valid_set_shutdown_state(Sweep *s, const SweepOp *op)
{
    uint8_t state = 1;

    sweep_ok(s, op->opcode, &state, 1, 0);
    g_assert_cmphex(sweep_ok(s, 0x4203, NULL, 0, 1)[0], ==, 1);
    state = 0x81;
    g_assert_cmphex(sweep_cmd(s, op->opcode, &state, 1), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(sweep_ok(s, 0x4203, NULL, 0, 1)[0], ==, 1);
    state = 0;
    sweep_ok(s, op->opcode, &state, 1, 0);
    g_assert_cmphex(sweep_ok(s, 0x4203, NULL, 0, 1)[0], ==, 0);
}

static void inject_poison(Sweep *s, uint64_t dpa)
{
    uint8_t in[8];

    stq_le_p(in, dpa);
    sweep_ok(s, 0x4301, in, sizeof(in), 0);
}

static void clear_poison(Sweep *s, uint64_t dpa)
{
    uint8_t in[72] = { 0 };

    stq_le_p(in, dpa);
    sweep_ok(s, 0x4302, in, sizeof(in), 0);
}

/* Get Poison List of the whole device: its records, the count in @n */
static const uint8_t *poison_list(Sweep *s, unsigned *n)
{
    uint8_t in[16] = { 0 };
    const uint8_t *pl;

    stq_le_p(in + 8, t3_size(s) / 64);
    g_assert_cmphex(sweep_cmd(s, 0x4300, in, sizeof(in)), ==,
                    CXL_MBOX_SUCCESS);
    pl = s->out;
    *n = lduw_le_p(pl + 10);
    g_assert_cmpuint(s->out_len, ==, 0x20 + 16 * *n);
    return pl;
}

/*
 * 4300h Get Poison List: what was injected, one cache line; more than the
 * response limit holds is cut there with More Records set; an empty or
 * wrapping range is Invalid Input
 */
static void valid_poison_list(Sweep *s, const SweepOp *op)
{
    unsigned n, i, fit = (s->payload_max - 0x20) / 16;
    const uint8_t *pl;
    uint8_t in[16] = { 0 };

    inject_poison(s, 0x40);
    pl = poison_list(s, &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmphex(pl[0] & 1, ==, 0);              /* no more records */
    g_assert_cmphex(ldq_le_p(pl + 0x20) & ~0x3fULL, ==, 0x40);
    g_assert_cmpuint(ldl_le_p(pl + 0x28), ==, 1);
    for (i = 1; i <= fit; i++) {
        inject_poison(s, 0x40 + 0x80 * i);
    }
    pl = poison_list(s, &n);
    g_assert_cmpuint(n, ==, fit);
    g_assert_cmphex(pl[0] & 1, ==, 1);              /* more records */
    for (i = 0; i <= fit; i++) {
        clear_poison(s, 0x40 + 0x80 * i);
    }
    poison_list(s, &n);
    g_assert_cmpuint(n, ==, 0);

    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);        /* no length */
    stq_le_p(in, 0x40);
    stq_le_p(in + 8, UINT64_MAX / 64);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);        /* wraps around */
}

/* 4301h Inject Poison: into the device, not past its end */
static void valid_inject_poison(Sweep *s, const SweepOp *op)
{
    uint8_t in[8];
    unsigned n;

    inject_poison(s, 0);
    poison_list(s, &n);
    g_assert_cmpuint(n, ==, 1);
    clear_poison(s, 0);
    stq_le_p(in, t3_size(s));
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PA);
}

/* 4302h Clear Poison: a clean line clears; past the end, wrapping or not */
static void valid_clear_poison(Sweep *s, const SweepOp *op)
{
    uint8_t in[72] = { 0 };

    clear_poison(s, 0x1000);
    stq_le_p(in, t3_size(s));
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PA);
    stq_le_p(in, -64ULL);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PA);
}

/* 4303h Get Scan Media Capabilities: an estimate for the whole device */
static void valid_scan_media_caps(Sweep *s, const SweepOp *op)
{
    uint8_t in[16] = { 0 };

    stq_le_p(in + 8, t3_size(s) / 64);
    sweep_ok(s, op->opcode, in, sizeof(in), 4);
}

/*
 * 4304h Scan Media of the whole device, static and dynamic capacity: a
 * background operation; past the end is Invalid Physical Address
 */
static void valid_scan_media(Sweep *s, const SweepOp *op)
{
    uint8_t in[17] = { 0 };

    stq_le_p(in + 8, t3_size(s) / 64 + 1);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PA);
    stq_le_p(in + 8, t3_size(s) / 64);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_BG_STARTED);
    bg_wait(s, op->opcode);
}

/*
 * 4305h Get Scan Media Results: the scan above found no media error (the
 * model's scan reports only errors injected past a full poison list)
 */
static void valid_scan_media_results(Sweep *s, const SweepOp *op)
{
    const uint8_t *r = sweep_ok(s, op->opcode, NULL, 0, 0x20);

    g_assert_cmpuint(lduw_le_p(r + 0x12), ==, 0);   /* records */
}

/* 4500h Get Security State: no security modelled, nothing set */
static void valid_security_state(Sweep *s, const SweepOp *op)
{
    g_assert_cmphex(ldl_le_p(sweep_ok(s, op->opcode, NULL, 0, 4)), ==, 0);
}

/* 5401h Get LD Allocations: one LD with all the memory, 256 MiB units */
static void valid_ld_allocations(Sweep *s, const SweepOp *op)
{
    uint8_t in[2] = { 0, 8 };
    const uint8_t *la = sweep_ok(s, op->opcode, in, sizeof(in), 4 + 16);

    g_assert_cmpuint(la[0], ==, 1);                 /* LDs */
    g_assert_cmpuint(la[1], ==, 0);                 /* 256 MiB */
    g_assert_cmpuint(la[3], ==, 1);
    g_assert_cmphex(ldq_le_p(la + 4), ==, t3_size(s) >> 28);
    g_assert_cmphex(ldq_le_p(la + 12), ==, 0);
    in[1] = 0;
    sweep_ok(s, op->opcode, in, sizeof(in), 4);
    in[0] = 1;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/*
 * 5402h Set LD Allocations: the one allocation a single LD device has,
 * all of its memory to LD 0, is accepted and returned; another is not
 */
static void valid_set_ld_allocations(Sweep *s, const SweepOp *op)
{
    uint8_t in[4 + 2 * 16] = { 1, 0 };
    const uint8_t *la;

    stq_le_p(in + 4, t3_size(s) >> 28);
    la = sweep_ok(s, op->opcode, in, 4 + 16, 4 + 16);
    g_assert(!memcmp(la, in, 4 + 16));
    stq_le_p(in + 4, (t3_size(s) >> 28) + 1);      /* more than it has */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, 4 + 16), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[0] = 2;                                      /* two LDs */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, 4 + 16), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

/* 5403h Get QoS Control: the values at reset, no telemetry enabled */
static void valid_get_qos_control(Sweep *s, const SweepOp *op)
{
    static const uint8_t reset[7] = { 0, 10, 25, 8, 0, 0, 64 };

    g_assert(!memcmp(sweep_ok(s, op->opcode, NULL, 0, 7), reset, 7));
}

/*
 * 5404h Set QoS Control: kept, returned, read back; an egress percentage
 * of 0 or over 100, or a reserved control bit, is Invalid Input
 */
static void valid_set_qos_control(Sweep *s, const SweepOp *op)
{
    uint8_t in[7] = { 3, 40, 80, 5, 0x34, 0x12, 100 };

    g_assert(!memcmp(sweep_ok(s, op->opcode, in, sizeof(in), 7), in, 7));
    g_assert(!memcmp(sweep_ok(s, 0x5403, NULL, 0, 7), in, 7));
    in[1] = 0;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[1] = 40;
    in[2] = 101;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[2] = 80;
    in[0] = 4;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmpuint(sweep_ok(s, 0x5403, NULL, 0, 7)[0], ==, 3);
}

/* 5405h Get QoS Status: no traffic modelled, no backpressure */
static void valid_get_qos_status(Sweep *s, const SweepOp *op)
{
    g_assert_cmpuint(sweep_ok(s, op->opcode, NULL, 0, 1)[0], ==, 0);
}

/* 5406h/5408h: LD 0's fraction, unset at reset; no LD 1 */
static void valid_get_qos_bw(Sweep *s, const SweepOp *op)
{
    uint8_t in[2] = { 1, 0 };
    const uint8_t *bw = sweep_ok(s, op->opcode, in, sizeof(in), 3);

    g_assert_cmpuint(bw[0], ==, 1);
    g_assert_cmpuint(bw[1], ==, 0);
    g_assert_cmpuint(bw[2], ==, 0);
    in[1] = 1;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 5407h/5409h: LD 0's fraction set, then read by the Get (opcode - 1) */
static void valid_set_qos_bw(Sweep *s, const SweepOp *op)
{
    uint8_t in[4] = { 1, 0, 0x80 }, get[2] = { 1, 0 };

    g_assert(!memcmp(sweep_ok(s, op->opcode, in, 3, 3), in, 3));
    g_assert_cmpuint(sweep_ok(s, op->opcode - 1, get, 2, 3)[2], ==, 0x80);
    in[0] = 2;                                      /* two LDs */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, 4), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, 3), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

static const SweepOp sweep_ops[];
static const size_t num_sweep_ops;

static unsigned count_answered(const Sweep *s)
{
    unsigned n = 0;
    size_t i;

    for (i = 0; i < num_sweep_ops; i++) {
        n += answers(s, &sweep_ops[i]);
    }
    return n;
}

static int cmp_u16(const void *a, const void *b)
{
    return *(const uint16_t *)a - *(const uint16_t *)b;
}

/* 0400h Get Supported Logs: the CEL, 4 bytes an opcode the CCI answers */
static void valid_get_supported_logs(Sweep *s, const SweepOp *op)
{
    const uint8_t *logs = sweep_ok(s, op->opcode, NULL, 0, 0x1c);

    g_assert_cmpuint(lduw_le_p(logs), ==, 1);
    g_assert(!memcmp(logs + 8, cxl_cel_uuid, sizeof(cxl_cel_uuid)));
    g_assert_cmpuint(ldl_le_p(logs + 24), ==, 4 * count_answered(s));
}

/*
 * 0401h Get Log of the CEL: the opcodes the table says the CCI answers,
 * in order, whatever the offset it is read from.  Past the end of the
 * response limit the request is refused.
 */
static void valid_get_log(Sweep *s, const SweepOp *op)
{
    unsigned n = count_answered(s), half = n / 2, i, k = 0;
    g_autofree uint8_t *cel = g_malloc(4 * n);
    g_autofree uint16_t *expect = g_new(uint16_t, n);
    uint8_t in[CXL_GET_LOG_IN_SIZE];

    cxl_get_cel_in(in, 0, 4 * half);
    memcpy(cel, sweep_ok(s, op->opcode, in, sizeof(in), 4 * half), 4 * half);
    cxl_get_cel_in(in, 4 * half, 4 * (n - half));
    memcpy(cel + 4 * half,
           sweep_ok(s, op->opcode, in, sizeof(in), 4 * (n - half)),
           4 * (n - half));
    /* The CEL is in opcode order */
    for (i = 0; i < num_sweep_ops; i++) {
        if (answers(s, &sweep_ops[i])) {
            expect[k++] = sweep_ops[i].opcode;
        }
    }
    g_assert_cmpuint(k, ==, n);
    qsort(expect, n, sizeof(*expect), cmp_u16);
    for (i = 0; i < n; i++) {
        g_assert_cmphex(lduw_le_p(cel + 4 * i), ==, expect[i]);
    }

    stl_le_p(in + 16, 0);
    stl_le_p(in + 20, s->payload_max + 1);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 0402h Get Log Capabilities: the CEL can be neither cleared nor populated */
static void valid_log_capabilities(Sweep *s, const SweepOp *op)
{
    uint8_t in[16];

    memcpy(in, cxl_cel_uuid, sizeof(in));
    g_assert_cmphex(ldl_le_p(sweep_ok(s, op->opcode, in, sizeof(in), 4)), ==,
                    0);
    in[0] ^= 1;                                     /* no such log */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_LOG);
    g_assert_cmpuint(s->out_len, ==, 0);
}

/* 0405h Get Supported Logs Sub-List: the CEL, as from 0400h; none past it */
static void valid_supported_logs_sublist(Sweep *s, const SweepOp *op)
{
    uint8_t in[2] = { 8, 0 };
    const uint8_t *sl = sweep_ok(s, op->opcode, in, sizeof(in), 8 + 20);

    g_assert_cmpuint(sl[0], ==, 1);
    g_assert_cmpuint(lduw_le_p(sl + 2), ==, 1);
    g_assert_cmpuint(sl[4], ==, 0);
    g_assert(!memcmp(sl + 8, cxl_cel_uuid, sizeof(cxl_cel_uuid)));
    g_assert_cmpuint(ldl_le_p(sl + 24), ==, 4 * count_answered(s));
    in[0] = 0;                                      /* room for none */
    sl = sweep_ok(s, op->opcode, in, sizeof(in), 8);
    g_assert_cmpuint(sl[0], ==, 0);
    g_assert_cmpuint(lduw_le_p(sl + 2), ==, 1);
    in[0] = 8;
    in[1] = 1;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 5100h Identify Switch Device: 4 ports, all active, one VCS */
static void valid_identify_switch(Sweep *s, const SweepOp *op)
{
    const uint8_t *id = sweep_ok(s, op->opcode, NULL, 0, 0x49);

    g_assert_cmpuint(lduw_le_p(id + 0x44), ==, CXL_NUM_DSPS + 1); /* vPPBs */
    g_assert_cmpuint(lduw_le_p(id + 0x46), ==, CXL_NUM_DSPS + 1); /* bound */

    g_assert_cmpuint(id[2], ==, CXL_NUM_DSPS + 1);
    g_assert_cmpuint(id[3], ==, 1);
    g_assert_cmphex(id[4], ==, 0x0f);               /* ports 0 to 3 */
    g_assert_cmphex(id[4 + 0x20], ==, 0x01);        /* VCS 0 */
}

/* 5101h Get Physical Port State: a DSP with a type 3 device, the USP */
static void valid_port_state(Sweep *s, const SweepOp *op)
{
    uint8_t in[3] = { 2, CXL_MEM0_PORT, CXL_USP_PORT };
    const uint8_t *st = sweep_ok(s, op->opcode, in, sizeof(in), 4 + 2 * 16);

    g_assert_cmpuint(st[0], ==, 2);
    g_assert_cmpuint(st[4], ==, CXL_MEM0_PORT);
    g_assert_cmpuint(st[4 + 1], ==, 3);             /* DSP */
    g_assert_cmpuint(st[4 + 16], ==, CXL_USP_PORT);
    g_assert_cmpuint(st[4 + 16 + 1], ==, 4);        /* USP */
    in[0] = 1;
    in[1] = 7;                                      /* no such port */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, 2), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* A switch port's state, from 5101h: the port's information block */
static const uint8_t *port_state(Sweep *s, uint8_t port)
{
    uint8_t in[2] = { 1, port };

    return sweep_ok(s, 0x5101, in, sizeof(in), 4 + 16) + 4;
}

#define PORT_CONFIG_STATE   1           /* offsets in the block */
#define PORT_NEG_WIDTH      7
#define PORT_LTSSM          11
#define PORT_LINK_STATE     13
#define PORT_BINDING        1           /* config states */
#define PORT_UNBINDING      2
#define PORT_DSP            3
#define LTSSM_DETECT        0
#define LTSSM_L0            4
#define LINK_PERST          (1 << 1)
#define LINK_PRSNT          (1 << 2)

/* What the host sees of a downstream port, read with 5103h */
#define DSP_EXP_CAP         0x90
#define DSP_LNKSTA_DWORD    (DSP_EXP_CAP + 0x10)    /* LNKSTA in [31:16] */
#define DSP_DLLLA           (1u << (16 + 13))
#define DSP_SLTSTA_DWORD    (DSP_EXP_CAP + 0x18)    /* SLTSTA in [31:16] */
#define DSP_PDS             (1u << (16 + 6))

static uint32_t ppb_config_read(Sweep *s, uint8_t port, uint16_t addr)
{
    uint8_t in[8] = { port, addr & 0xff, 0xf0 | addr >> 8, 0 };

    return ldl_le_p(sweep_ok(s, 0x5103, in, sizeof(in), 4));
}

/*
 * 5102h Physical Port Control: PERST# held takes the link below the port
 * down, for the FM-API and for the host; Reset PPB resets what is below
 */
static void valid_port_control(Sweep *s, const SweepOp *op)
{
    uint8_t in[2] = { CXL_MEM0_PORT, 0 };           /* assert PERST# */
    const uint8_t *st;

    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    st = port_state(s, CXL_MEM0_PORT);
    g_assert_cmphex(lduw_le_p(st + PORT_LINK_STATE), ==,
                    LINK_PERST | LINK_PRSNT);
    g_assert_cmpuint(st[PORT_LTSSM], ==, LTSSM_DETECT);
    g_assert_cmpuint(st[PORT_NEG_WIDTH], ==, 0);
    g_assert_false(ppb_config_read(s, CXL_MEM0_PORT, DSP_LNKSTA_DWORD) &
                   DSP_DLLLA);
    g_assert_true(ppb_config_read(s, CXL_MEM0_PORT, DSP_SLTSTA_DWORD) &
                  DSP_PDS);

    in[1] = 1;                                      /* deassert */
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    st = port_state(s, CXL_MEM0_PORT);
    g_assert_cmphex(lduw_le_p(st + PORT_LINK_STATE), ==, LINK_PRSNT);
    g_assert_cmpuint(st[PORT_LTSSM], ==, LTSSM_L0);
    g_assert_cmpuint(st[PORT_NEG_WIDTH], !=, 0);
    g_assert_true(ppb_config_read(s, CXL_MEM0_PORT, DSP_LNKSTA_DWORD) &
                  DSP_DLLLA);

    in[1] = 2;                                      /* reset PPB */
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    g_assert_cmpuint(port_state(s, CXL_MEM0_PORT)[PORT_LTSSM], ==, LTSSM_L0);

    /* An empty port has no link to hold */
    in[0] = 2;
    in[1] = 0;
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    st = port_state(s, 2);
    g_assert_cmphex(lduw_le_p(st + PORT_LINK_STATE), ==, LINK_PERST);
    g_assert_cmpuint(st[PORT_LTSSM], ==, LTSSM_DETECT);
    in[1] = 1;
    sweep_ok(s, op->opcode, in, sizeof(in), 0);

    in[1] = 3;                                      /* reserved */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[0] = CXL_USP_PORT;                           /* the host's link */
    in[1] = 0;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[0] = 7;                                      /* no such port */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/*
 * 5103h Send PPB CXL.io Configuration Request: the IDs of a downstream
 * and the upstream port; a byte written to one and read back
 */
static void valid_ppb_config(Sweep *s, const SweepOp *op)
{
    uint8_t in[8] = { CXL_MEM0_PORT, 0x3c, 0x10, 0x80, 0x5a, 0xa5, 0, 0 };

    g_assert_cmphex(ppb_config_read(s, CXL_MEM0_PORT, 0), ==, 0xa12919e5);
    g_assert_cmphex(ppb_config_read(s, CXL_USP_PORT, 0), ==, 0xa12819e5);
    /* Interrupt Line, byte 0 of its dword */
    sweep_ok(s, op->opcode, in, sizeof(in), 4);
    g_assert_cmphex(ppb_config_read(s, CXL_MEM0_PORT, 0x3c) & 0xff, ==, 0x5a);
    /* No byte enabled, nothing written */
    in[2] = 0;
    in[4] = 0x77;
    sweep_ok(s, op->opcode, in, sizeof(in), 4);
    /* Unaligned: the dword it is in */
    g_assert_cmphex(ppb_config_read(s, CXL_MEM0_PORT, 0x3e) & 0xff, ==, 0x5a);
    in[0] = 7;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

#define VPPB_UNBOUND        0
#define VPPB_IN_PROGRESS    1
#define VPPB_BOUND_PORT     2

/*
 * 5200h Get Virtual CXL Switch Info: VCS 0 with the three downstream
 * ports bound, an unknown VCS marked invalid; a window of the vPPB list
 */
static void valid_vcs_info(Sweep *s, const SweepOp *op)
{
    uint8_t in[5] = { 0, 0xff, 2, 0, 5 };
    const uint8_t *vi;
    int i;

    vi = sweep_ok(s, op->opcode, in, sizeof(in), 4 + 4 + 4 * 3 + 4);
    g_assert_cmpuint(vi[0], ==, 2);
    g_assert_cmpuint(vi[4], ==, 0);
    g_assert_cmpuint(vi[5], ==, 1);                 /* enabled */
    g_assert_cmpuint(vi[6], ==, CXL_USP_PORT);
    g_assert_cmpuint(vi[7], ==, CXL_NUM_DSPS);
    for (i = 0; i < CXL_NUM_DSPS; i++) {
        g_assert_cmpuint(vi[8 + 4 * i], ==, VPPB_BOUND_PORT);
        g_assert_cmpuint(vi[9 + 4 * i], ==, i);
        g_assert_cmphex(vi[10 + 4 * i], ==, 0xff);
    }
    g_assert_cmpuint(vi[20], ==, 5);
    g_assert_cmphex(vi[21], ==, 0xff);              /* no such VCS */

    in[0] = 2;                                      /* from vPPB 2, one */
    in[1] = 1;
    in[2] = 1;
    vi = sweep_ok(s, op->opcode, in, 4, 4 + 4 + 4);
    g_assert_cmpuint(vi[9], ==, 2);
    in[0] = CXL_NUM_DSPS;                           /* past the last */
    vi = sweep_ok(s, op->opcode, in, 4, 4 + 4);
    g_assert_cmpuint(vi[7], ==, CXL_NUM_DSPS);
    in[2] = 3;                                      /* VCS list cut short */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
}

static uint8_t vppb_status(Sweep *s, uint8_t vppb)
{
    uint8_t in[4] = { vppb, 1, 1, 0 };

    return sweep_ok(s, 0x5200, in, sizeof(in), 4 + 4 + 4)[8];
}

static uint16_t bind_vppb(Sweep *s, uint8_t vcs, uint8_t vppb, uint8_t port,
                          uint16_t ld)
{
    uint8_t in[6] = { vcs, vppb, port, 0 };

    stw_le_p(in + 4, ld);
    return sweep_cmd(s, 0x5201, in, sizeof(in));
}

static uint16_t unbind_vppb(Sweep *s, uint8_t vcs, uint8_t vppb,
                            uint8_t option)
{
    uint8_t in[3] = { vcs, vppb, option };

    return sweep_cmd(s, 0x5202, in, sizeof(in));
}

/* A bind or unbind of @vppb runs in the background, then is done */
static void vppb_wait(Sweep *s, uint16_t opcode, uint8_t vppb)
{
    g_assert_cmpuint(vppb_status(s, vppb), ==, VPPB_IN_PROGRESS);
    g_assert_cmpuint(port_state(s, vppb)[PORT_CONFIG_STATE], ==,
                     opcode == 0x5201 ? PORT_BINDING : PORT_UNBINDING);
    bg_wait(s, opcode);
    g_assert_cmpuint(port_state(s, vppb)[PORT_CONFIG_STATE], ==, PORT_DSP);
}

/*
 * 5202h Unbind vPPB: the type 3 device's port reports no card and no
 * link to the host; Get Virtual CXL Switch Info has it unbound.  A second
 * unbind while it runs is Busy, once done it is Invalid Input.  Bound
 * again by 5201h at the end.
 */
static void valid_unbind_vppb(Sweep *s, const SweepOp *op)
{
    g_assert_cmphex(unbind_vppb(s, 0, CXL_MEM0_PORT, 3), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(unbind_vppb(s, 1, CXL_MEM0_PORT, 0), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(unbind_vppb(s, 0, CXL_NUM_DSPS, 0), ==,
                    CXL_MBOX_INVALID_INPUT);

    g_assert_cmphex(unbind_vppb(s, 0, CXL_MEM0_PORT, 2), ==,
                    CXL_MBOX_BG_STARTED);
    g_assert_cmpuint(s->out_len, ==, 0);
    g_assert_cmphex(unbind_vppb(s, 0, CXL_MEM0_PORT, 2), ==, CXL_MBOX_BUSY);
    vppb_wait(s, op->opcode, CXL_MEM0_PORT);
    g_assert_cmpuint(vppb_status(s, CXL_MEM0_PORT), ==, VPPB_UNBOUND);
    /* Identify Switch Device: one vPPB fewer bound, of as many */
    g_assert_cmpuint(lduw_le_p(sweep_ok(s, 0x5100, NULL, 0, 0x49) + 0x46),
                     ==, CXL_NUM_DSPS);
    g_assert_cmpuint(lduw_le_p(s->out + 0x44), ==, CXL_NUM_DSPS + 1);
    g_assert_cmpuint(vppb_status(s, CXL_DCD_PORT), ==, VPPB_BOUND_PORT);
    g_assert_false(ppb_config_read(s, CXL_MEM0_PORT, DSP_SLTSTA_DWORD) &
                   DSP_PDS);
    g_assert_false(ppb_config_read(s, CXL_MEM0_PORT, DSP_LNKSTA_DWORD) &
                   DSP_DLLLA);
    g_assert_cmpuint(port_state(s, CXL_MEM0_PORT)[PORT_LTSSM], ==,
                     LTSSM_DETECT);
    g_assert_cmphex(unbind_vppb(s, 0, CXL_MEM0_PORT, 0), ==,
                    CXL_MBOX_INVALID_INPUT);

    g_assert_cmphex(bind_vppb(s, 0, CXL_MEM0_PORT, CXL_MEM0_PORT, 0xffff), ==,
                    CXL_MBOX_BG_STARTED);
    vppb_wait(s, 0x5201, CXL_MEM0_PORT);
}

/*
 * 5201h Bind vPPB: a bound vPPB is Invalid Input; unbound, it binds only
 * to its own port as a whole, and the host sees the card and the link
 * come back
 */
static void valid_bind_vppb(Sweep *s, const SweepOp *op)
{
    g_assert_cmphex(bind_vppb(s, 0, CXL_DCD_PORT, CXL_DCD_PORT, 0xffff), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(unbind_vppb(s, 0, CXL_DCD_PORT, 0), ==,
                    CXL_MBOX_BG_STARTED);
    vppb_wait(s, 0x5202, CXL_DCD_PORT);
    g_assert_false(ppb_config_read(s, CXL_DCD_PORT, DSP_SLTSTA_DWORD) &
                   DSP_PDS);

    g_assert_cmphex(bind_vppb(s, 0, CXL_DCD_PORT, CXL_MEM0_PORT, 0xffff), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(bind_vppb(s, 0, CXL_DCD_PORT, CXL_DCD_PORT, 0), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(bind_vppb(s, 1, CXL_DCD_PORT, CXL_DCD_PORT, 0xffff), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(bind_vppb(s, 0, CXL_DCD_PORT, CXL_DCD_PORT, 0xffff), ==,
                    CXL_MBOX_BG_STARTED);
    vppb_wait(s, op->opcode, CXL_DCD_PORT);
    g_assert_cmpuint(vppb_status(s, CXL_DCD_PORT), ==, VPPB_BOUND_PORT);
    g_assert_true(ppb_config_read(s, CXL_DCD_PORT, DSP_SLTSTA_DWORD) &
                  DSP_PDS);
    g_assert_true(ppb_config_read(s, CXL_DCD_PORT, DSP_LNKSTA_DWORD) &
                  DSP_DLLLA);
    g_assert_cmpuint(port_state(s, CXL_DCD_PORT)[PORT_LTSSM], ==, LTSSM_L0);
}

/*
 * 5300h Tunnel Management Command: Identify of what is behind it - the
 * DCD's FM-owned LD behind switch port 1, LD 0 behind a type 3 device
 */
static void valid_tunnel(Sweep *s, const SweepOp *op)
{
    bool sw = s->target->kind & CCI_SWITCH;
    uint8_t in[TUNNEL_HDR_SIZE + CXL_HDR_SIZE] = { sw ? CXL_DCD_PORT : 0 };
    const uint8_t *pl;
    size_t len;

    stw_le_p(in + 2, cxl_cci_request(in + TUNNEL_HDR_SIZE, 0x77, 0x0001, NULL,
                                 0));
    sweep_ok(s, op->opcode, in, sizeof(in),
             TUNNEL_HDR_SIZE + CXL_HDR_SIZE + 18);
    g_assert_cmphex(cxl_cci_response(s->out + TUNNEL_HDR_SIZE,
                                 s->out_len - TUNNEL_HDR_SIZE, 0x77, 0x0001,
                                 &pl, &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmpuint(pl[17], ==, 3);
    if (sw) {
        g_assert_cmphex(ldq_le_p(pl + 8), ==, CXL_DCD_SN);
    }
    /* No device behind switch port 2, a type 3 device has only LD 0 */
    in[0] = 2;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 5400h Get LD Info: all of the device's memory, one LD */
static void valid_ld_info(Sweep *s, const SweepOp *op)
{
    const uint8_t *ld = sweep_ok(s, op->opcode, NULL, 0, 11);

    g_assert_cmphex(ldq_le_p(ld), ==, s->target->kind & CCI_DCD_ANY ?
                    CXL_DCD_SIZE : CXL_MEM0_SIZE);
    g_assert_cmpuint(lduw_le_p(ld + 8), ==, 1);
    g_assert_cmphex(ld[10], ==, 3);                 /* QoS telemetry caps */
}

/* 5600h Get DCD Info: two regions, 512 MiB of dynamic capacity */
static void valid_dcd_info(Sweep *s, const SweepOp *op)
{
    const uint8_t *di = sweep_ok(s, op->opcode, NULL, 0, 0x54);

    g_assert_cmpuint(di[0], ==, 1);
    g_assert_cmpuint(di[1], ==, CXL_DCD_REGIONS);
    g_assert_cmphex(ldq_le_p(di + 12), ==, CXL_DCD_SIZE >> 28);
}

/* Region @r's base, length and block size, from 5601h */
static void dc_region(Sweep *s, int r, uint64_t *base, uint64_t *len,
                      uint64_t *block)
{
    uint8_t in[4] = { 0, 0, 1, r };
    const uint8_t *rc = sweep_ok(s, 0x5601, in, sizeof(in), 4 + 40 + 16);

    *base = ldq_le_p(rc + 4);
    *len = ldq_le_p(rc + 4 + 16);
    *block = ldq_le_p(rc + 4 + 24);
}

/*
 * 5601h Get Host DC Region Configuration: both regions, contiguous, the
 * device's 512 extents available; a region past the last is refused
 */
static void valid_host_dc_region_config(Sweep *s, const SweepOp *op)
{
    uint8_t in[4] = { 0, 0, 8, 0 };
    const uint8_t *rc = sweep_ok(s, op->opcode, in, sizeof(in),
                                 4 + 2 * 40 + 16);

    g_assert_cmpuint(rc[2], ==, CXL_DCD_REGIONS);
    g_assert_cmpuint(rc[3], ==, CXL_DCD_REGIONS);
    g_assert_cmphex(ldq_le_p(rc + 4 + 40), ==,
                    ldq_le_p(rc + 4) + ldq_le_p(rc + 4 + 16));
    g_assert_cmphex(ldq_le_p(rc + 4 + 16) * CXL_DCD_REGIONS, ==,
                    CXL_DCD_SIZE);
    g_assert_cmpuint(ldl_le_p(rc + 4 + 80 + 4), ==, 512);
    in[3] = CXL_DCD_REGIONS;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[3] = 0;
    in[0] = 1;                                      /* host 1: only 0 */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/*
 * 5602h Set DC Region Configuration: the block size a region has already
 * is accepted; a region the device does not have is Invalid Input (it
 * used to divide by its block size of 0)
 */
static void valid_set_dc_region_config(Sweep *s, const SweepOp *op)
{
    uint64_t base, len, block;
    uint8_t in[16] = { 0 };

    dc_region(s, 0, &base, &len, &block);
    stq_le_p(in + 4, block);
    sweep_ok(s, op->opcode, in, sizeof(in), 0);
    in[0] = CXL_DCD_REGIONS;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
    in[0] = 0xff;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, sizeof(in)), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/* 5603h Get DC Region Extent List: no extent accepted by the host yet */
static void valid_dc_extent_list(Sweep *s, const SweepOp *op)
{
    uint8_t in[12] = { 0 };
    const uint8_t *el;

    stl_le_p(in + 4, 16);
    el = sweep_ok(s, op->opcode, in, sizeof(in), 24);
    g_assert_cmpuint(ldl_le_p(el + 8), ==, 0);      /* returned */
    g_assert_cmpuint(ldl_le_p(el + 12), ==, 0);     /* total */
}

/* An Initiate DC Add/Release request for one extent of @len at @dpa */
static size_t dc_extent_request(uint8_t *in, uint8_t policy, uint64_t dpa,
                                uint64_t len)
{
    memset(in, 0, 0x20 + 40);
    in[2] = policy;
    stq_le_p(in + 4, len);
    stl_le_p(in + 0x1c, 1);
    stq_le_p(in + 0x20, dpa);
    stq_le_p(in + 0x28, len);
    return 0x20 + 40;
}

/*
 * 5604h Initiate Dynamic Capacity Add: one block at the start of region 0
 * is offered to the host (prescriptive policy); the same again overlaps
 * what is pending, an extent that wraps around is no address at all
 */
static void valid_dc_add(Sweep *s, const SweepOp *op)
{
    uint64_t base, len, block;
    uint8_t in[0x20 + 40];
    size_t n;

    dc_region(s, 0, &base, &len, &block);
    n = dc_extent_request(in, 2, base, block);
    sweep_ok(s, op->opcode, in, n, 0);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_EXTENT_LIST);
    n = dc_extent_request(in, 2, base + block, -block);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==, CXL_MBOX_INVALID_PA);
    /* An extent count the payload does not hold */
    stl_le_p(in + 0x1c, 0xffffffff);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
    /* Only host 0, only the prescriptive policy (as 5600h says) */
    n = dc_extent_request(in, 2, base + block, block);
    in[0] = 1;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_INPUT);
    n = dc_extent_request(in, 0, base + block, block);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/*
 * 5605h Initiate Dynamic Capacity Release: the extent offered above is
 * still pending (the host has not accepted it), so there is nothing at
 * that address to release
 */
static void valid_dc_release(Sweep *s, const SweepOp *op)
{
    uint64_t base, len, block;
    uint8_t in[0x20 + 40];
    size_t n;

    dc_region(s, 0, &base, &len, &block);
    n = dc_extent_request(in, 1, base, block);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==, CXL_MBOX_INVALID_PA);
    in[2] |= 1 << 4;                                /* forced removal */
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==, CXL_MBOX_INVALID_PA);
    /*
     * What 5600h does not offer: sanitize on release, a host but 0, the
     * tag-based policy
     */
    in[2] = 1 | 1 << 5;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_INPUT);
    n = dc_extent_request(in, 1, base, block);
    in[0] = 1;
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_INPUT);
    n = dc_extent_request(in, 0, base, block);
    g_assert_cmphex(sweep_cmd(s, op->opcode, in, n), ==,
                    CXL_MBOX_INVALID_INPUT);
}

/*
 * Every opcode of the CXL r3.2 command sets: generic component commands
 * (8.2.10), memory device commands (8.2.10.9) and FM-API commands
 * (7.6.7), with the fixed part of their request payloads.  The CCIs that
 * answer each are those the QEMU model implements; the docs have the same
 * table.
 */
static const SweepOp sweep_ops[] = {
    { 0x0001, "Identify", 0, false, CCI_ALL, valid_identify },
    { 0x0002, "Background Operation Status", 0, false,
      CCI_SWITCH | CCI_T3_MCTP,
      valid_bg_status },
    { 0x0003, "Get Response Message Limit", 0, false, CCI_USP | CCI_T3_ANY,
      valid_get_rsp_limit },
    { 0x0004, "Set Response Message Limit", 1, false, CCI_USP | CCI_T3_ANY,
      valid_set_rsp_limit },
    { 0x0005, "Request Abort Background Operation", 0, false,
      CCI_SWITCH | CCI_T3_MCTP,
      valid_bg_abort },
    { 0x0100, "Get Event Records", 1, false, CCI_T3_MCTP,
      valid_get_event_records },
    { 0x0101, "Clear Event Records", 6, true, CCI_T3_MCTP,
      valid_clear_event_records },
    { 0x0102, "Get Event Interrupt Policy", 0 },
    { 0x0103, "Set Event Interrupt Policy", 4 },
    { 0x0104, "Get MCTP Event Interrupt Policy", 0 },
    { 0x0105, "Set MCTP Event Interrupt Policy", 2 },
    { 0x0106, "Event Notification", 2 },
    { 0x0200, "Get FW Info", 0, false, CCI_T3_MCTP, valid_fw_info },
    { 0x0201, "Transfer FW", 0x80, true },
    { 0x0202, "Activate FW", 2 },
    /* Set comes first: Get checks the clock the switch's Set started */
    { 0x0301, "Set Timestamp", 8, false, CCI_SWITCH | CCI_T3_MCTP,
      valid_set_timestamp },
    { 0x0300, "Get Timestamp", 0, false, CCI_SWITCH | CCI_T3_ANY,
      valid_get_timestamp },
    { 0x0400, "Get Supported Logs", 0, false, CCI_ALL,
      valid_get_supported_logs },
    { 0x0401, "Get Log", 0x18, false, CCI_ALL, valid_get_log },
    { 0x0402, "Get Log Capabilities", 0x10, false, CCI_ALL,
      valid_log_capabilities },
    { 0x0403, "Clear Log", 0x10 },
    { 0x0404, "Populate Log", 0x10 },
    { 0x0405, "Get Supported Logs Sub-List", 2, false, CCI_ALL,
      valid_supported_logs_sublist },
    { 0x0500, "Get Supported Features", 8, false, CCI_T3_MCTP,
      valid_supported_features },
    { 0x0501, "Get Feature", 0x15, false, CCI_T3_MCTP, valid_get_feature },
    { 0x0502, "Set Feature", 0x20, true, CCI_T3_MCTP, valid_set_feature },
    { 0x0600, "Perform Maintenance", 2, true },
    { 0x4000, "Identify Memory Device", 0, false, CCI_T3_MCTP,
      valid_identify_memdev },
    { 0x4100, "Get Partition Info", 0, false, CCI_T3_MCTP,
      valid_partition_info },
    { 0x4101, "Set Partition Info", 0x0a },
    { 0x4102, "Get LSA", 8 },
    { 0x4103, "Set LSA", 8, true },
    { 0x4200, "Get Health Info", 0, false, CCI_T3_MCTP, valid_health_info },
    { 0x4201, "Get Alert Configuration", 0, false, CCI_T3_MCTP,
      valid_get_alert_config },
    { 0x4202, "Set Alert Configuration", 0x0c, false, CCI_T3_MCTP,
      valid_set_alert_config },
    { 0x4203, "Get Shutdown State", 0, false, CCI_T3_MCTP,
      valid_get_shutdown_state },
    { 0x4204, "Set Shutdown State", 1, false, CCI_T3_MCTP,
      valid_set_shutdown_state },
    { 0x4300, "Get Poison List", 0x10, false, CCI_T3_MCTP,
      valid_poison_list },
    { 0x4301, "Inject Poison", 8, false, CCI_T3_MCTP, valid_inject_poison },
    { 0x4302, "Clear Poison", 0x48, false, CCI_T3_MCTP, valid_clear_poison },
    { 0x4303, "Get Scan Media Capabilities", 0x10, false, CCI_T3_MCTP,
      valid_scan_media_caps },
    { 0x4304, "Scan Media", 0x11, false, CCI_T3_MCTP, valid_scan_media },
    { 0x4305, "Get Scan Media Results", 0, false, CCI_T3_MCTP,
      valid_scan_media_results },
    { 0x4400, "Sanitize", 0 },
    { 0x4401, "Secure Erase", 0 },
    { 0x4402, "Media Operations", 8, true },
    { 0x4500, "Get Security State", 0, false, CCI_T3_MCTP,
      valid_security_state },
    { 0x4501, "Set Passphrase", 0x60 },
    { 0x4502, "Disable Passphrase", 0x40 },
    { 0x4503, "Unlock", 0x20 },
    { 0x4504, "Freeze Security State", 0 },
    { 0x4505, "Passphrase Secure Erase", 0x40 },
    { 0x4600, "Security Send", 4, true },
    { 0x4601, "Security Receive", 4 },
    { 0x4700, "Get SLD QoS Control", 0 },
    { 0x4701, "Set SLD QoS Control", 4 },
    { 0x4702, "Get SLD QoS Status", 0 },
    { 0x4800, "Get Dynamic Capacity Configuration", 2 },
    { 0x4801, "Get Dynamic Capacity Extent List", 8 },
    { 0x4802, "Add Dynamic Capacity Response", 8, true },
    { 0x4803, "Release Dynamic Capacity", 8, true },
    { 0x5100, "Identify Switch Device", 0, false, CCI_SWITCH,
      valid_identify_switch },
    { 0x5101, "Get Physical Port State", 1, true, CCI_SWITCH,
      valid_port_state },
    { 0x5102, "Physical Port Control", 2, false, CCI_SWITCH,
      valid_port_control },
    { 0x5103, "Send PPB CXL.io Configuration Request", 8, false, CCI_SWITCH,
      valid_ppb_config },
    { 0x5104, "Get Domain Validation SV State", 0 },
    { 0x5105, "Set Domain Validation SV", 0x10 },
    { 0x5106, "Get VCS Domain Validation SV State", 1 },
    { 0x5107, "Get Domain Validation SV", 1 },
    { 0x5200, "Get Virtual CXL Switch Info", 4, true, CCI_SWITCH,
      valid_vcs_info },
    { 0x5201, "Bind vPPB", 6, false, CCI_SWITCH, valid_bind_vppb },
    { 0x5202, "Unbind vPPB", 3, false, CCI_SWITCH, valid_unbind_vppb },
    { 0x5203, "Generate AER Event", 8, true },
    { 0x5300, "Tunnel Management Command", 4 + CXL_HDR_SIZE, true,
      CCI_SWITCH | CCI_T3_ANY, valid_tunnel },
    { 0x5301, "Send LD CXL.io Configuration Request", 8, true },
    { 0x5302, "Send LD CXL.io Memory Request", 0x10, true },
    { 0x5400, "Get LD Info", 0, false, CCI_T3_ANY, valid_ld_info },
    { 0x5401, "Get LD Allocations", 2, false, CCI_T3_ANY,
      valid_ld_allocations },
    { 0x5402, "Set LD Allocations", 4, true, CCI_T3_ANY,
      valid_set_ld_allocations },
    { 0x5403, "Get QoS Control", 0, false, CCI_T3_ANY,
      valid_get_qos_control },
    { 0x5404, "Set QoS Control", 7, false, CCI_T3_ANY,
      valid_set_qos_control },
    { 0x5405, "Get QoS Status", 0, false, CCI_T3_ANY, valid_get_qos_status },
    { 0x5406, "Get QoS Allocated BW", 2, false, CCI_T3_ANY, valid_get_qos_bw },
    { 0x5407, "Set QoS Allocated BW", 2, true, CCI_T3_ANY, valid_set_qos_bw },
    { 0x5408, "Get QoS BW Limit", 2, false, CCI_T3_ANY, valid_get_qos_bw },
    { 0x5409, "Set QoS BW Limit", 2, true, CCI_T3_ANY, valid_set_qos_bw },
    { 0x5500, "Get Multi-Headed Info", 2 },
    { 0x5501, "Get Head Info", 2 },
    { 0x5600, "Get DCD Info", 0, false, CCI_DCD_ANY, valid_dcd_info },
    { 0x5601, "Get Host DC Region Configuration", 4, false, CCI_DCD_ANY,
      valid_host_dc_region_config },
    { 0x5602, "Set DC Region Configuration", 0x10, false, CCI_DCD_ANY,
      valid_set_dc_region_config },
    { 0x5603, "Get DC Region Extent Lists", 0x0c, false, CCI_DCD_ANY,
      valid_dc_extent_list },
    { 0x5604, "Initiate Dynamic Capacity Add", 0x20, true, CCI_DCD_ANY,
      valid_dc_add },
    { 0x5605, "Initiate Dynamic Capacity Release", 0x20, true, CCI_DCD_ANY,
      valid_dc_release },
    { 0x5606, "Dynamic Capacity Add Reference", 0x10 },
    { 0x5607, "Dynamic Capacity Remove Reference", 0x10 },
    { 0x5608, "Dynamic Capacity List Tags", 8 },
};
static const size_t num_sweep_ops = ARRAY_SIZE(sweep_ops);

/*
 * Command sets whose every command code step 4 sends: the generic sets,
 * the memory device sets, the FM-API sets up to the latest (59h) and a
 * vendor-specific one.
 */
static const uint8_t sweep_sets[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0xc0,
};

/* Checks common to every answer */

static const SweepOp *find_op(uint16_t opcode)
{
    size_t i;

    for (i = 0; i < num_sweep_ops; i++) {
        if (sweep_ops[i].opcode == opcode) {
            return &sweep_ops[i];
        }
    }
    return NULL;
}

/*
 * The answer to @opcode with @len bytes of payload: a CXL return code;
 * Unsupported with nothing else from a CCI that does not implement it;
 * a response within the limit on success, nothing on failure.
 */
static void sweep_check(Sweep *s, uint16_t opcode, uint16_t rc, size_t len)
{
    const SweepOp *op = find_op(opcode);

    g_assert_cmphex(rc, <=, CXL_MBOX_RC_MAX);
    if (!op || !answers(s, op)) {
        g_assert_cmphex(rc, ==, CXL_MBOX_UNSUPPORTED);
    } else if (len != op->in_len && !op->variable) {
        /* Fixed-length requests are checked before the handler runs */
        g_assert_cmphex(rc, ==, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
    } else if (len < op->in_len) {
        g_assert_cmphex(rc, !=, CXL_MBOX_SUCCESS);
    }
    if (rc == CXL_MBOX_SUCCESS || rc == CXL_MBOX_BG_STARTED) {
        g_assert_cmpuint(s->out_len, <=, s->payload_max);
    } else {
        g_assert_cmpuint(s->out_len, ==, 0);
    }
}

/* The largest request payload that reaches the target's CCI */
static size_t sweep_max_payload(Sweep *s)
{
    return CXL_MAX_PAYLOAD -
        s->target->hops * (TUNNEL_HDR_SIZE + CXL_HDR_SIZE);
}

/* (a) valid, (b) empty, (c) random payload of @op over its binding */
static void sweep_op(Sweep *s, const SweepOp *op, uint8_t *rnd)
{
    g_autofree uint8_t *zero = g_malloc0(op->in_len);
    size_t max = sweep_max_payload(s), i;
    uint16_t rc;

    if (answers(s, op)) {
        op->valid(s, op);
    } else {
        rc = sweep_cmd(s, op->opcode, zero, op->in_len);
        sweep_check(s, op->opcode, rc, op->in_len);
    }
    rc = sweep_cmd(s, op->opcode, NULL, 0);
    sweep_check(s, op->opcode, rc, 0);
    for (i = 0; i < max; i++) {
        rnd[i] = g_rand_int(s->rand);
    }
    rc = sweep_cmd(s, op->opcode, rnd, max);
    sweep_check(s, op->opcode, rc, max);
}

/* The same three over the MCTP message type the binding refuses */
static void sweep_op_other_type(Sweep *s, const SweepOp *op, uint8_t *rnd)
{
    uint8_t type = sweep_type(s, op->opcode) == MCTP_TYPE_CXL_CCI ?
                   MCTP_TYPE_CXL_FMAPI : MCTP_TYPE_CXL_CCI;
    g_autofree uint8_t *zero = g_malloc0(op->in_len);
    const void *in[3] = { zero, NULL, rnd };
    size_t len[3] = { op->in_len, 0, sweep_max_payload(s) };
    int i;

    for (i = 0; i < 3; i++) {
        g_assert_cmphex(sweep_cmd_type(s, type, op->opcode, in[i], len[i]),
                        ==, CXL_MBOX_UNSUPPORTED);
        g_assert_cmpuint(s->out_len, ==, 0);
    }
}

/* Machine */

static void sweep_start(Sweep *s, const SweepTarget *tg)
{
    int i;

    memset(s, 0, sizeof(*s));
    s->target = tg;
    s->payload_max = tg->payload_max;
    s->rand = g_rand_new_with_seed(SWEEP_SEED);
    s->dir = g_dir_make_tmp("cxl-mctp-sweep-XXXXXX", NULL);
    g_assert(s->dir);
    s->sock = g_strdup_printf("%s/fm0", s->dir);
    mctp_test_boot(&s->t, CXL_TOPOLOGY SWEEP_ARGS, s->sock);
    /* Requests share OUT transfers: fewer transfers, the same messages */
    s->t.batch = true;
    s->t.hc = qehci_init(s->t.qts, s->t.pcibus, &s->t.alloc, EHCI_DEVFN);
    for (i = 0; i < NUM_EPS; i++) {
        s->dev[i] = qusb_enumerate(s->t.hc, i, USB_ADDR + i, s->t.desc);
        assert_xfer_ok(qusb_set_configuration(s->dev[i], 1));
    }
    cxl_mbox_init(&s->t, &s->mb, SWCCI_DEVFN, 0);
    if (tg->endpoint == EP_SERIAL) {
        mctp_test_attach_serial(&s->t, s->sock);
    }
}

static void sweep_end(Sweep *s)
{
    int i;

    g_test_message("%s: %u requests in %.1f s", s->target->name,
                   s->requests, g_test_timer_elapsed());
    g_rand_free(s->rand);
    cxl_mbox_free(&s->mb);
    s->t.dev = NULL;
    for (i = 0; i < NUM_EPS; i++) {
        qusb_device_free(s->dev[i]);
    }
    mctp_test_end(&s->t);
    unlink(s->sock);
    rmdir(s->dir);
    g_free(s->sock);
    g_free(s->dir);
}

static void test_sweep(const void *data)
{
    g_autofree uint8_t *rnd = g_malloc(CXL_MAX_PAYLOAD);
    g_autofree Sweep *s = g_new(Sweep, 1);
    SweepReq q[SWEEP_BATCH];
    unsigned set, cmd, batch, k;
    size_t i;

    sweep_start(s, data);
    g_test_timer_start();

    /* 1. The CEL: what the CCI says it answers is what the table says */
    valid_get_supported_logs(s, find_op(0x0400));
    valid_get_log(s, find_op(0x0401));

    /* 2. and 3. Each opcode: valid, empty, random; other message type */
    for (i = 0; i < num_sweep_ops; i++) {
        sweep_op(s, &sweep_ops[i], rnd);
        if (s->target->endpoint != EP_MAILBOX) {
            sweep_op_other_type(s, &sweep_ops[i], rnd);
        }
    }

    /*
     * 4. Every command of every command set, empty; over MCTP a batch of
     * requests at a time, packed into shared OUT transfers
     */
    batch = s->target->endpoint == EP_MAILBOX ? 1 : SWEEP_BATCH;
    for (i = 0; i < ARRAY_SIZE(sweep_sets); i++) {
        set = sweep_sets[i];
        for (cmd = 0; cmd < 256; cmd += batch) {
            for (k = 0; k < batch; k++) {
                uint16_t op = set << 8 | (cmd + k);

                sweep_send(s, &q[k], sweep_type(s, op), op, NULL, 0);
            }
            for (k = 0; k < batch; k++) {
                uint16_t rc = sweep_recv(s, &q[k]);

                sweep_check(s, q[k].opcode, rc, 0);
            }
        }
    }

    /* The mailbox's 20-bit payload length is more than its registers */
    if (s->target->endpoint == EP_MAILBOX && !s->target->hops) {
        memset(rnd, 0, CXL_MAX_PAYLOAD);
        g_assert_cmphex(cxl_mbox_cmd(&s->mb, 0x00, 0x01, rnd, 0xfffff, s->out,
                                     &s->out_len), ==,
                        CXL_MBOX_INVALID_PAYLOAD_LENGTH);
        g_assert_cmphex(cxl_mbox_cmd(&s->mb, 0x00, 0x01, rnd,
                                     CXL_MAX_PAYLOAD + 1, s->out, &s->out_len),
                        ==, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
    }

    /* 5. Still there */
    valid_identify(s, find_op(0x0001));
    sweep_end(s);
}

/* USB endpoint, tunnel hops; identity; response limit */
static const SweepTarget sweep_targets[] = {
    {
        .name = "switch", .kind = CCI_USP, .endpoint = EP_SWITCH,
        .sn = CXL_USP_SN, .vendor = 0x19e5, .component_type = 0,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "serial/switch", .kind = CCI_USP, .endpoint = EP_SERIAL,
        .sn = CXL_USP_SN, .vendor = 0x19e5, .component_type = 0,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "switch-mailbox", .kind = CCI_MBOX, .endpoint = EP_MAILBOX,
        .sn = CXL_USP_SN, .vendor = 0x19e5, .component_type = 0,
        .payload_max = CXL_MAX_PAYLOAD,
    }, {
        .name = "type3", .kind = CCI_T3_EP, .endpoint = EP_MEM0,
        .sn = CXL_MEM0_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "type3-dcd", .kind = CCI_T3_DCD_EP, .endpoint = EP_DCD,
        .sn = CXL_DCD_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "switch/port0-fm-ld", .kind = CCI_T3, .endpoint = EP_SWITCH,
        .hops = 1, .hop = { CXL_MEM0_PORT },
        .sn = CXL_MEM0_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "switch/port1-fm-ld-dcd", .kind = CCI_T3_DCD,
        .endpoint = EP_SWITCH, .hops = 1, .hop = { CXL_DCD_PORT },
        .sn = CXL_DCD_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "switch-mailbox/port1-fm-ld-dcd", .kind = CCI_T3_DCD,
        .endpoint = EP_MAILBOX, .hops = 1, .hop = { CXL_DCD_PORT },
        .sn = CXL_DCD_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "type3/ld0", .kind = CCI_LD, .endpoint = EP_MEM0,
        .hops = 1, .hop = { 0 },
        .sn = CXL_MEM0_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "type3-dcd/ld0", .kind = CCI_LD, .endpoint = EP_DCD,
        .hops = 1, .hop = { 0 },
        .sn = CXL_DCD_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    }, {
        .name = "switch/port1-fm-ld-dcd/ld0", .kind = CCI_LD,
        .endpoint = EP_SWITCH, .hops = 2, .hop = { CXL_DCD_PORT, 0 },
        .sn = CXL_DCD_SN, .vendor = 0x8086, .component_type = 3,
        .payload_max = MCTP_CCI_PAYLOAD,
    },
};

int main(int argc, char **argv)
{
    size_t i;

    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_device("usb-cxl-mctp") || !qtest_has_device("usb-ehci") ||
        !qtest_has_device("cxl-type3") ||
        !qtest_has_device("cxl-switch-mailbox-cci") ||
        !qtest_has_device("cxl-mctp-serial")) {
        g_debug("usb-cxl-mctp, usb-ehci, cxl-type3, cxl-switch-mailbox-cci "
                "or cxl-mctp-serial not available");
        return 0;
    }

    for (i = 0; i < ARRAY_SIZE(sweep_targets); i++) {
        g_autofree char *path = g_strdup_printf("/cxl-mctp-sweep/%s",
                                                sweep_targets[i].name);

        qtest_add_data_func(path, &sweep_targets[i], test_sweep);
    }
    return g_test_run();
}
