/*
 * QTest soak of CXL management over MCTP: many commands over both
 * transports to every endpoint, malformed input interleaved, QEMU's
 * resident memory watched
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One machine with the CXL topology of the MCTP qtests (a switch, a type
 * 3 device with volatile memory, one with dynamic capacity) and seven
 * MCTP endpoints in front of it: usb-cxl-mctp on the switch, on each type
 * 3 device behind EHCI, one on the switch behind UHCI (full speed), and
 * i2c_mctp_cxl on the switch and on each type 3 device on a
 * designware-i2c-pci.  The test is their bus owner through the libqos
 * drivers, as in usb-cxl-mctp-test and i2c-cxl-mctp-test.
 *
 * From a seeded PRNG it sends SOAK_COMMANDS well-formed commands (MCTP
 * control, CXL CCI and FM-API: 18-byte answers, 1 KiB Get Log reads of
 * the CEL, 964-byte port states for a two-packet request, tunnels one
 * and two levels deep), to endpoints picked by weight, and about one
 * in SOAK_BAD_EVERY times one malformed input before a command: bad USB
 * or SMBus framing, bad PEC, truncated or interleaved multi-packet
 * messages, bad MCTP headers, unknown opcodes, the wrong message type,
 * bad payload lengths.  Every answer is checked: a well-formed command's
 * against the spec and against what the endpoint answered the first
 * time, a malformed input's error code, or that nothing came back for
 * one the spec says to drop; and the next command works.
 *
 * QEMU's VmRSS is read at 10% and at 100% of the run; it may not grow by
 * more than SOAK_RSS_BOUND_KIB (except in an ASan build, whose quarantine
 * holds freed memory; LeakSanitizer looks for leaks there).  The
 * figures go out as "SOAK" test messages.
 *
 * The full run (200000 commands, about 10 minutes) is registered in slow
 * mode only (-m slow; scripts/soak.sh, make check-soak); quick mode runs
 * SOAK_QUICK_COMMANDS (a few seconds).  SOAK_COMMANDS and SOAK_SEED
 * override either.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "libqtest.h"
#include "libqos/mctp.h"

#define UHCI_DEVFN          QPCI_DEVFN(0x1a, 0)
#define I2C_DEVFN           QPCI_DEVFN(0x04, 0)
#define HOST_ADDR           0x10        /* our I2C target address */
#define SOAK_ARGS \
    EHCI_ARGS \
    "-device usb-cxl-mctp,bus=ehci.0,port=1,target=us0 " \
    "-device usb-cxl-mctp,bus=ehci.0,port=2,target=mem0 " \
    "-device usb-cxl-mctp,bus=ehci.0,port=3,target=dcd1 " \
    "-device piix3-usb-uhci,id=uhci,bus=pcie.0,addr=1a.0 " \
    "-device usb-cxl-mctp,bus=uhci.0,target=us0 " \
    "-device designware-i2c-pci,id=i2c0,bus=pcie.0,addr=04.0 " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x04,target=us0 " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x05,target=mem0 " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x06,target=dcd1 "

#define SOAK_FULL_COMMANDS  200000
#define SOAK_QUICK_COMMANDS 2000
#define SOAK_SEED           0x50a4c0de
#define SOAK_BAD_EVERY      12          /* one malformed input in 12 */
#define SOAK_RSS_BOUND_KIB  2048
#define SOAK_LOG_MAX        1024        /* Get Log reads of the CEL */
#define SOAK_PORTS          60          /* Get Physical Port State */
#define RSP_LIMIT_LOG2      10          /* response limit: 1 KiB */
#define TUNNEL_HDR_SIZE     4
#define CXL_MAX_PAYLOAD     2048
#define OP_TUNNEL           0x5300
#define OP_IDENTIFY         0x0001
#define OP_GET_SUPPORTED_LOGS 0x0400
#define OP_GET_LOG          0x0401
#define OP_SET_RSP_LIMIT    0x0004
#define OP_IDENTIFY_MEMDEV  0x4000
#define OP_IDENTIFY_SWITCH  0x5100
#define OP_PORT_STATE       0x5101
#define OP_LD_INFO          0x5400
#define OP_DCD_INFO         0x5600
#define OP_UNDEFINED        0x00ff      /* no such command in set 00h */

typedef enum SoakXport { XP_EHCI, XP_UHCI, XP_I2C, NUM_XPS } SoakXport;
static const char *const xport_names[NUM_XPS] = { "usb-ehci", "usb-uhci",
                                                  "i2c" };

typedef enum SoakTarget { TG_SWITCH, TG_MEM0, TG_DCD } SoakTarget;

/* Well-formed commands */
typedef enum SoakGood {
    G_GET_UUID,             /* MCTP control */
    G_GET_MSG_TYPES,
    G_IDENTIFY,             /* 0001h, 18 bytes */
    G_GET_LOG,              /* 0401h, 1 KiB from the CEL */
    G_IDENTIFY_SWITCH,      /* 5100h */
    G_PORT_STATE,           /* 5101h, a two-packet request */
    G_TUNNEL_PORT0,         /* 5300h to the type 3 device's FM-owned LD */
    G_TUNNEL_PORT1,
    G_TUNNEL2_LOG,          /* 5300h in 5300h, Get Log: two packets */
    G_TUNNEL_LD0,           /* a type 3 device: 5300h to its LD 0 */
    G_IDENTIFY_MEMDEV,      /* 4000h */
    G_LD_INFO,              /* 5400h */
    G_DCD_INFO,             /* 5600h */
    NUM_GOOD,
} SoakGood;

