/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * MCTP endpoint core: packet checks, reassembly, the control protocol and
 * fragmentation of responses, independent of the transport.
 *
 * DMTF DSP0236 1.3 "MCTP Base Specification": 8.7 (dropped packets),
 * 8.8 (tags), 8.9 (dropped messages), 12 (control messages).
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "hw/mctp/mctp.h"
#include "qom/object.h"
#include "trace.h"

/* DSP0236 1.0, 1.1, 1.2 and 1.3.1 */
static const uint8_t mctp_base_versions[][4] = {
    { 0xf1, 0xf0, 0xff, 0x00 },
    { 0xf1, 0xf1, 0xff, 0x00 },
    { 0xf1, 0xf2, 0xff, 0x00 },
    { 0xf1, 0xf3, 0xf1, 0x00 },
};

static bool mctp_eid_is_unicast(uint8_t eid)
{
    return eid >= MCTP_EID_UNICAST_MIN && eid <= MCTP_EID_UNICAST_MAX;
}

static void mctp_drop_packet(MCTPEndpoint *ep, const char *why)
{
    trace_mctp_drop_packet(ep->eid, why);
}

static void mctp_abort_message(MCTPEndpoint *ep, const char *why)
{
    trace_mctp_drop_message(ep->eid, ep->rx_src, ep->rx_tag, ep->rx_len, why);
    ep->rx_active = false;
    ep->rx_len = 0;
}

/*
 * Queue @len bytes of response message for @dest, fragmented to the MTU:
 * SOM on the first packet, EOM on the last, sequence from 0, the request's
 * tag with TO clear (DSP0236 8.8: a response never owns the tag).  The
 * response goes to the physical address the request came from.
 */
static void mctp_queue_response(MCTPEndpoint *ep, uint8_t dest, uint8_t tag,
                                const uint8_t *msg, size_t len)
{
    size_t npkts = DIV_ROUND_UP(len, ep->mtu);
    size_t need = npkts * (MCTP_TXQ_ENTRY_HDR + MCTP_HEADER_SIZE) + len;
    uint8_t seq = 0;
    size_t off;

    if (need > MCTP_TX_QUEUE_SIZE - ep->txq_len) {
        trace_mctp_drop_response(ep->eid, dest, tag, len, ep->txq_len);
        qemu_log_mask(LOG_GUEST_ERROR, "mctp: response of %zu bytes to EID %u "
                      "dropped: %u bytes of earlier responses not fetched\n",
                      len, dest, ep->txq_len);
        return;
    }

    for (off = 0; off < len; off += ep->mtu, seq++) {
        size_t chunk = MIN(ep->mtu, len - off);
        uint8_t *p = ep->txq + ep->txq_len;
        MCTPPacketHeader hdr = {
            .version = MCTP_HEADER_VERSION,
            .dest_eid = dest,
            .src_eid = ep->eid,
            .flags = ((seq & MCTP_FLAGS_SEQ_MASK) << MCTP_FLAGS_SEQ_SHIFT) |
                     (tag & MCTP_FLAGS_TAG_MASK),
        };

        if (off == 0) {
            hdr.flags |= MCTP_FLAGS_SOM;
        }
        if (off + chunk == len) {
            hdr.flags |= MCTP_FLAGS_EOM;
        }
        stw_le_p(p, MCTP_HEADER_SIZE + chunk);
        p[2] = ep->rx_phys;
        memcpy(p + MCTP_TXQ_ENTRY_HDR, &hdr, MCTP_HEADER_SIZE);
        memcpy(p + MCTP_TXQ_ENTRY_HDR + MCTP_HEADER_SIZE, msg + off, chunk);
        ep->txq_len += MCTP_TXQ_ENTRY_HDR + MCTP_HEADER_SIZE + chunk;
    }
    trace_mctp_queue_response(ep->eid, dest, tag, len, npkts);
    if (ep->ops->packets_queued) {
        ep->ops->packets_queued(ep);
    }
}

size_t mctp_endpoint_peek_packet(MCTPEndpoint *ep)
{
    return ep->txq_len ? lduw_le_p(ep->txq) : 0;
}

/* Take the first queued packet, of @len bytes, off the queue */
static void mctp_txq_remove_head(MCTPEndpoint *ep, size_t len)
{
    ep->txq_len -= MCTP_TXQ_ENTRY_HDR + len;
    memmove(ep->txq, ep->txq + MCTP_TXQ_ENTRY_HDR + len, ep->txq_len);
}

