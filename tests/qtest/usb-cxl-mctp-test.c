/*
 * QTest testcase for usb-cxl-mctp: CXL FM-API and CCI over MCTP over USB
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The device sits on an EHCI controller in front of a CXL switch; the test
 * enumerates it with the libqos EHCI driver and talks MCTP to it the way a
 * host's mctp-usb driver would, with the helpers of libqos/mctp.h
 * (mctp_send(), mctp_recv(), mctp_control(), cxl_cmd()).
 *
 * Wire formats: DMTF DSP0283 1.0 (MCTP over USB), DSP0236 (MCTP base and
 * control), DSP0234/DSP0281 and CXL r3.x 7.6.3 (CXL messages over MCTP).
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/mctp.h"

#define MCTP_ON_EHCI \
    EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,target=us0,id=mctp0 "
#define MCTP_DCD_ON_EHCI \
    EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,target=dcd1,id=mctp0 "
#define UHCI_DEVFN          QPCI_DEVFN(0x1d, 0)
#define UHCI_ARGS \
    "-device piix3-usb-uhci,id=uhci,bus=pcie.0,addr=1d.0 "
#define MCTP_ON_UHCI \
    UHCI_ARGS "-device usb-cxl-mctp,bus=uhci.0,target=us0,id=mctp0 "
#define MCTP_ON_ICH9_UHCI \
    "-device ich9-usb-uhci1,id=uhci,bus=pcie.0,addr=1d.0 " \
    "-device usb-cxl-mctp,bus=uhci.0,target=us0,id=mctp0 "
#define MCTP_ON_XHCI \
    XHCI_ARGS "-device usb-cxl-mctp,bus=xhci.0,target=us0,id=mctp0 "

/* Start QEMU with the CXL topology and @usb (controller and device) */
static void cxl_test_boot(MCTPTest *t, const char *usb)
{
    mctp_test_boot(t, CXL_TOPOLOGY "%s", usb);
}

/*
 * Start QEMU with @usb (EHCI_ARGS and a usb-cxl-mctp on bus ehci.0, with
 * the target and properties the test wants), then enumerate the device
 * and configure it.
 */
static void mctp_test_start_with(MCTPTest *t, const char *usb)
{
    cxl_test_boot(t, usb);
    mctp_test_attach_ehci(t, EHCI_DEVFN);
}

/* The same with the device on EHCI in front of switch us0 */
static void mctp_test_start(MCTPTest *t)
{
    mctp_test_start_with(t, MCTP_ON_EHCI);
}

/*
 * Start QEMU with @usb (a UHCI controller "uhci" at UHCI_DEVFN and a
 * usb-cxl-mctp on uhci.0), then enumerate the device at full speed and
 * configure it.
 */
static void mctp_test_start_uhci_with(MCTPTest *t, const char *usb)
{
    cxl_test_boot(t, usb);
    mctp_test_attach_uhci(t, UHCI_DEVFN);
}

static void mctp_test_start_uhci(MCTPTest *t)
{
    mctp_test_start_uhci_with(t, MCTP_ON_UHCI);
}

/* Test cases: USB */

static const uint8_t *find_desc(const uint8_t *buf, size_t len, size_t *off,
                                uint8_t type)
{
    while (*off + 2 <= len) {
        const uint8_t *d = buf + *off;

        g_assert_cmpuint(d[0], >=, 2);
        g_assert_cmpuint(*off + d[0], <=, len);
        *off += d[0];
        if (d[1] == type) {
            return d;
        }
    }
    return NULL;
}

/*
 * The device descriptor in t->desc and the configuration @cfg (@len
 * bytes): USB 2.0, a 64-byte control endpoint, one interface of MCTP
 * class 0x14 (DSP0283 1.0: subclass 0, protocol 1) with bulk OUT 0x01 and
 * bulk IN 0x81 of @bulk_mps bytes.
 */
static void check_mctp_descriptors(MCTPTest *t, const uint8_t *cfg,
                                   size_t len, unsigned bulk_mps)
{
    const uint8_t *iface, *ep;
    bool seen_out = false, seen_in = false;
    size_t off = 0;
    int i;

    g_assert_cmpuint(t->desc[1], ==, USB_DT_DEVICE);
    g_assert_cmphex(t->desc[2] | t->desc[3] << 8, ==, 0x0200);
    g_assert_cmpuint(t->desc[7], ==, 64);
    g_assert_cmpuint(t->desc[17], ==, 1);

    g_assert_cmpuint(len, >=, 9);
    g_assert_cmpuint(cfg[1], ==, USB_DT_CONFIG);
    g_assert_cmpuint(cfg[2] | cfg[3] << 8, ==, len);
    g_assert_cmpuint(cfg[4], ==, 1);

    iface = find_desc(cfg, len, &off, USB_DT_INTERFACE);
    g_assert(iface);
    g_assert_cmphex(iface[5], ==, 0x14);
    g_assert_cmphex(iface[6], ==, 0x00);
    g_assert_cmphex(iface[7], ==, 0x01);
    g_assert_cmpuint(iface[4], ==, 2);

    for (i = 0; i < 2; i++) {
        ep = find_desc(cfg, len, &off, USB_DT_ENDPOINT);
        g_assert(ep);
        g_assert_cmphex(ep[3] & 3, ==, USB_ENDPOINT_XFER_BULK);
        g_assert_cmpuint(ep[4] | ep[5] << 8, ==, bulk_mps);
        if (ep[2] == 0x01) {
            seen_out = true;
        } else {
            g_assert_cmphex(ep[2], ==, 0x81);
            seen_in = true;
        }
    }
    g_assert(seen_out && seen_in);
    g_assert_null(find_desc(cfg, len, &off, USB_DT_INTERFACE));
}

static void test_ehci_descriptors(void)
{
    MCTPTest t;
    uint8_t cfg[256];
    size_t len;
    g_autofree char *info = NULL;
    g_autofree char *product = NULL;

    mctp_test_start(&t);
    g_test_message("device %04x:%04x", t.desc[8] | t.desc[9] << 8,
                   t.desc[10] | t.desc[11] << 8);
    info = qtest_hmp(t.qts, "info usb");
    g_assert(strstr(info, "Speed 480 Mb/s"));
    assert_xfer_ok(qusb_get_descriptor(t.dev, USB_DT_CONFIG, 0, 0, cfg,
                                       sizeof(cfg), &len));
    /* 512-byte bulk endpoints at high speed */
    check_mctp_descriptors(&t, cfg, len, 512);

    /* The product name is readable */
    g_assert_cmpuint(t.desc[15], !=, 0);
    product = qusb_get_string(t.dev, t.desc[15]);
    g_assert(product && *product);
    g_test_message("product \"%s\"", product);

    /* Configured and idle: nothing to read */
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

/* The xHCI side: the device attaches to a USB 3 port at super speed */
static void test_xhci_super_speed(void)
{
    MCTPTest t;
    g_autofree char *info = NULL;
    g_auto(GStrv) lines = NULL;
    bool found = false;
    int i;

    cxl_test_boot(&t, MCTP_ON_XHCI);
    info = qtest_hmp(t.qts, "info usb");
    lines = g_strsplit(info, "\n", -1);
    for (i = 0; lines[i]; i++) {
        if (g_str_has_suffix(g_strstrip(lines[i]), "ID: mctp0")) {
            g_test_message("%s", lines[i]);
            g_assert(strstr(lines[i], "Speed 5000 Mb/s"));
            found = true;
        }
    }
    g_assert(found);
    mctp_test_end(&t);
}

/* Test cases: MCTP control */

static void test_control_get_eid_unassigned(void)
{
    MCTPTest t;

    mctp_test_start(&t);
    /* Before assignment a bus owner reaches it by the null EID */
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

static void test_control_set_eid(void)
{
    MCTPTest t;
    uint8_t req[2] = { 0x00 /* set */, DEVICE_EID };
    uint8_t rsp[8], src;
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, req,
                                 sizeof(req), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 3);
    /* Accepted, the EID now in use, no pool */
    g_assert_cmphex(rsp[0] & 0x30, ==, 0x00);
    g_assert_cmphex(rsp[1], ==, DEVICE_EID);
    g_assert_cmphex(rsp[2], ==, 0);

    /* Its new EID, and still the null EID, reach it */
    g_assert_cmphex(mctp_control_full(&t, DEVICE_EID, MCTP_GET_EID, NULL, 0,
                                      rsp, sizeof(rsp), &len, &src),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 3);
    g_assert_cmphex(rsp[0], ==, DEVICE_EID);
    g_assert_cmphex(src, ==, DEVICE_EID);
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, DEVICE_EID);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

static void test_control_message_types(void)
{
    MCTPTest t;
    uint8_t rsp[16];
    size_t len;
    bool fmapi, cci;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_MSG_TYPES, NULL,
                                 0, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    /* mctpd wants exactly count + the list; control is implied */
    g_assert_cmpuint(len, >=, 1);
    g_assert_cmpuint(rsp[0], ==, 2);
    g_assert_cmpuint(len, ==, 1 + rsp[0]);
    fmapi = rsp[1] == MCTP_TYPE_CXL_FMAPI || rsp[2] == MCTP_TYPE_CXL_FMAPI;
    cci = rsp[1] == MCTP_TYPE_CXL_CCI || rsp[2] == MCTP_TYPE_CXL_CCI;
    g_assert(fmapi && cci);
    mctp_test_end(&t);
}

static void test_control_unsupported_command(void)
{
    MCTPTest t;
    uint8_t rsp[16];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_CMD_RESERVED, NULL,
                                 0, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_UNSUPPORTED);
    /* And the endpoint still answers */
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    mctp_test_end(&t);
}

static void test_control_version_support(void)
{
    MCTPTest t;
    uint8_t type, rsp[64];
    size_t len;
    int i;

    mctp_test_start(&t);
    /* 0xff: the base specification, 1.x, BCD with high nibbles 0xf */
    type = 0xff;
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_VERSION, &type,
                                 1, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, >=, 5);
    g_assert_cmpuint(len, ==, 1 + 4 * rsp[0]);
    for (i = 0; i < rsp[0]; i++) {
        g_assert_cmphex(rsp[1 + 4 * i], ==, 0xf1);
        g_assert_cmphex(rsp[2 + 4 * i] & 0xf0, ==, 0xf0);
    }
    /* A type it does not carry */
    type = MCTP_TYPE_PLDM;
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_VERSION, &type,
                                 1, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_VERSION_TYPE_UNSUPPORTED);
    mctp_test_end(&t);
}

static void test_control_uuid(void)
{
    static const uint8_t nil[16];
    MCTPTest t;
    uint8_t rsp[32];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_UUID, NULL, 0,
                                 rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 16);
    /* mctpd takes a nil UUID for "unknown" and reassigns the EID */
    g_assert(memcmp(rsp, nil, sizeof(nil)) != 0);
    mctp_test_end(&t);
}

/*
 * As a host driver does it: an IN transfer is already waiting (and being
 * NAKed) when the request goes out; the response completes it.
 */
/*
 * A bulk IN for a whole transfer, which the controller hands to the
 * device within two frames; with nothing queued the device holds it
 */
static void mctp_hold_in(MCTPTest *t)
{
    assert_xfer_ok(qehci_bulk_in_submit(t->dev, MCTP_EP, MCTP_XFER_SIZE));
    qtest_clock_step(t->qts, 2 * 1000 * 1000);
}

/* Get EID, whose response completes the IN held by mctp_hold_in() */
static void mctp_held_in_gets_response(MCTPTest *t)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t req[2] = { MCTP_CTRL_RQ | 7, MCTP_GET_EID };
    uint8_t tag = mctp_next_tag(t);

    mctp_send(t, MCTP_EID_NULL, tag, MCTP_TYPE_CONTROL, req, sizeof(req),
              MCTP_BASELINE_MTU);
    assert_xfer_ok(qehci_bulk_in_wait(t->dev, MCTP_EP, t->rx, &t->rx_len));
    g_assert_cmpuint(t->rx_len, >, 0);
    t->rx_off = 0;
    mctp_recv_response(t, m, tag, MCTP_TYPE_CONTROL);
    g_assert_cmpuint(m->len, ==, 7);
    g_assert_cmphex(m->data[1], ==, 7);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_assert_nothing_queued(t);
}