static const char *const good_names[NUM_GOOD] = {
    "get-uuid", "get-msg-types", "identify", "get-log", "identify-switch",
    "port-state", "tunnel-port0", "tunnel-port1", "tunnel2-log",
    "tunnel-ld0", "identify-memdev", "ld-info", "dcd-info",
};

/* Malformed input: what the endpoint must answer, or drop */
typedef enum SoakBad {
    B_UNKNOWN_OPCODE,       /* Unsupported */
    B_WRONG_BINDING,        /* FM-API over 08h, CCI over 07h: Unsupported */
    B_PL_LEN_HEADER,        /* header length != bytes: Invalid Payload Len */
    B_PL_LEN_COMMAND,       /* 100 bytes to Identify: Invalid Payload Len */
    B_CTRL_UNSUPPORTED,     /* control command 3Fh: Unsupported */
    B_MSG_TYPE,             /* PLDM, which the endpoint lacks: dropped */
    B_SHORT_CCI,            /* shorter than a CCI header: dropped */
    B_NOT_REQUEST,          /* a CCI response: dropped */
    B_TRUNCATED,            /* SOM, never EOM: dropped at the next SOM */
    B_BAD_SEQ,              /* a packet out of sequence: dropped */
    B_INTERLEAVED,          /* another tag mid-message: dropped */
    B_MCTP_VERSION,         /* header version 2: dropped */
    B_NO_TO,                /* tag owner clear: dropped */
    B_WRONG_EID,            /* another EID: dropped */
    B_USB_DMTF_ID,          /* USB: DSP0283 header with another ID */
    B_USB_SHORT_LEN,        /* USB: DSP0283 length below 8 */
    B_USB_OVERRUN,          /* USB: DSP0283 length past the transfer */
    B_I2C_PEC,              /* I2C: bad PEC */
    B_I2C_CMD_CODE,         /* I2C: not command code 0Fh */
    B_I2C_BYTE_COUNT,       /* I2C: byte count off by one */
    B_I2C_SRC_BIT,          /* I2C: source address bit 0 clear */
    NUM_BAD,
} SoakBad;
#define NUM_BAD_COMMON      B_USB_DMTF_ID

static const char *const bad_names[NUM_BAD] = {
    "unknown-opcode", "wrong-binding", "pl-len-header", "pl-len-command",
    "ctrl-unsupported", "msg-type", "short-cci", "not-request",
    "truncated", "bad-seq", "interleaved", "mctp-version", "no-to",
    "wrong-eid", "usb-dmtf-id", "usb-short-len", "usb-overrun", "i2c-pec",
    "i2c-cmd-code", "i2c-byte-count", "i2c-src-bit",
};

typedef struct SoakEP {
    const char *name;
    SoakXport xp;
    int usb_port;           /* EHCI: the device's root port */
    uint8_t i2c_addr;
    SoakTarget target;
    unsigned weight;        /* share of the commands */
    uint8_t eid;            /* assigned at the start */
    uint32_t cel_size;
    unsigned good;          /* commands sent */
    unsigned bad;           /* malformed inputs sent */
    int64_t us;             /* wall time spent on them */
    GBytes *first[NUM_GOOD];
} SoakEP;

/*
 * A command over I2C takes about 5 times as long as over EHCI (the
 * driver polls the controller's registers a byte at a time): half the
 * commands go over USB, three eighths over I2C
 */
static const SoakEP soak_eps_init[] = {
    { "ehci/switch", XP_EHCI, 0, 0, TG_SWITCH, 4 },
    { "ehci/mem0", XP_EHCI, 1, 0, TG_MEM0, 4 },
    { "ehci/dcd1", XP_EHCI, 2, 0, TG_DCD, 4 },
    { "uhci/switch", XP_UHCI, 0, 0, TG_SWITCH, 3 },
    { "i2c-0x04/switch", XP_I2C, 0, 0x04, TG_SWITCH, 3 },
    { "i2c-0x05/mem0", XP_I2C, 0, 0x05, TG_MEM0, 3 },
    { "i2c-0x06/dcd1", XP_I2C, 0, 0x06, TG_DCD, 3 },
};
#define NUM_EPS ARRAY_SIZE(soak_eps_init)

typedef struct Soak {
    MCTPTest t;
    const MCTPTransport *xport[NUM_XPS];
    QUSBDevice *ehci_dev[3];
    SoakEP ep[NUM_EPS];
    unsigned weight_sum;
    uint32_t ld_cel_size;   /* the CEL of the DCD's LD, two tunnels away */
    GRand *rand;
    unsigned bad_by_kind[NUM_BAD];
    uint8_t out[MCTP_MSG_MAX];
    size_t out_len;
} Soak;

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = g_getenv(name);
    unsigned int n;

    if (!v || !*v) {
        return dflt;
    }
    g_assert_cmpint(qemu_strtoui(v, NULL, 0, &n), ==, 0);
    return n;
}

/* QEMU's resident set, in KiB */
static unsigned long qemu_rss_kib(Soak *s)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            (int)qtest_pid(s->t.qts));
    g_autofree char *status = NULL;
    const char *p, *end;
    unsigned long kib;

    g_assert(g_file_get_contents(path, &status, NULL, NULL));
    p = strstr(status, "VmRSS:");
    g_assert_nonnull(p);
    g_assert_cmpint(qemu_strtoul(p + strlen("VmRSS:"), &end, 10, &kib), ==,
                    0);
    g_assert(g_str_has_prefix(end, " kB\n"));
    return kib;
}

