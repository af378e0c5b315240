/*
 * QTest testcase for CXL dynamic capacity, end to end: a fabric manager
 * over MCTP and the host through the device's primary mailbox, in one run
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The fabric manager is a usb-cxl-mctp endpoint on the dynamic capacity
 * device dcd1, behind EHCI, sending FM-API commands (CXL r3.2 7.6.7.6:
 * Get DCD Info, Get Host DC Region Configuration, Get DC Region Extent
 * Lists, Initiate Dynamic Capacity Add and Release).  The host is the
 * device's primary mailbox, reached through the CXL hierarchy the
 * libqos/cxl-host.h helpers set up (CXL r3.2 8.2.9.2: Get and Clear Event
 * Records on the Dynamic Capacity event log; 8.2.9.9.9: Get Dynamic
 * Capacity Configuration, Get Dynamic Capacity Extent List, Add Dynamic
 * Capacity Response, Release Dynamic Capacity).
 *
 * dcd1 has 512 MiB of dynamic capacity in two regions of 256 MiB (DPA 0
 * and 256 MiB), with a block size of 2 MiB.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/mctp.h"
#include "libqos/cxl-host.h"

#define DCD_ARGS \
    EHCI_ARGS "-device usb-cxl-mctp,bus=ehci.0,target=dcd1,id=mctp0 "
#define CXL_ROOT_BUS            52
#define DC_REGION_SIZE          (CXL_DCD_SIZE / CXL_DCD_REGIONS)
#define DC_BLOCK                (2 * MiB)

/* Opcodes: FM-API (7.6.7.6), memory device (8.2.9.9.9), events (8.2.9.2) */
#define FM_DCD_SET              0x56
#define FM_GET_DCD_INFO         0x00
#define FM_GET_REGION_CONFIG    0x01
#define FM_SET_REGION_CONFIG    0x02
#define FM_GET_EXTENT_LIST      0x03
#define FM_INITIATE_ADD         0x04
#define FM_INITIATE_RELEASE     0x05
#define HOST_GET_EVENT_RECORDS  0x0100
#define HOST_CLEAR_EVENT_RECORDS 0x0101
#define HOST_GET_DC_CONFIG      0x4800
#define HOST_GET_EXTENT_LIST    0x4801
#define HOST_ADD_DC_RESPONSE    0x4802
#define HOST_RELEASE_DC         0x4803

/* Return codes (CXL r3.1 Table 8-34) */
#define RC_SUCCESS              0x0000
#define RC_INVALID_INPUT        0x0002
#define RC_INVALID_HANDLE       0x000e
#define RC_INVALID_PA           0x000f
#define RC_INVALID_PAYLOAD_LEN  0x0016
#define RC_RESOURCES_EXHAUSTED  0x001d
#define RC_INVALID_EXTENT_LIST  0x001e

/* Selection (5604h) and removal (5605h) policies */
#define POLICY_FREE             0
#define POLICY_PRESCRIPTIVE_ADD 2
#define POLICY_TAG_RELEASE      0
#define POLICY_PRESCRIPTIVE_REL 1
#define RELEASE_FORCED          (1 << 4)
#define RELEASE_SANITIZE        (1 << 5)

/* Dynamic Capacity event log and records (8.2.9.2.1.6) */
#define EVENT_LOG_DC            4
#define EVENT_HDR_SIZE          0x20        /* Get Event Records output */
#define EVENT_MORE_RECORDS      (1 << 1)
#define EVENT_RECORD_SIZE       0x80
#define EVENT_FLAGS             0x11        /* in the record header */
#define EVENT_SEVERITY_MASK     0x03
#define EVENT_SEVERITY_INFO     0x00
#define DC_EVENT_LOG_SIZE       8           /* Identify Memory Device */
#define DC_EVENT_TYPE           0x30
#define DC_EVENT_HOST_ID        0x32
#define DC_EVENT_FLAGS          0x35
#define DC_EVENT_FLAG_MORE      (1 << 0)
#define DC_EVENT_EXTENT         0x38
#define DC_EVENT_ADD            0x00
#define DC_EVENT_RELEASE        0x01
#define DC_EVENT_FORCED_RELEASE 0x02

/* Request and response layouts */
#define FM_EXTENTS_HDR          0x20        /* 5604h/5605h before extents */
#define EXTENT_SIZE             0x28        /* Dynamic Capacity Extent */
#define HOST_EXTENTS_HDR        0x08        /* 4802h/4803h before extents */
#define UPDATED_EXTENT_SIZE     0x18
#define FM_LIST_HDR             0x18        /* 5603h output */
#define HOST_LIST_HDR           0x10        /* 4801h output */
#define MAX_EXTENTS             8
/* Extents a request of the test carries: one more than the DC log holds */
#define REQ_EXTENTS             (DC_EVENT_LOG_SIZE + 1)

static const uint8_t dc_event_uuid[16] = {
    0xca, 0x95, 0xaf, 0xa7, 0xf1, 0x83, 0x40, 0x18,
    0x8c, 0x2f, 0x95, 0x26, 0x8e, 0x10, 0x1a, 0x2a,
};

typedef struct Extent {
    uint64_t dpa;
    uint64_t len;
} Extent;

/* Some extents of region 0 and region 1 */
static const Extent ext_a = { 4 * MiB, 4 * MiB };
static const Extent ext_b = { 16 * MiB, 2 * MiB };
static const Extent ext_c = { 32 * MiB, 8 * MiB };
static const Extent ext_d = { DC_REGION_SIZE + 64 * MiB, 6 * MiB };

typedef struct DCDTest {
    MCTPTest t;             /* the machine, and the FM's MCTP endpoint */
    CXLHost h;              /* the host's view of the CXL hierarchy */
    CXLMailbox mb;          /* the host: dcd1's primary mailbox */
    uint8_t out[CXL_MBOX_PAYLOAD_SIZE];
    size_t out_len;
} DCDTest;

static void dcd_test_start(DCDTest *d)
{
    mctp_test_boot(&d->t, CXL_TOPOLOGY DCD_ARGS);
    mctp_test_attach_ehci(&d->t, EHCI_DEVFN);
    cxl_host_init(&d->h, d->t.qts, d->t.pcibus, CXL_ROOT_BUS);
    cxl_host_mbox_init(&d->h, cxl_host_find_sn(&d->h, CXL_DCD_SN), &d->mb);
}

