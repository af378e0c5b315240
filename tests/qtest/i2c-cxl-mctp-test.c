/*
 * QTest testcase for i2c_mctp_cxl: CXL FM-API and CCI over MCTP over
 * SMBus/I2C
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Two endpoints, one in front of a CXL switch and one in front of a type 3
 * device with dynamic capacity, sit on the bus of a DesignWare I2C
 * controller.  The test is their bus owner, as a BMC or a fabric manager
 * is: it writes requests with the controller as master and receives the
 * responses the endpoints master back with the controller in target mode,
 * switching between the two as Linux's i2c-designware does (libqos
 * i2c-designware.c); it never calls a device directly.  The MCTP and CXL
 * layers are those of libqos/mctp.h, shared with usb-cxl-mctp-test.
 *
 * Wire format: DMTF DSP0237 (MCTP over SMBus/I2C): a block write, command
 * code 0x0F, byte count, source address with bit 0 set, MCTP packet, PEC.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/mctp.h"

#define I2C_DEVFN           QPCI_DEVFN(4, 0)
#define HOST_ADDR           0x10        /* our target address */
#define USP_ADDR            0x04        /* libcxlmi's command lines use it */
#define DCD_ADDR            0x05
#define I2C_ARGS \
    "-device designware-i2c-pci,id=i2c0,bus=pcie.0,addr=04.0 " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x04,target=us0,id=ep-usp " \
    "-device i2c_mctp_cxl,bus=i2c0,address=0x05,target=dcd1,id=ep-dcd "

/* Virtual time the endpoint waits for an address it can send to */
#define RESPONSE_DEADLINE_NS    (100 * 1000 * 1000)
#define RETRY_STEP_NS           (50 * 1000)

static void i2c_test_start(MCTPTest *t)
{
    mctp_test_boot(t, CXL_TOPOLOGY I2C_ARGS);
    mctp_test_attach_i2c(t, I2C_DEVFN, HOST_ADDR, USP_ADDR);
}

/*
 * Run the machine past the endpoint's deadline for a response in steps
 * shorter than its retry interval (100 us), so that its retries run as
 * they would in a running machine (one long step would fire the deadline
 * before the bottom half of the first retry)
 */
static void step_past_deadline(MCTPTest *t)
{
    int64_t ns;

    for (ns = 0; ns < 2 * RESPONSE_DEADLINE_NS; ns += RETRY_STEP_NS) {
        qtest_clock_step(t->qts, RETRY_STEP_NS);
    }
}

/* A device that answers: nothing else queued, Get EID still works */
static void assert_still_works(MCTPTest *t, uint8_t eid)
{
    mctp_assert_nothing_queued(t);
    g_assert_cmphex(mctp_get_eid(t, MCTP_EID_NULL), ==, eid);
    mctp_assert_nothing_queued(t);
}

/* One block write of @len bytes (command code on) to the endpoint */
static void i2c_write_raw(MCTPTest *t, const uint8_t *frame, size_t len)
{
    g_assert_cmpstr(qdw_i2c_status_str(qdw_i2c_write(t->i2c, t->i2c_dest,
                                                     frame, len)),
                    ==, qdw_i2c_status_str(QDW_I2C_OK));
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

/* Test cases: MCTP control */

static void test_control_set_get_eid(void)
{
    uint8_t set[2] = { 0x00, DEVICE_EID }, rsp[16];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, 0);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_SET_EID, set,
                                 sizeof(set), rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 3);
    g_assert_cmphex(rsp[1], ==, DEVICE_EID);
    /* Now at its EID too */
    g_assert_cmphex(mctp_get_eid(&t, DEVICE_EID), ==, DEVICE_EID);
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, DEVICE_EID);
    mctp_test_end(&t);
}

static void test_control_version_types_uuid(void)
{
    uint8_t type = MCTP_TYPE_CXL_FMAPI, rsp[64], uuid[16];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_VERSION, &type,
                                 1, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 1 + 4 * rsp[0]);
    g_assert_cmpuint(rsp[0], >=, 1);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_MSG_TYPES, NULL,
                                 0, rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 1 + rsp[0]);
    g_assert_cmpuint(rsp[0], ==, 2);
    g_assert_cmphex(rsp[1], ==, MCTP_TYPE_CXL_FMAPI);
    g_assert_cmphex(rsp[2], ==, MCTP_TYPE_CXL_CCI);
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_UUID, NULL, 0,
                                 uuid, sizeof(uuid), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert_cmpuint(len, ==, 16);
    /* Stable, and the other endpoint's differs */
    t.i2c_dest = DCD_ADDR;
    g_assert_cmphex(mctp_control(&t, MCTP_EID_NULL, MCTP_GET_UUID, NULL, 0,
                                 rsp, sizeof(rsp), &len),
                    ==, MCTP_CC_SUCCESS);
    g_assert(memcmp(uuid, rsp, 16));
    mctp_test_end(&t);
}