/* Talk to endpoint @ep from now on */
static void soak_select(Soak *s, SoakEP *ep)
{
    s->t.xport = s->xport[ep->xp];
    if (ep->xp == XP_EHCI) {
        s->t.dev = s->ehci_dev[ep->usb_port];
    } else if (ep->xp == XP_I2C) {
        s->t.i2c_dest = ep->i2c_addr;
    }
    /* USB: packets share OUT transfers or not, at random */
    s->t.batch = ep->xp != XP_I2C && g_rand_boolean(s->rand);
}

static uint8_t soak_dest(Soak *s, SoakEP *ep)
{
    return g_rand_boolean(s->rand) ? ep->eid : MCTP_EID_NULL;
}

static uint16_t soak_cmd(Soak *s, SoakEP *ep, uint16_t opcode,
                         const void *in, size_t in_len)
{
    uint8_t set = opcode >> 8;
    uint8_t type = set >= 0x51 && set <= 0x59 ? MCTP_TYPE_CXL_FMAPI :
                   MCTP_TYPE_CXL_CCI;

    return cxl_cmd(&s->t, soak_dest(s, ep), type, set, opcode & 0xff, in,
                   in_len, s->out, sizeof(s->out), &s->out_len);
}

/* A command that must succeed with @len bytes of answer */
static void soak_ok(Soak *s, SoakEP *ep, uint16_t opcode, const void *in,
                    size_t in_len, size_t len)
{
    g_assert_cmphex(soak_cmd(s, ep, opcode, in, in_len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(s->out_len, ==, len);
}

/*
 * A Tunnel Management Command through @hops levels (@hop[0] outermost)
 * around @opcode: the innermost answer, which must be a success, in
 * s->out
 */
static void soak_tunnel(Soak *s, SoakEP *ep, int hops, const uint8_t *hop,
                        uint16_t opcode, const void *in, size_t in_len)
{
    uint8_t msg[CXL_MAX_PAYLOAD], outer[CXL_MAX_PAYLOAD], tags[2];
    size_t msg_len = in_len;
    const uint8_t *pl;
    size_t pl_len;
    int i;

    g_assert_cmpint(hops, <=, ARRAY_SIZE(tags));
    if (in_len) {
        memcpy(msg, in, in_len);
    }
    for (i = hops - 1; i >= 0; i--) {
        tags[i] = s->t.cxl_tag++;
        outer[0] = hop[i];
        outer[1] = 0;                       /* port or LD */
        msg_len = cxl_cci_request(outer + TUNNEL_HDR_SIZE, tags[i],
                                  i == hops - 1 ? opcode : OP_TUNNEL,
                                  msg, msg_len);
        stw_le_p(outer + 2, msg_len);
        msg_len += TUNNEL_HDR_SIZE;
        memcpy(msg, outer, msg_len);
    }
    g_assert_cmphex(soak_cmd(s, ep, OP_TUNNEL, msg, msg_len), ==,
                    CXL_MBOX_SUCCESS);
    for (i = 0; i < hops; i++) {
        g_assert_cmpuint(s->out_len, >=, TUNNEL_HDR_SIZE);
        g_assert_cmpuint(lduw_le_p(s->out), ==, s->out_len - TUNNEL_HDR_SIZE);
        g_assert_cmphex(cxl_cci_response(s->out + TUNNEL_HDR_SIZE,
                                         s->out_len - TUNNEL_HDR_SIZE, tags[i],
                                         i == hops - 1 ? opcode : OP_TUNNEL,
                                         &pl, &pl_len),
                        ==, CXL_MBOX_SUCCESS);
        memmove(s->out, pl, pl_len);
        s->out_len = pl_len;
    }
}

/* Identify (0001h): the identity of a switch or a type 3 device */
static void check_identify(Soak *s, SoakTarget tg, bool direct)
{
    static const uint64_t sn[] = { CXL_USP_SN, CXL_MEM0_SN, CXL_DCD_SN };

    g_assert_cmpuint(s->out_len, ==, 18);
    g_assert_cmphex(lduw_le_p(s->out), ==, tg == TG_SWITCH ? 0x19e5 : 0x8086);
    g_assert_cmphex(ldq_le_p(s->out + 8), ==, sn[tg]);
    if (direct) {
        /* The response limit this test set */
        g_assert_cmpuint(s->out[16], ==, RSP_LIMIT_LOG2);
    }
    g_assert_cmpuint(s->out[17], ==, tg == TG_SWITCH ? 0 : 3);
}

/* The CEL: 4 bytes an opcode, the opcodes in increasing order */
static void check_cel(const uint8_t *cel, size_t len)
{
    size_t i;

    g_assert_cmpuint(len % 4, ==, 0);
    g_assert_cmphex(lduw_le_p(cel), ==, OP_IDENTIFY);
    for (i = 4; i < len; i += 4) {
        g_assert_cmphex(lduw_le_p(cel + i), >, lduw_le_p(cel + i - 4));
    }
}

static bool good_applies(const SoakEP *ep, SoakGood g)
{
    switch (g) {
    case G_IDENTIFY_SWITCH:
    case G_PORT_STATE:
    case G_TUNNEL_PORT0:
    case G_TUNNEL_PORT1:
    case G_TUNNEL2_LOG:
        return ep->target == TG_SWITCH;
    case G_TUNNEL_LD0:
    case G_IDENTIFY_MEMDEV:
    case G_LD_INFO:
        return ep->target != TG_SWITCH;
    case G_DCD_INFO:
        return ep->target == TG_DCD;
    default:
        return true;
    }
}

/* Many bytes on the wire: on I2C, the slowest, only half as often */
static bool good_is_large(SoakGood g)
{
    return g == G_GET_LOG || g == G_PORT_STATE;
}

/* Get Supported Logs: the size of the CEL, the only log */
static uint32_t check_supported_logs(Soak *s)
{
    g_assert_cmpuint(s->out_len, ==, 0x1c);
    g_assert_cmpuint(lduw_le_p(s->out), ==, 1);
    g_assert(!memcmp(s->out + 8, cxl_cel_uuid, sizeof(cxl_cel_uuid)));
    g_assert_cmpuint(ldl_le_p(s->out + 24), >=, 4);
    return ldl_le_p(s->out + 24);
}

/*
 * What a command does not write of its answer is zero, not what the
 * command before left in the binding's output buffer (QEMU's stack, in a
 * build without -ftrivial-auto-var-init=zero): Get Physical Port State of
 * the downstream ports (a Supported LD Count of 3 each), then of the
 * upstream port alone, whose count and reserved bytes the command leaves
 */
static void check_port_state_holes(Soak *s, SoakEP *ep)
{
    static const uint8_t dsps[] = { CXL_NUM_DSPS, 0, 1, 2 };
    static const uint8_t usp[] = { 1, CXL_USP_PORT };
    int i;

    soak_ok(s, ep, OP_PORT_STATE, dsps, sizeof(dsps), 4 + 16 * CXL_NUM_DSPS);
    for (i = 0; i < CXL_NUM_DSPS; i++) {
        g_assert_cmpuint(s->out[4 + 16 * i + 15], ==, 3);
    }
    soak_ok(s, ep, OP_PORT_STATE, usp, sizeof(usp), 4 + 16);
    g_assert_cmpuint(s->out[4], ==, CXL_USP_PORT);
    for (i = 1; i < 4; i++) {
        g_assert_cmphex(s->out[i], ==, 0);              /* reserved */
    }
    g_assert_cmphex(s->out[4 + 3], ==, 0);              /* reserved */
    g_assert_cmphex(s->out[4 + 15], ==, 0);             /* LD count */
}

/* Well-formed command @g to @ep; its answer checked */
static void soak_good(Soak *s, SoakEP *ep, SoakGood g)
{
    uint8_t in[SOAK_PORTS + 1], hop[2];
    uint8_t cel_in[CXL_GET_LOG_IN_SIZE];
    int i;

    switch (g) {
    case G_GET_UUID:
        g_assert_cmphex(mctp_control(&s->t, soak_dest(s, ep), MCTP_GET_UUID,
                                     NULL, 0, s->out, sizeof(s->out),
                                     &s->out_len), ==, MCTP_CC_SUCCESS);
        g_assert_cmpuint(s->out_len, ==, 16);
        g_assert_cmphex(s->out[6] >> 4, ==, 5);         /* RFC 9562 v5 */
        break;
    case G_GET_MSG_TYPES:
        g_assert_cmphex(mctp_control(&s->t, soak_dest(s, ep),
                                     MCTP_GET_MSG_TYPES, NULL, 0, s->out,
                                     sizeof(s->out), &s->out_len),
                        ==, MCTP_CC_SUCCESS);
        g_assert_cmpuint(s->out_len, ==, 3);
        g_assert_cmpuint(s->out[0], ==, 2);
        g_assert_cmphex(s->out[1], ==, MCTP_TYPE_CXL_FMAPI);
        g_assert_cmphex(s->out[2], ==, MCTP_TYPE_CXL_CCI);
        break;
    case G_IDENTIFY:
        soak_ok(s, ep, OP_IDENTIFY, NULL, 0, 18);
        check_identify(s, ep->target, true);
        break;
    case G_GET_LOG:
        /*
         * 1 KiB, as fabric managers read it: the CEL (76 to 192 bytes
         * here), then zeros.  CXL r3.2 8.2.10.5.2 wants Invalid Input
         * for a read past the size Get Supported Logs gives; QEMU
         * answers any read within its CEL array.
         */
        cxl_get_cel_in(cel_in, 0, SOAK_LOG_MAX);
        soak_ok(s, ep, OP_GET_LOG, cel_in, sizeof(cel_in), SOAK_LOG_MAX);
        check_cel(s->out, ep->cel_size);
        for (i = ep->cel_size; i < SOAK_LOG_MAX; i++) {
            g_assert_cmphex(s->out[i], ==, 0);
        }
        break;
    case G_IDENTIFY_SWITCH:
        soak_ok(s, ep, OP_IDENTIFY_SWITCH, NULL, 0, 0x49);
        g_assert_cmpuint(s->out[2], ==, CXL_NUM_DSPS + 1);
        break;
    case G_PORT_STATE:
        /* 61 bytes of request: two packets at the baseline MTU */
        in[0] = SOAK_PORTS;
        for (i = 0; i < SOAK_PORTS; i++) {
            in[1 + i] = i % (CXL_NUM_DSPS + 1);         /* 0-2 DSPs, 3 USP */
        }
        soak_ok(s, ep, OP_PORT_STATE, in, sizeof(in), 4 + 16 * SOAK_PORTS);
        g_assert_cmpuint(s->out[0], ==, SOAK_PORTS);
        for (i = 0; i < SOAK_PORTS; i++) {
            const uint8_t *blk = s->out + 4 + 16 * i;

            g_assert_cmpuint(blk[0], ==, in[1 + i]);
            g_assert_cmpuint(blk[1], ==, in[1 + i] == CXL_USP_PORT ? 4 : 3);
        }
        break;
    case G_TUNNEL_PORT0:
    case G_TUNNEL_PORT1:
        hop[0] = g == G_TUNNEL_PORT0 ? CXL_MEM0_PORT : CXL_DCD_PORT;
        soak_tunnel(s, ep, 1, hop, OP_IDENTIFY, NULL, 0);
        check_identify(s, g == G_TUNNEL_PORT0 ? TG_MEM0 : TG_DCD, false);
        break;
    case G_TUNNEL2_LOG:
        /* 1 + 3 * 12 + 2 * 4 + 24 = 69 bytes: two packets */
        hop[0] = CXL_DCD_PORT;
        hop[1] = 0;
        cxl_get_cel_in(cel_in, 0, s->ld_cel_size);
        soak_tunnel(s, ep, 2, hop, OP_GET_LOG, cel_in, sizeof(cel_in));
        g_assert_cmpuint(s->out_len, ==, s->ld_cel_size);
        check_cel(s->out, s->out_len);
        break;
    case G_TUNNEL_LD0:
        hop[0] = 0;
        soak_tunnel(s, ep, 1, hop, OP_IDENTIFY, NULL, 0);
        check_identify(s, ep->target, false);
        break;
    case G_IDENTIFY_MEMDEV:
        soak_ok(s, ep, OP_IDENTIFY_MEMDEV, NULL, 0, 0x45);
        /* Total and volatile capacity, in 256 MiB units */
        g_assert_cmpuint(ldq_le_p(s->out + 16), ==,
                         ep->target == TG_MEM0 ? CXL_MEM0_SIZE >> 28 : 0);
        g_assert_cmpuint(ldq_le_p(s->out + 24), ==,
                         ep->target == TG_MEM0 ? CXL_MEM0_SIZE >> 28 : 0);
        break;
    case G_LD_INFO:
        soak_ok(s, ep, OP_LD_INFO, NULL, 0, 11);
        g_assert_cmphex(ldq_le_p(s->out), ==,
                        ep->target == TG_MEM0 ? CXL_MEM0_SIZE : CXL_DCD_SIZE);
        g_assert_cmpuint(lduw_le_p(s->out + 8), ==, 1);
        break;
    case G_DCD_INFO:
        soak_ok(s, ep, OP_DCD_INFO, NULL, 0, 0x54);
        g_assert_cmpuint(s->out[1], ==, CXL_DCD_REGIONS);
        g_assert_cmphex(ldq_le_p(s->out + 12), ==, CXL_DCD_SIZE >> 28);
        break;
    default:
        g_assert_not_reached();
    }

    /* The same answer every time */
    if (!ep->first[g]) {
        ep->first[g] = g_bytes_new(s->out, s->out_len);
    } else {
        gsize first_len;
        const uint8_t *first = g_bytes_get_data(ep->first[g], &first_len);

        if (first_len != s->out_len || memcmp(first, s->out, first_len)) {
            g_test_message("%s: %s answered differently from the first time",
                           ep->name, good_names[g]);
            g_assert_cmpuint(first_len, ==, s->out_len);
            g_assert_cmpmem(first, first_len, s->out, s->out_len);
        }
    }
    ep->good++;
}

/* Malformed input */

/* One MCTP packet (header first) to the endpoint, as the transport frames */
static void soak_send_packet(Soak *s, const uint8_t *pkt, size_t len)
{
    uint8_t xfer[DSP0283_LEN_MAX];

    if (s->t.xport->send_packet) {
        s->t.xport->send_packet(&s->t, pkt, len);
        return;
    }
    mctp_flush(&s->t);
    g_assert_cmpuint(DSP0283_HDR_SIZE + len, <=, sizeof(xfer));
    xfer[0] = DSP0283_DMTF_ID_HI;
    xfer[1] = DSP0283_DMTF_ID_LO;
    xfer[2] = 0;
    xfer[3] = DSP0283_HDR_SIZE + len;
    memcpy(xfer + DSP0283_HDR_SIZE, pkt, len);
    mctp_bulk_out(&s->t, xfer, DSP0283_HDR_SIZE + len);
}

/* An MCTP packet from us to @dest: header, then @len bytes of @body */
static size_t soak_packet(uint8_t *pkt, uint8_t dest, uint8_t flags,
                          const uint8_t *body, size_t len)
{
    mctp_packet_header(pkt, dest, flags);
    memcpy(pkt + MCTP_HDR_SIZE, body, len);
    return MCTP_HDR_SIZE + len;
}

/* One SMBus block write of @frame to the endpoint, whatever is in it */
static void soak_i2c_write(Soak *s, const uint8_t *frame, size_t len)
{
    g_assert_cmpstr(qdw_i2c_status_str(qdw_i2c_write(s->t.i2c,
                                                     s->t.i2c_dest, frame,
                                                     len)),
                    ==, qdw_i2c_status_str(QDW_I2C_OK));
}

/*
 * The answer to a malformed CXL request @r that the binding or the CCI
 * refuses: return code @rc, no payload
 */
static void soak_expect_rc(Soak *s, const CXLRequest *r, uint16_t rc)
{
    g_assert_cmphex(cxl_cmd_recv(&s->t, r, s->out, sizeof(s->out),
                                 &s->out_len), ==, rc);
    g_assert_cmpuint(s->out_len, ==, 0);
}

static void soak_bad(Soak *s, SoakEP *ep, SoakBad b)
{
    /* An Identify with 100 bytes of payload: 113 bytes, two packets */
    uint8_t msg[1 + CXL_HDR_SIZE + 100], pkt[DSP0283_LEN_MAX];
    uint8_t frame[SMBUS_FRAME_MAX], xfer[DSP0283_LEN_MAX], rsp[16];
    uint8_t tag = mctp_next_tag(&s->t) | MCTP_TO, dest = soak_dest(s, ep);
    uint8_t chunk = MCTP_BASELINE_MTU - MCTP_HDR_SIZE;
    CXLRequest r;
    size_t len, n;
    bool dropped = true;

    msg[0] = MCTP_TYPE_CXL_CCI;
    memset(msg + 1 + CXL_HDR_SIZE, 0xa5, 100);
    len = 1 + cxl_cci_request(msg + 1, s->t.cxl_tag++, OP_IDENTIFY,
                              msg + 1 + CXL_HDR_SIZE, 100);

    switch (b) {
    case B_UNKNOWN_OPCODE:
        cxl_cmd_send(&s->t, &r, dest, MCTP_TYPE_CXL_CCI, OP_UNDEFINED >> 8,
                     OP_UNDEFINED & 0xff, NULL, 0);
        soak_expect_rc(s, &r, CXL_MBOX_UNSUPPORTED);
        dropped = false;
        break;
    case B_WRONG_BINDING:
        if (g_rand_boolean(s->rand)) {
            cxl_cmd_send(&s->t, &r, dest, MCTP_TYPE_CXL_CCI,
                         OP_IDENTIFY_SWITCH >> 8, OP_IDENTIFY_SWITCH & 0xff,
                         NULL, 0);
        } else {
            cxl_cmd_send(&s->t, &r, dest, MCTP_TYPE_CXL_FMAPI,
                         OP_IDENTIFY >> 8, OP_IDENTIFY & 0xff, NULL, 0);
        }
        soak_expect_rc(s, &r, CXL_MBOX_UNSUPPORTED);
        dropped = false;
        break;
    case B_PL_LEN_HEADER:
        /* 24 bytes of Get Log input, the header says 23 or 25 */
        cxl_get_cel_in(pkt, 0, 4);
        r = (CXLRequest) {
            .type = MCTP_TYPE_CXL_CCI, .set = OP_GET_LOG >> 8,
            .cmd = OP_GET_LOG & 0xff, .tag = tag & MCTP_TAG_MASK,
            .cxl_tag = s->t.cxl_tag++,
        };
        n = cxl_cci_request(msg, r.cxl_tag, OP_GET_LOG, pkt,
                            CXL_GET_LOG_IN_SIZE);
        st24_le_p(msg + 5, CXL_GET_LOG_IN_SIZE +
                  (g_rand_boolean(s->rand) ? 1 : -1));
        mctp_send(&s->t, dest, r.tag, MCTP_TYPE_CXL_CCI, msg, n,
                  MCTP_BASELINE_MTU);
        soak_expect_rc(s, &r, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
        dropped = false;
        break;
    case B_PL_LEN_COMMAND:
        r = (CXLRequest) {
            .type = MCTP_TYPE_CXL_CCI, .set = OP_IDENTIFY >> 8,
            .cmd = OP_IDENTIFY & 0xff, .tag = tag & MCTP_TAG_MASK,
            .cxl_tag = msg[2],
        };
        mctp_send(&s->t, dest, r.tag, MCTP_TYPE_CXL_CCI, msg + 1, len - 1,
                  MCTP_BASELINE_MTU);
        soak_expect_rc(s, &r, CXL_MBOX_INVALID_PAYLOAD_LENGTH);
        dropped = false;
        break;
    case B_CTRL_UNSUPPORTED:
        g_assert_cmphex(mctp_control(&s->t, dest, MCTP_CMD_RESERVED, NULL, 0,
                                     rsp, sizeof(rsp), &n),
                        ==, MCTP_CC_UNSUPPORTED);
        g_assert_cmpuint(n, ==, 0);
        dropped = false;
        break;
    case B_MSG_TYPE:
        msg[0] = MCTP_TYPE_PLDM;
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM |
                                             tag, msg, 1 + CXL_HDR_SIZE));
        break;
    case B_SHORT_CCI:
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM |
                                             tag, msg, 1 + CXL_HDR_SIZE - 1));
        break;
    case B_NOT_REQUEST:
        msg[1] = CXL_CATEGORY_RSP;
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM |
                                             tag, msg, 1 + CXL_HDR_SIZE));
        break;
    case B_TRUNCATED:
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | tag, msg,
                                             chunk));
        break;
    case B_BAD_SEQ:
    case B_INTERLEAVED:
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | tag, msg,
                                             chunk));
        if (b == B_BAD_SEQ) {
            n = soak_packet(pkt, dest, MCTP_EOM | 2 << MCTP_SEQ_SHIFT | tag,
                            msg + chunk, len - chunk);
        } else {
            n = soak_packet(pkt, dest, MCTP_EOM | 1 << MCTP_SEQ_SHIFT |
                            (mctp_next_tag(&s->t) | MCTP_TO), msg + chunk,
                            len - chunk);
        }
        soak_send_packet(s, pkt, n);
        break;
    case B_MCTP_VERSION:
        n = soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM | tag, msg,
                        1 + CXL_HDR_SIZE);
        pkt[0] = 0x02;
        soak_send_packet(s, pkt, n);
        break;
    case B_NO_TO:
        soak_send_packet(s, pkt, soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM |
                                             (tag & MCTP_TAG_MASK), msg,
                                             1 + CXL_HDR_SIZE));
        break;
    case B_WRONG_EID:
        soak_send_packet(s, pkt, soak_packet(pkt, ep->eid + 0x40,
                                             MCTP_SOM | MCTP_EOM | tag, msg,
                                             1 + CXL_HDR_SIZE));
        break;
    case B_USB_DMTF_ID:
    case B_USB_SHORT_LEN:
    case B_USB_OVERRUN:
        n = dsp0283_packet(xfer, dest, MCTP_SOM | MCTP_EOM | tag, msg,
                           1 + CXL_HDR_SIZE);
        if (b == B_USB_DMTF_ID) {
            xfer[1] ^= 0x01;
        } else if (b == B_USB_SHORT_LEN) {
            xfer[3] = g_rand_int_range(s->rand, 0, DSP0283_LEN_MIN);
        } else {
            xfer[3] = n + 1 + g_rand_int_range(s->rand, 0, 8);
        }
        mctp_flush(&s->t);
        mctp_bulk_out(&s->t, xfer, n);
        break;
    case B_I2C_PEC:
    case B_I2C_CMD_CODE:
    case B_I2C_BYTE_COUNT:
    case B_I2C_SRC_BIT:
        n = mctp_smbus_frame(&s->t, frame, pkt,
                             soak_packet(pkt, dest, MCTP_SOM | MCTP_EOM | tag,
                                         msg, 1 + CXL_HDR_SIZE));
        if (b == B_I2C_PEC) {
            frame[n - 1] ^= 1 << g_rand_int_range(s->rand, 0, 8);
        } else if (b == B_I2C_CMD_CODE) {
            frame[0] = SMBUS_MCTP_COMMAND - 1;
        } else if (b == B_I2C_BYTE_COUNT) {
            frame[1] += g_rand_boolean(s->rand) ? 1 : -1;
        } else {
            frame[2] &= ~SMBUS_MCTP_SRC_BIT;
        }
        soak_i2c_write(s, frame, n);
        break;
    default:
        g_assert_not_reached();
    }

    /*
     * Dropped: nothing answers it.  USB can tell at once (the device
     * NAKs bulk IN); on I2C a stray answer would come before the next
     * command's and fail its tag check.
     */
    if (dropped && ep->xp != XP_I2C) {
        mctp_assert_nothing_queued(&s->t);
    }
    ep->bad++;
    s->bad_by_kind[b]++;
}