static void dcd_test_end(DCDTest *d)
{
    cxl_mbox_free(&d->mb);
    mctp_test_end(&d->t);
}

/* Commands, the response payload in d->out (d->out_len bytes) */

/* FM-API DCD management command @cmd over MCTP */
static uint16_t fm_cmd(DCDTest *d, uint8_t cmd, const void *in, size_t len)
{
    return cxl_cmd(&d->t, MCTP_EID_NULL, MCTP_TYPE_CXL_FMAPI, FM_DCD_SET, cmd,
                   in, len, d->out, sizeof(d->out), &d->out_len);
}

/* Command @opcode through the host's mailbox */
static uint16_t host_cmd(DCDTest *d, uint16_t opcode, const void *in,
                         size_t len)
{
    return cxl_mbox_cmd(&d->mb, opcode >> 8, opcode & 0xff, in, len, d->out,
                        &d->out_len);
}

static void put_extent(uint8_t *p, const Extent *e)
{
    memset(p, 0, EXTENT_SIZE);
    stq_le_p(p, e->dpa);
    stq_le_p(p + 8, e->len);
}

/*
 * Initiate Dynamic Capacity Add (5604h) or Release (5605h) input for host
 * 0 with @policy (selection policy, or removal policy and flags), Extent
 * Count @count and the @n extents @ext, in @req; its length
 */
static size_t fm_extents_req(uint8_t *req, uint8_t policy, uint32_t count,
                             const Extent *ext, unsigned n)
{
    unsigned i;

    memset(req, 0, FM_EXTENTS_HDR);
    req[2] = policy;
    stl_le_p(req + 0x1c, count);
    for (i = 0; i < n; i++) {
        put_extent(req + FM_EXTENTS_HDR + i * EXTENT_SIZE, &ext[i]);
    }
    return FM_EXTENTS_HDR + n * EXTENT_SIZE;
}

/*
 * Add Dynamic Capacity Response (4802h) or Release Dynamic Capacity
 * (4803h) input: Updated Extent List Size @count, the @n extents @ext
 */
static size_t host_extents_req(uint8_t *req, uint32_t count,
                               const Extent *ext, unsigned n)
{
    unsigned i;

    memset(req, 0, HOST_EXTENTS_HDR + n * UPDATED_EXTENT_SIZE);
    stl_le_p(req, count);
    for (i = 0; i < n; i++) {
        stq_le_p(req + HOST_EXTENTS_HDR + i * UPDATED_EXTENT_SIZE,
                 ext[i].dpa);
        stq_le_p(req + HOST_EXTENTS_HDR + i * UPDATED_EXTENT_SIZE + 8,
                 ext[i].len);
    }
    return HOST_EXTENTS_HDR + n * UPDATED_EXTENT_SIZE;
}

/* The FM offers the @n extents @ext to host 0 (prescriptive) */
static uint16_t fm_add(DCDTest *d, const Extent *ext, unsigned n)
{
    uint8_t req[FM_EXTENTS_HDR + REQ_EXTENTS * EXTENT_SIZE];

    g_assert(n <= REQ_EXTENTS);

    return fm_cmd(d, FM_INITIATE_ADD, req,
                  fm_extents_req(req, POLICY_PRESCRIPTIVE_ADD, n, ext, n));
}

/* The FM asks host 0 to release the @n extents @ext (prescriptive) */
static uint16_t fm_release(DCDTest *d, const Extent *ext, unsigned n,
                           uint8_t flags)
{
    uint8_t req[FM_EXTENTS_HDR + REQ_EXTENTS * EXTENT_SIZE];

    g_assert(n <= REQ_EXTENTS);

    return fm_cmd(d, FM_INITIATE_RELEASE, req,
                  fm_extents_req(req, POLICY_PRESCRIPTIVE_REL | flags, n, ext,
                                 n));
}

/* The host answers the pending Add Capacity records: it takes @ext */
static uint16_t host_add_response(DCDTest *d, const Extent *ext, unsigned n)
{
    uint8_t req[HOST_EXTENTS_HDR + REQ_EXTENTS * UPDATED_EXTENT_SIZE];

    g_assert(n <= REQ_EXTENTS);

    return host_cmd(d, HOST_ADD_DC_RESPONSE, req,
                    host_extents_req(req, n, ext, n));
}

/* The host releases the @n extents @ext */
static uint16_t host_release(DCDTest *d, const Extent *ext, unsigned n)
{
    uint8_t req[HOST_EXTENTS_HDR + REQ_EXTENTS * UPDATED_EXTENT_SIZE];

    g_assert(n <= REQ_EXTENTS);

    return host_cmd(d, HOST_RELEASE_DC, req,
                    host_extents_req(req, n, ext, n));
}

static void assert_extent(const uint8_t *p, const Extent *e)
{
    g_assert_cmphex(ldq_le_p(p), ==, e->dpa);
    g_assert_cmphex(ldq_le_p(p + 8), ==, e->len);
}

/*
 * The extents host 0 has, as the FM sees them (5603h): asserts they are
 * @ext (@n of them), in order; the list's generation number
 */