/* Test cases: CXL */

static void test_fmapi_identify_switch(void)
{
    uint8_t out[128];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_USP_SN);
    g_assert_cmpuint(out[17], ==, 0x00);                /* switch */
    /* 1 + 12 + 73 bytes: two packets at the 68-byte MTU */
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH,
                            NULL, 0, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);
    g_assert_cmpuint(out[2], ==, CXL_NUM_DSPS + 1);
    mctp_test_end(&t);
}

static void test_fmapi_physical_port_state(void)
{
    uint8_t in[3] = { 2, 0, CXL_USP_PORT }, out[128];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            in, sizeof(in), out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 2 * 16);
    g_assert_cmpuint(out[4 + 1], ==, 3);                /* DSP */
    g_assert_cmpuint(out[4 + 16], ==, CXL_USP_PORT);
    g_assert_cmpuint(out[4 + 16 + 1], ==, 4);           /* USP */
    mctp_test_end(&t);
}

/* Tunnel Management Command to the DCD behind port 1: its Identify */
static void test_fmapi_tunnel_identify(void)
{
    uint8_t in[4 + CXL_HDR_SIZE] = {
        CXL_DCD_PORT, 0, CXL_HDR_SIZE, 0,
        CXL_CATEGORY_REQ, 0x5a, 0, CXL_CMD_IDENTIFY, CXL_SET_INFOSTAT,
    };
    const uint8_t *pl;
    uint8_t out[128];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_TUNNEL, CXL_CMD_TUNNEL, in, sizeof(in),
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(lduw_le_p(out), ==, len - 4);
    g_assert_cmphex(cxl_cci_response(out + 4, len - 4, 0x5a, 0x0001, &pl,
                                     &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmphex(ldq_le_p(pl + 8), ==, CXL_DCD_SN);
    mctp_test_end(&t);
}

/* The type 3 endpoint: Identify, Get LD Info, Get DCD Info */
static void test_type3_identify_ld_dcd(void)
{
    uint8_t out[128];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    t.i2c_dest = DCD_ADDR;
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 18);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_DCD_SN);
    g_assert_cmpuint(out[17], ==, 0x03);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_MLD_COMP, CXL_CMD_GET_LD_INFO, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 11);
    g_assert_cmphex(ldq_le_p(out), ==, CXL_DCD_SIZE);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_FM_DCD, CXL_CMD_GET_DCD_INFO, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(out[1], ==, CXL_DCD_REGIONS);
    mctp_test_end(&t);
}

/*
 * A request of two packets (Get Physical Port State of 60 ports, 73
 * bytes with the headers) and, after Set Response Message Limit 2^10, a
 * response of 16 (964 bytes of port state); then a 1 KiB Get Log of the
 * CEL in 17 packets
 */