size_t mctp_endpoint_pop_packet(MCTPEndpoint *ep, uint8_t *buf, size_t size,
                                uint8_t *dest_phys)
{
    size_t len = mctp_endpoint_peek_packet(ep);

    if (!len || len > size) {
        return 0;
    }
    if (dest_phys) {
        *dest_phys = ep->txq[2];
    }
    memcpy(buf, ep->txq + MCTP_TXQ_ENTRY_HDR, len);
    mctp_txq_remove_head(ep, len);
    return len;
}

void mctp_endpoint_drop_message(MCTPEndpoint *ep)
{
    uint8_t hdr[MCTP_HEADER_SIZE];
    size_t len;

    while ((len = mctp_endpoint_peek_packet(ep))) {
        memcpy(hdr, ep->txq + MCTP_TXQ_ENTRY_HDR, sizeof(hdr));
        mctp_txq_remove_head(ep, len);
        if (hdr[3] & MCTP_FLAGS_EOM) {
            return;
        }
    }
}

/* Control protocol (message type 0), DSP0236 12 */

typedef struct MCTPControlRequest {
    uint8_t iid;
    uint8_t command;
    uint8_t src;                /* requester EID */
    const uint8_t *data;        /* request data after the command code */
    size_t len;
} MCTPControlRequest;

/* Response data (after the completion code) is built here */
typedef struct MCTPControlResponse {
    uint8_t cc;
    uint8_t data[MCTP_BASELINE_MTU - sizeof(MCTPControlHeader) - 1];
    size_t len;
} MCTPControlResponse;

static void mctp_handle_set_eid(MCTPEndpoint *ep, MCTPControlRequest *req,
                                MCTPControlResponse *rsp)
{
    uint8_t op, eid, status = MCTP_SET_EID_STATUS_ACCEPTED;

    if (req->len < 2) {
        rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_LENGTH;
        return;
    }
    op = req->data[0] & MCTP_SET_EID_OP_MASK;
    eid = req->data[1];

    switch (op) {
    case MCTP_SET_EID_OP_SET:
    case MCTP_SET_EID_OP_FORCE:
        if (!mctp_eid_is_unicast(eid)) {
            qemu_log_mask(LOG_GUEST_ERROR, "mctp: Set Endpoint ID to invalid "
                          "EID %u\n", eid);
            rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_DATA;
            return;
        }
        /*
         * DSP0236 12.3: once a bus owner has assigned an EID, a plain Set
         * from another bus owner is rejected; Force always takes.
         */
        if (op == MCTP_SET_EID_OP_SET && ep->eid != MCTP_EID_NULL &&
            req->src != ep->bus_owner_eid) {
            status = MCTP_SET_EID_STATUS_REJECTED;
        } else {
            ep->eid = eid;
            ep->bus_owner_eid = req->src;
        }
        break;
    default:
        /*
         * Reset EID needs a static EID and Set Discovered Flag a transport
         * with endpoint discovery; this endpoint has neither.
         */
        rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_DATA;
        return;
    }
    trace_mctp_set_eid(op, eid, status == MCTP_SET_EID_STATUS_ACCEPTED,
                       ep->eid);
    rsp->data[0] = status | MCTP_SET_EID_ALLOC_NO_POOL;
    rsp->data[1] = ep->eid;
    rsp->data[2] = 0;           /* EID pool size */
    rsp->len = 3;
}

static void mctp_handle_get_eid(MCTPEndpoint *ep, MCTPControlRequest *req,
                                MCTPControlResponse *rsp)
{
    rsp->data[0] = ep->eid;
    rsp->data[1] = MCTP_ENDPOINT_TYPE_SIMPLE | MCTP_EID_TYPE_DYNAMIC;
    rsp->data[2] = 0;           /* medium-specific */
    rsp->len = 3;
}

static void mctp_handle_get_uuid(MCTPEndpoint *ep, MCTPControlRequest *req,
                                 MCTPControlResponse *rsp)
{
    memcpy(rsp->data, ep->uuid.data, sizeof(ep->uuid.data));
    rsp->len = sizeof(ep->uuid.data);
}

static void mctp_handle_get_version(MCTPEndpoint *ep, MCTPControlRequest *req,
                                    MCTPControlResponse *rsp)
{
    const uint8_t (*versions)[4] = NULL;
    size_t n = 0, i;

    if (req->len < 1) {
        rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_LENGTH;
        return;
    }
    if (req->data[0] == MCTP_VERSION_BASE_SPEC ||
        req->data[0] == MCTP_MESSAGE_TYPE_CONTROL) {
        versions = mctp_base_versions;
        n = ARRAY_SIZE(mctp_base_versions);
    } else {
        for (i = 0; i < ep->num_types; i++) {
            if (ep->types[i].type == req->data[0]) {
                versions = ep->types[i].versions;
                n = ep->types[i].num_versions;
            }
        }
    }
    if (!n) {
        rsp->cc = MCTP_CONTROL_CC_VERSION_TYPE_UNSUPPORTED;
        return;
    }
    rsp->data[0] = n;
    memcpy(&rsp->data[1], versions, n * 4);
    rsp->len = 1 + n * 4;
}