static uint32_t fm_assert_extents(DCDTest *d, const Extent *ext, unsigned n)
{
    uint8_t in[12] = { 0 };
    unsigned i;

    stl_le_p(in + 4, MAX_EXTENTS);
    g_assert_cmphex(fm_cmd(d, FM_GET_EXTENT_LIST, in, sizeof(in)), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(d->out_len, ==, FM_LIST_HDR + n * EXTENT_SIZE);
    g_assert_cmpuint(lduw_le_p(d->out), ==, 0);             /* host ID */
    g_assert_cmpuint(ldl_le_p(d->out + 4), ==, 0);          /* start */
    g_assert_cmpuint(ldl_le_p(d->out + 8), ==, n);          /* returned */
    g_assert_cmpuint(ldl_le_p(d->out + 12), ==, n);         /* total */
    for (i = 0; i < n; i++) {
        assert_extent(d->out + FM_LIST_HDR + i * EXTENT_SIZE, &ext[i]);
    }
    return ldl_le_p(d->out + 16);
}

/*
 * The extents the host has, as it sees them (4801h): asserts they are
 * @ext (@n of them), in order; the list's generation number
 */
static uint32_t host_assert_extents(DCDTest *d, const Extent *ext,
                                    unsigned n)
{
    uint8_t in[8] = { 0 };
    unsigned i;

    stl_le_p(in, MAX_EXTENTS);
    g_assert_cmphex(host_cmd(d, HOST_GET_EXTENT_LIST, in, sizeof(in)), ==,
                    RC_SUCCESS);
    /* Returned Extent Count, Total Extent Count: only accepted extents */
    g_assert_cmpuint(ldl_le_p(d->out + 4), ==, n);
    g_assert_cmpuint(ldl_le_p(d->out), ==, n);
    g_assert_cmpuint(d->out_len, ==, HOST_LIST_HDR + n * EXTENT_SIZE);
    for (i = 0; i < n; i++) {
        assert_extent(d->out + HOST_LIST_HDR + i * EXTENT_SIZE, &ext[i]);
    }
    return ldl_le_p(d->out + 8);
}

/*
 * The host reads the Dynamic Capacity event log: asserts it holds @n
 * records (all of them fit), copied to @recs
 */
static void host_get_events(DCDTest *d, uint8_t *recs, unsigned n)
{
    uint8_t log = EVENT_LOG_DC;

    g_assert_cmphex(host_cmd(d, HOST_GET_EVENT_RECORDS, &log, 1), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(d->out_len, ==, EVENT_HDR_SIZE + n * EVENT_RECORD_SIZE);
    g_assert_cmpuint(lduw_le_p(d->out + 0x14), ==, n);
    if (n) {
        memcpy(recs, d->out + EVENT_HDR_SIZE, n * EVENT_RECORD_SIZE);
    }
}

/* The host clears the @n records @recs it read */
static void host_clear_events(DCDTest *d, const uint8_t *recs, unsigned n)
{
    uint8_t req[6 + 2 * MAX_EXTENTS] = { EVENT_LOG_DC, 0, n };
    unsigned i;

    for (i = 0; i < n; i++) {
        memcpy(req + 6 + 2 * i, recs + i * EVENT_RECORD_SIZE + 0x14, 2);
    }
    g_assert_cmphex(host_cmd(d, HOST_CLEAR_EVENT_RECORDS, req, 6 + 2 * n),
                    ==, RC_SUCCESS);
}

/*
 * A Dynamic Capacity event record of @type for host 0 about extent @e,
 * with the More flag @more
 */
static void assert_dc_event(const uint8_t *rec, uint8_t type, const Extent *e,
                            bool more)
{
    g_assert_cmpmem(rec, 16, dc_event_uuid, 16);
    g_assert_cmpuint(rec[0x10], ==, EVENT_RECORD_SIZE);
    g_assert_cmphex(rec[EVENT_FLAGS] & EVENT_SEVERITY_MASK, ==,
                    EVENT_SEVERITY_INFO);
    g_assert_cmphex(lduw_le_p(rec + 0x14), !=, 0);          /* handle */
    g_assert_cmphex(rec[DC_EVENT_TYPE], ==, type);
    g_assert_cmphex(lduw_le_p(rec + DC_EVENT_HOST_ID), ==, 0);
    g_assert_cmphex(rec[DC_EVENT_FLAGS] & DC_EVENT_FLAG_MORE, ==,
                    more ? DC_EVENT_FLAG_MORE : 0);
    assert_extent(rec + DC_EVENT_EXTENT, e);
}

/* The host reads the one record @type about @e and clears it */
static void host_take_event(DCDTest *d, uint8_t type, const Extent *e)
{
    uint8_t rec[EVENT_RECORD_SIZE];

    host_get_events(d, rec, 1);
    assert_dc_event(rec, type, e, false);
    host_clear_events(d, rec, 1);
}

/* @e is offered, the host accepts it and clears the record */
static void add_accepted(DCDTest *d, const Extent *e)
{
    g_assert_cmphex(fm_add(d, e, 1), ==, RC_SUCCESS);
    host_take_event(d, DC_EVENT_ADD, e);
    g_assert_cmphex(host_add_response(d, e, 1), ==, RC_SUCCESS);
}

/* The FM reads region @i's base, length and block size (5601h) */
static void fm_region(DCDTest *d, uint8_t i, uint64_t *base, uint64_t *len,
                      uint64_t *block)
{
    uint8_t in[4] = { 0, 0, 1, i };

    g_assert_cmphex(fm_cmd(d, FM_GET_REGION_CONFIG, in, sizeof(in)), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(d->out_len, ==, 4 + 0x28 + 16);
    g_assert_cmpuint(d->out[3], ==, 1);
    *base = ldq_le_p(d->out + 4);
    *len = ldq_le_p(d->out + 4 + 16);
    *block = ldq_le_p(d->out + 4 + 24);
}

/* Test cases: the flow */

/*
 * What dcd1 tells the FM: one host, two regions of 256 MiB with 2 MiB
 * blocks, prescriptive add and release
 */
static void test_fm_dcd_info_and_regions(void)
{
    uint8_t in[4] = { 0, 0, CXL_DCD_REGIONS, 0 };
    DCDTest d;
    int i;

    dcd_test_start(&d);
    g_assert_cmphex(fm_cmd(&d, FM_GET_DCD_INFO, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmpuint(d.out_len, ==, 84);
    g_assert_cmpuint(d.out[0], ==, 1);                      /* hosts */
    g_assert_cmpuint(d.out[1], ==, CXL_DCD_REGIONS);
    g_assert_cmphex(lduw_le_p(d.out + 4) & BIT(POLICY_PRESCRIPTIVE_ADD),
                    !=, 0);
    g_assert_cmphex(lduw_le_p(d.out + 8) & BIT(POLICY_PRESCRIPTIVE_REL),
                    !=, 0);
    g_assert_cmpuint(ldq_le_p(d.out + 12), ==, CXL_DCD_SIZE / (256 * MiB));
    for (i = 0; i < CXL_DCD_REGIONS; i++) {
        g_assert_cmphex(ldq_le_p(d.out + 20 + 8 * i) & DC_BLOCK, !=, 0);
    }

    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, sizeof(in)), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(d.out_len, ==, 4 + CXL_DCD_REGIONS * 0x28 + 16);
    g_assert_cmpuint(lduw_le_p(d.out), ==, 0);
    g_assert_cmpuint(d.out[2], ==, CXL_DCD_REGIONS);
    g_assert_cmpuint(d.out[3], ==, CXL_DCD_REGIONS);
    for (i = 0; i < CXL_DCD_REGIONS; i++) {
        const uint8_t *r = d.out + 4 + i * 0x28;

        g_assert_cmphex(ldq_le_p(r), ==, i * DC_REGION_SIZE);      /* base */
        g_assert_cmphex(ldq_le_p(r + 16), ==, DC_REGION_SIZE);     /* len */
        g_assert_cmphex(ldq_le_p(r + 24), ==, DC_BLOCK);
    }
    dcd_test_end(&d);
}

/*
 * The whole flow: the FM adds an extent, the host sees the Add Capacity
 * record, accepts it and clears the record; both see it in their extent
 * lists; the FM asks for it back, the host sees the Release Capacity
 * record and releases it; both lists are empty again.
 */
static void test_add_accept_release(void)
{
    uint8_t rec[EVENT_RECORD_SIZE];
    uint64_t base, len, block;
    DCDTest d;

    dcd_test_start(&d);
    /* Where the FM may add capacity: ext_a is in region 0 */
    g_assert_cmphex(fm_cmd(&d, FM_GET_DCD_INFO, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmpuint(d.out[1], ==, CXL_DCD_REGIONS);
    fm_region(&d, 0, &base, &len, &block);
    g_assert_cmphex(ext_a.dpa, >=, base);
    g_assert_cmphex(ext_a.dpa + ext_a.len, <=, base + len);
    g_assert_cmphex(ext_a.dpa % block, ==, 0);
    g_assert_cmphex(ext_a.len % block, ==, 0);
    fm_assert_extents(&d, NULL, 0);
    host_assert_extents(&d, NULL, 0);
    host_get_events(&d, rec, 0);

    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_get_events(&d, rec, 1);
    assert_dc_event(rec, DC_EVENT_ADD, &ext_a, false);
    /* Offered, not accepted yet (the host's list: add-unanswered) */
    fm_assert_extents(&d, NULL, 0);

    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_clear_events(&d, rec, 1);
    host_get_events(&d, rec, 0);
    fm_assert_extents(&d, &ext_a, 1);
    host_assert_extents(&d, &ext_a, 1);

    g_assert_cmphex(fm_release(&d, &ext_a, 1, 0), ==, RC_SUCCESS);
    host_get_events(&d, rec, 1);
    assert_dc_event(rec, DC_EVENT_RELEASE, &ext_a, false);
    /* Still the host's until it releases it */
    fm_assert_extents(&d, &ext_a, 1);
    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_clear_events(&d, rec, 1);
    fm_assert_extents(&d, NULL, 0);
    host_assert_extents(&d, NULL, 0);
    host_get_events(&d, rec, 0);
    dcd_test_end(&d);
}

/*
 * The extent list's generation number changes with the list (4801h and
 * 5603h: "changes whenever the extent list changes"), and not otherwise
 */
static void test_generation_number_follows_list(void)
{
    uint32_t fm0, host0, fm1, host1, fm2, host2;
    uint8_t rec[EVENT_RECORD_SIZE];
    DCDTest d;

    dcd_test_start(&d);
    fm0 = fm_assert_extents(&d, NULL, 0);
    host0 = host_assert_extents(&d, NULL, 0);

    /* An offer the host turns down changes nothing */
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_a);
    g_assert_cmphex(host_add_response(&d, NULL, 0), ==, RC_SUCCESS);
    g_assert_cmphex(fm_assert_extents(&d, NULL, 0), ==, fm0);
    g_assert_cmphex(host_assert_extents(&d, NULL, 0), ==, host0);

    add_accepted(&d, &ext_a);
    fm1 = fm_assert_extents(&d, &ext_a, 1);
    host1 = host_assert_extents(&d, &ext_a, 1);
    g_assert_cmphex(fm1, !=, fm0);
    g_assert_cmphex(host1, !=, host0);
    /* Reading it again does not change it */
    g_assert_cmphex(fm_assert_extents(&d, &ext_a, 1), ==, fm1);
    g_assert_cmphex(host_assert_extents(&d, &ext_a, 1), ==, host1);

    g_assert_cmphex(fm_release(&d, &ext_a, 1, 0), ==, RC_SUCCESS);
    host_get_events(&d, rec, 1);
    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_clear_events(&d, rec, 1);
    fm2 = fm_assert_extents(&d, NULL, 0);
    host2 = host_assert_extents(&d, NULL, 0);
    g_assert_cmphex(fm2, !=, fm1);
    g_assert_cmphex(host2, !=, host1);
    dcd_test_end(&d);
}

/*
 * An add of several extents is one group: every record but the last has
 * More set, and the host answers once for the group, taking what it
 * wants of it.  What it did not take is no longer offered: the FM can
 * offer it again.
 */
static void test_multi_extent_add_is_one_group(void)
{
    const Extent offer[] = { ext_b, ext_c, ext_d };
    const Extent taken[] = { ext_b, ext_d };
    uint8_t recs[3 * EVENT_RECORD_SIZE];
    DCDTest d;
    int i;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, offer, 3), ==, RC_SUCCESS);
    host_get_events(&d, recs, 3);
    for (i = 0; i < 3; i++) {
        assert_dc_event(recs + i * EVENT_RECORD_SIZE, DC_EVENT_ADD,
                        &offer[i], i < 2);
    }
    g_assert_cmphex(host_add_response(&d, taken, 2), ==, RC_SUCCESS);
    host_clear_events(&d, recs, 3);
    fm_assert_extents(&d, taken, 2);
    host_assert_extents(&d, taken, 2);

    /* One answer per group: nothing is pending now */
    g_assert_cmphex(host_add_response(&d, &ext_c, 1), ==, RC_INVALID_INPUT);
    fm_assert_extents(&d, taken, 2);
    /* The extent not taken went back to the device */
    g_assert_cmphex(fm_add(&d, &ext_c, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_c);
    g_assert_cmphex(host_add_response(&d, &ext_c, 1), ==, RC_SUCCESS);
    host_assert_extents(&d, (const Extent[]) { ext_b, ext_d, ext_c }, 3);
    dcd_test_end(&d);
}

/*
 * The host turns an offer down (an Add Dynamic Capacity Response with no
 * extents): nothing is added, the FM sees nothing, and the capacity can
 * be offered again
 */
static void test_add_rejected_by_host(void)
{
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_a);
    g_assert_cmphex(host_add_response(&d, NULL, 0), ==, RC_SUCCESS);
    fm_assert_extents(&d, NULL, 0);
    host_assert_extents(&d, NULL, 0);
    /* Nothing is pending any more */
    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_INVALID_INPUT);
    host_assert_extents(&d, NULL, 0);

    add_accepted(&d, &ext_a);
    fm_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

/*
 * A host that never answers: the extent stays pending, in neither list;
 * the FM can neither offer the same range again nor release it without
 * Forced Removal.  Once the host answers, all is as usual.
 */
static void test_add_unanswered_stays_pending(void)
{
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_a);
    qtest_clock_step(d.t.qts, 10 * 1000000000LL);    /* 10 s */

    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_INVALID_EXTENT_LIST);
    /* Overlapping it is refused too */
    g_assert_cmphex(fm_add(&d, &(Extent) { ext_a.dpa + 2 * MiB, 4 * MiB }, 1),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_release(&d, &ext_a, 1, 0), ==, RC_INVALID_PA);
    host_get_events(&d, NULL, 0);       /* no more offers went out */
    fm_assert_extents(&d, NULL, 0);
    host_assert_extents(&d, NULL, 0);

    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_SUCCESS);
    fm_assert_extents(&d, &ext_a, 1);
    host_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

/*
 * The host accepts capacity it was not offered: refused with Invalid
 * Physical Address, nothing added, and the offer still stands
 */
/*
 * The host hears of each extent added or released from one record in
 * its Dynamic Capacity event log, which holds DC_EVENT_LOG_SIZE: a change
 * with more extents than the log has room for is refused, from the FM
 * and from QMP, and nothing of it is offered
 */
static void test_event_log_full_refuses_change(void)
{
    Extent e[DC_EVENT_LOG_SIZE + 1];
    uint8_t recs[DC_EVENT_LOG_SIZE * EVENT_RECORD_SIZE];
    QDict *rsp;
    DCDTest d;
    int i;

    for (i = 0; i < ARRAY_SIZE(e); i++) {
        e[i] = (Extent) { 64 * MiB + i * DC_BLOCK, DC_BLOCK };
    }
    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, e, ARRAY_SIZE(e)), ==, RC_RESOURCES_EXHAUSTED);
    rsp = qtest_qmp(d.t.qts, "{ 'execute': 'cxl-add-dynamic-capacity',"
                    "  'arguments': { 'path': '/machine/peripheral/dcd1',"
                    "    'host-id': 0, 'selection-policy': 'prescriptive',"
                    "    'region': 0, 'extents': ["
                    "      { 'offset': 0, 'len': 2097152 },"
                    "      { 'offset': 2097152, 'len': 2097152 },"
                    "      { 'offset': 4194304, 'len': 2097152 },"
                    "      { 'offset': 6291456, 'len': 2097152 },"
                    "      { 'offset': 8388608, 'len': 2097152 },"
                    "      { 'offset': 10485760, 'len': 2097152 },"
                    "      { 'offset': 12582912, 'len': 2097152 },"
                    "      { 'offset': 14680064, 'len': 2097152 },"
                    "      { 'offset': 16777216, 'len': 2097152 } ] } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    host_get_events(&d, NULL, 0);

    /* A full log takes no more, until the host clears it */
    g_assert_cmphex(fm_add(&d, e, DC_EVENT_LOG_SIZE), ==, RC_SUCCESS);
    g_assert_cmphex(fm_add(&d, &e[DC_EVENT_LOG_SIZE], 1), ==,
                    RC_RESOURCES_EXHAUSTED);
    host_get_events(&d, recs, DC_EVENT_LOG_SIZE);
    /* All but the last: the list then has room for e[8] in one read */
    g_assert_cmphex(host_add_response(&d, e, DC_EVENT_LOG_SIZE - 1), ==,
                    RC_SUCCESS);
    g_assert_cmphex(fm_release(&d, e, 1, 0), ==, RC_RESOURCES_EXHAUSTED);
    host_clear_events(&d, recs, DC_EVENT_LOG_SIZE);
    g_assert_cmphex(fm_add(&d, &e[DC_EVENT_LOG_SIZE], 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &e[DC_EVENT_LOG_SIZE]);
    g_assert_cmphex(host_add_response(&d, &e[DC_EVENT_LOG_SIZE], 1), ==,
                    RC_SUCCESS);
    e[DC_EVENT_LOG_SIZE - 1] = e[DC_EVENT_LOG_SIZE];
    host_assert_extents(&d, e, DC_EVENT_LOG_SIZE);
    dcd_test_end(&d);
}

static void test_accept_not_offered(void)
{
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_a);

    g_assert_cmphex(host_add_response(&d, &ext_b, 1), ==, RC_INVALID_PA);
    /* More than was offered */
    g_assert_cmphex(host_add_response(&d, &(Extent) { ext_a.dpa,
                                                      ext_a.len + DC_BLOCK },
                                      1), ==, RC_INVALID_PA);
    /* What was offered and something else */
    g_assert_cmphex(host_add_response(&d, (const Extent[]) { ext_a, ext_b },
                                      2), ==, RC_INVALID_PA);
    fm_assert_extents(&d, NULL, 0);

    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_SUCCESS);
    fm_assert_extents(&d, &ext_a, 1);
    host_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