static void test_multi_packet(void)
{
    g_autofree uint8_t *out = g_malloc(2048);
    uint8_t in[1 + 60], limit = 10, log[CXL_GET_LOG_IN_SIZE];
    MCTPTest t;
    size_t len;
    int i;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, out, 2048, &len), ==, CXL_MBOX_SUCCESS);
    in[0] = 60;
    for (i = 1; i <= 60; i++) {
        in[i] = i % 2 ? CXL_USP_PORT : 0;
    }
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI,
                            CXL_SET_PHYS_SWITCH, CXL_CMD_GET_PHYS_PORT_STATE,
                            in, sizeof(in), out, 2048, &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 60 * 16);
    for (i = 0; i < 60; i++) {
        g_assert_cmpuint(out[4 + 16 * i], ==, i % 2 ? 0 : CXL_USP_PORT);
    }
    cxl_get_cel_in(log, 0, 1024);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_LOGS, CXL_CMD_GET_LOG, log, sizeof(log),
                            out, 2048, &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 1024);
    g_assert_cmphex(lduw_le_p(out), ==, 0x0001);       /* CEL: Identify */
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* Two endpoints on one bus, each with its own EID and its own CCI */
static void test_two_endpoints(void)
{
    uint8_t out[64];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID);
    t.i2c_dest = DCD_ADDR;
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID + 1);
    g_assert_cmphex(cxl_cmd(&t, DEVICE_EID + 1, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_DCD_SN);
    /* The switch's endpoint does not take the DCD's EID */
    t.i2c_dest = USP_ADDR;
    g_assert_cmphex(mctp_get_eid(&t, MCTP_EID_NULL), ==, DEVICE_EID);
    g_assert_cmphex(cxl_cmd(&t, DEVICE_EID, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_IDENTIFY, NULL, 0,
                            out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    g_assert_cmphex(ldq_le_p(out + 8), ==, CXL_USP_SN);
    assert_still_works(&t, DEVICE_EID);
    mctp_test_end(&t);
}

/* Invalid data: dropped, and the next good request is answered */

/*
 * A Get EID frame with byte @index (command code on; from the end if
 * negative) changed to @value, or if @flip, with those bits flipped
 */
static void i2c_test_bad_frame(int index, uint8_t value, uint8_t flip)
{
    uint8_t pkt[16], frame[SMBUS_FRAME_MAX];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    len = mctp_smbus_frame(&t, frame, pkt, get_eid_packet(pkt, 1));
    if (index < 0) {
        index += len;
    }
    frame[index] = flip ? frame[index] ^ flip : value;
    i2c_write_raw(&t, frame, len);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

static void test_bad_pec(void)
{
    i2c_test_bad_frame(-1, 0, 0xff);
}

static void test_byte_count_too_small(void)
{
    i2c_test_bad_frame(1, 4, 0);
}

static void test_byte_count_too_large(void)
{
    i2c_test_bad_frame(1, 0xff, 0);
}

static void test_byte_count_not_matching(void)
{
    i2c_test_bad_frame(1, 9, 0);
}

static void test_wrong_command_code(void)
{
    i2c_test_bad_frame(0, 0x0e, 0);
}

static void test_source_bit_clear(void)
{
    i2c_test_bad_frame(2, HOST_ADDR << 1, 0);
}

/* A source the response cannot go to: general call, a 10-bit address */
static void test_source_not_target(void)
{
    i2c_test_bad_frame(2, 0x00 << 1 | SMBUS_MCTP_SRC_BIT, 0);
    i2c_test_bad_frame(2, 0x78 << 1 | SMBUS_MCTP_SRC_BIT, 0);
}

/*
 * Byte count 4: the source address and three bytes of MCTP header, the
 * PEC right for them
 */
static void test_truncated_mctp_header(void)
{
    uint8_t pkt[16], frame[SMBUS_FRAME_MAX];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    get_eid_packet(pkt, 1);
    len = mctp_smbus_frame(&t, frame, pkt, 3);
    g_assert_cmpuint(len, ==, 3 + 3 + 1);
    i2c_write_raw(&t, frame, len);
    /* A frame of just command, count, source and PEC */
    len = mctp_smbus_frame(&t, frame, pkt, 0);
    i2c_write_raw(&t, frame, len);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/* Longer than any block write: 300 bytes */
static void test_frame_too_long(void)
{
    uint8_t frame[300];
    MCTPTest t;

    i2c_test_start(&t);
    memset(frame, 0x5a, sizeof(frame));
    frame[0] = SMBUS_MCTP_COMMAND;
    i2c_write_raw(&t, frame, sizeof(frame));
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * The first packet, full (68 bytes), of a CCI message with tag @tag to the
 * null EID, in @pkt and written to the endpoint
 */
static void send_first_packet(MCTPTest *t, uint8_t *pkt, uint8_t tag)
{
    uint8_t frame[SMBUS_FRAME_MAX];

    memset(pkt, 0, MCTP_BASELINE_MTU);
    mctp_packet_header(pkt, MCTP_EID_NULL, MCTP_SOM | MCTP_TO | tag);
    pkt[4] = MCTP_TYPE_CXL_CCI;
    i2c_write_raw(t, frame, mctp_smbus_frame(t, frame, pkt,
                                             MCTP_BASELINE_MTU));
}

/* @pkt's first 16 bytes again, with MCTP flags (SOM, EOM, ...) @flags */
static void send_short_packet(MCTPTest *t, uint8_t *pkt, uint8_t flags)
{
    uint8_t frame[SMBUS_FRAME_MAX];

    pkt[3] = flags;
    i2c_write_raw(t, frame, mctp_smbus_frame(t, frame, pkt, 16));
}

/* The first packet of a two-packet message, then a third (sequence 2) */
static void test_out_of_sequence(void)
{
    uint8_t pkt[MCTP_BASELINE_MTU];
    MCTPTest t;

    i2c_test_start(&t);
    send_first_packet(&t, pkt, 3);
    send_short_packet(&t, pkt, MCTP_EOM | MCTP_TO | 3 | 2 << MCTP_SEQ_SHIFT);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Tag 1's first packet, then a packet of tag 2: both messages are
 * dropped (the endpoint reassembles one message at a time)
 */
static void test_interleaved_tags(void)
{
    uint8_t pkt[MCTP_BASELINE_MTU];
    MCTPTest t;

    i2c_test_start(&t);
    send_first_packet(&t, pkt, 1);
    send_short_packet(&t, pkt, MCTP_EOM | MCTP_TO | 2 | 1 << MCTP_SEQ_SHIFT);
    send_short_packet(&t, pkt, MCTP_EOM | MCTP_TO | 1 | 1 << MCTP_SEQ_SHIFT);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * The requester is not a target when the response comes (it NAKs its
 * address): the endpoint tries again for a while, then drops the
 * response, and the bus is free; the next request is answered, and the
 * dropped response never turns up
 */
static void test_requester_naks(void)
{
    uint8_t pkt[16], frame[SMBUS_FRAME_MAX];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    qdw_i2c_target_off(t.i2c);
    len = mctp_smbus_frame(&t, frame, pkt, get_eid_packet(pkt, 1));
    i2c_write_raw(&t, frame, len);
    step_past_deadline(&t);
    qdw_i2c_target_mode(t.i2c, HOST_ADDR);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * The requester acknowledges its address, then stops taking bytes (its
 * RX FIFO fills and nobody reads it): the endpoint gives the response up
 * when no byte has been acknowledged for the deadline, and ends the
 * transfer.  What reached the FIFO is a truncated frame, which the host
 * throws away; the next request is answered.
 */
static void test_requester_stops_acking(void)
{
    uint8_t in[CXL_GET_LOG_IN_SIZE], req[CXL_HDR_SIZE + CXL_GET_LOG_IN_SIZE];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    /* 64 bytes of the CEL: a first packet of 68 bytes, more than the FIFO */
    g_assert_cmpuint(qdw_i2c_rx_fifo_depth(t.i2c), <, 3 + 68 + 1);
    cxl_get_cel_in(in, 0, 64);
    len = cxl_cci_request(req, 1, CXL_SET_LOGS << 8 | CXL_CMD_GET_LOG, in,
                          sizeof(in));
    mctp_send(&t, MCTP_EID_NULL, 1, MCTP_TYPE_CXL_CCI, req, len,
              MCTP_BASELINE_MTU);
    step_past_deadline(&t);
    g_assert_cmpuint(qdw_i2c_readl(t.i2c, DW_IC_RXFLR), ==,
                     qdw_i2c_rx_fifo_depth(t.i2c));
    g_assert_cmphex(qdw_i2c_readl(t.i2c, DW_IC_STATUS) &
                    DW_IC_STATUS_SLV_ACTIVITY, ==, 0);
    while (qdw_i2c_readl(t.i2c, DW_IC_RXFLR)) {
        qdw_i2c_readl(t.i2c, DW_IC_DATA_CMD);
    }
    qdw_i2c_readl(t.i2c, DW_IC_CLR_INTR);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * A request whose source address is another target's, one that cannot
 * receive a write from another master (i2c-ddc at 0x50, the EDID of a
 * display): it answers its address but never acknowledges a byte, so the
 * response to it is dropped at the deadline and the bus freed
 */
static void test_source_not_async_target(void)
{
    uint8_t pkt[16], frame[SMBUS_FRAME_MAX], addr;
    MCTPTest t;
    size_t len;

    mctp_test_boot(&t, CXL_TOPOLOGY I2C_ARGS
                   "-device i2c-ddc,bus=i2c0,address=0x50 ");
    mctp_test_attach_i2c(&t, I2C_DEVFN, HOST_ADDR, USP_ADDR);
    len = mctp_smbus_frame(&t, frame, pkt, get_eid_packet(pkt, 1));
    frame[2] = 0x50 << 1 | SMBUS_MCTP_SRC_BIT;
    addr = USP_ADDR << 1;
    frame[len - 1] = mctp_smbus_pec(mctp_smbus_pec(0, &addr, 1), frame,
                                    len - 1);
    i2c_write_raw(&t, frame, len);
    step_past_deadline(&t);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * The bus never frees for the response: another master (the controller,
 * writing to the DCD's endpoint) keeps a transfer open.  The endpoint
 * gives the response up, and once the bus is free answers the next
 * request, the old response never turning up.
 */
static void test_bus_never_frees(void)
{
    uint8_t pkt[16], frame[SMBUS_FRAME_MAX];
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    /* Not a target yet: the endpoint retries its address after 100 us */
    qdw_i2c_target_off(t.i2c);
    len = mctp_smbus_frame(&t, frame, pkt, get_eid_packet(pkt, 1));
    i2c_write_raw(&t, frame, len);
    /* A write without STOP: the bus stays the controller's */
    qdw_i2c_disable(t.i2c);
    qdw_i2c_writel(t.i2c, DW_IC_CON, DW_IC_CON_MASTER_CFG);
    qdw_i2c_writel(t.i2c, DW_IC_TAR, DCD_ADDR);
    qdw_i2c_writel(t.i2c, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    qdw_i2c_writel(t.i2c, DW_IC_DATA_CMD, SMBUS_MCTP_COMMAND);
    qtest_clock_step(t.qts, 2 * RESPONSE_DEADLINE_NS);
    g_assert_cmphex(qdw_i2c_readl(t.i2c, DW_IC_STATUS) &
                    DW_IC_STATUS_MST_ACTIVITY, ==, DW_IC_STATUS_MST_ACTIVITY);
    /* STOP: a one-byte write, which the DCD's endpoint drops */
    qdw_i2c_writel(t.i2c, DW_IC_DATA_CMD, DW_IC_DATA_CMD_STOP);
    qtest_clock_step(t.qts, 1000 * 1000);
    /* Its STOP_DET is the master's, handled as a driver would */
    qdw_i2c_readl(t.i2c, DW_IC_CLR_INTR);
    qdw_i2c_target_mode(t.i2c, HOST_ADDR);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Reset in the middle of a response of 17 packets: the endpoint stops,
 * gives up the bus, and after the reset answers again
 */
static void test_reset_mid_response(void)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    uint8_t limit = 10, pkt[256], log[CXL_GET_LOG_IN_SIZE];
    CXLRequest r;
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, m->data, sizeof(m->data), &len),
                    ==, CXL_MBOX_SUCCESS);
    cxl_get_cel_in(log, 0, 1024);
    cxl_cmd_send(&t, &r, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI, CXL_SET_LOGS,
                 CXL_CMD_GET_LOG, log, sizeof(log));
    /* Two packets of it */
    g_assert_cmpuint(mctp_recv_packet(&t, pkt, sizeof(pkt)), ==,
                     MCTP_BASELINE_MTU);
    g_assert_cmpuint(mctp_recv_packet(&t, pkt, sizeof(pkt)), ==,
                     MCTP_BASELINE_MTU);
    qtest_system_reset(t.qts);
    qdw_i2c_free(t.i2c);
    mctp_test_attach_i2c(&t, I2C_DEVFN, HOST_ADDR, USP_ADDR);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Packet @part (0 or 1) of a Get Physical Port State request of 60 ports:
 * 13 + 61 bytes of message, two packets at the baseline MTU
 */
static void send_port_state_part(MCTPTest *t, uint8_t dest, uint8_t tag,
                                 int part)
{
    uint8_t msg[1 + CXL_HDR_SIZE + 61], pkt[MCTP_HDR_SIZE + 64];
    uint8_t frame[SMBUS_FRAME_MAX];
    size_t off = part ? 64 : 0, len = part ? sizeof(msg) - 64 : 64;
    int i;

    msg[0] = MCTP_TYPE_CXL_FMAPI;
    cxl_cci_request(msg + 1, 0x33, CXL_SET_PHYS_SWITCH << 8 |
                    CXL_CMD_GET_PHYS_PORT_STATE, NULL, 0);
    st24_le_p(msg + 1 + 5, 61);
    msg[1 + CXL_HDR_SIZE] = 60;
    for (i = 0; i < 60; i++) {
        msg[1 + CXL_HDR_SIZE + 1 + i] = i % 2 ? CXL_USP_PORT : 0;
    }
    mctp_packet_header(pkt, dest, MCTP_TO | tag |
                       (part ? MCTP_EOM | 1 << MCTP_SEQ_SHIFT : MCTP_SOM));
    memcpy(pkt + MCTP_HDR_SIZE, msg + off, len);
    i2c_write_raw(t, frame, mctp_smbus_frame(t, frame, pkt,
                                             MCTP_HDR_SIZE + len));
}

/* Its response: 60 port state blocks (after Set Response Message Limit) */
static void recv_port_state(MCTPTest *t, uint8_t tag)
{
    g_autofree MCTPMessage *m = g_new(MCTPMessage, 1);
    const uint8_t *pl;
    size_t len;

    mctp_recv_response(t, m, tag, MCTP_TYPE_CXL_FMAPI);
    g_assert_cmphex(cxl_cci_response(m->data + 1, m->len - 1, 0x33,
                                     CXL_SET_PHYS_SWITCH << 8 |
                                     CXL_CMD_GET_PHYS_PORT_STATE, &pl, &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 4 + 60 * 16);
    g_assert_cmpuint(pl[4 + 16], ==, CXL_USP_PORT);
}

/*
 * An I2C device cannot be unplugged (the bus has no hotplug): the request
 * to do so in the middle of a message is refused, and the endpoint
 * finishes the message
 */
static void test_unplug_mid_message(void)
{
    uint8_t limit = 10, out[8];
    QDict *rsp;
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    g_assert_cmphex(cxl_cmd(&t, MCTP_EID_NULL, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    send_port_state_part(&t, MCTP_EID_NULL, 4, 0);
    rsp = qtest_qmp(t.qts, "{ 'execute': 'device_del', "
                    "'arguments': { 'id': 'ep-usp' } }");
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    send_port_state_part(&t, MCTP_EID_NULL, 4, 1);
    recv_port_state(&t, 4);
    assert_still_works(&t, MCTP_EID_NULL);
    mctp_test_end(&t);
}

/*
 * Migrated with a response waiting for the requester (which NAKs: it is
 * not a target until after the migration) and a request half written:
 * both carry on on the destination
 */
static void test_migrate_in_flight(void)
{
    uint8_t out[128], limit = 10;
    CXLRequest r;
    MCTPTest t;
    size_t len;

    i2c_test_start(&t);
    mctp_set_eid(&t, MCTP_EID_NULL, DEVICE_EID);
    g_assert_cmphex(cxl_cmd(&t, DEVICE_EID, MCTP_TYPE_CXL_CCI,
                            CXL_SET_INFOSTAT, CXL_CMD_SET_RSP_LIMIT, &limit,
                            1, out, sizeof(out), &len), ==, CXL_MBOX_SUCCESS);
    qdw_i2c_target_off(t.i2c);
    /* Identify Switch Device: two packets of response, not taken */
    cxl_cmd_send(&t, &r, DEVICE_EID, MCTP_TYPE_CXL_FMAPI,
                 CXL_SET_PHYS_SWITCH, CXL_CMD_IDENTIFY_SWITCH, NULL, 0);
    qtest_clock_step(t.qts, 5 * 1000 * 1000);
    mctp_test_migrate(&t, CXL_TOPOLOGY I2C_ARGS);
    qdw_i2c_target_mode(t.i2c, HOST_ADDR);
    g_assert_cmphex(cxl_cmd_recv(&t, &r, out, sizeof(out), &len),
                    ==, CXL_MBOX_SUCCESS);
    g_assert_cmpuint(len, ==, 0x49);

    send_port_state_part(&t, DEVICE_EID, 5, 0);
    mctp_test_migrate(&t, CXL_TOPOLOGY I2C_ARGS);
    send_port_state_part(&t, DEVICE_EID, 5, 1);
    recv_port_state(&t, 5);
    assert_still_works(&t, DEVICE_EID);
    mctp_test_end(&t);
}

/*
 * Benchmarks (-m perf only): CCI commands to the switch's endpoint, for
 * make bench to set beside usb-cxl-mctp and the switch mailbox CCI
 * (usb-cxl-mctp-test -m perf).  BENCH_ITERATIONS sets the count (QEMU's
 * instructions per command are counted under callgrind as the difference
 * of two counts).  Results go out as "BENCH" TAP comments.
 */

/* Identify (@log_len 0) or Get Log of @log_len bytes of the CEL */
static void bench_one(const char *name, size_t log_len)
{
    MCTPTest t;

    i2c_test_start(&t);
    cxl_bench_mctp(&t, name, "i2c-cxl-mctp", log_len);
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

    if (!qtest_has_device("i2c_mctp_cxl") ||
        !qtest_has_device("designware-i2c-pci") ||
        !qtest_has_device("cxl-type3")) {
        g_debug("i2c_mctp_cxl, designware-i2c-pci or cxl-type3 missing");
        return 0;
    }

    qtest_add_func("/i2c-cxl-mctp/control/set-get-eid",
                   test_control_set_get_eid);
    qtest_add_func("/i2c-cxl-mctp/control/version-types-uuid",
                   test_control_version_types_uuid);
    qtest_add_func("/i2c-cxl-mctp/fmapi/identify-switch",
                   test_fmapi_identify_switch);
    qtest_add_func("/i2c-cxl-mctp/fmapi/physical-port-state",
                   test_fmapi_physical_port_state);
    qtest_add_func("/i2c-cxl-mctp/fmapi/tunnel-identify",
                   test_fmapi_tunnel_identify);
    qtest_add_func("/i2c-cxl-mctp/type3/identify-ld-dcd",
                   test_type3_identify_ld_dcd);
    qtest_add_func("/i2c-cxl-mctp/multi-packet", test_multi_packet);
    qtest_add_func("/i2c-cxl-mctp/two-endpoints", test_two_endpoints);
    qtest_add_func("/i2c-cxl-mctp/malformed/bad-pec", test_bad_pec);
    qtest_add_func("/i2c-cxl-mctp/malformed/byte-count-too-small",
                   test_byte_count_too_small);
    qtest_add_func("/i2c-cxl-mctp/malformed/byte-count-too-large",
                   test_byte_count_too_large);
    qtest_add_func("/i2c-cxl-mctp/malformed/byte-count-not-matching",
                   test_byte_count_not_matching);
    qtest_add_func("/i2c-cxl-mctp/malformed/wrong-command-code",
                   test_wrong_command_code);
    qtest_add_func("/i2c-cxl-mctp/malformed/source-bit-clear",
                   test_source_bit_clear);
    qtest_add_func("/i2c-cxl-mctp/malformed/source-not-target",
                   test_source_not_target);
    qtest_add_func("/i2c-cxl-mctp/malformed/truncated-mctp-header",
                   test_truncated_mctp_header);
    qtest_add_func("/i2c-cxl-mctp/malformed/frame-too-long",
                   test_frame_too_long);
    qtest_add_func("/i2c-cxl-mctp/malformed/out-of-sequence",
                   test_out_of_sequence);
    qtest_add_func("/i2c-cxl-mctp/malformed/interleaved-tags",
                   test_interleaved_tags);
    qtest_add_func("/i2c-cxl-mctp/requester-naks", test_requester_naks);
    qtest_add_func("/i2c-cxl-mctp/requester-stops-acking",
                   test_requester_stops_acking);
    if (qtest_has_device("i2c-ddc")) {
        qtest_add_func("/i2c-cxl-mctp/source-not-async-target",
                       test_source_not_async_target);
    }
    qtest_add_func("/i2c-cxl-mctp/bus-never-frees", test_bus_never_frees);
    qtest_add_func("/i2c-cxl-mctp/reset-mid-response",
                   test_reset_mid_response);
    qtest_add_func("/i2c-cxl-mctp/unplug-mid-message",
                   test_unplug_mid_message);
    qtest_add_func("/i2c-cxl-mctp/migrate-in-flight",
                   test_migrate_in_flight);

    if (g_test_perf()) {
        qtest_add_func("/i2c-cxl-mctp/perf/identify", test_perf_identify);
        qtest_add_func("/i2c-cxl-mctp/perf/get-log-1k", test_perf_get_log_1k);
    }

    return g_test_run();
}
