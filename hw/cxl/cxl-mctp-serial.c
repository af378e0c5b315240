/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * cxl-mctp-serial: an MCTP endpoint on a serial line (DMTF DSP0253)
 * through which a fabric manager reaches the CCI of a CXL switch upstream
 * port or type 3 device with CXL FM-API (MCTP type 0x07) and CXL CCI
 * (MCTP type 0x08) messages, as usb-cxl-mctp does over USB:
 *
 *   -chardev socket,id=fm0,path=fm0.sock,server=on,wait=off
 *   -device cxl-mctp-serial,chardev=fm0,target=us0
 *
 * It is on no guest bus: only what is at the other end of the chardev
 * talks to it, such as a second VM's serial port with Linux's mctp-serial
 * line discipline, a fabric manager on the host, or a qtest.
 *
 * This file is the serial transport only: DSP0253 framing, flow control
 * and QOM glue.  The MCTP endpoint logic is in hw/mctp/mctp.c, the CXL
 * binding in hw/cxl/cxl-mctp.c.
 *
 * A frame is the flag 0x7E, revision 0x01, the byte count of the MCTP
 * packet, the packet with 0x7E and 0x7D sent as 0x7D followed by the byte
 * with bit 5 cleared, the FCS-16 of revision, byte count and unescaped
 * packet (high byte first) and the flag 0x7E.  As Linux's mctp-serial
 * does, the header and the FCS are not escaped.  A frame in error is
 * dropped and the receiver waits for the next flag.
 *
 * One frame is sent at a time; when the chardev takes no more, the rest
 * waits for it to be writable, the responses behind it wait in the MCTP
 * endpoint's queue and no more requests are read, so nothing is lost or
 * reordered and the main loop never blocks.
 */

#include "qemu/osdep.h"
#include "qemu/crc-ccitt.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "chardev/char-fe.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/cxl/cxl_mctp.h"
#include "migration/vmstate.h"
#include "system/reset.h"
#include "trace.h"

#define TYPE_CXL_MCTP_SERIAL "cxl-mctp-serial"
OBJECT_DECLARE_SIMPLE_TYPE(CXLMCTPSerialState, CXL_MCTP_SERIAL)

#define MCTP_SERIAL_FLAG        0x7e
#define MCTP_SERIAL_ESC         0x7d
#define MCTP_SERIAL_ESC_BIT     0x20
#define MCTP_SERIAL_REVISION    0x01
#define MCTP_SERIAL_FCS_INIT    0xffff

/* MCTP packet size (MCTP header included): the byte count is 8 bits */
#define MCTP_SERIAL_MTU_MIN     68      /* header + baseline MTU; Linux's */
#define MCTP_SERIAL_MTU_MAX     255
/* Flag, revision, count, packet all escaped, FCS, flag */
#define MCTP_SERIAL_FRAME_MAX   (3 + 2 * MCTP_SERIAL_MTU_MAX + 3)

#define MCTP_SERIAL_MAX_MESSAGE_MIN MCTP_BASELINE_MTU
#define MCTP_SERIAL_MAX_MESSAGE_MAX (64 * 1024)

/* Receiver states: what the next byte is */
enum {
    MCTP_SERIAL_RX_HUNT,        /* anything until a flag */
    MCTP_SERIAL_RX_REVISION,    /* after a flag (more flags may follow) */
    MCTP_SERIAL_RX_COUNT,
    MCTP_SERIAL_RX_DATA,
    MCTP_SERIAL_RX_ESCAPE,      /* the byte after 0x7D */
    MCTP_SERIAL_RX_FCS_HI,
    MCTP_SERIAL_RX_FCS_LO,
    MCTP_SERIAL_RX_END,         /* the closing flag */
    MCTP_SERIAL_RX_NUM_STATES
};

struct CXLMCTPSerialState {
    DeviceState parent_obj;

    /* Properties */
    CharFrontend chr;
    CXLMCTPBinding cxl;         /* target and CCI */
    QemuUUID uuid;
    uint32_t mtu;
    uint32_t max_message_size;