/*
 * A release of capacity the host does not have, from the FM or from the
 * host: Invalid Physical Address, nothing changes
 */
static void test_release_not_accepted(void)
{
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);

    g_assert_cmphex(fm_release(&d, &ext_b, 1, 0), ==, RC_INVALID_PA);
    g_assert_cmphex(host_release(&d, &ext_b, 1), ==, RC_INVALID_PA);
    /* Part of it the host has, part not */
    g_assert_cmphex(fm_release(&d, &(Extent) { ext_a.dpa, ext_a.len +
                                               DC_BLOCK }, 1, 0),
                    ==, RC_INVALID_PA);
    g_assert_cmphex(host_release(&d, &(Extent) { ext_a.dpa - DC_BLOCK,
                                                 ext_a.len }, 1),
                    ==, RC_INVALID_PA);
    host_get_events(&d, NULL, 0);
    fm_assert_extents(&d, &ext_a, 1);
    host_assert_extents(&d, &ext_a, 1);

    g_assert_cmphex(fm_release(&d, &ext_a, 1, 0), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_RELEASE, &ext_a);
    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_SUCCESS);
    fm_assert_extents(&d, NULL, 0);
    dcd_test_end(&d);
}

/*
 * A release with Forced Removal does not wait for the host (7.6.7.6.6:
 * the host loses access at once): the capacity is gone from both lists
 * and the host is told with a Forced Capacity Release record, which it
 * does not answer
 */