static void mctp_handle_get_message_types(MCTPEndpoint *ep,
                                          MCTPControlRequest *req,
                                          MCTPControlResponse *rsp)
{
    size_t i;

    /* The count leaves out the control type itself */
    rsp->data[0] = ep->num_types;
    for (i = 0; i < ep->num_types; i++) {
        rsp->data[1 + i] = ep->types[i].type;
    }
    rsp->len = 1 + ep->num_types;
}

static void mctp_handle_get_vdm_support(MCTPEndpoint *ep,
                                        MCTPControlRequest *req,
                                        MCTPControlResponse *rsp)
{
    if (req->len < 1) {
        rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_LENGTH;
        return;
    }
    /* No vendor defined message type is advertised: no selector is valid */
    rsp->cc = MCTP_CONTROL_CC_ERROR_INVALID_DATA;
}

static void mctp_handle_control(MCTPEndpoint *ep, uint8_t src, uint8_t tag,
                                const uint8_t *msg, size_t len)
{
    const MCTPControlHeader *hdr = (const MCTPControlHeader *)msg;
    MCTPControlRequest req;
    MCTPControlResponse rsp = { .cc = MCTP_CONTROL_CC_SUCCESS };
    uint8_t out[MCTP_BASELINE_MTU];

    if (len < sizeof(*hdr)) {
        trace_mctp_drop_control(src, "message shorter than control header");
        return;
    }
    if (!(hdr->flags & MCTP_CONTROL_RQ)) {
        /* This endpoint sends no requests, so it expects no responses */
        trace_mctp_drop_control(src, "not a request");
        return;
    }
    req = (MCTPControlRequest) {
        .iid = hdr->flags & MCTP_CONTROL_IID_MASK,
        .command = hdr->command,
        .src = src,
        .data = msg + sizeof(*hdr),
        .len = len - sizeof(*hdr),
    };
    trace_mctp_control_request(src, req.command, req.iid, req.len);

    switch (req.command) {
    case MCTP_CONTROL_SET_EID:
        mctp_handle_set_eid(ep, &req, &rsp);
        break;
    case MCTP_CONTROL_GET_EID:
        mctp_handle_get_eid(ep, &req, &rsp);
        break;
    case MCTP_CONTROL_GET_UUID:
        mctp_handle_get_uuid(ep, &req, &rsp);
        break;
    case MCTP_CONTROL_GET_VERSION:
        mctp_handle_get_version(ep, &req, &rsp);
        break;
    case MCTP_CONTROL_GET_MESSAGE_TYPES:
        mctp_handle_get_message_types(ep, &req, &rsp);
        break;
    case MCTP_CONTROL_GET_VDM_SUPPORT:
        mctp_handle_get_vdm_support(ep, &req, &rsp);
        break;
    default:
        rsp.cc = MCTP_CONTROL_CC_ERROR_UNSUPPORTED_CMD;
        break;
    }

    if (hdr->flags & MCTP_CONTROL_D) {
        /* Datagrams get no response */
        return;
    }
    trace_mctp_control_response(src, req.command, rsp.cc);
    out[0] = MCTP_MESSAGE_TYPE_CONTROL;
    out[1] = req.iid;
    out[2] = req.command;
    out[3] = rsp.cc;
    if (rsp.cc != MCTP_CONTROL_CC_SUCCESS) {
        rsp.len = 0;
    }
    memcpy(&out[4], rsp.data, rsp.len);
    mctp_queue_response(ep, src, tag, out, 4 + rsp.len);
}

static const MCTPMessageTypeInfo *mctp_find_type(MCTPEndpoint *ep,
                                                 uint8_t type)
{
    size_t i;

    for (i = 0; i < ep->num_types; i++) {
        if (ep->types[i].type == type) {
            return &ep->types[i];
        }
    }
    return NULL;
}