    MCTPEndpoint mctp;

    /* Frame being received */
    uint8_t rx_state;
    uint8_t rx_count;           /* its byte count */
    uint8_t rx_len;             /* packet bytes so far */
    uint16_t rx_fcs;            /* FCS of the bytes so far */
    uint16_t rx_fcs_rcvd;
    uint32_t rx_skipped;        /* bytes skipped looking for a flag */
    uint8_t rx_buf[MCTP_SERIAL_MTU_MAX];

    /* Frame being sent: tx_len bytes, tx_pos of them written */
    uint32_t tx_len;
    uint32_t tx_pos;
    guint tx_watch;
    uint8_t tx_buf[MCTP_SERIAL_FRAME_MAX];
};

/* Peer to endpoint */

static void cxl_mctp_serial_rx_drop(CXLMCTPSerialState *s, const char *why)
{
    trace_cxl_mctp_serial_rx_drop(s->rx_count, s->rx_len, why);
    qemu_log_mask(LOG_GUEST_ERROR, "cxl-mctp-serial: frame dropped: %s\n",
                  why);
    s->rx_state = MCTP_SERIAL_RX_HUNT;
}

static void cxl_mctp_serial_rx_byte(CXLMCTPSerialState *s, uint8_t c)
{
    switch (s->rx_state) {
    case MCTP_SERIAL_RX_HUNT:
        if (c != MCTP_SERIAL_FLAG) {
            s->rx_skipped++;
            return;
        }
        if (s->rx_skipped) {
            trace_cxl_mctp_serial_rx_skipped(s->rx_skipped);
            s->rx_skipped = 0;
        }
        s->rx_state = MCTP_SERIAL_RX_REVISION;
        return;
    case MCTP_SERIAL_RX_REVISION:
        if (c == MCTP_SERIAL_FLAG) {
            return;             /* a closing flag and an opening one */
        }
        if (c != MCTP_SERIAL_REVISION) {
            cxl_mctp_serial_rx_drop(s, "unknown revision");
            return;
        }
        s->rx_fcs = crc_ccitt_byte(MCTP_SERIAL_FCS_INIT, c);
        s->rx_state = MCTP_SERIAL_RX_COUNT;
        return;
    case MCTP_SERIAL_RX_COUNT:
        s->rx_count = c;
        s->rx_len = 0;
        if (c < MCTP_HEADER_SIZE) {
            cxl_mctp_serial_rx_drop(s, "byte count below an MCTP header");
            return;
        }
        if (c > s->mtu) {
            cxl_mctp_serial_rx_drop(s, "byte count above the MTU");
            if (c == MCTP_SERIAL_FLAG) {
                /* The frame ended early; the flag may open the next one */
                s->rx_state = MCTP_SERIAL_RX_REVISION;
            }
            return;
        }
        s->rx_fcs = crc_ccitt_byte(s->rx_fcs, c);
        s->rx_state = MCTP_SERIAL_RX_DATA;
        return;
    case MCTP_SERIAL_RX_DATA:
    case MCTP_SERIAL_RX_ESCAPE:
        if (c == MCTP_SERIAL_FLAG) {
            /* The frame ended early; the flag may open the next one */
            cxl_mctp_serial_rx_drop(s, "flag inside the packet");
            s->rx_state = MCTP_SERIAL_RX_REVISION;
            return;
        }
        if (s->rx_state == MCTP_SERIAL_RX_DATA) {
            if (c == MCTP_SERIAL_ESC) {
                s->rx_state = MCTP_SERIAL_RX_ESCAPE;
                return;
            }
        } else {
            if (c != (MCTP_SERIAL_FLAG & ~MCTP_SERIAL_ESC_BIT) &&
                c != (MCTP_SERIAL_ESC & ~MCTP_SERIAL_ESC_BIT)) {
                cxl_mctp_serial_rx_drop(s, "escape of a byte that needs none");
                return;
            }
            c |= MCTP_SERIAL_ESC_BIT;
            s->rx_state = MCTP_SERIAL_RX_DATA;
        }
        s->rx_fcs = crc_ccitt_byte(s->rx_fcs, c);
        s->rx_buf[s->rx_len++] = c;
        if (s->rx_len == s->rx_count) {
            s->rx_state = MCTP_SERIAL_RX_FCS_HI;
        }
        return;
    case MCTP_SERIAL_RX_FCS_HI:
        s->rx_fcs_rcvd = c << 8;
        s->rx_state = MCTP_SERIAL_RX_FCS_LO;
        return;
    case MCTP_SERIAL_RX_FCS_LO:
        s->rx_fcs_rcvd |= c;
        s->rx_state = MCTP_SERIAL_RX_END;
        return;
    case MCTP_SERIAL_RX_END:
        if (c != MCTP_SERIAL_FLAG) {
            cxl_mctp_serial_rx_drop(s, "no flag after the FCS");
            /*
             * The FCS is not escaped, so a frame cut short has the next
             * one's flag taken for its FCS: start again from there
             */
            if (s->rx_fcs_rcvd >> 8 == MCTP_SERIAL_FLAG) {
                s->rx_state = MCTP_SERIAL_RX_REVISION;
                cxl_mctp_serial_rx_byte(s, s->rx_fcs_rcvd & 0xff);
                cxl_mctp_serial_rx_byte(s, c);
            } else if ((s->rx_fcs_rcvd & 0xff) == MCTP_SERIAL_FLAG) {
                s->rx_state = MCTP_SERIAL_RX_REVISION;
                cxl_mctp_serial_rx_byte(s, c);
            }
            return;
        }
        if (s->rx_fcs != s->rx_fcs_rcvd) {
            cxl_mctp_serial_rx_drop(s, "FCS mismatch");
        } else {
            trace_cxl_mctp_serial_rx_packet(s->rx_len);
            mctp_endpoint_receive(&s->mctp, s->rx_buf, s->rx_len, 0);
        }
        /* This flag may open the next frame too */
        s->rx_state = MCTP_SERIAL_RX_REVISION;
        return;
    default:
        g_assert_not_reached();
    }
}