static void test_forced_release(void)
{
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    add_accepted(&d, &ext_c);
    g_assert_cmphex(fm_release(&d, &ext_a, 1, RELEASE_FORCED), ==,
                    RC_SUCCESS);
    host_take_event(&d, DC_EVENT_FORCED_RELEASE, &ext_a);
    fm_assert_extents(&d, &ext_c, 1);
    host_assert_extents(&d, &ext_c, 1);
    /* Nothing left for the host to release */
    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_INVALID_PA);
    dcd_test_end(&d);
}

/*
 * The host gives capacity back on its own, without an FM request, whole
 * or in part: the FM sees what is left
 */
static void test_host_release_unrequested(void)
{
    const Extent half = { ext_c.dpa, ext_c.len / 2 };
    const Extent rest = { ext_c.dpa + ext_c.len / 2, ext_c.len / 2 };
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    add_accepted(&d, &ext_c);
    fm_assert_extents(&d, (const Extent[]) { ext_a, ext_c }, 2);

    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_SUCCESS);
    fm_assert_extents(&d, &ext_c, 1);
    host_assert_extents(&d, &ext_c, 1);
    g_assert_cmphex(host_release(&d, &half, 1), ==, RC_SUCCESS);
    fm_assert_extents(&d, &rest, 1);
    host_assert_extents(&d, &rest, 1);
    host_get_events(&d, NULL, 0);
    dcd_test_end(&d);
}