/* An IN issued before the request is completed by its response */
static void test_control_response_to_waiting_in(void)
{
    MCTPTest t;

    mctp_test_start(&t);
    mctp_hold_in(&t);
    /* Ten more frames with nothing to send */
    qtest_clock_step(t.qts, 10 * 1000 * 1000);
    mctp_held_in_gets_response(&t);
    mctp_test_end(&t);
}

/*
 * SET_CONFIGURATION while an IN is held: the endpoints start again, so
 * the held IN ends, with an error, rather than being completed later off
 * the endpoint queue it was on (QEMU aborted: found by the cxl-mctp-usb
 * fuzz targets); the host clears the halt the error left (the device
 * stalled CLEAR_FEATURE) and the device answers.
 */
static void test_control_set_configuration_with_in_held(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t req[2] = { MCTP_CTRL_RQ | 7, MCTP_GET_EID };
    uint8_t tag;
    MCTPTest t;

    mctp_test_start(&t);
    mctp_hold_in(&t);
    /* What qusb_set_configuration() sends, the IN left in flight */
    assert_xfer_ok(qusb_control(t.dev, USB_DIR_OUT, USB_REQ_SET_CONFIGURATION,
                                1, 0, NULL, 0, NULL));
    tag = mctp_next_tag(&t);
    mctp_send(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CONTROL, req, sizeof(req),
              MCTP_BASELINE_MTU);
    g_assert_cmpstr(qusb_status_str(qehci_bulk_in_wait(t.dev, MCTP_EP, t.rx,
                                                       &t.rx_len)),
                    ==, qusb_status_str(QUSB_ERROR));
    t.rx_len = 0;
    /* A host clears the halt (the device used to stall that) */
    assert_xfer_ok(qusb_clear_halt(t.dev, USB_DIR_IN | MCTP_EP));
    /* The response was kept for the next IN */
    mctp_recv_response(&t, m, tag, MCTP_TYPE_CONTROL);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

/* Test cases: CXL */

static void test_cci_identify(void)
{
    MCTPTest t;
    uint8_t out[64];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    /* CXL r3.1 Table 8-36: 18 bytes; the target is a switch (type 0) */
    g_assert_cmpuint(len, >=, 18);
    g_test_message("identify: vid %04x did %04x max message 2^%u type %u",
                   out[0] | out[1] << 8, out[2] | out[3] << 8, out[16],
                   out[17]);
    g_assert_cmpuint(out[17], ==, 0x00);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

static void test_fmapi_identify_switch(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start(&t);
    /* Its 73-byte payload makes a response of two baseline packets */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    /* CXL r3.2 Table 7-72: what the command line built */
    g_assert_cmpuint(out[0], ==, 0);                    /* ingress: MCTP */
    g_assert_cmpuint(out[2], ==, CXL_NUM_DSPS + 1);     /* physical ports */
    g_assert_cmpuint(out[3], ==, 1);                    /* VCSs */
    /* Active ports: downstream 0 to 2 and the upstream port 3 */
    g_assert_cmphex(out[4], ==, 0x0f);
    g_assert_cmphex(out[36], ==, 0x01);                 /* active VCS 0 */
    g_assert_cmpuint(out[68] | out[69] << 8, ==, CXL_NUM_DSPS + 1);
    g_assert_cmpuint(out[70] | out[71] << 8, ==, CXL_NUM_DSPS + 1);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

/*
 * A request in several packets, one per transfer and then packed in one
 * transfer, with a response of several packets that the device packs in
 * its IN transfers: Get Physical Port State for 30 ports.  Small
 * fragments stand in for a request longer than the baseline unit.
 */
static void test_fmapi_multi_packet(void)
{
    enum { NPORTS = 30, BLOCK = 16 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t req[CXL_HDR_SIZE + 1 + NPORTS] = { 0 };
    uint8_t tag;
    const uint8_t *pl;
    int round, i;

    req[0] = CXL_CATEGORY_REQ;
    req[3] = CXL_CMD_GET_PHYS_PORT_STATE;
    req[4] = CXL_SET_PHYS_SWITCH;
    req[5] = 1 + NPORTS;
    req[CXL_HDR_SIZE] = NPORTS;
    for (i = 0; i < NPORTS; i++) {
        req[CXL_HDR_SIZE + 1 + i] = i % CXL_NUM_DSPS;
    }

    mctp_test_start(&t);
    for (round = 0; round < 2; round++) {
        tag = mctp_next_tag(&t);
        req[1] = round + 1;
        if (round == 0) {
            mctp_send(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI, req,
                      sizeof(req), 20);
        } else {
            mctp_send_packed(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI,
                             req, sizeof(req), 20);
        }
        mctp_recv_response(&t, m, tag, MCTP_TYPE_CXL_FMAPI);
        g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE + 4 + NPORTS * BLOCK);
        g_assert_cmpuint(m->packets, >, 1);
        g_assert_cmphex(m->data[1 + 1], ==, round + 1);
        g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                        CXL_MBOX_SUCCESS);
        pl = m->data + 1 + CXL_HDR_SIZE;
        g_assert_cmpuint(pl[0], ==, NPORTS);
        for (i = 0; i < NPORTS; i++) {
            g_assert_cmpuint(pl[4 + i * BLOCK], ==, i % CXL_NUM_DSPS);
        }
        mctp_assert_nothing_queued(&t);
    }
    mctp_test_end(&t);
}

/* Several requests packed in one OUT transfer, as newer Linux sends them */
static void test_control_packed_requests(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t xfer[MCTP_XFER_SIZE];
    size_t len = 0;
    int i;

    mctp_test_start(&t);
    for (i = 0; i < 3; i++) {
        uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ | i, MCTP_GET_EID };

        len += dsp0283_packet(xfer + len, MCTP_EID_NULL,
                              MCTP_SOM | MCTP_EOM | MCTP_TO | (4 + i),
                              msg, sizeof(msg));
    }
    assert_xfer_ok(qusb_bulk_out(t.dev, MCTP_EP, xfer, len));
    for (i = 0; i < 3; i++) {
        mctp_recv_response(&t, m, 4 + i, MCTP_TYPE_CONTROL);
        g_assert_cmpuint(m->len, ==, 7);
        g_assert_cmphex(m->data[1], ==, i);
        g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    }
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

/* A device that answers: nothing else queued, Get EID still works */
static void mctp_assert_still_works(MCTPTest *t, uint8_t eid)
{
    mctp_assert_nothing_queued(t);
    g_assert_cmphex(mctp_get_eid(t, MCTP_EID_NULL), ==, eid);
    mctp_assert_nothing_queued(t);
}

static void mctp_send_raw(MCTPTest *t, const void *xfer, size_t len)
{
    mctp_bulk_out(t, xfer, len);
}

static void test_fmapi_physical_port_state(void)
{
    MCTPTest t;
    uint8_t in[1 + CXL_NUM_DSPS + 1], out[256];
    size_t len;
    int i;

    in[0] = CXL_NUM_DSPS + 1;
    for (i = 0; i <= CXL_NUM_DSPS; i++) {
        in[1 + i] = i;      /* downstream ports 0 to 2, upstream port 3 */
    }
    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            in, sizeof(in), out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 16 * (CXL_NUM_DSPS + 1));
    g_assert_cmpuint(out[0], ==, CXL_NUM_DSPS + 1);
    for (i = 0; i <= CXL_NUM_DSPS; i++) {
        const uint8_t *b = out + 4 + 16 * i;

        g_assert_cmpuint(b[0], ==, i);
        if (i == CXL_USP_PORT) {
            g_assert_cmpuint(b[1], ==, 4);          /* upstream port */
        } else {
            g_assert_cmpuint(b[1], ==, 3);          /* downstream port */
            /* Port 2 is empty, 0 and 1 have type 3 devices below */
            g_assert_cmpuint(b[4], ==, i == 2 ? 0 : 5);
        }
    }
    mctp_test_end(&t);
}

/* Tunnel Management Command to the DCD's FM-owned LD: its Identify */
static void test_fmapi_tunnel_identify(void)
{
    MCTPTest t;
    uint8_t in[4 + CXL_HDR_SIZE] = {
        CXL_DCD_PORT, 0, CXL_HDR_SIZE, 0,
        CXL_CATEGORY_REQ, 0x5a, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };
    uint8_t out[128];
    const uint8_t *inner, *id;
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_TUNNEL, CXL_CMD_TUNNEL, in, sizeof(in),
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, >=, 4 + CXL_HDR_SIZE + 18);
    g_assert_cmpuint(out[0] | out[1] << 8, ==, len - 4);
    inner = out + 4;
    g_assert_cmphex(inner[0], ==, CXL_CATEGORY_RSP);
    g_assert_cmphex(inner[1], ==, 0x5a);
    g_assert_cmphex(inner[3], ==, CXL_CMD_IDENTIFY);
    g_assert_cmphex(inner[8] | inner[9] << 8, ==, CXL_MBOX_SUCCESS);
    id = inner + CXL_HDR_SIZE;
    g_assert_cmphex(ldq_le_p(id + 8), ==, CXL_DCD_SN);
    g_assert_cmpuint(id[17], ==, 0x03);             /* type 3 */
    mctp_test_end(&t);
}

/* An endpoint on a type 3 device: its FM-owned LD command set */
static void test_type3_identify_ld_dcd(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start_with(&t, MCTP_DCD_ON_EHCI);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_DCD_SN);
    g_assert_cmpuint(out[17], ==, 0x03);

    /* Get LD Info: all of its memory, one LD */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_MLD_COMP, CXL_CMD_GET_LD_INFO, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 11);
    g_assert_cmphex(ldq_le_p(out), ==, CXL_DCD_SIZE);
    g_assert_cmpuint(lduw_le_p(out + 8), ==, 1);

    /* Get DCD Info: regions and capacity (in 256 MiB units) */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_FM_DCD, CXL_CMD_GET_DCD_INFO, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, >=, 20);
    g_assert_cmpuint(out[0], ==, 1);                /* hosts */
    g_assert_cmpuint(out[1], ==, CXL_DCD_REGIONS);
    g_assert_cmphex(ldq_le_p(out + 12), ==, CXL_DCD_SIZE >> 28);
    mctp_test_end(&t);
}

/*
 * A switch has one timestamp, whichever of its CCIs sets or reads it, and
 * it runs with the virtual clock.  Get or Set Timestamp on a switch CCI
 * used to abort QEMU (the handlers took the switch for a type 3 device).
 */
static void test_timestamp_shared_by_switch_ccis(void)
{
    const uint64_t set = 1000000ULL * 1000000000ULL;    /* 1e6 s */
    const uint64_t sec = 1000000000ULL;
    uint8_t in[8], out[2048];
    CXLMailbox mb;
    MCTPTest t;
    uint64_t now;
    size_t len;

    mctp_test_start_with(&t, MCTP_ON_EHCI SWCCI_ARGS);
    cxl_mbox_init(&t, &mb, SWCCI_DEVFN, 0);

    /* Never set: 0 */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, 0x03, 0x00,
                            NULL, 0, out, sizeof(out), &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmpuint(ldq_le_p(out), ==, 0);

    /* Set over MCTP, read through the mailbox a second later */
    stq_le_p(in, set);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, 0x03, 0x01,
                            in, sizeof(in), out, sizeof(out), &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0);
    qtest_clock_step(t.qts, sec);
    g_assert_cmphex(cxl_mbox_cmd(&mb, 0x03, 0x00, NULL, 0, out, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 8);
    now = ldq_le_p(out);
    g_assert_cmpuint(now, >=, set + sec);
    g_assert_cmpuint(now, <, set + 2 * sec);

    /* Set through the mailbox, read over MCTP */
    stq_le_p(in, 5 * set);
    g_assert_cmphex(cxl_mbox_cmd(&mb, 0x03, 0x01, in, sizeof(in), out, &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, 0x03, 0x00,
                            NULL, 0, out, sizeof(out), &len), ==,
                    CXL_MBOX_SUCCESS);
    now = ldq_le_p(out);
    g_assert_cmpuint(now, >=, 5 * set);
    g_assert_cmpuint(now, <, 5 * set + sec);
    cxl_mbox_free(&mb);
    mctp_test_end(&t);
}