/* Endpoint to peer */

static bool cxl_mctp_serial_tx_busy(CXLMCTPSerialState *s)
{
    return s->tx_pos < s->tx_len;
}

/* Frame @n bytes of @pkt into tx_buf */
static void cxl_mctp_serial_frame(CXLMCTPSerialState *s, const uint8_t *pkt,
                                  size_t n)
{
    uint8_t *p = s->tx_buf;
    uint16_t fcs;

    *p++ = MCTP_SERIAL_FLAG;
    *p++ = MCTP_SERIAL_REVISION;
    *p++ = n;
    fcs = crc_ccitt(MCTP_SERIAL_FCS_INIT, s->tx_buf + 1, 2);
    fcs = crc_ccitt(fcs, pkt, n);
    for (size_t i = 0; i < n; i++) {
        if (pkt[i] == MCTP_SERIAL_FLAG || pkt[i] == MCTP_SERIAL_ESC) {
            *p++ = MCTP_SERIAL_ESC;
            *p++ = pkt[i] & ~MCTP_SERIAL_ESC_BIT;
        } else {
            *p++ = pkt[i];
        }
    }
    *p++ = fcs >> 8;
    *p++ = fcs & 0xff;
    *p++ = MCTP_SERIAL_FLAG;
    s->tx_len = p - s->tx_buf;
    s->tx_pos = 0;
}

static void cxl_mctp_serial_tx_flush(CXLMCTPSerialState *s);

static gboolean cxl_mctp_serial_tx_writable(void *do_not_use,
                                            GIOCondition cond, void *opaque)
{
    CXLMCTPSerialState *s = opaque;

    s->tx_watch = 0;
    cxl_mctp_serial_tx_flush(s);
    return G_SOURCE_REMOVE;
}

/*
 * Write what the chardev takes of the frame in progress, then frame and
 * write the next queued packets; stop when the chardev takes no more,
 * waiting until it is writable again.
 */