/*
 * Get Event Records sets More Event Records only when there are more
 * records than it returned (8.2.9.2.2)
 */
static void test_event_records_more_flag(void)
{
    uint8_t log = EVENT_LOG_DC;
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, (const Extent[]) { ext_a, ext_b }, 2), ==,
                    RC_SUCCESS);
    g_assert_cmphex(host_cmd(&d, HOST_GET_EVENT_RECORDS, &log, 1), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(lduw_le_p(d.out + 0x14), ==, 2);
    g_assert_cmphex(d.out[0] & EVENT_MORE_RECORDS, ==, 0);
    dcd_test_end(&d);
}

/* Test cases: bad input, each followed by a good command */

static void test_bad_fm_get_dcd_info(void)
{
    uint8_t in[1] = { 0 };
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_cmd(&d, FM_GET_DCD_INFO, in, 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(fm_cmd(&d, FM_GET_DCD_INFO, NULL, 0), ==, RC_SUCCESS);
    dcd_test_end(&d);
}

static void test_bad_fm_get_region_config(void)
{
    uint8_t in[5] = { 0, 0, CXL_DCD_REGIONS, 0 };  /* 4 bytes, and 1 more */
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, 3), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, 5), ==,
                    RC_INVALID_PAYLOAD_LEN);
    in[0] = 1;                                  /* host 1: there is none */
    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, 4), ==,
                    RC_INVALID_INPUT);
    in[0] = 0;
    in[3] = CXL_DCD_REGIONS;                    /* starting region */
    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, 4), ==,
                    RC_INVALID_INPUT);
    in[3] = 1;
    g_assert_cmphex(fm_cmd(&d, FM_GET_REGION_CONFIG, in, 4), ==, RC_SUCCESS);
    g_assert_cmpuint(d.out[3], ==, 1);
    g_assert_cmphex(ldq_le_p(d.out + 4), ==, DC_REGION_SIZE);
    dcd_test_end(&d);
}

static void test_bad_fm_set_region_config(void)
{
    uint8_t in[16] = { CXL_DCD_REGIONS };
    DCDTest d;

    dcd_test_start(&d);
    stq_le_p(in + 4, DC_BLOCK);
    g_assert_cmphex(fm_cmd(&d, FM_SET_REGION_CONFIG, in, 15), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(fm_cmd(&d, FM_SET_REGION_CONFIG, in, 16), ==,
                    RC_INVALID_INPUT);
    in[0] = 8;
    g_assert_cmphex(fm_cmd(&d, FM_SET_REGION_CONFIG, in, 16), ==,
                    RC_INVALID_INPUT);
    in[0] = 0;
    stq_le_p(in + 4, 3 * MiB);                  /* not a power of 2 */
    g_assert_cmphex(fm_cmd(&d, FM_SET_REGION_CONFIG, in, 16), ==,
                    RC_INVALID_INPUT);
    stq_le_p(in + 4, DC_BLOCK);
    g_assert_cmphex(fm_cmd(&d, FM_SET_REGION_CONFIG, in, 16), ==, RC_SUCCESS);
    dcd_test_end(&d);
}

static void test_bad_fm_get_extent_list(void)
{
    uint8_t in[12] = { 0 };
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    stl_le_p(in + 4, MAX_EXTENTS);
    g_assert_cmphex(fm_cmd(&d, FM_GET_EXTENT_LIST, in, 11), ==,
                    RC_INVALID_PAYLOAD_LEN);
    in[0] = 1;
    g_assert_cmphex(fm_cmd(&d, FM_GET_EXTENT_LIST, in, 12), ==,
                    RC_INVALID_INPUT);
    in[0] = 0;
    stl_le_p(in + 8, 2);                        /* past the one extent */
    g_assert_cmphex(fm_cmd(&d, FM_GET_EXTENT_LIST, in, 12), ==,
                    RC_INVALID_INPUT);
    stl_le_p(in + 8, 1);                        /* at its end: none */
    g_assert_cmphex(fm_cmd(&d, FM_GET_EXTENT_LIST, in, 12), ==, RC_SUCCESS);
    g_assert_cmpuint(ldl_le_p(d.out + 8), ==, 0);
    g_assert_cmpuint(ldl_le_p(d.out + 12), ==, 1);
    fm_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

static void test_bad_fm_initiate_add(void)
{
    uint8_t req[FM_EXTENTS_HDR + MAX_EXTENTS * EXTENT_SIZE];
    size_t len;
    DCDTest d;

    dcd_test_start(&d);
    /* Lengths and counts */
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_ADD, 1, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, FM_EXTENTS_HDR - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, len - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_ADD, 2, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, len), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_ADD, 0, NULL, 0);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, len), ==,
                    RC_INVALID_INPUT);
    /* A host or a policy Get DCD Info does not offer */
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_ADD, 1, &ext_a, 1);
    req[0] = 1;
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, len), ==,
                    RC_INVALID_INPUT);
    len = fm_extents_req(req, POLICY_FREE, 1, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_ADD, req, len), ==,
                    RC_INVALID_INPUT);
    /* Extents: unaligned, partial blocks, empty, overlapping */
    g_assert_cmphex(fm_add(&d, &(Extent) { ext_a.dpa + MiB, ext_a.len }, 1),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_add(&d, &(Extent) { ext_a.dpa, ext_a.len + 4096 }, 1),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_add(&d, &(Extent) { ext_a.dpa, 0 }, 1), ==,
                    RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_add(&d, (const Extent[]) {
                        ext_a, { ext_a.dpa + DC_BLOCK, DC_BLOCK } }, 2), ==,
                    RC_INVALID_EXTENT_LIST);
    /* Outside the dynamic capacity, across the two regions, wrapping */
    g_assert_cmphex(fm_add(&d, &(Extent) { CXL_DCD_SIZE, DC_BLOCK }, 1), ==,
                    RC_INVALID_PA);
    g_assert_cmphex(fm_add(&d, &(Extent) { DC_REGION_SIZE - DC_BLOCK,
                                           2 * DC_BLOCK }, 1), ==,
                    RC_INVALID_PA);
    g_assert_cmphex(fm_add(&d, &(Extent) { ext_a.dpa, -ext_a.dpa }, 1), ==,
                    RC_INVALID_PA);
    host_get_events(&d, NULL, 0);       /* nothing was offered */

    add_accepted(&d, &ext_a);
    fm_assert_extents(&d, &ext_a, 1);
    /* and what the host has cannot be offered again */
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_INVALID_EXTENT_LIST);
    dcd_test_end(&d);
}