#define CXL_MBOX_BG_STARTED 0x0001
#define CXL_MBOX_BUSY       0x0006
#define VPPB_UNBOUND        0
#define VPPB_IN_PROGRESS    1
#define VPPB_BOUND_PORT     2

/* vPPB 0's binding status, through the switch mailbox CCI (5200h) */
static uint8_t mbox_vppb0_status(CXLMailbox *mb)
{
    uint8_t in[4] = { 0, 1, 1, 0 }, out[2048];
    size_t len;

    g_assert_cmphex(cxl_mbox_cmd(mb, 0x52, 0x00, in, sizeof(in), out, &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 4 + 4);
    return out[8];
}

/* Unbind vPPB 0 over MCTP: it starts in the background */
static void mctp_unbind_vppb0(MCTPTest *t)
{
    uint8_t in[3] = { 0, 0, 2 }, out[64];
    size_t len;

    g_assert_cmphex(cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI, 0x52, 0x02,
                            in, sizeof(in), out, sizeof(out), &len), ==,
                    CXL_MBOX_BG_STARTED);
}

/*
 * The MCTP endpoint that started an Unbind vPPB is unplugged before it
 * completes: the vPPB is not left in progress for ever.  While it ran,
 * the other CCI of the switch found the vPPB busy.
 */
static void test_unplug_mid_unbind(void)
{
    uint8_t in[6] = { 0, 0, 0, 0, 0xff, 0xff }, out[2048];
    CXLMailbox mb;
    MCTPTest t;
    size_t len;

    mctp_test_start_with(&t, MCTP_ON_EHCI SWCCI_ARGS);
    cxl_mbox_init(&t, &mb, SWCCI_DEVFN, 0);
    mctp_unbind_vppb0(&t);
    g_assert_cmpuint(mbox_vppb0_status(&mb), ==, VPPB_IN_PROGRESS);
    g_assert_cmphex(cxl_mbox_cmd(&mb, 0x52, 0x01, in, sizeof(in), out, &len),
                    ==, CXL_MBOX_BUSY);

    qtest_qmp_device_del(t.qts, "mctp0");
    qusb_device_free(t.dev);
    t.dev = NULL;
    g_assert_cmpuint(mbox_vppb0_status(&mb), ==, VPPB_UNBOUND);

    /* Bound again through the mailbox */
    g_assert_cmphex(cxl_mbox_cmd(&mb, 0x52, 0x01, in, sizeof(in), out, &len),
                    ==, CXL_MBOX_BG_STARTED);
    qtest_clock_step(t.qts, 1000000000ULL);
    g_assert_cmpuint(mbox_vppb0_status(&mb), ==, VPPB_BOUND_PORT);
    cxl_mbox_free(&mb);
    mctp_test_end(&t);
}

/* A machine reset binds an unbound vPPB again, as on the command line */
static void test_system_reset_rebinds_vppb(void)
{
    CXLMailbox mb;
    MCTPTest t;

    mctp_test_start_with(&t, MCTP_ON_EHCI SWCCI_ARGS);
    cxl_mbox_init(&t, &mb, SWCCI_DEVFN, 0);
    mctp_unbind_vppb0(&t);
    qtest_clock_step(t.qts, 1000000000ULL);
    g_assert_cmpuint(mbox_vppb0_status(&mb), ==, VPPB_UNBOUND);
    cxl_mbox_free(&mb);

    qtest_system_reset(t.qts);
    qusb_device_forget(t.dev);
    qusb_forget(t.hc);
    mctp_test_attach_ehci(&t, EHCI_DEVFN);
    cxl_mbox_init(&t, &mb, SWCCI_DEVFN, 0);
    g_assert_cmpuint(mbox_vppb0_status(&mb), ==, VPPB_BOUND_PORT);
    /* and the MCTP CCI that unbound it can unbind it again */
    mctp_unbind_vppb0(&t);
    cxl_mbox_free(&mb);
    mctp_test_end(&t);
}

/*
 * Set DC Region Configuration of a region the device does not have is
 * Invalid Input (it used to divide by that region's block size of 0), as
 * is a block size the region does not support
 */
static void test_set_dc_region_config_missing_region(void)
{
    uint8_t in[16] = { CXL_DCD_REGIONS }, out[128];
    MCTPTest t;
    size_t len;

    mctp_test_start_with(&t, MCTP_DCD_ON_EHCI);
    stq_le_p(in + 4, 2 * 1024 * 1024);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_FM_DCD, 0x02, in, sizeof(in), out,
                            sizeof(out), &len), ==, CXL_MBOX_INVALID_INPUT);
    in[0] = 0;
    stq_le_p(in + 4, 3 * 1024 * 1024);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_FM_DCD, 0x02, in, sizeof(in), out,
                            sizeof(out), &len), ==, CXL_MBOX_INVALID_INPUT);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* Get Log of the CEL: @len bytes from @offset */
static uint16_t cxl_get_cel(MCTPTest *t, uint32_t offset, uint32_t len,
                            uint8_t *out, size_t *out_len)
{
    uint8_t in[CXL_GET_LOG_IN_SIZE];

    cxl_get_cel_in(in, offset, len);
    return cxl_cmd(t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, CXL_SET_LOGS,
                   CXL_CMD_GET_LOG, in, sizeof(in), out, 1024, out_len);
}

/*
 * After Set Response Message Limit to 2^10, a 1 KiB Get Log comes back as
 * 17 packets of at most 68 bytes packed into three 512-byte IN transfers
 * (the RFC sent one packet of any size, and QEMU asserted past 512).
 */