static void cxl_mctp_serial_tx_flush(CXLMCTPSerialState *s)
{
    uint8_t pkt[MCTP_SERIAL_MTU_MAX];
    bool was_busy = cxl_mctp_serial_tx_busy(s);
    size_t n;
    int ret;

    if (s->tx_watch) {
        return;                 /* cxl_mctp_serial_tx_writable() resumes */
    }
    for (;;) {
        if (!cxl_mctp_serial_tx_busy(s)) {
            n = mctp_endpoint_peek_packet(&s->mctp);
            if (!n) {
                break;
            }
            assert(n <= sizeof(pkt));
            mctp_endpoint_pop_packet(&s->mctp, pkt, sizeof(pkt), NULL);
            cxl_mctp_serial_frame(s, pkt, n);
            trace_cxl_mctp_serial_tx_frame(n, s->tx_len);
        }

        ret = qemu_chr_fe_write(&s->chr, s->tx_buf + s->tx_pos,
                                s->tx_len - s->tx_pos);
        if (ret > 0) {
            s->tx_pos += ret;
            continue;
        }
        if (ret < 0 && errno == EAGAIN) {
            s->tx_watch = qemu_chr_fe_add_watch(&s->chr, G_IO_OUT | G_IO_HUP,
                                                cxl_mctp_serial_tx_writable,
                                                s);
            if (s->tx_watch) {
                trace_cxl_mctp_serial_tx_wait(s->tx_len - s->tx_pos);
                return;
            }
        }
        /* No peer, or one that cannot be waited for: nobody gets it */
        trace_cxl_mctp_serial_tx_drop(s->tx_len - s->tx_pos);
        s->tx_len = s->tx_pos = 0;
    }
    if (was_busy) {
        /* Requests were held back while the frame waited */
        qemu_chr_fe_accept_input(&s->chr);
    }
}

static int cxl_mctp_serial_can_receive(void *opaque)
{
    CXLMCTPSerialState *s = opaque;

    /* No request while a response waits to be sent */
    if (cxl_mctp_serial_tx_busy(s) || mctp_endpoint_peek_packet(&s->mctp)) {
        return 0;
    }
    return MCTP_SERIAL_FRAME_MAX;
}

static void cxl_mctp_serial_receive(void *opaque, const uint8_t *buf,
                                    int size)
{
    CXLMCTPSerialState *s = opaque;

    for (int i = 0; i < size; i++) {
        cxl_mctp_serial_rx_byte(s, buf[i]);
    }
}

static void cxl_mctp_serial_tx_cancel(CXLMCTPSerialState *s)
{
    if (s->tx_watch) {
        g_source_remove(s->tx_watch);
        s->tx_watch = 0;
    }
    s->tx_len = s->tx_pos = 0;
}

static void cxl_mctp_serial_event(void *opaque, QEMUChrEvent event)
{
    CXLMCTPSerialState *s = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        /*
         * A peer: send what waits for one (after migration, the rest of
         * a frame and the responses behind it).  The receiver carries on
         * where it is, which is waiting for a flag unless a half-received
         * frame came in with the migration.
         */
        trace_cxl_mctp_serial_peer(true, s->rx_state, s->tx_len - s->tx_pos);
        cxl_mctp_serial_tx_flush(s);
        break;
    case CHR_EVENT_CLOSED:
        /*
         * The peer went: the rest of the frame it was sending is gone, and
         * the responses to it mean nothing to the next one.  The endpoint
         * keeps its EID.
         */
        trace_cxl_mctp_serial_peer(false, s->rx_state, s->tx_len - s->tx_pos);
        s->rx_state = MCTP_SERIAL_RX_HUNT;
        s->rx_skipped = 0;
        cxl_mctp_serial_tx_cancel(s);
        while (mctp_endpoint_peek_packet(&s->mctp)) {
            mctp_endpoint_drop_message(&s->mctp);
        }
        qemu_chr_fe_accept_input(&s->chr);
        break;
    default:
        break;
    }
}