static void mctp_dispatch_message(MCTPEndpoint *ep, uint8_t dest)
{
    uint8_t type = ep->rx_buf[0] & MCTP_MESSAGE_TYPE_MASK;
    size_t rsp_len;

    trace_mctp_message(ep->rx_src, dest, ep->rx_tag, ep->rx_buf[0],
                       ep->rx_len);

    if (type == MCTP_MESSAGE_TYPE_CONTROL) {
        if (ep->rx_buf[0] & MCTP_MESSAGE_IC) {
            trace_mctp_drop_control(ep->rx_src, "integrity check bit set");
            return;
        }
        mctp_handle_control(ep, ep->rx_src, ep->rx_tag, ep->rx_buf,
                            ep->rx_len);
        return;
    }
    if (dest == MCTP_EID_BROADCAST) {
        trace_mctp_drop_message(ep->eid, ep->rx_src, ep->rx_tag, ep->rx_len,
                                "broadcast is for control messages only");
        return;
    }
    if (!mctp_find_type(ep, type)) {
        /* DSP0236 8.9: unsupported message types are dropped silently */
        trace_mctp_drop_message(ep->eid, ep->rx_src, ep->rx_tag, ep->rx_len,
                                "unsupported message type");
        return;
    }
    rsp_len = ep->ops->handle_message(ep, ep->rx_buf, ep->rx_len,
                                      ep->rsp_buf, ep->max_response_size);
    if (rsp_len) {
        mctp_queue_response(ep, ep->rx_src, ep->rx_tag, ep->rsp_buf, rsp_len);
    }
}

static bool mctp_accepts_dest(MCTPEndpoint *ep, uint8_t dest)
{
    /*
     * DSP0236 8.2: its own EID once assigned; the null EID, which bus
     * owners use to reach an endpoint by physical address before and
     * after assignment; broadcast, for control messages only (checked
     * once the message type is known).
     */
    return dest == MCTP_EID_NULL || dest == MCTP_EID_BROADCAST ||
           (ep->eid != MCTP_EID_NULL && dest == ep->eid);
}

void mctp_endpoint_receive(MCTPEndpoint *ep, const uint8_t *pkt, size_t len,
                           uint8_t src_phys)
{
    MCTPPacketHeader hdr;
    const uint8_t *payload = pkt + MCTP_HEADER_SIZE;
    size_t plen;
    uint8_t tag, seq;

    if (len < MCTP_HEADER_SIZE) {
        mctp_drop_packet(ep, "shorter than the MCTP header");
        return;
    }
    memcpy(&hdr, pkt, sizeof(hdr));
    plen = len - MCTP_HEADER_SIZE;
    tag = hdr.flags & (MCTP_FLAGS_TO | MCTP_FLAGS_TAG_MASK);
    seq = MCTP_SEQ(hdr.flags);
    trace_mctp_packet(hdr.dest_eid, hdr.src_eid, hdr.flags, plen);

    /* DSP0236 8.7: dropped packets */
    if ((hdr.version & MCTP_HEADER_VERSION_MASK) != MCTP_HEADER_VERSION) {
        mctp_drop_packet(ep, "unsupported header version");
        return;
    }
    if (!mctp_accepts_dest(ep, hdr.dest_eid)) {
        mctp_drop_packet(ep, "destination EID is not this endpoint");
        return;
    }
    if (hdr.src_eid == MCTP_EID_BROADCAST) {
        mctp_drop_packet(ep, "broadcast source EID");
        return;
    }
    if (!(hdr.flags & MCTP_FLAGS_TO)) {
        /* A response: this endpoint owns no tags, it never asked */
        mctp_drop_packet(ep, "tag owner clear (unexpected response)");
        return;
    }

    if (hdr.flags & MCTP_FLAGS_SOM) {
        if (ep->rx_active) {
            mctp_abort_message(ep, "new start of message");
        }
        if (!plen) {
            mctp_drop_packet(ep, "start of message without message type");
            return;
        }
        ep->rx_active = true;
        ep->rx_src = hdr.src_eid;
        ep->rx_phys = src_phys;
        ep->rx_tag = tag;
        ep->rx_len = 0;
    } else {
        if (!ep->rx_active) {
            mctp_drop_packet(ep, "middle or end without start of message");
            return;
        }
        if (hdr.src_eid != ep->rx_src || src_phys != ep->rx_phys ||
            tag != ep->rx_tag) {
            /* Another message interleaved: not supported, drop both */
            mctp_abort_message(ep, "packet of another message interleaved");
            return;
        }
        if (seq != ((ep->rx_seq + 1) & MCTP_FLAGS_SEQ_MASK)) {
            qemu_log_mask(LOG_GUEST_ERROR, "mctp: packet sequence %u after %u"
                          ", message dropped\n", seq, ep->rx_seq);
            mctp_abort_message(ep, "bad packet sequence number");
            return;
        }
    }
    ep->rx_seq = seq;

    if (plen > ep->max_message_size - ep->rx_len) {
        qemu_log_mask(LOG_GUEST_ERROR, "mctp: message longer than %u bytes "
                      "dropped\n", ep->max_message_size);
        mctp_abort_message(ep, "message larger than max-message-size");
        return;
    }
    memcpy(ep->rx_buf + ep->rx_len, payload, plen);
    ep->rx_len += plen;

    if (hdr.flags & MCTP_FLAGS_EOM) {
        ep->rx_active = false;
        mctp_dispatch_message(ep, hdr.dest_eid);
        ep->rx_len = 0;
    }
}