static void test_cci_response_limit_1k_log(void)
{
    g_autofree uint8_t *log = g_malloc(1024);
    g_autofree uint8_t *half = g_malloc(1024);
    MCTPTest t;
    uint8_t limit = 10, out[8];
    size_t len, i;
    bool identify = false;

    mctp_test_start(&t);
    /* 512 bytes is the limit to begin with */
    g_assert_cmphex(cxl_get_cel(&t, 0, 1024, log, &len), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit, 1,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 1);
    g_assert_cmpuint(out[0], ==, 10);

    t.in_xfers = 0;
    g_assert_cmphex(cxl_get_cel(&t, 0, 1024, log, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 1024);
    /* 1 + 12 + 1024 bytes in 64-byte payloads, 7 packets per transfer */
    g_assert_cmpuint(t.in_xfers, ==, 3);
    /* Its entries: 4 bytes each, Identify (0001h) among them */
    for (i = 0; i + 4 <= len && lduw_le_p(log + i); i += 4) {
        identify |= lduw_le_p(log + i) == 0x0001;
    }
    g_assert_true(identify);
    g_assert_cmpuint(i, >, 8 * 4);
    /* The same bytes as the second half read on its own */
    g_assert_cmphex(cxl_get_cel(&t, 512, 512, half, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 512);
    g_assert_cmpmem(half, 512, log + 512, 512);
    g_assert_cmphex(cxl_get_cel(&t, 0, 512, half, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpmem(half, 512, log, 512);
    mctp_assert_nothing_queued(&t);
    mctp_test_end(&t);
}

/*
 * A request longer than 255 bytes (five baseline packets): the RFC kept
 * the reassembled length in the 8-bit USB length field.  Get Physical
 * Port State for all four ports, with trailing bytes it ignores.
 */
static void test_fmapi_request_over_255_bytes(void)
{
    enum { PL = 300 };
    g_autofree uint8_t *in = g_malloc0(PL);
    MCTPTest t;
    uint8_t out[256];
    size_t len;
    int i;

    in[0] = CXL_NUM_DSPS + 1;
    for (i = 0; i <= CXL_NUM_DSPS; i++) {
        in[1 + i] = i;
    }
    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            in, PL, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 16 * (CXL_NUM_DSPS + 1));
    g_assert_cmpuint(out[4 + 16 * CXL_USP_PORT], ==, CXL_USP_PORT);
    mctp_test_end(&t);
}

/* Two endpoints on one switch: each has its own CCI state */
static void test_two_endpoints_own_cci(void)
{
    MCTPTest t;
    QUSBDevice *dev[2];
    uint8_t limit = 10, out[8];
    size_t len;
    int i;

    cxl_test_boot(&t, EHCI_ARGS
                   "-device usb-cxl-mctp,bus=ehci.0,port=1,target=us0 "
                   "-device usb-cxl-mctp,bus=ehci.0,port=2,target=us0 ");
    t.hc = qehci_init(t.qts, t.pcibus, &t.alloc, EHCI_DEVFN);
    for (i = 0; i < 2; i++) {
        dev[i] = qusb_enumerate(t.hc, i, USB_ADDR + i, t.desc);
        assert_xfer_ok(qusb_set_configuration(dev[i], 1));
    }
    t.dev = dev[0];
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit, 1,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    t.dev = dev[1];
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_GET_RSP_LIMIT, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(out[0], ==, 9);
    t.dev = dev[0];
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_GET_RSP_LIMIT, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(out[0], ==, 10);
    qusb_device_free(dev[1]);
    mctp_test_end(&t);
}

/* A port reset forgets the EID and any partly received request */
static void test_reset_drops_eid_and_partial(void)
{
    MCTPTest t;
    uint8_t set[2] = { 0x00, DEVICE_EID }, rsp[8], xfer[32];
    uint8_t msg[2] = { MCTP_CTRL_RQ | 1, MCTP_GET_EID };
    size_t len;
    int port;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    /* The start of a request whose end comes after the reset */
    len = dsp0283_packet(xfer, DEVICE_EID, MCTP_SOM | MCTP_TO | 2,
                         (const uint8_t[]) { MCTP_TYPE_CONTROL }, 1);
    mctp_send_raw(&t, xfer, len);

    port = qusb_first_connected_port(t.hc);
    qusb_device_free(t.dev);
    t.dev = qusb_enumerate(t.hc, port, USB_ADDR, t.desc);
    assert_xfer_ok(qusb_set_configuration(t.dev, 1));

    len = dsp0283_packet(xfer, MCTP_EID_NULL,
                         MCTP_EOM | MCTP_TO | 2 | 1 << MCTP_SEQ_SHIFT,
                         msg, sizeof(msg));
    mctp_send_raw(&t, xfer, len);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* Unplug mctp0: the controller no longer sees it, QEMU carries on */
static void mctp_unplug_and_end(MCTPTest *t)
{
    qtest_qmp_device_del(t->qts, "mctp0");
    g_assert_cmpint(qusb_first_connected_port(t->hc), <, 0);
    qtest_qmp_assert_success(t->qts, "{ 'execute': 'query-status' }");
    qusb_device_free(t->dev);
    t->dev = NULL;
    mctp_test_end(t);
}

/* Unplugged with a request half received and a response not fetched */
static void test_unplug_mid_message(void)
{
    MCTPTest t;
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[32];
    size_t len;

    mctp_test_start(&t);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO | 1,
                         msg, sizeof(msg));
    mctp_send_raw(&t, xfer, len);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_TO | 2,
                         msg, 1);
    mctp_send_raw(&t, xfer, len);
    mctp_unplug_and_end(&t);
}

/*
 * The host gives up a held IN (its driver unlinks the qTD after its NAK
 * budget): the device lets it go, and the response to the next request
 * comes whole in the next IN, not into the one given up
 */
static void test_in_held_cancelled(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start(&t);
    mctp_hold_in(&t);
    g_assert_cmpstr(qusb_status_str(qehci_bulk_in_wait(t.dev, MCTP_EP, t.rx,
                                                       &t.rx_len)),
                    ==, qusb_status_str(QUSB_NO_DATA));
    t.rx_len = 0;
    /* Two packets of response */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    mctp_hold_in(&t);
    mctp_held_in_gets_response(&t);
    mctp_test_end(&t);
}

/* Unplugged while it holds an IN: the controller cancels it, QEMU goes on */
static void test_unplug_in_held(void)
{
    MCTPTest t;

    mctp_test_start(&t);
    mctp_hold_in(&t);
    mctp_unplug_and_end(&t);
}

/*
 * A port reset while the device holds an IN (the host's driver resets
 * the port with its receive URB pending): the device comes back with no
 * EID and answers on a new IN
 */
static void test_port_reset_in_held(void)
{
    MCTPTest t;
    int port;

    mctp_test_start(&t);
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID);
    mctp_hold_in(&t);
    port = qusb_first_connected_port(t.hc);
    g_assert(qusb_port_reset(t.hc, port));
    qusb_device_free(t.dev);
    t.dev = qusb_enumerate(t.hc, port, USB_ADDR, t.desc);
    assert_xfer_ok(qusb_set_configuration(t.dev, 1));
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * A guest reboot with its receive URB pending: system_reset while the
 * device holds an IN.  The device answers on the reset controller.
 */
static void test_system_reset_in_held(void)
{
    MCTPTest t;

    mctp_test_start(&t);
    mctp_hold_in(&t);
    qtest_system_reset(t.qts);
    qusb_device_forget(t.dev);
    qusb_forget(t.hc);
    mctp_test_attach_ehci(&t, EHCI_DEVFN);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Migrated while the device holds an IN: the IN is not migrated; the
 * controller on the destination submits it again from the guest's
 * schedule, and the response to the next request completes it.  The EID
 * the bus owner assigned before migration stays.
 */
static void test_migrate_in_held(void)
{
    MCTPTest t;

    mctp_test_start(&t);
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID);
    mctp_hold_in(&t);
    mctp_test_migrate(&t, CXL_TOPOLOGY MCTP_ON_EHCI);
    qtest_clock_step(t.qts, 2 * 1000 * 1000);
    mctp_held_in_gets_response(&t);
    mctp_assert_still_works(&t, DEVICE_EID);
    mctp_test_end(&t);
}

/* Malformed input: dropped (or answered with an error), device unharmed */

/*
 * A Get EID request whose DSP0283 header byte @index is @value instead:
 * the device must drop it and carry on.
 */
static void mctp_test_bad_usb_header(size_t index, uint8_t value)
{
    MCTPTest t;
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[16];
    size_t len;

    mctp_test_start(&t);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO,
                         msg, sizeof(msg));
    xfer[index] = value;
    mctp_send_raw(&t, xfer, len);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_bad_dmtf_id(void)
{
    mctp_test_bad_usb_header(1, 0xb5);
}

static void test_usb_length_below_8(void)
{
    MCTPTest t;
    /* A USB header saying 7 bytes: less than the two headers */
    uint8_t xfer[7] = { 0x1a, 0xb4, 0, 7, MCTP_HDR_VERSION, 0, HOST_EID };

    mctp_test_start(&t);
    mctp_send_raw(&t, xfer, sizeof(xfer));
    xfer[3] = 5;
    mctp_send_raw(&t, xfer, 5);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_length_beyond_transfer(void)
{
    mctp_test_bad_usb_header(3, 100);
}

/* Packets after a bad header in the same transfer are dropped too */
static void test_bad_header_drops_rest_of_transfer(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[64];
    size_t len = 0, bad;

    mctp_test_start(&t);
    len += dsp0283_packet(xfer + len, MCTP_EID_NULL,
                          MCTP_SOM | MCTP_EOM | MCTP_TO | 1, msg, sizeof(msg));
    bad = len;
    len += dsp0283_packet(xfer + len, MCTP_EID_NULL,
                          MCTP_SOM | MCTP_EOM | MCTP_TO | 2, msg, sizeof(msg));
    xfer[bad] = 0x00;
    len += dsp0283_packet(xfer + len, MCTP_EID_NULL,
                          MCTP_SOM | MCTP_EOM | MCTP_TO | 3, msg, sizeof(msg));
    mctp_send_raw(&t, xfer, len);
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CONTROL);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_bad_sequence(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t p0[1] = { MCTP_TYPE_CONTROL };
    uint8_t p1[2] = { MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[16];
    size_t len;

    mctp_test_start(&t);
    /* Sequence 0 then 2: the message is dropped */
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_TO | 1, p0, 1);
    mctp_send_raw(&t, xfer, len);
    len = dsp0283_packet(xfer, MCTP_EID_NULL,
                         MCTP_EOM | MCTP_TO | 1 | 2 << MCTP_SEQ_SHIFT, p1, 2);
    mctp_send_raw(&t, xfer, len);
    mctp_assert_nothing_queued(&t);
    /* 3 then 0 (wrapping): a whole message */
    len = dsp0283_packet(xfer, MCTP_EID_NULL,
                         MCTP_SOM | MCTP_TO | 1 | 3 << MCTP_SEQ_SHIFT, p0, 1);
    mctp_send_raw(&t, xfer, len);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_EOM | MCTP_TO | 1, p1, 2);
    mctp_send_raw(&t, xfer, len);
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CONTROL);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_middle_without_start(void)
{
    MCTPTest t;
    uint8_t p1[2] = { MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[16];
    size_t len;

    mctp_test_start(&t);
    len = dsp0283_packet(xfer, MCTP_EID_NULL,
                         MCTP_EOM | MCTP_TO | 1 | 1 << MCTP_SEQ_SHIFT, p1, 2);
    mctp_send_raw(&t, xfer, len);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_message_over_size_limit(void)
{
    enum { PL = 200 };
    g_autofree uint8_t *req = g_malloc0(CXL_HDR_SIZE + PL);
    MCTPTest t;

    mctp_test_start_with(&t, EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,"
                         "target=us0,max-message-size=128 ");
    req[3] = CXL_CMD_IDENTIFY;
    req[5] = PL;
    mctp_send(&t, MCTP_EID_NULL, 1, MCTP_TYPE_CXL_CCI, req,
              CXL_HDR_SIZE + PL, MCTP_BASELINE_MTU);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* FM-API commands only over type 0x07, the others only over 0x08 */
static void test_binding_mismatch(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_UNSUPPORTED);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_UNSUPPORTED);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_payload_length_mismatch(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t req[CXL_HDR_SIZE] = {
        CXL_CATEGORY_REQ, 9, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT, 5,
    };

    mctp_test_start(&t);
    /* The header claims 5 payload bytes, none follow */
    mctp_send(&t, MCTP_EID_NULL, 1, MCTP_TYPE_CXL_CCI, req, sizeof(req),
              MCTP_BASELINE_MTU);
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CXL_CCI);
    g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE);
    g_assert_cmphex(m->data[1 + 1], ==, 9);
    g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_unknown_opcode(void)
{
    MCTPTest t;
    uint8_t out[16];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, 0x00, 0xff,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_UNSUPPORTED);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_wrong_destination_eid(void)
{
    MCTPTest t;
    uint8_t set[2] = { 0x00, DEVICE_EID }, rsp[8], xfer[16];
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    len = dsp0283_packet(xfer, DEVICE_EID + 1, MCTP_SOM | MCTP_EOM | MCTP_TO,
                         msg, sizeof(msg));
    mctp_send_raw(&t, xfer, len);
    mctp_assert_nothing_queued(&t);
    g_assert_cmphex(mctp_get_eid(&t, DEVICE_EID), ==, DEVICE_EID);
    mctp_assert_still_works(&t, DEVICE_EID);
    mctp_test_end(&t);
}

static void test_bad_mctp_version(void)
{
    mctp_test_bad_usb_header(4, 0x02);
}

static void test_broadcast_source_eid(void)
{
    mctp_test_bad_usb_header(6, 0xff);
}

/* Tag owner clear: a response, and this endpoint never asked anything */
static void test_unexpected_response(void)
{
    mctp_test_bad_usb_header(7, MCTP_SOM | MCTP_EOM | 1);
}

/* A start of message with no byte after the MCTP header: no message type */
static void test_start_without_type(void)
{
    MCTPTest t;
    uint8_t xfer[8] = {
        DSP0283_DMTF_ID_HI, DSP0283_DMTF_ID_LO, 0, 8,
        MCTP_HDR_VERSION, MCTP_EID_NULL, HOST_EID,
        MCTP_SOM | MCTP_EOM | MCTP_TO,
    };

    mctp_test_start(&t);
    mctp_send_raw(&t, xfer, sizeof(xfer));
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * A new start of message abandons the message being reassembled: the new
 * one is answered, the rest of the old one is dropped
 */
static void test_new_start_abandons_message(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t p0[1] = { MCTP_TYPE_CONTROL };
    uint8_t p1[2] = { MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[16];
    size_t len;

    mctp_test_start(&t);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_TO | 1, p0, 1);
    mctp_send_raw(&t, xfer, len);
    mctp_send(&t, MCTP_EID_NULL, 2, MCTP_TYPE_CONTROL, p1, sizeof(p1),
              MCTP_BASELINE_MTU);
    len = dsp0283_packet(xfer, MCTP_EID_NULL,
                         MCTP_EOM | MCTP_TO | 1 | 1 << MCTP_SEQ_SHIFT, p1, 2);
    mctp_send_raw(&t, xfer, len);
    mctp_recv_response(&t, m, 2, MCTP_TYPE_CONTROL);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * One whole message of type @type with @len bytes of @msg after the type
 * byte: dropped, with no response, and the endpoint answers the next
 */
static void mctp_test_message_dropped(uint8_t type, const void *msg,
                                      size_t len)
{
    MCTPTest t;

    mctp_test_start(&t);
    mctp_send(&t, MCTP_EID_NULL, 1, type, msg, len, MCTP_BASELINE_MTU);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* DSP0236 8.9: a message type the endpoint does not support is dropped */
static void test_unsupported_message_type(void)
{
    uint8_t msg[4] = { 0x80, 0x02, 0x00, 0x00 };

    mctp_test_message_dropped(MCTP_TYPE_PLDM, msg, sizeof(msg));
    mctp_test_message_dropped(0x7e, msg, sizeof(msg));
}

static void test_control_shorter_than_header(void)
{
    uint8_t rq[1] = { MCTP_CTRL_RQ };

    mctp_test_message_dropped(MCTP_TYPE_CONTROL, rq, 0);
    mctp_test_message_dropped(MCTP_TYPE_CONTROL, rq, sizeof(rq));
}

/* A control response (Rq clear): this endpoint sends no requests */
static void test_control_not_request(void)
{
    uint8_t msg[3] = { 1, MCTP_GET_EID, MCTP_CC_SUCCESS };

    mctp_test_message_dropped(MCTP_TYPE_CONTROL, msg, sizeof(msg));
}

/* DSP0236: control messages carry no integrity check */
static void test_control_integrity_check(void)
{
    uint8_t msg[2] = { MCTP_CTRL_RQ, MCTP_GET_EID };

    mctp_test_message_dropped(MCTP_TYPE_CONTROL | 0x80, msg, sizeof(msg));
}

static void test_cxl_shorter_than_header(void)
{
    uint8_t req[CXL_HDR_SIZE - 1] = {
        CXL_CATEGORY_REQ, 1, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };

    mctp_test_message_dropped(MCTP_TYPE_CXL_CCI, req, sizeof(req));
    mctp_test_message_dropped(MCTP_TYPE_CXL_FMAPI, req, 1);
}

/* A CXL response sent to the endpoint: it never sent a request */
static void test_cxl_not_request(void)
{
    uint8_t rsp[CXL_HDR_SIZE] = {
        CXL_CATEGORY_RSP, 1, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };

    mctp_test_message_dropped(MCTP_TYPE_CXL_CCI, rsp, sizeof(rsp));
}

/*
 * An endpoint whose max-message-size takes a request longer than any
 * mailbox payload (2 KiB) answers it Invalid Payload Length
 */
static void test_cxl_payload_over_mailbox_size(void)
{
    enum { PL = 2048 + 1 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    g_autofree uint8_t *req = g_malloc0(CXL_HDR_SIZE + PL);
    MCTPTest t;

    mctp_test_start_with(&t, EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,"
                         "target=us0,max-message-size=4096 ");
    req[1] = 7;
    req[3] = CXL_CMD_IDENTIFY;
    req[4] = CXL_SET_INFOSTAT;
    req[5] = PL & 0xff;
    req[6] = PL >> 8;
    mctp_send(&t, MCTP_EID_NULL, 1, MCTP_TYPE_CXL_CCI, req,
              CXL_HDR_SIZE + PL, MCTP_BASELINE_MTU);
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CXL_CCI);
    g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE);
    g_assert_cmphex(m->data[1 + 1], ==, 7);
    g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                    CXL_MBOX_INVALID_PAYLOAD_LENGTH);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Requests whose responses are never fetched: once 16 KiB of responses
 * wait, the next responses are dropped, not queued without bound; the
 * ones queued come out whole and in order, and the endpoint then answers
 * again.
 */
static void test_response_queue_full(void)
{
    enum { REQUESTS = 40, LOG_LEN = 512 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    CXLRequest r[REQUESTS];
    uint8_t in[CXL_GET_LOG_IN_SIZE], out[LOG_LEN];
    size_t len;
    unsigned i, got = 0;
    MCTPTest t;

    mctp_test_start(&t);
    cxl_get_cel_in(in, 0, LOG_LEN);
    for (i = 0; i < REQUESTS; i++) {
        cxl_cmd_send(&t, &r[i], MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                     CXL_SET_LOGS, CXL_CMD_GET_LOG, in, sizeof(in));
    }
    /* The responses that were queued, each complete */
    while (got < REQUESTS && mctp_recv(&t, m)) {
        g_assert_cmpuint(m->data[0], ==, MCTP_TYPE_CXL_CCI);
        g_assert_cmpuint(m->data[1 + 1], ==, r[got].cxl_tag);
        g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE + LOG_LEN);
        got++;
    }
    g_assert_cmpuint(got, >, 16);
    g_assert_cmpuint(got, <, REQUESTS);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_LOGS, CXL_CMD_GET_LOG, in, sizeof(in),
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, LOG_LEN);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * An OUT transfer of more than the 512 bytes DSP0283 1.0 allows: the
 * packets in its first 512 bytes count, the rest is dropped
 */
static void test_transfer_over_512_bytes(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t other[DSP0283_LEN_MAX - DSP0283_HDR_SIZE - MCTP_HDR_SIZE] = {
        MCTP_TYPE_CONTROL,
    };
    uint8_t xfer[600] = { 0 };
    MCTPTest t;
    size_t len;

    mctp_test_start(&t);
    /* Get EID, then a packet for another EID, then one past byte 512 */
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO | 1,
                         msg, sizeof(msg));
    len += dsp0283_packet(xfer + len, 0x33, MCTP_SOM | MCTP_EOM | MCTP_TO,
                          other, sizeof(other));
    g_assert_cmpuint(len + DSP0283_LEN_MAX, >, MCTP_XFER_SIZE);
    xfer[len] = DSP0283_DMTF_ID_HI;
    xfer[len + 1] = DSP0283_DMTF_ID_LO;
    xfer[len + 3] = DSP0283_LEN_MAX;
    mctp_send_raw(&t, xfer, sizeof(xfer));
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CONTROL);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * DSP0236: once one bus owner has assigned the EID, a plain Set from
 * another is rejected (the response says so and gives the EID in use);
 * Force takes.
 */
static void test_control_set_eid_other_bus_owner(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t set[2] = { 0x00, DEVICE_EID }, rsp[8], xfer[16];
    uint8_t msg[5] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ | 3, MCTP_SET_EID,
                       0x00, DEVICE_EID + 1 };
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    /* The same request from EID HOST_EID + 1 */
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO | 5,
                         msg, sizeof(msg));
    xfer[6] = HOST_EID + 1;
    mctp_send_raw(&t, xfer, len);
    g_assert(mctp_recv(&t, m));
    g_assert_cmphex(m->dest, ==, HOST_EID + 1);
    g_assert_cmpuint(m->len, ==, 7);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    g_assert_cmphex(m->data[4] & 0x30, ==, 0x10);      /* rejected */
    g_assert_cmphex(m->data[5], ==, DEVICE_EID);
    /* Force */
    msg[3] = 0x01;
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO | 6,
                         msg, sizeof(msg));
    xfer[6] = HOST_EID + 1;
    mctp_send_raw(&t, xfer, len);
    g_assert(mctp_recv(&t, m));
    g_assert_cmphex(m->data[4] & 0x30, ==, 0x00);      /* accepted */
    g_assert_cmphex(m->data[5], ==, DEVICE_EID + 1);
    mctp_assert_still_works(&t, DEVICE_EID + 1);
    mctp_test_end(&t);
}

/* Control messages to the broadcast EID are answered, CXL ones are not */
static void test_broadcast_control_only(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t ctl[2] = { MCTP_CTRL_RQ | 2, MCTP_GET_EID };
    uint8_t cxl[CXL_HDR_SIZE] = {
        CXL_CATEGORY_REQ, 1, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };

    mctp_test_start(&t);
    mctp_send(&t, 0xff, 1, MCTP_TYPE_CONTROL, ctl, sizeof(ctl),
              MCTP_BASELINE_MTU);
    mctp_recv_response(&t, m, 1, MCTP_TYPE_CONTROL);
    g_assert_cmphex(m->data[3], ==, MCTP_CC_SUCCESS);
    mctp_send(&t, 0xff, 2, MCTP_TYPE_CXL_CCI, cxl, sizeof(cxl),
              MCTP_BASELINE_MTU);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* The switch set has Background Operation Status; nothing is running */
static void test_cci_background_status(void)
{
    MCTPTest t;
    uint8_t out[16];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, 0x02, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmphex(out[0] & 1, ==, 0);     /* no operation in progress */
    mctp_test_end(&t);
}

/* Set EID to an EID outside 8..254 is refused; the EID stays unassigned */
static void test_set_eid_invalid(void)
{
    MCTPTest t;
    uint8_t set[2] = { 0x00, MCTP_EID_NULL }, rsp[8];
    size_t len;

    mctp_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, 0x02 /* invalid data */);
    set[1] = 0xff;
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, 0x02);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Test cases: full speed, behind UHCI.  The device has 64-byte bulk
 * endpoints there, and the controller hands it each 64-byte USB packet of
 * a transfer on its own: a DSP0283 packet can span USB packets both ways.
 */

/*
 * The USB packets of the last IN transfer that returned data are @n
 * lengths from @want (a 0 is the zero-length packet that ends it).
 */
static void uhci_assert_last_in(MCTPTest *t, const size_t *want, int n)
{
    size_t lens[QUHCI_MAX_PACKETS];
    int got, i;

    got = quhci_bulk_in_packets(t->udev, MCTP_EP, lens, ARRAY_SIZE(lens));
    g_assert_cmpint(got, ==, n);
    for (i = 0; i < n; i++) {
        g_assert_cmpuint(lens[i], ==, want[i]);
    }
}

/*
 * Nothing queued, and no stray zero-length packet: the first IN of a
 * transfer waits (the device holds it) until the driver gives up on it
 */
static void uhci_assert_in_waits(MCTPTest *t)
{
    uint8_t buf[MCTP_XFER_SIZE];
    size_t len;

    g_assert_cmpstr(qusb_status_str(quhci_bulk_in(t->udev, MCTP_EP, buf,
                                                  sizeof(buf), &len)),
                    ==, qusb_status_str(QUSB_NO_DATA));
    /* Held for a response, not NAKed for the host to retry */
    g_assert_false(quhci_bulk_in_naked(t->udev, MCTP_EP));
}

static void test_uhci_descriptors(void)
{
    MCTPTest t;
    uint8_t cfg[256];
    size_t len;
    g_autofree char *info = NULL;
    g_autofree char *product = NULL;

    mctp_test_start_uhci(&t);
    g_assert_false(quhci_port_low_speed(t.uhci,
                                        qusb_first_connected_port(t.uhci)));
    info = qtest_hmp(t.qts, "info usb");
    g_assert(strstr(info, "Speed 12 Mb/s"));
    assert_xfer_ok(qusb_get_descriptor(t.udev, USB_DT_CONFIG, 0, 0, cfg,
                                       sizeof(cfg), &len));
    /* 64-byte bulk endpoints: full speed's most */
    check_mctp_descriptors(&t, cfg, len, FS_BULK_MPS);

    product = qusb_get_string(t.udev, t.desc[15]);
    g_assert_cmpstr(product, ==, "QEMU CXL MCTP");

    uhci_assert_in_waits(&t);
    mctp_test_end(&t);
}

/*
 * Get Endpoint ID on an ich9-usb-uhci1: a 15-byte response transfer, one
 * short USB packet.
 */
static void test_uhci_get_eid(void)
{
    static const size_t want[] = { DSP0283_HDR_SIZE + MCTP_HDR_SIZE + 7 };
    MCTPTest t;

    mctp_test_start_uhci_with(&t, MCTP_ON_ICH9_UHCI);
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    uhci_assert_last_in(&t, want, ARRAY_SIZE(want));
    uhci_assert_in_waits(&t);
    mctp_test_end(&t);
}

/*
 * CXL Identify over the CCI binding: 1 + 12 + 18 bytes of message, one
 * 35-byte MCTP packet, 39 bytes on the wire in one short USB packet.
 */
static void test_uhci_cci_identify(void)
{
    static const size_t want[] = {
        DSP0283_HDR_SIZE + MCTP_HDR_SIZE + 1 + CXL_HDR_SIZE + 18,
    };
    MCTPTest t;
    uint8_t out[64];
    size_t len;

    mctp_test_start_uhci(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmpuint(out[17], ==, 0x00);        /* a switch */
    uhci_assert_last_in(&t, want, ARRAY_SIZE(want));
    uhci_assert_in_waits(&t);
    mctp_test_end(&t);
}

/*
 * Identify Switch Device: 1 + 12 + 73 bytes of response, two MCTP
 * packets (68 and 26 bytes) of 72 and 30 bytes on the wire in one
 * 102-byte transfer; the first spans the two USB packets (64 + 38).
 */
static void test_uhci_fmapi_identify_switch(void)
{
    static const size_t want[] = { 64, 38 };
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start_uhci(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    g_assert_cmpuint(out[2], ==, CXL_NUM_DSPS + 1);
    g_assert_cmphex(out[4], ==, 0x0f);
    uhci_assert_last_in(&t, want, ARRAY_SIZE(want));
    /* The transfer as received: the two DSP0283 packets back to back */
    g_assert_cmpuint(t.rx_len, ==, 102);
    g_assert_cmpuint(t.rx[3], ==, 72);
    g_assert_cmpuint(t.rx[72 + 3], ==, 30);
    uhci_assert_in_waits(&t);
    mctp_test_end(&t);
}

/*
 * A Get Physical Port State request in @req for @nports ports (every
 * downstream port and the upstream port, in turn), its payload padded
 * with zeroes to @pl bytes
 */
static void port_state_request(uint8_t *req, unsigned nports, size_t pl)
{
    unsigned i;

    memset(req, 0, CXL_HDR_SIZE + pl);
    req[0] = CXL_CATEGORY_REQ;
    req[3] = CXL_CMD_GET_PHYS_PORT_STATE;
    req[4] = CXL_SET_PHYS_SWITCH;
    req[5] = pl;
    req[CXL_HDR_SIZE] = nports;
    for (i = 0; i < nports; i++) {
        req[CXL_HDR_SIZE + 1 + i] = i % (CXL_NUM_DSPS + 1);
    }
}

/*
 * A multi-packet request whose DSP0283 packets span USB packets, and a
 * response that fills a 512-byte IN transfer: Get Physical Port State
 * for 30 ports, the request padded to 100 bytes of payload (the command
 * ignores the rest), 113 bytes of message.  In baseline packets sent one
 * per transfer (72 bytes: 64 + 8, then 57) and packed in one (129 bytes:
 * 64 + 64 + 1, both packets spanning); in 58-byte MCTP packets packed in
 * one transfer (62 + 62 + 13 bytes: 64 + 64 + 9), where the second
 * packet's DSP0283 header is split over two USB packets.
 * 1 + 12 + 4 + 30 * 16 = 497 bytes of response: 7 full MCTP packets
 * (504 bytes on the wire: 7 * 64 + 56) and one of 53 (57 bytes).
 */
static void test_uhci_fmapi_spanning_packets(void)
{
    enum { NPORTS = 30, PL = 100, BLOCK = 16 };
    static const size_t first[] = { 64, 64, 64, 64, 64, 64, 64, 56 };
    static const size_t last[] = { 57 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t req[CXL_HDR_SIZE + PL] = { 0 };
    uint8_t buf[MCTP_XFER_SIZE];
    const uint8_t *pl;
    size_t len;
    uint8_t tag;
    int round, i;

    port_state_request(req, NPORTS, PL);

    mctp_test_start_uhci(&t);
    for (round = 0; round < 3; round++) {
        tag = mctp_next_tag(&t);
        req[1] = round + 1;
        if (round == 0) {
            mctp_send(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI, req,
                      sizeof(req), MCTP_BASELINE_MTU);
        } else {
            mctp_send_packed(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI,
                             req, sizeof(req),
                             round == 1 ? MCTP_BASELINE_MTU : 58);
        }
        /* The first response transfer, as the device packs it */
        assert_xfer_ok(quhci_bulk_in(t.udev, MCTP_EP, t.rx, sizeof(t.rx),
                                     &t.rx_len));
        t.rx_off = 0;
        g_assert_cmpuint(t.rx_len, ==, 7 * 72);
        uhci_assert_last_in(&t, first, ARRAY_SIZE(first));
        t.in_xfers = 1;
        mctp_recv_response(&t, m, tag, MCTP_TYPE_CXL_FMAPI);
        g_assert_cmpuint(t.in_xfers, ==, 2);
        uhci_assert_last_in(&t, last, ARRAY_SIZE(last));
        g_assert_cmpuint(m->packets, ==, 8);
        g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE + 4 + NPORTS * BLOCK);
        g_assert_cmphex(m->data[1 + 1], ==, round + 1);
        g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                        CXL_MBOX_SUCCESS);
        pl = m->data + 1 + CXL_HDR_SIZE;
        g_assert_cmpuint(pl[0], ==, NPORTS);
        for (i = 0; i < NPORTS; i++) {
            g_assert_cmpuint(pl[4 + i * BLOCK], ==, i % (CXL_NUM_DSPS + 1));
        }
        g_assert_cmpstr(qusb_status_str(quhci_bulk_in(t.udev, MCTP_EP, buf,
                                                      sizeof(buf), &len)),
                        ==, qusb_status_str(QUSB_NO_DATA));
    }
    mctp_test_end(&t);
}

/*
 * A response transfer of a multiple of 64 bytes ends with a zero-length
 * packet, and the next transfer starts cleanly after it.  Get Log of the
 * CEL for L bytes: a 13 + L byte message, on the wire 8 + 13 + L bytes
 * if that is one MCTP packet (L <= 51) or 72 + 8 + (L - 51) if two.
 * L = 43: 64 bytes, one full USB packet and a ZLP; L = 99: 128 bytes,
 * 64 + 64 and a ZLP, the first DSP0283 packet spanning both; L = 100:
 * 129 bytes, 64 + 64 + 1 and no ZLP.
 */
static void test_uhci_in_zlp(void)
{
    static const size_t want43[] = { 64, 0 };
    static const size_t want99[] = { 64, 64, 0 };
    static const size_t want100[] = { 64, 64, 1 };
    g_autofree uint8_t *log = g_malloc(1024);
    g_autofree uint8_t *log100 = g_malloc(1024);
    MCTPTest t;
    size_t len;

    mctp_test_start_uhci(&t);
    g_assert_cmphex(cxl_get_cel(&t, 0, 43, log, &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 43);
    g_assert_cmpuint(t.rx_len, ==, 64);
    uhci_assert_last_in(&t, want43, ARRAY_SIZE(want43));
    uhci_assert_in_waits(&t);

    g_assert_cmphex(cxl_get_cel(&t, 0, 99, log, &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 99);
    g_assert_cmpuint(t.rx_len, ==, 128);
    uhci_assert_last_in(&t, want99, ARRAY_SIZE(want99));
    uhci_assert_in_waits(&t);

    /* The ZLP was the end: the next response is whole and starts anew */
    g_assert_cmphex(cxl_get_cel(&t, 0, 100, log100, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 100);
    uhci_assert_last_in(&t, want100, ARRAY_SIZE(want100));
    g_assert_cmpmem(log100, 99, log, 99);
    uhci_assert_in_waits(&t);
    mctp_test_end(&t);
}

/*
 * A request transfer of exactly one full USB packet ends with the
 * zero-length packet the host sends after it: Get Physical Port State
 * for the four ports with 43 bytes of payload, 8 + 1 + 12 + 43 = 64 on
 * the wire.  The response comes, and so does the next one.
 */
static void test_uhci_out_zlp(void)
{
    enum { PL = 43 };
    MCTPTest t;
    uint8_t in[PL] = { 0 }, out[256];
    size_t len;
    int i;

    in[0] = CXL_NUM_DSPS + 1;
    for (i = 0; i <= CXL_NUM_DSPS; i++) {
        in[1 + i] = i;
    }
    mctp_test_start_uhci(&t);
    for (i = 0; i < 2; i++) {
        g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                                CXL_SET_PHYS_SWITCH,
                                CXL_CMD_GET_PHYS_PORT_STATE, in, sizeof(in),
                                out, sizeof(out), &len),
                        ==, CXL_MBOX_SUCCESS);
        g_assert_cmpuint(len, ==, 4 + 16 * (CXL_NUM_DSPS + 1));
        g_assert_cmpuint(out[4 + 16 * CXL_USP_PORT], ==, CXL_USP_PORT);
    }
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * A 512-byte request transfer needs no zero-length packet at full speed:
 * its eighth USB packet ends it.  Eight Get Physical Port State requests
 * of 64 bytes each packed in one transfer are all answered; a ZLP the
 * host sends after it anyway (a host may end every multiple of 64 bytes
 * with one) is an empty transfer and harmless.
 */
static void test_uhci_out_512(void)
{
    enum { NREQ = 8, PL = 43 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t req[CXL_HDR_SIZE + PL] = { 0 };
    uint8_t xfer[MCTP_XFER_SIZE];
    size_t len = 0;
    int i;

    req[0] = CXL_CATEGORY_REQ;
    req[3] = CXL_CMD_GET_PHYS_PORT_STATE;
    req[4] = CXL_SET_PHYS_SWITCH;
    req[5] = PL;
    req[CXL_HDR_SIZE] = CXL_NUM_DSPS + 1;
    for (i = 0; i <= CXL_NUM_DSPS; i++) {
        req[CXL_HDR_SIZE + 1 + i] = i;
    }
    mctp_test_start_uhci(&t);
    for (i = 0; i < NREQ; i++) {
        uint8_t msg[1 + sizeof(req)];

        msg[0] = MCTP_TYPE_CXL_FMAPI;
        memcpy(msg + 1, req, sizeof(req));
        msg[1 + 1] = 0x40 + i;                          /* CXL tag */
        len += dsp0283_packet(xfer + len, MCTP_EID_NULL,
                              MCTP_SOM | MCTP_EOM | MCTP_TO | i % 8,
                              msg, sizeof(msg));
    }
    g_assert_cmpuint(len, ==, MCTP_XFER_SIZE);
    /* The transfer as it is, then the ZLP as a transfer of its own */
    assert_xfer_ok(qusb_bulk_out(t.udev, MCTP_EP, xfer, len));
    assert_xfer_ok(qusb_bulk_out(t.udev, MCTP_EP, NULL, 0));
    for (i = 0; i < NREQ; i++) {
        mctp_recv_response(&t, m, i % 8, MCTP_TYPE_CXL_FMAPI);
        g_assert_cmpuint(m->len, ==,
                         1 + CXL_HDR_SIZE + 4 + 16 * (CXL_NUM_DSPS + 1));
        g_assert_cmphex(m->data[1 + 1], ==, 0x40 + i);
        g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                        CXL_MBOX_SUCCESS);
    }
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Test cases: the device behind qemu-xhci at super speed, through the
 * libqos xHCI driver.  Bulk packets are 1024 bytes there, so every
 * transfer of at most 512 bytes is one short packet both ways; a bulk IN
 * the device holds stays posted on its ring between calls.
 */

/* Start QEMU with @usb (qemu-xhci at XHCI_DEVFN and a usb-cxl-mctp) */
static void mctp_test_start_xhci_with(MCTPTest *t, const char *usb)
{
    cxl_test_boot(t, usb);
    mctp_test_attach_xhci(t, XHCI_DEVFN);
}

static void mctp_test_start_xhci(MCTPTest *t)
{
    mctp_test_start_xhci_with(t, MCTP_ON_XHCI);
}

/*
 * Nothing queued: the IN the transport posts is held and stays posted,
 * and another wait on it still finds nothing
 */
static void xhci_assert_in_held(MCTPTest *t)
{
    uint8_t buf[MCTP_XFER_SIZE];
    unsigned posted;
    size_t len;

    mctp_assert_nothing_queued(t);
    g_assert_true(qxhci_bulk_in_pending(t->xdev, MCTP_EP));
    posted = qxhci_bulk_in_posted(t->xdev, MCTP_EP);
    g_assert_cmpstr(qusb_status_str(qxhci_bulk_in(t->xdev, MCTP_EP, buf,
                                                  sizeof(buf), &len)),
                    ==, qusb_status_str(QUSB_NO_DATA));
    g_assert_cmpuint(qxhci_bulk_in_posted(t->xdev, MCTP_EP), ==, posted);
}

/*
 * Enumerated through the driver at super speed: USB 3.0 descriptors (a
 * 512-byte control endpoint, 1024-byte bulk endpoints each with its
 * SuperSpeed companion), the xHC's address for it, the product name
 */
static void test_xhci_descriptors(void)
{
    MCTPTest t;
    uint8_t cfg[256];
    const uint8_t *d;
    size_t len, off = 0;
    g_autofree char *info = NULL;
    g_autofree char *product = NULL;
    int port, i;

    mctp_test_start_xhci(&t);
    port = qusb_first_connected_port(t.xhci);
    g_assert_cmpint(qxhci_port_speed(t.xhci, port), ==, QXHCI_SPEED_SUPER);
    info = qtest_hmp(t.qts, "info usb");
    g_assert(strstr(info, "Speed 5000 Mb/s"));
    g_assert_cmpuint(t.desc[1], ==, USB_DT_DEVICE);
    g_assert_cmphex(t.desc[2] | t.desc[3] << 8, ==, 0x0300);
    g_assert_cmpuint(t.desc[7], ==, 9);                 /* 2^9 bytes */
    g_assert_cmpuint(qusb_max_packet(t.xdev, 0, false), ==, 512);
    g_assert_cmpint(qxhci_slot_id(t.xdev), >=, 1);

    assert_xfer_ok(qusb_get_descriptor(t.xdev, USB_DT_CONFIG, 0, 0, cfg,
                                       sizeof(cfg), &len));
    g_assert_cmpuint(len, >=, 9);
    g_assert_cmpuint(cfg[2] | cfg[3] << 8, ==, len);
    d = find_desc(cfg, len, &off, USB_DT_INTERFACE);
    g_assert(d);
    g_assert_cmphex(d[5], ==, 0x14);                    /* MCTP */
    g_assert_cmphex(d[7], ==, 0x01);
    g_assert_cmpuint(d[4], ==, 2);
    for (i = 0; i < 2; i++) {
        d = find_desc(cfg, len, &off, USB_DT_ENDPOINT);
        g_assert(d);
        g_assert_cmphex(d[2], ==, i ? 0x81 : 0x01);
        g_assert_cmphex(d[3] & 3, ==, USB_ENDPOINT_XFER_BULK);
        g_assert_cmpuint(d[4] | d[5] << 8, ==, 1024);
        /* The SuperSpeed endpoint companion right after it */
        g_assert_cmpuint(off + 2, <=, len);
        g_assert_cmphex(cfg[off + 1], ==, 0x30);
    }

    product = qusb_get_string(t.xdev, t.desc[15]);
    g_assert_cmpstr(product, ==, "QEMU CXL MCTP");
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

static void test_xhci_get_eid(void)
{
    MCTPTest t;

    mctp_test_start_xhci(&t);
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    /* A 15-byte response transfer */
    g_assert_cmpuint(t.rx_len, ==, DSP0283_HDR_SIZE + MCTP_HDR_SIZE + 7);
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID);
    g_assert_cmphex(mctp_get_eid(&t, DEVICE_EID), ==, DEVICE_EID);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

static void test_xhci_cci_identify(void)
{
    MCTPTest t;
    uint8_t out[64];
    size_t len;

    mctp_test_start_xhci(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmpuint(out[17], ==, 0x00);        /* a switch */
    g_assert_cmpuint(t.rx_len, ==,
                     DSP0283_HDR_SIZE + MCTP_HDR_SIZE + 1 + CXL_HDR_SIZE + 18);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * Identify Switch Device: two MCTP packets (68 and 26 bytes), 72 and 30
 * on the wire, back to back in one 102-byte IN transfer
 */
static void test_xhci_fmapi_identify_switch(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;

    mctp_test_start_xhci(&t);
    t.in_xfers = 0;
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    g_assert_cmpuint(out[2], ==, CXL_NUM_DSPS + 1);
    g_assert_cmphex(out[4], ==, 0x0f);
    g_assert_cmpuint(t.in_xfers, ==, 1);
    g_assert_cmpuint(t.rx_len, ==, 102);
    g_assert_cmpuint(t.rx[3], ==, 72);
    g_assert_cmpuint(t.rx[72 + 3], ==, 30);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * After Set Response Message Limit to 2^10, a 1 KiB Get Log of the CEL:
 * 17 packets of at most 68 bytes in three IN transfers of at most 512,
 * the same bytes as its two halves read on their own
 */
static void test_xhci_response_limit_1k_log(void)
{
    g_autofree uint8_t *log = g_malloc(1024);
    g_autofree uint8_t *half = g_malloc(1024);
    MCTPTest t;
    uint8_t limit = 10, out[8];
    size_t len;

    mctp_test_start_xhci(&t);
    g_assert_cmphex(cxl_get_cel(&t, 0, 1024, log, &len), ==,
                    CXL_MBOX_INVALID_INPUT);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit, 1,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(out[0], ==, 10);
    t.in_xfers = 0;
    g_assert_cmphex(cxl_get_cel(&t, 0, 1024, log, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 1024);
    g_assert_cmpuint(t.in_xfers, ==, 3);
    g_assert_cmphex(lduw_le_p(log), !=, 0);
    g_assert_cmphex(cxl_get_cel(&t, 0, 512, half, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpmem(half, len, log, 512);
    g_assert_cmphex(cxl_get_cel(&t, 512, 512, half, &len), ==,
                    CXL_MBOX_SUCCESS);
    g_assert_cmpmem(half, len, log + 512, 512);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * A request of several packets, one per OUT transfer and packed in one
 * (baseline and 58-byte packets), and a 497-byte response of 8 packets:
 * Get Physical Port State for 30 ports, the request padded to 100 bytes
 * of payload.  The device packs 7 packets (504 bytes) in the first IN
 * transfer and the last (57 bytes) in the second.
 */
static void test_xhci_fmapi_spanning_packets(void)
{
    enum { NPORTS = 30, PL = 100, BLOCK = 16 };
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    MCTPTest t;
    uint8_t req[CXL_HDR_SIZE + PL] = { 0 };
    const uint8_t *pl;
    uint8_t tag;
    int round, i;

    port_state_request(req, NPORTS, PL);

    mctp_test_start_xhci(&t);
    for (round = 0; round < 3; round++) {
        tag = mctp_next_tag(&t);
        req[1] = round + 1;
        if (round == 0) {
            mctp_send(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI, req,
                      sizeof(req), MCTP_BASELINE_MTU);
        } else {
            mctp_send_packed(&t, MCTP_EID_NULL, tag, MCTP_TYPE_CXL_FMAPI,
                             req, sizeof(req),
                             round == 1 ? MCTP_BASELINE_MTU : 58);
        }
        t.in_xfers = 0;
        mctp_recv_response(&t, m, tag, MCTP_TYPE_CXL_FMAPI);
        g_assert_cmpuint(t.in_xfers, ==, 2);
        g_assert_cmpuint(t.rx_len, ==, 57);
        g_assert_cmpuint(m->packets, ==, 8);
        g_assert_cmpuint(m->len, ==, 1 + CXL_HDR_SIZE + 4 + NPORTS * BLOCK);
        g_assert_cmphex(m->data[1 + 1], ==, round + 1);
        g_assert_cmphex(m->data[1 + 8] | m->data[1 + 9] << 8, ==,
                        CXL_MBOX_SUCCESS);
        pl = m->data + 1 + CXL_HDR_SIZE;
        g_assert_cmpuint(pl[0], ==, NPORTS);
        for (i = 0; i < NPORTS; i++) {
            g_assert_cmpuint(pl[4 + i * BLOCK], ==, i % (CXL_NUM_DSPS + 1));
        }
        xhci_assert_in_held(&t);
    }
    mctp_test_end(&t);
}

/*
 * An IN posted while nothing is queued, given up on after the NAK
 * budget, is completed by the response to a request sent afterwards:
 * no other IN was posted for it
 */
static void test_xhci_held_in_gets_response(void)
{
    MCTPTest t;
    unsigned posted;

    mctp_test_start_xhci(&t);
    xhci_assert_in_held(&t);
    posted = qxhci_bulk_in_posted(t.xdev, MCTP_EP);
    /* Ten more frames with nothing to send */
    qtest_clock_step(t.qts, 10 * 1000 * 1000);
    g_assert_true(qxhci_bulk_in_pending(t.xdev, MCTP_EP));
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    g_assert_cmpuint(qxhci_bulk_in_posted(t.xdev, MCTP_EP), ==, posted);
    xhci_assert_in_held(&t);
    g_assert_cmpuint(qxhci_bulk_in_posted(t.xdev, MCTP_EP), ==, posted + 1);
    mctp_test_end(&t);
}

/*
 * A held IN taken off the ring (Stop Endpoint, Set TR Dequeue Pointer):
 * the device forgets it, and the next IN gets the next response
 */
static void test_xhci_held_in_cancelled(void)
{
    MCTPTest t;

    mctp_test_start_xhci(&t);
    xhci_assert_in_held(&t);
    qxhci_bulk_in_cancel(t.xdev, MCTP_EP);
    g_assert_false(qxhci_bulk_in_pending(t.xdev, MCTP_EP));
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * More TDs than a ring holds: the OUT and IN rings and the event ring
 * wrap past their Link TRBs (or the segment's end) many times over
 */
static void test_xhci_rings_wrap(void)
{
    MCTPTest t;
    int i;

    mctp_test_start_xhci(&t);
    for (i = 0; i < 600; i++) {
        g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    }
    g_assert_cmpuint(qxhci_bulk_in_posted(t.xdev, MCTP_EP), ==, 600);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * On an xHC without USB 3 ports the device attaches to a USB 2 port at
 * high speed: 64-byte control and 512-byte bulk packets, and MCTP works
 * the same
 */
static void test_xhci_high_speed(void)
{
    MCTPTest t;
    uint8_t out[128];
    size_t len;
    int port;

    mctp_test_start_xhci_with(&t, "-device qemu-xhci,id=xhci,bus=pcie.0,"
                              "addr=1d.0,p3=0 "
                              "-device usb-cxl-mctp,bus=xhci.0,target=us0 ");
    port = qusb_first_connected_port(t.xhci);
    g_assert_cmpint(qxhci_port_speed(t.xhci, port), ==, QXHCI_SPEED_HIGH);
    g_assert_cmpuint(t.desc[7], ==, 64);
    g_assert_cmpuint(qusb_max_packet(t.xdev, MCTP_EP, true), ==, 512);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    g_assert_cmpuint(t.rx_len, ==, 102);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/* A packet with a bad DMTF ID is dropped; the next request is answered */
static void test_xhci_bad_dmtf_id(void)
{
    MCTPTest t;
    uint8_t msg[3] = { MCTP_TYPE_CONTROL, MCTP_CTRL_RQ, MCTP_GET_EID };
    uint8_t xfer[16];
    size_t len;

    mctp_test_start_xhci(&t);
    xhci_assert_in_held(&t);
    len = dsp0283_packet(xfer, MCTP_EID_NULL, MCTP_SOM | MCTP_EOM | MCTP_TO,
                         msg, sizeof(msg));
    xfer[0] = 0x1b;
    mctp_send_raw(&t, xfer, len);
    /* The held IN stays held: nothing came of it */
    xhci_assert_in_held(&t);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * An IN of 1000 bytes (a transfer buffer larger than DSP0283's 512 bytes,
 * but less than one 1024-byte super-speed packet) while a 1 KiB Get Log
 * response of 17 packets is queued: each transfer holds whole packets,
 * 512 bytes at most (the device packed up to the IN's length, past its
 * 512-byte transfer buffer: found by the cxl-mctp-usb-xhci fuzz target)
 */
static void test_xhci_in_larger_than_transfer(void)
{
    uint8_t limit = 10, out[8], in[CXL_GET_LOG_IN_SIZE], buf[1000];
    size_t len, off, payload = 0;
    unsigned xfers = 0, packets = 0;
    bool eom = false;
    CXLRequest r;
    MCTPTest t;

    mctp_test_start_xhci(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit, 1,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    /* No IN of the transport's posted: the response waits for ours */
    if (qxhci_bulk_in_pending(t.xdev, MCTP_EP)) {
        qxhci_bulk_in_cancel(t.xdev, MCTP_EP);
    }
    cxl_get_cel_in(in, 0, 1024);
    cxl_cmd_send(&t, &r, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, CXL_SET_LOGS,
                 CXL_CMD_GET_LOG, in, sizeof(in));
    while (!eom) {
        g_assert_cmpuint(xfers, <, 17);
        g_assert_cmpstr(qusb_status_str(qxhci_bulk_in(t.xdev, MCTP_EP, buf,
                                                      sizeof(buf), &len)),
                        ==, qusb_status_str(QUSB_OK));
        xfers++;
        g_assert_cmpuint(len, <=, MCTP_XFER_SIZE);
        for (off = 0; off < len; off += buf[off + 3]) {
            g_assert_cmpuint(len - off, >=, DSP0283_LEN_MIN);
            g_assert_cmphex(lduw_be_p(buf + off), ==,
                            DSP0283_DMTF_ID_HI << 8 | DSP0283_DMTF_ID_LO);
            g_assert_cmpuint(buf[off + 3], >=, DSP0283_LEN_MIN);
            g_assert_cmpuint(buf[off + 3], <=, len - off);
            g_assert_false(eom);
            eom = buf[off + DSP0283_HDR_SIZE + 3] & MCTP_EOM;
            payload += buf[off + 3] - DSP0283_HDR_SIZE - MCTP_HDR_SIZE;
            packets++;
        }
    }
    /* The message type, the CXL header and 1 KiB of log */
    g_assert_cmpuint(payload, ==, 1 + CXL_HDR_SIZE + 1024);
    g_assert_cmpuint(packets, ==, 17);
    g_assert_cmpuint(xfers, ==, 3);
    mctp_assert_still_works(&t, MCTP_EID_NULL);
    xhci_assert_in_held(&t);
    mctp_test_end(&t);
}

/*
 * Benchmarks (-m perf only): the same commands through usb-cxl-mctp and
 * through the switch's mailbox CCI (cxl-switch-mailbox-cci on pcie.0), in
 * one QEMU.  BENCH_PATH=mctp or mailbox runs one path only (for counting
 * QEMU's instructions per command under callgrind), BENCH_ITERATIONS
 * sets the count.  Results go out as "BENCH" TAP comments.
 */

static bool bench_path(const char *path)
{
    const char *want = g_getenv("BENCH_PATH");

    return !want || !strcmp(want, path);
}

/* Identify (@log_len 0) or Get Log of @log_len bytes of the CEL */
static void bench_one(const char *name, size_t log_len)
{
    g_autofree uint8_t *out = g_malloc(2048);
    uint8_t in[CXL_GET_LOG_IN_SIZE], set, cmd;
    size_t in_len = cxl_bench_command(log_len, &set, &cmd, in);
    unsigned n = cxl_bench_iterations(), i;
    double us_mctp = 0, us_mbox = 0;
    CXLMailbox mb;
    MCTPTest t;
    size_t len;
    int64_t t0;

    mctp_test_start_with(&t, MCTP_ON_EHCI "-device cxl-switch-mailbox-cci,"
                         "bus=pcie.0,addr=10.0,target=us0 ");
    cxl_mbox_init(&t, &mb, SWCCI_DEVFN, 0);
    if (bench_path("mctp")) {
        us_mctp = cxl_bench_mctp(&t, name, "usb-cxl-mctp", log_len);
    }
    if (bench_path("mailbox")) {
        t0 = g_get_monotonic_time();
        for (i = 0; i < n; i++) {
            g_assert_cmphex(cxl_mbox_cmd(&mb, set, cmd, in, in_len, out, &len),
                            ==, CXL_MBOX_SUCCESS);
        }
        us_mbox = (double)(g_get_monotonic_time() - t0) / n;
        g_test_message("BENCH %s switch-mailbox-cci %.1f us/cmd (%u commands, "
                       "%zu-byte payload)", name, us_mbox, n, len);
    }
    if (us_mctp && us_mbox) {
        g_test_message("BENCH %s ratio usb-cxl-mctp/mailbox %.2f", name,
                       us_mctp / us_mbox);
    }
    cxl_mbox_free(&mb);
    mctp_test_end(&t);
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

    if (!qtest_has_device("usb-cxl-mctp") || !qtest_has_device("usb-ehci") ||
        !qtest_has_device("cxl-type3")) {
        g_debug("usb-cxl-mctp, usb-ehci or cxl-type3 not available");
        return 0;
    }

    qtest_add_func("/usb-cxl-mctp/ehci/descriptors", test_ehci_descriptors);
    if (qtest_has_device("qemu-xhci")) {
        qtest_add_func("/usb-cxl-mctp/xhci/super-speed",
                       test_xhci_super_speed);
    }
    if (qtest_has_device("piix3-usb-uhci") &&
        qtest_has_device("ich9-usb-uhci1")) {
        qtest_add_func("/usb-cxl-mctp/uhci/descriptors",
                       test_uhci_descriptors);
        qtest_add_func("/usb-cxl-mctp/uhci/get-eid", test_uhci_get_eid);
        qtest_add_func("/usb-cxl-mctp/uhci/cci-identify",
                       test_uhci_cci_identify);
        qtest_add_func("/usb-cxl-mctp/uhci/identify-switch-spans-packets",
                       test_uhci_fmapi_identify_switch);
        qtest_add_func("/usb-cxl-mctp/uhci/request-spans-packets",
                       test_uhci_fmapi_spanning_packets);
        qtest_add_func("/usb-cxl-mctp/uhci/in-zlp", test_uhci_in_zlp);
        qtest_add_func("/usb-cxl-mctp/uhci/out-zlp", test_uhci_out_zlp);
        qtest_add_func("/usb-cxl-mctp/uhci/out-512-byte-transfer",
                       test_uhci_out_512);
    }
    if (qtest_has_device("qemu-xhci")) {
        qtest_add_func("/usb-cxl-mctp/xhci/descriptors",
                       test_xhci_descriptors);
        qtest_add_func("/usb-cxl-mctp/xhci/get-eid", test_xhci_get_eid);
        qtest_add_func("/usb-cxl-mctp/xhci/cci-identify",
                       test_xhci_cci_identify);
        qtest_add_func("/usb-cxl-mctp/xhci/identify-switch-spans-packets",
                       test_xhci_fmapi_identify_switch);
        qtest_add_func("/usb-cxl-mctp/xhci/response-limit-1k-log",
                       test_xhci_response_limit_1k_log);
        qtest_add_func("/usb-cxl-mctp/xhci/request-spans-packets",
                       test_xhci_fmapi_spanning_packets);
        qtest_add_func("/usb-cxl-mctp/xhci/held-in-gets-response",
                       test_xhci_held_in_gets_response);
        qtest_add_func("/usb-cxl-mctp/xhci/held-in-cancelled",
                       test_xhci_held_in_cancelled);
        qtest_add_func("/usb-cxl-mctp/xhci/rings-wrap", test_xhci_rings_wrap);
        qtest_add_func("/usb-cxl-mctp/xhci/high-speed", test_xhci_high_speed);
        qtest_add_func("/usb-cxl-mctp/xhci/in-larger-than-transfer",
                       test_xhci_in_larger_than_transfer);
        qtest_add_func("/usb-cxl-mctp/xhci/malformed-then-good",
                       test_xhci_bad_dmtf_id);
    }
    qtest_add_func("/usb-cxl-mctp/control/get-eid-unassigned",
                   test_control_get_eid_unassigned);
    qtest_add_func("/usb-cxl-mctp/control/set-eid", test_control_set_eid);
    qtest_add_func("/usb-cxl-mctp/control/message-types",
                   test_control_message_types);
    qtest_add_func("/usb-cxl-mctp/control/unsupported-command",
                   test_control_unsupported_command);
    qtest_add_func("/usb-cxl-mctp/control/version-support",
                   test_control_version_support);
    qtest_add_func("/usb-cxl-mctp/control/uuid", test_control_uuid);
    qtest_add_func("/usb-cxl-mctp/control/packed-requests",
                   test_control_packed_requests);
    qtest_add_func("/usb-cxl-mctp/control/response-to-waiting-in",
                   test_control_response_to_waiting_in);
    qtest_add_func("/usb-cxl-mctp/control/set-configuration-with-in-held",
                   test_control_set_configuration_with_in_held);
    qtest_add_func("/usb-cxl-mctp/cci/identify", test_cci_identify);
    qtest_add_func("/usb-cxl-mctp/fmapi/identify-switch-device",
                   test_fmapi_identify_switch);
    qtest_add_func("/usb-cxl-mctp/fmapi/multi-packet",
                   test_fmapi_multi_packet);
    qtest_add_func("/usb-cxl-mctp/fmapi/physical-port-state",
                   test_fmapi_physical_port_state);
    qtest_add_func("/usb-cxl-mctp/fmapi/tunnel-identify",
                   test_fmapi_tunnel_identify);
    qtest_add_func("/usb-cxl-mctp/fmapi/request-over-255-bytes",
                   test_fmapi_request_over_255_bytes);
    qtest_add_func("/usb-cxl-mctp/type3/identify-ld-dcd",
                   test_type3_identify_ld_dcd);
    qtest_add_func("/usb-cxl-mctp/type3/set-dc-region-config-missing-region",
                   test_set_dc_region_config_missing_region);
    if (qtest_has_device("cxl-switch-mailbox-cci")) {
        qtest_add_func("/usb-cxl-mctp/cci/timestamp-shared-by-switch-ccis",
                       test_timestamp_shared_by_switch_ccis);
        qtest_add_func("/usb-cxl-mctp/fmapi/unplug-mid-unbind",
                       test_unplug_mid_unbind);
        qtest_add_func("/usb-cxl-mctp/fmapi/system-reset-rebinds-vppb",
                       test_system_reset_rebinds_vppb);
    }
    qtest_add_func("/usb-cxl-mctp/cci/response-limit-1k-log",
                   test_cci_response_limit_1k_log);
    qtest_add_func("/usb-cxl-mctp/two-endpoints-own-cci",
                   test_two_endpoints_own_cci);
    qtest_add_func("/usb-cxl-mctp/reset-drops-eid-and-partial",
                   test_reset_drops_eid_and_partial);
    qtest_add_func("/usb-cxl-mctp/unplug-mid-message",
                   test_unplug_mid_message);
    qtest_add_func("/usb-cxl-mctp/in-held/cancelled", test_in_held_cancelled);
    qtest_add_func("/usb-cxl-mctp/in-held/unplug", test_unplug_in_held);
    qtest_add_func("/usb-cxl-mctp/in-held/port-reset", test_port_reset_in_held);
    qtest_add_func("/usb-cxl-mctp/in-held/system-reset",
                   test_system_reset_in_held);
    qtest_add_func("/usb-cxl-mctp/in-held/migrate", test_migrate_in_held);
    qtest_add_func("/usb-cxl-mctp/control/set-eid-other-bus-owner",
                   test_control_set_eid_other_bus_owner);
    qtest_add_func("/usb-cxl-mctp/control/broadcast-control-only",
                   test_broadcast_control_only);
    qtest_add_func("/usb-cxl-mctp/cci/background-status",
                   test_cci_background_status);
    qtest_add_func("/usb-cxl-mctp/control/set-eid-invalid",
                   test_set_eid_invalid);
    qtest_add_func("/usb-cxl-mctp/malformed/bad-dmtf-id", test_bad_dmtf_id);
    qtest_add_func("/usb-cxl-mctp/malformed/usb-length-below-8",
                   test_usb_length_below_8);
    qtest_add_func("/usb-cxl-mctp/malformed/length-beyond-transfer",
                   test_length_beyond_transfer);
    qtest_add_func("/usb-cxl-mctp/malformed/bad-header-drops-rest",
                   test_bad_header_drops_rest_of_transfer);
    qtest_add_func("/usb-cxl-mctp/malformed/bad-sequence", test_bad_sequence);
    qtest_add_func("/usb-cxl-mctp/malformed/middle-without-start",
                   test_middle_without_start);
    qtest_add_func("/usb-cxl-mctp/malformed/message-over-size-limit",
                   test_message_over_size_limit);
    qtest_add_func("/usb-cxl-mctp/malformed/binding-mismatch",
                   test_binding_mismatch);
    qtest_add_func("/usb-cxl-mctp/malformed/payload-length-mismatch",
                   test_payload_length_mismatch);
    qtest_add_func("/usb-cxl-mctp/malformed/unknown-opcode",
                   test_unknown_opcode);
    qtest_add_func("/usb-cxl-mctp/malformed/wrong-destination-eid",
                   test_wrong_destination_eid);
    qtest_add_func("/usb-cxl-mctp/malformed/bad-mctp-version",
                   test_bad_mctp_version);
    qtest_add_func("/usb-cxl-mctp/malformed/broadcast-source-eid",
                   test_broadcast_source_eid);
    qtest_add_func("/usb-cxl-mctp/malformed/unexpected-response",
                   test_unexpected_response);
    qtest_add_func("/usb-cxl-mctp/malformed/start-without-type",
                   test_start_without_type);
    qtest_add_func("/usb-cxl-mctp/malformed/new-start-abandons-message",
                   test_new_start_abandons_message);
    qtest_add_func("/usb-cxl-mctp/malformed/unsupported-message-type",
                   test_unsupported_message_type);
    qtest_add_func("/usb-cxl-mctp/malformed/control-shorter-than-header",
                   test_control_shorter_than_header);
    qtest_add_func("/usb-cxl-mctp/malformed/control-not-request",
                   test_control_not_request);
    qtest_add_func("/usb-cxl-mctp/malformed/control-integrity-check",
                   test_control_integrity_check);
    qtest_add_func("/usb-cxl-mctp/malformed/cxl-shorter-than-header",
                   test_cxl_shorter_than_header);
    qtest_add_func("/usb-cxl-mctp/malformed/cxl-not-request",
                   test_cxl_not_request);
    qtest_add_func("/usb-cxl-mctp/malformed/cxl-payload-over-mailbox-size",
                   test_cxl_payload_over_mailbox_size);
    qtest_add_func("/usb-cxl-mctp/malformed/response-queue-full",
                   test_response_queue_full);
    qtest_add_func("/usb-cxl-mctp/malformed/transfer-over-512-bytes",
                   test_transfer_over_512_bytes);

    if (g_test_perf()) {
        qtest_add_func("/usb-cxl-mctp/perf/identify", test_perf_identify);
        qtest_add_func("/usb-cxl-mctp/perf/get-log-1k", test_perf_get_log_1k);
    }

    return g_test_run();
}