static void cxl_mctp_serial_packets_queued(MCTPEndpoint *ep)
{
    cxl_mctp_serial_tx_flush(ep->opaque);
}

static size_t cxl_mctp_serial_handle_message(MCTPEndpoint *ep, uint8_t *msg,
                                             size_t len, uint8_t *rsp,
                                             size_t rsp_size)
{
    CXLMCTPSerialState *s = ep->opaque;

    return cxl_mctp_binding_handle_message(&s->cxl, msg, len, rsp, rsp_size);
}

static const MCTPEndpointOps cxl_mctp_serial_ops = {
    .handle_message = cxl_mctp_serial_handle_message,
    .packets_queued = cxl_mctp_serial_packets_queued,
};

static void cxl_mctp_serial_reset_hold(Object *obj, ResetType type)
{
    CXLMCTPSerialState *s = CXL_MCTP_SERIAL(obj);

    trace_cxl_mctp_serial_reset();
    mctp_endpoint_reset(&s->mctp);
    cxl_mctp_binding_reset(&s->cxl);
    s->rx_state = MCTP_SERIAL_RX_HUNT;
    s->rx_count = s->rx_len = 0;
    s->rx_fcs = s->rx_fcs_rcvd = 0;
    s->rx_skipped = 0;
    if (cxl_mctp_serial_tx_busy(s)) {
        cxl_mctp_serial_tx_cancel(s);
        qemu_chr_fe_accept_input(&s->chr);
    }
}

static void cxl_mctp_serial_realize(DeviceState *dev, Error **errp)
{
    CXLMCTPSerialState *s = CXL_MCTP_SERIAL(dev);

    if (!qemu_chr_fe_backend_connected(&s->chr)) {
        error_setg(errp, "chardev property not set: the fabric manager "
                   "reaches the endpoint through it");
        return;
    }
    if (s->mtu < MCTP_SERIAL_MTU_MIN || s->mtu > MCTP_SERIAL_MTU_MAX) {
        error_setg(errp, "mtu %u out of range: an MCTP packet over a serial "
                   "line is %u to %u bytes", s->mtu, MCTP_SERIAL_MTU_MIN,
                   MCTP_SERIAL_MTU_MAX);
        return;
    }
    if (s->max_message_size < MCTP_SERIAL_MAX_MESSAGE_MIN ||
        s->max_message_size > MCTP_SERIAL_MAX_MESSAGE_MAX) {
        error_setg(errp, "max-message-size %u out of range: %d to %d bytes",
                   s->max_message_size, MCTP_SERIAL_MAX_MESSAGE_MIN,
                   MCTP_SERIAL_MAX_MESSAGE_MAX);
        return;
    }

    if (qemu_uuid_is_null(&s->uuid)) {
        mctp_default_uuid(&s->uuid, OBJECT(s));
    }
    s->mctp = (MCTPEndpoint) {
        .ops = &cxl_mctp_serial_ops,
        .opaque = s,
        .uuid = s->uuid,
        .mtu = s->mtu - MCTP_HEADER_SIZE,
        .max_message_size = s->max_message_size,
    };
    if (!cxl_mctp_binding_realize(&s->cxl, dev, &s->mctp, errp)) {
        return;
    }
    mctp_endpoint_init(&s->mctp);
    qemu_chr_fe_set_handlers(&s->chr, cxl_mctp_serial_can_receive,
                             cxl_mctp_serial_receive, cxl_mctp_serial_event,
                             NULL, s, NULL, true);
    /* On no bus: nothing else resets it */
    qemu_register_resettable(OBJECT(s));
}

static void cxl_mctp_serial_unrealize(DeviceState *dev)
{
    CXLMCTPSerialState *s = CXL_MCTP_SERIAL(dev);

    qemu_unregister_resettable(OBJECT(s));
    cxl_mctp_serial_tx_cancel(s);
    qemu_chr_fe_deinit(&s->chr, false);
    mctp_endpoint_cleanup(&s->mctp);
    cxl_mctp_binding_unrealize(&s->cxl);
}