void mctp_default_uuid(QemuUUID *uuid, Object *owner)
{
    g_autofree char *path = object_get_canonical_path(owner);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
    uint8_t digest[20];
    gsize len = sizeof(digest);

    g_checksum_update(sum, (const guchar *)object_get_typename(owner), -1);
    g_checksum_update(sum, (const guchar *)path, -1);
    g_checksum_get_digest(sum, digest, &len);
    memcpy(uuid->data, digest, sizeof(uuid->data));
    uuid->data[6] = (uuid->data[6] & 0x0f) | 0x50;
    uuid->data[8] = (uuid->data[8] & 0x3f) | 0x80;
}

void mctp_endpoint_reset(MCTPEndpoint *ep)
{
    ep->eid = MCTP_EID_NULL;
    ep->bus_owner_eid = MCTP_EID_NULL;
    ep->rx_active = false;
    ep->rx_len = 0;
    ep->txq_len = 0;
}

void mctp_endpoint_init(MCTPEndpoint *ep)
{
    assert(ep->ops && ep->ops->handle_message);
    assert(ep->mtu >= MCTP_BASELINE_MTU);
    assert(ep->max_message_size >= MCTP_BASELINE_MTU);
    assert(ep->max_response_size > 0);

    ep->rx_buf = g_malloc0(ep->max_message_size);
    ep->rsp_buf = g_malloc0(ep->max_response_size);
    ep->txq = g_malloc0(MCTP_TX_QUEUE_SIZE);
    mctp_endpoint_reset(ep);
}

void mctp_endpoint_cleanup(MCTPEndpoint *ep)
{
    g_free(ep->rx_buf);
    g_free(ep->rsp_buf);
    g_free(ep->txq);
    ep->rx_buf = ep->rsp_buf = ep->txq = NULL;
}

static bool mctp_rx_len_valid(void *opaque, int version_id)
{
    MCTPEndpoint *ep = opaque;

    return ep->rx_len <= ep->max_message_size;
}

static bool mctp_txq_len_valid(void *opaque, int version_id)
{
    MCTPEndpoint *ep = opaque;

    return ep->txq_len <= MCTP_TX_QUEUE_SIZE;
}

static int mctp_endpoint_post_load(void *opaque, int version_id)
{
    MCTPEndpoint *ep = opaque;
    uint32_t off = 0;

    /* Every queued packet must be whole and no larger than the MTU */
    while (off < ep->txq_len) {
        uint32_t len;

        if (ep->txq_len - off < MCTP_TXQ_ENTRY_HDR) {
            return -EINVAL;
        }
        len = lduw_le_p(ep->txq + off);
        if (len < MCTP_HEADER_SIZE || len > MCTP_HEADER_SIZE + ep->mtu ||
            len > ep->txq_len - off - MCTP_TXQ_ENTRY_HDR) {
            return -EINVAL;
        }
        off += MCTP_TXQ_ENTRY_HDR + len;
    }
    return 0;
}

const VMStateDescription vmstate_mctp_endpoint = {
    .name = "mctp-endpoint",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = mctp_endpoint_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(eid, MCTPEndpoint),
        VMSTATE_UINT8(bus_owner_eid, MCTPEndpoint),
        VMSTATE_BOOL(rx_active, MCTPEndpoint),
        VMSTATE_UINT8(rx_src, MCTPEndpoint),
        VMSTATE_UINT8(rx_phys, MCTPEndpoint),
        VMSTATE_UINT8(rx_tag, MCTPEndpoint),
        VMSTATE_UINT8(rx_seq, MCTPEndpoint),
        VMSTATE_UINT32(rx_len, MCTPEndpoint),
        VMSTATE_VALIDATE("rx_len fits", mctp_rx_len_valid),
        VMSTATE_VBUFFER_UINT32(rx_buf, MCTPEndpoint, 1, NULL, rx_len),
        VMSTATE_UINT32(txq_len, MCTPEndpoint),
        VMSTATE_VALIDATE("txq_len fits", mctp_txq_len_valid),
        VMSTATE_VBUFFER_UINT32(txq, MCTPEndpoint, 1, NULL, txq_len),
        VMSTATE_END_OF_LIST()
    }
};