static SoakBad soak_pick_bad(Soak *s, SoakEP *ep)
{
    unsigned n = NUM_BAD_COMMON + (ep->xp == XP_I2C ? 4 : 3);
    unsigned k = g_rand_int_range(s->rand, 0, n);

    if (k < NUM_BAD_COMMON) {
        return k;
    }
    return (ep->xp == XP_I2C ? B_I2C_PEC : B_USB_DMTF_ID) + k -
           NUM_BAD_COMMON;
}

static SoakGood soak_pick_good(Soak *s, SoakEP *ep)
{
    SoakGood g;

    for (;;) {
        g = g_rand_int_range(s->rand, 0, NUM_GOOD);
        if (!good_applies(ep, g)) {
            continue;
        }
        if (ep->xp == XP_I2C && good_is_large(g) &&
            g_rand_boolean(s->rand)) {
            continue;
        }
        return g;
    }
}

static SoakEP *soak_pick_ep(Soak *s)
{
    unsigned w = g_rand_int_range(s->rand, 0, s->weight_sum);
    size_t i;

    for (i = 0; i < NUM_EPS; i++) {
        if (w < s->ep[i].weight) {
            return &s->ep[i];
        }
        w -= s->ep[i].weight;
    }
    g_assert_not_reached();
}

/* Machine */