static bool cxl_mctp_serial_rx_valid(void *opaque, int version_id)
{
    CXLMCTPSerialState *s = opaque;

    return s->rx_state < MCTP_SERIAL_RX_NUM_STATES &&
           s->rx_len <= s->rx_count;
}

static bool cxl_mctp_serial_tx_valid(void *opaque, int version_id)
{
    CXLMCTPSerialState *s = opaque;

    return s->tx_pos <= s->tx_len && s->tx_len <= MCTP_SERIAL_FRAME_MAX;
}

static int cxl_mctp_serial_post_load(void *opaque, int version_id)
{
    CXLMCTPSerialState *s = opaque;

    /*
     * The rest of a frame in progress goes out when the chardev can take
     * it, or when a peer connects
     */
    if (cxl_mctp_serial_tx_busy(s)) {
        s->tx_watch = qemu_chr_fe_add_watch(&s->chr, G_IO_OUT | G_IO_HUP,
                                            cxl_mctp_serial_tx_writable, s);
    }
    return 0;
}

static const VMStateDescription vmstate_cxl_mctp_serial = {
    .name = TYPE_CXL_MCTP_SERIAL,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = cxl_mctp_serial_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_MCTP_ENDPOINT(mctp, CXLMCTPSerialState),
        VMSTATE_UINT8(rx_state, CXLMCTPSerialState),
        VMSTATE_UINT8(rx_count, CXLMCTPSerialState),
        VMSTATE_UINT8(rx_len, CXLMCTPSerialState),
        VMSTATE_UINT16(rx_fcs, CXLMCTPSerialState),
        VMSTATE_UINT16(rx_fcs_rcvd, CXLMCTPSerialState),
        VMSTATE_VALIDATE("receiver state", cxl_mctp_serial_rx_valid),
        VMSTATE_UINT8_ARRAY(rx_buf, CXLMCTPSerialState, MCTP_SERIAL_MTU_MAX),
        VMSTATE_UINT32(tx_len, CXLMCTPSerialState),
        VMSTATE_UINT32(tx_pos, CXLMCTPSerialState),
        VMSTATE_VALIDATE("sender state", cxl_mctp_serial_tx_valid),
        VMSTATE_UINT8_ARRAY(tx_buf, CXLMCTPSerialState,
                            MCTP_SERIAL_FRAME_MAX),
        VMSTATE_CXL_MCTP_BINDING(cxl, CXLMCTPSerialState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property cxl_mctp_serial_properties[] = {
    DEFINE_PROP_CHR("chardev", CXLMCTPSerialState, chr),
    DEFINE_PROP_CXL_MCTP_TARGET(CXLMCTPSerialState, cxl),
    DEFINE_PROP_UUID_NODEFAULT("uuid", CXLMCTPSerialState, uuid),
    DEFINE_PROP_UINT32("mtu", CXLMCTPSerialState, mtu, MCTP_SERIAL_MTU_MIN),
    DEFINE_PROP_UINT32("max-message-size", CXLMCTPSerialState,
                       max_message_size, 4 * KiB),
};

static void cxl_mctp_serial_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "CXL FM-API and CCI over MCTP over a serial line (DSP0253)";
    dc->realize = cxl_mctp_serial_realize;
    dc->unrealize = cxl_mctp_serial_unrealize;
    dc->vmsd = &vmstate_cxl_mctp_serial;
    /* On no bus, so nothing to unplug it from */
    dc->hotpluggable = false;
    rc->phases.hold = cxl_mctp_serial_reset_hold;
    device_class_set_props(dc, cxl_mctp_serial_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo cxl_mctp_serial_types[] = {
    {
        .name          = TYPE_CXL_MCTP_SERIAL,
        .parent        = TYPE_DEVICE,
        .instance_size = sizeof(CXLMCTPSerialState),
        .class_init    = cxl_mctp_serial_class_init,
    }
};

DEFINE_TYPES(cxl_mctp_serial_types)