static void test_bad_fm_initiate_release(void)
{
    uint8_t req[FM_EXTENTS_HDR + MAX_EXTENTS * EXTENT_SIZE];
    size_t len;
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_REL, 1, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, FM_EXTENTS_HDR - 1),
                    ==, RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, len - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_REL, 2, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, len), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_REL, 0, NULL, 0);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, len), ==,
                    RC_INVALID_INPUT);
    len = fm_extents_req(req, POLICY_PRESCRIPTIVE_REL, 1, &ext_a, 1);
    req[0] = 1;
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, len), ==,
                    RC_INVALID_INPUT);
    g_assert_cmphex(fm_release(&d, &ext_a, 1, RELEASE_SANITIZE), ==,
                    RC_INVALID_INPUT);
    len = fm_extents_req(req, POLICY_TAG_RELEASE, 1, &ext_a, 1);
    g_assert_cmphex(fm_cmd(&d, FM_INITIATE_RELEASE, req, len), ==,
                    RC_INVALID_INPUT);
    g_assert_cmphex(fm_release(&d, &(Extent) { ext_a.dpa + MiB, DC_BLOCK }, 1,
                               0), ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_release(&d, &(Extent) { ext_a.dpa, 0 }, 1, 0), ==,
                    RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_release(&d, (const Extent[]) { ext_a, ext_a }, 2, 0),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(fm_release(&d, &(Extent) { CXL_DCD_SIZE, DC_BLOCK }, 1,
                               0), ==, RC_INVALID_PA);
    host_get_events(&d, NULL, 0);
    fm_assert_extents(&d, &ext_a, 1);

    g_assert_cmphex(fm_release(&d, &ext_a, 1, 0), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_RELEASE, &ext_a);
    dcd_test_end(&d);
}