static void soak_start(Soak *s, uint32_t seed)
{
    uint8_t limit = RSP_LIMIT_LOG2;
    size_t i;
    int port;

    memset(s, 0, sizeof(*s));
    memcpy(s->ep, soak_eps_init, sizeof(s->ep));
    s->rand = g_rand_new_with_seed(seed);
    mctp_test_boot(&s->t, CXL_TOPOLOGY SOAK_ARGS);
    s->xport[XP_EHCI] = s->t.xport;
    s->t.hc = qehci_init(s->t.qts, s->t.pcibus, &s->t.alloc, EHCI_DEVFN);
    for (port = 0; port < ARRAY_SIZE(s->ehci_dev); port++) {
        s->ehci_dev[port] = qusb_enumerate(s->t.hc, port, USB_ADDR + port,
                                           s->t.desc);
        assert_xfer_ok(qusb_set_configuration(s->ehci_dev[port], 1));
    }
    mctp_test_attach_uhci(&s->t, UHCI_DEVFN);
    s->xport[XP_UHCI] = s->t.xport;
    mctp_test_attach_i2c(&s->t, I2C_DEVFN, HOST_ADDR, 0x04);
    s->xport[XP_I2C] = s->t.xport;

    /* Each endpoint: an EID, a 1 KiB response limit, the CEL's size */
    for (i = 0; i < NUM_EPS; i++) {
        SoakEP *ep = &s->ep[i];

        s->weight_sum += ep->weight;
        ep->eid = DEVICE_EID + i;
        soak_select(s, ep);
        mctp_set_eid(&s->t, MCTP_EID_NULL, ep->eid);
        soak_ok(s, ep, OP_SET_RSP_LIMIT, &limit, 1, 1);
        g_assert_cmpuint(s->out[0], ==, RSP_LIMIT_LOG2);
        soak_ok(s, ep, OP_GET_SUPPORTED_LOGS, NULL, 0, 0x1c);
        ep->cel_size = check_supported_logs(s);
        if (ep->target == TG_SWITCH) {
            check_port_state_holes(s, ep);
        }
        if (ep->target == TG_SWITCH && !s->ld_cel_size) {
            static const uint8_t hop[2] = { CXL_DCD_PORT, 0 };

            soak_tunnel(s, ep, 2, hop, OP_GET_SUPPORTED_LOGS, NULL, 0);
            s->ld_cel_size = check_supported_logs(s);
        }
    }
}

static void soak_end(Soak *s)
{
    size_t i, g;

    for (i = 0; i < NUM_EPS; i++) {
        for (g = 0; g < NUM_GOOD; g++) {
            if (s->ep[i].first[g]) {
                g_bytes_unref(s->ep[i].first[g]);
            }
        }
    }
    g_rand_free(s->rand);
    s->t.dev = NULL;
    for (i = 0; i < ARRAY_SIZE(s->ehci_dev); i++) {
        qusb_device_free(s->ehci_dev[i]);
    }
    mctp_test_end(&s->t);
}

static void test_soak(const void *data)
{
    unsigned n = env_uint("SOAK_COMMANDS", GPOINTER_TO_UINT(data));
    uint32_t seed = env_uint("SOAK_SEED", SOAK_SEED);
    g_autofree Soak *s = g_new(Soak, 1);
    unsigned long rss10 = 0, rss100;
    unsigned i, xp_good[NUM_XPS] = {}, xp_bad[NUM_XPS] = {}, bad = 0;
    int64_t xp_us[NUM_XPS] = {};
    long drift;
    double secs;
    int64_t t0, t_last;

    g_assert_cmpuint(n, >=, 10);
    soak_start(s, seed);
    t0 = t_last = g_get_monotonic_time();
    for (i = 0; i < n; i++) {
        SoakEP *ep = soak_pick_ep(s);
        int64_t t1 = g_get_monotonic_time();

        soak_select(s, ep);
        if (g_rand_int_range(s->rand, 0, SOAK_BAD_EVERY) == 0) {
            soak_bad(s, ep, soak_pick_bad(s, ep));
        }
        soak_good(s, ep, soak_pick_good(s, ep));
        ep->us += g_get_monotonic_time() - t1;
        if ((i + 1) % (n / 10) == 0) {
            /* Progress, and whether it slows down or grows */
            int64_t now = g_get_monotonic_time();
            unsigned long rss = qemu_rss_kib(s);

            g_test_message("SOAK %3u%%: %u commands, %.1f s, %.0f commands/s "
                           "since the last, VmRSS %lu KiB",
                           (i + 1) / (n / 10) * 10, i + 1, (now - t0) / 1e6,
                           n / 10 / ((now - t_last) / 1e6), rss);
            t_last = now;
            if (!rss10) {
                rss10 = rss;
            }
        }
    }
    secs = (g_get_monotonic_time() - t0) / 1e6;
    rss100 = qemu_rss_kib(s);

    g_test_message("SOAK seed 0x%08x: %u commands in %.1f s, %.0f commands/s",
                   seed, n, secs, n / secs);
    for (i = 0; i < NUM_EPS; i++) {
        SoakEP *ep = &s->ep[i];

        g_test_message("SOAK endpoint %-16s %7u commands %6u malformed "
                       "%6.1f s", ep->name, ep->good, ep->bad, ep->us / 1e6);
        xp_good[ep->xp] += ep->good;
        xp_bad[ep->xp] += ep->bad;
        xp_us[ep->xp] += ep->us;
        bad += ep->bad;
    }
    for (i = 0; i < NUM_XPS; i++) {
        g_test_message("SOAK transport %-16s %7u commands %6u malformed "
                       "%6.1f s", xport_names[i], xp_good[i], xp_bad[i],
                       xp_us[i] / 1e6);
    }
    for (i = 0; i < NUM_BAD; i++) {
        g_test_message("SOAK malformed %-16s %6u", bad_names[i],
                       s->bad_by_kind[i]);
    }
    drift = (long)rss100 - (long)rss10;
    g_test_message("SOAK malformed inputs %u (%.1f%% of inputs)", bad,
                   100.0 * bad / (n + bad));
    g_test_message("SOAK QEMU VmRSS at 10%%: %lu KiB, at 100%%: %lu KiB, "
                   "difference %+ld KiB (bound %d KiB)", rss10, rss100, drift,
                   SOAK_RSS_BOUND_KIB);
#ifdef QEMU_SANITIZE_ADDRESS
    /*
     * QEMU is built with ASan too: freed memory waits in its quarantine
     * (256 MiB) before reuse, so the resident set grows; LeakSanitizer
     * checks for leaks when QEMU exits instead
     */
    g_test_message("SOAK ASan build: VmRSS not bounded");
#else
    g_assert_cmpint(labs(drift), <=, SOAK_RSS_BOUND_KIB);
#endif

    /* The endpoints all still answer */
    for (i = 0; i < NUM_EPS; i++) {
        soak_select(s, &s->ep[i]);
        soak_good(s, &s->ep[i], G_IDENTIFY);
    }
    soak_end(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_device("usb-cxl-mctp") || !qtest_has_device("usb-ehci") ||
        !qtest_has_device("piix3-usb-uhci") ||
        !qtest_has_device("i2c_mctp_cxl") ||
        !qtest_has_device("designware-i2c-pci") ||
        !qtest_has_device("cxl-type3")) {
        g_debug("usb-cxl-mctp, usb-ehci, piix3-usb-uhci, i2c_mctp_cxl, "
                "designware-i2c-pci or cxl-type3 not available");
        return 0;
    }

    if (g_test_slow()) {
        qtest_add_data_func("/cxl-mctp-soak/full",
                            GUINT_TO_POINTER(SOAK_FULL_COMMANDS), test_soak);
    } else {
        qtest_add_data_func("/cxl-mctp-soak/quick",
                            GUINT_TO_POINTER(SOAK_QUICK_COMMANDS), test_soak);
    }
    return g_test_run();
}