static void test_bad_host_add_response(void)
{
    uint8_t req[HOST_EXTENTS_HDR + MAX_EXTENTS * UPDATED_EXTENT_SIZE];
    size_t len;
    DCDTest d;

    dcd_test_start(&d);
    /* Nothing offered */
    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_INVALID_INPUT);
    g_assert_cmphex(host_add_response(&d, NULL, 0), ==, RC_INVALID_INPUT);

    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_take_event(&d, DC_EVENT_ADD, &ext_a);
    len = host_extents_req(req, 1, &ext_a, 1);
    g_assert_cmphex(host_cmd(&d, HOST_ADD_DC_RESPONSE, req,
                             HOST_EXTENTS_HDR - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(host_cmd(&d, HOST_ADD_DC_RESPONSE, req, len - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = host_extents_req(req, 2, &ext_a, 1);
    g_assert_cmphex(host_cmd(&d, HOST_ADD_DC_RESPONSE, req, len), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(host_add_response(&d, &(Extent) { ext_a.dpa + MiB,
                                                      DC_BLOCK }, 1),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(host_add_response(&d, &(Extent) { ext_a.dpa, 0 }, 1), ==,
                    RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(host_add_response(&d, (const Extent[]) { ext_a, ext_a },
                                      2), ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(host_add_response(&d, &(Extent) { CXL_DCD_SIZE,
                                                      DC_BLOCK }, 1),
                    ==, RC_INVALID_PA);
    fm_assert_extents(&d, NULL, 0);

    g_assert_cmphex(host_add_response(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

static void test_bad_host_release(void)
{
    uint8_t req[HOST_EXTENTS_HDR + MAX_EXTENTS * UPDATED_EXTENT_SIZE];
    size_t len;
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    len = host_extents_req(req, 1, &ext_a, 1);
    g_assert_cmphex(host_cmd(&d, HOST_RELEASE_DC, req, HOST_EXTENTS_HDR - 1),
                    ==, RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(host_cmd(&d, HOST_RELEASE_DC, req, len - 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    len = host_extents_req(req, 2, &ext_a, 1);
    g_assert_cmphex(host_cmd(&d, HOST_RELEASE_DC, req, len), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(host_release(&d, NULL, 0), ==, RC_INVALID_INPUT);
    g_assert_cmphex(host_release(&d, &(Extent) { ext_a.dpa + MiB, DC_BLOCK },
                                 1), ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(host_release(&d, (const Extent[]) { ext_a, ext_a }, 2),
                    ==, RC_INVALID_EXTENT_LIST);
    g_assert_cmphex(host_release(&d, &(Extent) { CXL_DCD_SIZE, DC_BLOCK }, 1),
                    ==, RC_INVALID_PA);
    host_assert_extents(&d, &ext_a, 1);

    g_assert_cmphex(host_release(&d, &ext_a, 1), ==, RC_SUCCESS);
    host_assert_extents(&d, NULL, 0);
    dcd_test_end(&d);
}

static void test_bad_host_get_extent_list(void)
{
    uint8_t in[8] = { 0 };
    DCDTest d;

    dcd_test_start(&d);
    add_accepted(&d, &ext_a);
    stl_le_p(in, MAX_EXTENTS);
    g_assert_cmphex(host_cmd(&d, HOST_GET_EXTENT_LIST, in, 7), ==,
                    RC_INVALID_PAYLOAD_LEN);
    stl_le_p(in + 4, 2);                        /* past the one extent */
    g_assert_cmphex(host_cmd(&d, HOST_GET_EXTENT_LIST, in, 8), ==,
                    RC_INVALID_INPUT);
    stl_le_p(in + 4, 1);                        /* at its end: none */
    g_assert_cmphex(host_cmd(&d, HOST_GET_EXTENT_LIST, in, 8), ==,
                    RC_SUCCESS);
    g_assert_cmpuint(ldl_le_p(d.out), ==, 0);
    g_assert_cmpuint(ldl_le_p(d.out + 4), ==, 1);
    host_assert_extents(&d, &ext_a, 1);
    dcd_test_end(&d);
}

static void test_bad_host_get_dc_config(void)
{
    uint8_t in[2] = { CXL_DCD_REGIONS, CXL_DCD_REGIONS };
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(host_cmd(&d, HOST_GET_DC_CONFIG, in, 1), ==,
                    RC_INVALID_PAYLOAD_LEN);
    g_assert_cmphex(host_cmd(&d, HOST_GET_DC_CONFIG, in, 2), ==,
                    RC_INVALID_INPUT);
    in[1] = 0;
    g_assert_cmphex(host_cmd(&d, HOST_GET_DC_CONFIG, in, 2), ==, RC_SUCCESS);
    g_assert_cmpuint(d.out[0], ==, CXL_DCD_REGIONS);
    g_assert_cmpuint(d.out[1], ==, CXL_DCD_REGIONS);
    dcd_test_end(&d);
}

static void test_bad_host_events(void)
{
    uint8_t log = EVENT_LOG_DC + 1, rec[EVENT_RECORD_SIZE];
    uint8_t clear[8] = { EVENT_LOG_DC, 0, 1 };
    DCDTest d;

    dcd_test_start(&d);
    g_assert_cmphex(fm_add(&d, &ext_a, 1), ==, RC_SUCCESS);
    g_assert_cmphex(host_cmd(&d, HOST_GET_EVENT_RECORDS, &log, 1), ==,
                    RC_INVALID_INPUT);
    host_get_events(&d, rec, 1);

    /* One handle counted, none given */
    g_assert_cmphex(host_cmd(&d, HOST_CLEAR_EVENT_RECORDS, clear, 6), ==,
                    RC_INVALID_PAYLOAD_LEN);
    /* A handle the log does not have */
    stw_le_p(clear + 6, lduw_le_p(rec + 0x14) + 1);
    g_assert_cmphex(host_cmd(&d, HOST_CLEAR_EVENT_RECORDS, clear, 8), ==,
                    RC_INVALID_HANDLE);
    clear[0] = EVENT_LOG_DC + 1;
    memcpy(clear + 6, rec + 0x14, 2);
    g_assert_cmphex(host_cmd(&d, HOST_CLEAR_EVENT_RECORDS, clear, 8), ==,
                    RC_INVALID_INPUT);
    host_get_events(&d, rec, 1);

    host_clear_events(&d, rec, 1);
    host_get_events(&d, rec, 0);
    dcd_test_end(&d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (!qtest_has_device("usb-cxl-mctp") || !qtest_has_device("usb-ehci") ||
        !qtest_has_device("cxl-type3")) {
        g_debug("usb-cxl-mctp, usb-ehci or cxl-type3 not available");
        return 0;
    }

    qtest_add_func("/cxl-dcd/fm/dcd-info-and-regions",
                   test_fm_dcd_info_and_regions);
    qtest_add_func("/cxl-dcd/add-accept-release", test_add_accept_release);
    qtest_add_func("/cxl-dcd/generation-number-follows-list",
                   test_generation_number_follows_list);
    qtest_add_func("/cxl-dcd/multi-extent-add-is-one-group",
                   test_multi_extent_add_is_one_group);
    qtest_add_func("/cxl-dcd/add-rejected-by-host",
                   test_add_rejected_by_host);
    qtest_add_func("/cxl-dcd/add-unanswered-stays-pending",
                   test_add_unanswered_stays_pending);
    qtest_add_func("/cxl-dcd/accept-not-offered", test_accept_not_offered);
    qtest_add_func("/cxl-dcd/release-not-accepted",
                   test_release_not_accepted);
    qtest_add_func("/cxl-dcd/forced-release", test_forced_release);
    qtest_add_func("/cxl-dcd/event-log-full-refuses-change",
                   test_event_log_full_refuses_change);
    qtest_add_func("/cxl-dcd/host-release-unrequested",
                   test_host_release_unrequested);
    qtest_add_func("/cxl-dcd/event-records-more-flag",
                   test_event_records_more_flag);
    qtest_add_func("/cxl-dcd/bad-input/fm-get-dcd-info",
                   test_bad_fm_get_dcd_info);
    qtest_add_func("/cxl-dcd/bad-input/fm-get-region-config",
                   test_bad_fm_get_region_config);
    qtest_add_func("/cxl-dcd/bad-input/fm-set-region-config",
                   test_bad_fm_set_region_config);
    qtest_add_func("/cxl-dcd/bad-input/fm-get-extent-list",
                   test_bad_fm_get_extent_list);
    qtest_add_func("/cxl-dcd/bad-input/fm-initiate-add",
                   test_bad_fm_initiate_add);
    qtest_add_func("/cxl-dcd/bad-input/fm-initiate-release",
                   test_bad_fm_initiate_release);
    qtest_add_func("/cxl-dcd/bad-input/host-add-response",
                   test_bad_host_add_response);
    qtest_add_func("/cxl-dcd/bad-input/host-release",
                   test_bad_host_release);
    qtest_add_func("/cxl-dcd/bad-input/host-get-extent-list",
                   test_bad_host_get_extent_list);
    qtest_add_func("/cxl-dcd/bad-input/host-get-dc-config",
                   test_bad_host_get_dc_config);
    qtest_add_func("/cxl-dcd/bad-input/host-events", test_bad_host_events);

    return g_test_run();
}
