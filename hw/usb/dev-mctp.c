/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * usb-cxl-mctp: an MCTP endpoint on USB (DMTF DSP0283 1.0) through which
 * a fabric manager reaches the CCI of a CXL switch or type 3 device with
 * CXL FM-API (MCTP type 0x07) and CXL CCI (MCTP type 0x08) messages.
 *
 * This file is the USB transport only: descriptors and DSP0283 framing.
 * The MCTP endpoint logic is in hw/mctp/mctp.c, the CXL binding in
 * hw/cxl/cxl-mctp.c.
 *
 * Each bulk transfer holds one or more USB-MCTP packets back to back, each
 * a 4-byte header (DMTF vendor ID 0x1AB4 big-endian, reserved, length of
 * the whole packet including this header) and an MCTP packet.  In v1.0 a
 * packet never spans transfers and a transfer is at most 512 bytes.
 *
 * An OUT is consumed at once.  An IN that finds nothing queued is held
 * (USB_RET_ASYNC, one at a time: the endpoint does not pipeline) and
 * completed as soon as a response is queued, so the host controller sees
 * the completion at once rather than when it next retries a NAKed
 * transfer (behind EHCI, a frame or two later).  The held
 * packet is not migrated: after migration the host controller rebuilds
 * its queues from guest memory and submits the IN again, as it does for
 * QEMU's other devices with asynchronous packets.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/usb.h"
#include "hw/cxl/cxl.h"
#include "hw/cxl/cxl_mctp.h"
#include "migration/vmstate.h"
#include "desc.h"
#include "trace.h"

#define TYPE_USB_CXL_MCTP "usb-cxl-mctp"
OBJECT_DECLARE_SIMPLE_TYPE(USBCXLMCTPState, USB_CXL_MCTP)

#define MCTP_USB_DMTF_ID        0x1ab4
#define MCTP_USB_HEADER_SIZE    4
#define MCTP_USB_PACKET_MIN     8       /* USB header + MCTP header */
#define MCTP_USB_PACKET_MAX     255
#define MCTP_USB_XFER_SIZE      512

/* MCTP packet size (MCTP header included), as the Linux netdev MTU */
#define MCTP_USB_MTU_MIN        68      /* header + baseline MTU */
#define MCTP_USB_MTU_MAX        251     /* largest packet - USB header */

#define MCTP_USB_EP_NR          1

/* Largest request reassembled: from one baseline packet to 64 KiB */
#define MCTP_USB_MAX_MESSAGE_MIN    MCTP_BASELINE_MTU
#define MCTP_USB_MAX_MESSAGE_MAX    (64 * 1024)

struct USBCXLMCTPState {
    USBDevice dev;

    /* Properties */
    CXLMCTPBinding cxl;         /* target and CCI */
    QemuUUID uuid;
    uint32_t mtu;
    uint32_t max_message_size;

    MCTPEndpoint mctp;

    /* OUT transfer in progress: bytes of a packet not complete yet */
    uint8_t out_buf[MCTP_USB_XFER_SIZE];
    uint32_t out_len;
    uint32_t out_xfer;          /* bytes of this transfer so far */
    bool out_discard;           /* bad header: skip to the transfer's end */

    /* IN transfer in progress: whole packets, handed out in USB packets */
    uint8_t in_buf[MCTP_USB_XFER_SIZE];
    uint32_t in_len;
    uint32_t in_off;
    bool in_zlp;                /* end the transfer with a zero-length packet */
    USBPacket *in_held;         /* IN waiting for a response (USB_RET_ASYNC) */
};

enum {
    STR_MANUFACTURER = 1,
    STR_PRODUCT,
    STR_SERIALNUMBER,
    STR_INTERFACE,
};

static const USBDescStrings desc_strings = {
    [STR_MANUFACTURER] = "QEMU",
    [STR_PRODUCT]      = "QEMU CXL MCTP",
    [STR_SERIALNUMBER] = "1",
    [STR_INTERFACE]    = "MCTP",
};

#define USB_CXL_MCTP_IFACE(_mps, _burst)                                \
    {                                                                   \
        .bInterfaceNumber   = 0,                                        \
        .bNumEndpoints      = 2,                                        \
        .bInterfaceClass    = USB_CLASS_MCTP,                           \
        .bInterfaceSubClass = 0x00,     /* DSP0283 1.0 */               \
        .bInterfaceProtocol = 0x01,                                     \
        .iInterface         = STR_INTERFACE,                            \
        .eps = (USBDescEndpoint[]) {                                    \
            {                                                           \
                .bEndpointAddress = USB_DIR_OUT | MCTP_USB_EP_NR,       \
                .bmAttributes     = USB_ENDPOINT_XFER_BULK,             \
                .wMaxPacketSize   = (_mps),                             \
                .bMaxBurst        = (_burst),                           \
            }, {                                                        \
                .bEndpointAddress = USB_DIR_IN | MCTP_USB_EP_NR,        \
                .bmAttributes     = USB_ENDPOINT_XFER_BULK,             \
                .wMaxPacketSize   = (_mps),                             \
                .bMaxBurst        = (_burst),                           \
            },                                                          \
        },                                                              \
    }

static const USBDescIface desc_iface_full = USB_CXL_MCTP_IFACE(64, 0);
static const USBDescIface desc_iface_high = USB_CXL_MCTP_IFACE(512, 0);
static const USBDescIface desc_iface_super = USB_CXL_MCTP_IFACE(1024, 0);

#define USB_CXL_MCTP_DEVICE(_bcd, _mps0, _iface)                        \
    {                                                                   \
        .bcdUSB             = (_bcd),                                   \
        .bMaxPacketSize0    = (_mps0),                                  \
        .bNumConfigurations = 1,                                        \
        .confs = (USBDescConfig[]) {                                    \
            {                                                           \
                .bNumInterfaces      = 1,                               \
                .bConfigurationValue = 1,                               \
                .bmAttributes        = USB_CFG_ATT_ONE |                \
                                       USB_CFG_ATT_SELFPOWER,           \
                .nif = 1,                                               \
                .ifs = (_iface),                                        \
            },                                                          \
        },                                                              \
    }

/* DSP0283 wants 512-byte bulk endpoints; full speed allows at most 64 */
static const USBDescDevice desc_device_full =
    USB_CXL_MCTP_DEVICE(0x0200, 64, &desc_iface_full);
static const USBDescDevice desc_device_high =
    USB_CXL_MCTP_DEVICE(0x0200, 64, &desc_iface_high);
/* bMaxPacketSize0 is an exponent from USB 3.0 on: 2^9 = 512 */
static const USBDescDevice desc_device_super =
    USB_CXL_MCTP_DEVICE(0x0300, 9, &desc_iface_super);

static const USBDesc desc_usb_cxl_mctp = {
    .id = {
        .idVendor          = 0x46f4, /* CRC16() of "QEMU" */
        .idProduct         = 0x0006,
        .bcdDevice         = 0,
        .iManufacturer     = STR_MANUFACTURER,
        .iProduct          = STR_PRODUCT,
        .iSerialNumber     = STR_SERIALNUMBER,
    },
    .full  = &desc_device_full,
    .high  = &desc_device_high,
    .super = &desc_device_super,
    .str   = desc_strings,
};

/* Host to device */

static void usb_cxl_mctp_out_drop_rest(USBCXLMCTPState *s, const char *why)
{
    trace_usb_cxl_mctp_out_drop(s->out_xfer, s->out_len, why);
    qemu_log_mask(LOG_GUEST_ERROR, "usb-cxl-mctp: rest of OUT transfer "
                  "dropped: %s\n", why);
    s->out_discard = true;
    s->out_len = 0;
}

/* Hand every whole USB-MCTP packet buffered so far to the MCTP endpoint */
static void usb_cxl_mctp_parse_out(USBCXLMCTPState *s)
{
    uint32_t off = 0;

    while (s->out_len - off >= MCTP_USB_HEADER_SIZE) {
        const uint8_t *hdr = s->out_buf + off;
        uint8_t len = hdr[3];

        if (lduw_be_p(hdr) != MCTP_USB_DMTF_ID) {
            usb_cxl_mctp_out_drop_rest(s, "not the DMTF vendor ID");
            return;
        }
        if (len < MCTP_USB_PACKET_MIN) {
            usb_cxl_mctp_out_drop_rest(s, "length below an MCTP header");
            return;
        }
        if (len > s->out_len - off) {
            break;  /* the rest follows in this transfer's next USB packet */
        }
        trace_usb_cxl_mctp_out_packet(off, len);
        mctp_endpoint_receive(&s->mctp, hdr + MCTP_USB_HEADER_SIZE,
                              len - MCTP_USB_HEADER_SIZE, 0);
        off += len;
    }
    s->out_len -= off;
    memmove(s->out_buf, s->out_buf + off, s->out_len);
}

static void usb_cxl_mctp_handle_out(USBCXLMCTPState *s, USBPacket *p)
{
    size_t size = p->iov.size;
    size_t take = MIN(size, MCTP_USB_XFER_SIZE - s->out_xfer);

    trace_usb_cxl_mctp_out(size, s->out_xfer);
    if (s->out_discard) {
        usb_packet_skip(p, take);
    } else {
        usb_packet_copy(p, s->out_buf + s->out_len, take);
        s->out_len += take;
        usb_cxl_mctp_parse_out(s);
    }
    s->out_xfer += take;
    if (take < size) {
        usb_cxl_mctp_out_drop_rest(s, "transfer longer than 512 bytes");
        usb_packet_skip(p, size - take);
    }

    /*
     * A short USB packet ends a transfer, and so does reaching the 512
     * bytes a DSP0283 1.0 transfer may hold (full speed splits a transfer
     * into 64-byte USB packets; high speed sends it whole).
     */
    if (size < p->ep->max_packet_size || s->out_xfer >= MCTP_USB_XFER_SIZE) {
        if (s->out_len && !s->out_discard) {
            usb_cxl_mctp_out_drop_rest(s, "packet runs past the transfer");
        }
        s->out_len = 0;
        s->out_xfer = 0;
        s->out_discard = false;
    }
}

/* Device to host */

/* Pack as many whole queued packets as fit in @limit bytes */
static void usb_cxl_mctp_fill_in(USBCXLMCTPState *s, size_t limit)
{
    size_t n;

    s->in_len = s->in_off = 0;
    while ((n = mctp_endpoint_peek_packet(&s->mctp)) &&
           s->in_len + MCTP_USB_HEADER_SIZE + n <= limit) {
        uint8_t *hdr = s->in_buf + s->in_len;

        stw_be_p(hdr, MCTP_USB_DMTF_ID);
        hdr[2] = 0;
        hdr[3] = MCTP_USB_HEADER_SIZE + n;
        mctp_endpoint_pop_packet(&s->mctp, hdr + MCTP_USB_HEADER_SIZE, n,
                                 NULL);
        s->in_len += MCTP_USB_HEADER_SIZE + n;
    }
    if (!s->in_len && n) {
        trace_usb_cxl_mctp_in_too_small(limit, n);
    }
}

/*
 * Give @p the next part of the IN transfer: a zero-length packet that
 * ends one, or the next bytes of the one in progress, or of a new one
 * packed from the queue.  False if there is nothing to send.
 */
static bool usb_cxl_mctp_serve_in(USBCXLMCTPState *s, USBPacket *p)
{
    size_t size = p->iov.size;
    size_t mps = p->ep->max_packet_size;
    size_t chunk;

    if (s->in_zlp) {
        s->in_zlp = false;
        trace_usb_cxl_mctp_in(0, 0);
        return true;
    }
    if (s->in_off == s->in_len) {
        /*
         * A new transfer: the host's transfer buffer is 512 bytes, unless
         * it asks for less than a full USB packet.  A transfer holds 512
         * bytes at most, also when a USB packet is larger (super speed:
         * 1024 bytes).
         */
        usb_cxl_mctp_fill_in(s, size >= mps ? MCTP_USB_XFER_SIZE :
                                MIN(size, MCTP_USB_XFER_SIZE));
        if (!s->in_len) {
            return false;
        }
    }

    chunk = MIN(s->in_len - s->in_off, size);
    usb_packet_copy(p, s->in_buf + s->in_off, chunk);
    s->in_off += chunk;
    trace_usb_cxl_mctp_in(chunk, s->in_len);
    if (s->in_off == s->in_len) {
        /* A transfer that ends on a full USB packet needs a ZLP to end */
        s->in_zlp = chunk == size && chunk % mps == 0 &&
                    s->in_len < MCTP_USB_XFER_SIZE;
        s->in_len = s->in_off = 0;
    }
    return true;
}

static void usb_cxl_mctp_handle_in(USBCXLMCTPState *s, USBPacket *p)
{
    if (usb_cxl_mctp_serve_in(s, p)) {
        return;
    }
    /* Nothing queued: hold the IN until a response is */
    assert(!s->in_held);
    trace_usb_cxl_mctp_in_hold(p->iov.size);
    s->in_held = p;
    p->status = USB_RET_ASYNC;
}

/*
 * A response was queued: complete the IN held for it, if any.  This runs
 * inside the OUT that carried the request, and the host controller may
 * hand us the next IN before usb_packet_complete() returns, so in_held
 * is cleared first (as usb-storage does).
 */
static void usb_cxl_mctp_complete_in(USBCXLMCTPState *s)
{
    USBPacket *p = s->in_held;

    if (!p || !usb_cxl_mctp_serve_in(s, p)) {
        return;
    }
    trace_usb_cxl_mctp_in_complete(p->actual_length);
    s->in_held = NULL;
    p->status = USB_RET_SUCCESS;
    usb_packet_complete(&s->dev, p);
}

/* The host gave up the held IN: URB killed, endpoint reset, unplug */
static void usb_cxl_mctp_cancel_packet(USBDevice *dev, USBPacket *p)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    assert(p == s->in_held);
    trace_usb_cxl_mctp_in_cancel();
    s->in_held = NULL;
}

static void usb_cxl_mctp_handle_data(USBDevice *dev, USBPacket *p)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    if (p->ep->nr != MCTP_USB_EP_NR) {
        p->status = USB_RET_STALL;
        return;
    }
    switch (p->pid) {
    case USB_TOKEN_OUT:
        usb_cxl_mctp_handle_out(s, p);
        break;
    case USB_TOKEN_IN:
        usb_cxl_mctp_handle_in(s, p);
        break;
    default:
        p->status = USB_RET_STALL;
        break;
    }
}

static void usb_cxl_mctp_handle_control(USBDevice *dev, USBPacket *p,
                                        int request, int value, int index,
                                        int length, uint8_t *data)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    if (s->in_held && (request == (DeviceOutRequest |
                                   USB_REQ_SET_CONFIGURATION) ||
                       request == (InterfaceOutRequest |
                                   USB_REQ_SET_INTERFACE))) {
        /*
         * The endpoints start again (usb_desc_ep_init() empties their
         * queues): end the IN held on the old one first, or completing
         * it later would find it on no queue.
         */
        USBPacket *held = s->in_held;

        trace_usb_cxl_mctp_in_cancel();
        s->in_held = NULL;
        held->status = USB_RET_IOERROR;
        usb_packet_complete(dev, held);
    }
    if (request == (EndpointOutRequest | USB_REQ_CLEAR_FEATURE)) {
        /*
         * ENDPOINT_HALT: a halt is the controller's record only (the core
         * clears it with the endpoint's next packet), but the host must
         * be able to clear it to carry on, as usb-storage lets it
         */
        return;
    }
    if (usb_desc_handle_control(dev, p, request, value, index, length,
                                data) < 0) {
        /* No class or vendor requests */
        p->status = USB_RET_STALL;
    }
}

static void usb_cxl_mctp_packets_queued(MCTPEndpoint *ep)
{
    USBCXLMCTPState *s = ep->opaque;

    usb_cxl_mctp_complete_in(s);
}

static size_t usb_cxl_mctp_handle_message(MCTPEndpoint *ep, uint8_t *msg,
                                          size_t len, uint8_t *rsp,
                                          size_t rsp_size)
{
    USBCXLMCTPState *s = ep->opaque;

    return cxl_mctp_binding_handle_message(&s->cxl, msg, len, rsp, rsp_size);
}

static const MCTPEndpointOps usb_cxl_mctp_ops = {
    .handle_message = usb_cxl_mctp_handle_message,
    .packets_queued = usb_cxl_mctp_packets_queued,
};

static void usb_cxl_mctp_handle_reset(USBDevice *dev)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    trace_usb_cxl_mctp_reset();
    /*
     * The host controller cancels what it has in flight when it resets
     * the port; a packet it did not is ended here, as usb-storage does.
     */
    if (s->in_held) {
        USBPacket *p = s->in_held;

        s->in_held = NULL;
        p->status = USB_RET_STALL;
        usb_packet_complete(dev, p);
    }
    mctp_endpoint_reset(&s->mctp);
    cxl_mctp_binding_reset(&s->cxl);
    s->out_len = s->out_xfer = 0;
    s->out_discard = false;
    s->in_len = s->in_off = 0;
    s->in_zlp = false;
}

static void usb_cxl_mctp_realize(USBDevice *dev, Error **errp)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    if (s->mtu < MCTP_USB_MTU_MIN || s->mtu > MCTP_USB_MTU_MAX) {
        error_setg(errp, "mtu %u out of range: an MCTP packet over USB "
                   "is %u to %u bytes", s->mtu, MCTP_USB_MTU_MIN,
                   MCTP_USB_MTU_MAX);
        return;
    }
    if (s->max_message_size < MCTP_USB_MAX_MESSAGE_MIN ||
        s->max_message_size > MCTP_USB_MAX_MESSAGE_MAX) {
        error_setg(errp, "max-message-size %u out of range: %d to %d bytes",
                   s->max_message_size, MCTP_USB_MAX_MESSAGE_MIN,
                   MCTP_USB_MAX_MESSAGE_MAX);
        return;
    }

    if (qemu_uuid_is_null(&s->uuid)) {
        mctp_default_uuid(&s->uuid, OBJECT(s));
    }
    s->mctp = (MCTPEndpoint) {
        .ops = &usb_cxl_mctp_ops,
        .opaque = s,
        .uuid = s->uuid,
        .mtu = s->mtu - MCTP_HEADER_SIZE,
        .max_message_size = s->max_message_size,
    };
    if (!cxl_mctp_binding_realize(&s->cxl, DEVICE(dev), &s->mctp, errp)) {
        return;
    }
    mctp_endpoint_init(&s->mctp);

    usb_desc_create_serial(dev);
    usb_desc_init(dev);
}

static void usb_cxl_mctp_unrealize(USBDevice *dev)
{
    USBCXLMCTPState *s = USB_CXL_MCTP(dev);

    mctp_endpoint_cleanup(&s->mctp);
    cxl_mctp_binding_unrealize(&s->cxl);
}

static bool usb_cxl_mctp_out_valid(void *opaque, int version_id)
{
    USBCXLMCTPState *s = opaque;

    return s->out_len <= s->out_xfer && s->out_xfer < MCTP_USB_XFER_SIZE;
}

static bool usb_cxl_mctp_in_valid(void *opaque, int version_id)
{
    USBCXLMCTPState *s = opaque;

    return s->in_off <= s->in_len && s->in_len <= MCTP_USB_XFER_SIZE;
}

static const VMStateDescription vmstate_usb_cxl_mctp = {
    .name = TYPE_USB_CXL_MCTP,
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_USB_DEVICE(dev, USBCXLMCTPState),
        VMSTATE_MCTP_ENDPOINT(mctp, USBCXLMCTPState),
        VMSTATE_UINT32(out_len, USBCXLMCTPState),
        VMSTATE_UINT32(out_xfer, USBCXLMCTPState),
        VMSTATE_BOOL(out_discard, USBCXLMCTPState),
        VMSTATE_VALIDATE("OUT transfer state", usb_cxl_mctp_out_valid),
        VMSTATE_UINT8_ARRAY(out_buf, USBCXLMCTPState, MCTP_USB_XFER_SIZE),
        VMSTATE_UINT32(in_len, USBCXLMCTPState),
        VMSTATE_UINT32(in_off, USBCXLMCTPState),
        VMSTATE_BOOL(in_zlp, USBCXLMCTPState),
        VMSTATE_VALIDATE("IN transfer state", usb_cxl_mctp_in_valid),
        VMSTATE_UINT8_ARRAY(in_buf, USBCXLMCTPState, MCTP_USB_XFER_SIZE),
        VMSTATE_CXL_MCTP_BINDING(cxl, USBCXLMCTPState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property usb_cxl_mctp_properties[] = {
    DEFINE_PROP_CXL_MCTP_TARGET(USBCXLMCTPState, cxl),
    DEFINE_PROP_UUID_NODEFAULT("uuid", USBCXLMCTPState, uuid),
    DEFINE_PROP_UINT32("mtu", USBCXLMCTPState, mtu, MCTP_USB_MTU_MIN),
    DEFINE_PROP_UINT32("max-message-size", USBCXLMCTPState, max_message_size,
                       4 * KiB),
};

static void usb_cxl_mctp_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    USBDeviceClass *uc = USB_DEVICE_CLASS(klass);

    uc->product_desc   = "QEMU CXL MCTP";
    uc->usb_desc       = &desc_usb_cxl_mctp;
    uc->realize        = usb_cxl_mctp_realize;
    uc->unrealize      = usb_cxl_mctp_unrealize;
    uc->handle_attach  = usb_desc_attach;
    uc->handle_reset   = usb_cxl_mctp_handle_reset;
    uc->handle_control = usb_cxl_mctp_handle_control;
    uc->handle_data    = usb_cxl_mctp_handle_data;
    uc->cancel_packet  = usb_cxl_mctp_cancel_packet;
    dc->desc = "CXL FM-API and CCI over MCTP over USB (DSP0283)";
    dc->vmsd = &vmstate_usb_cxl_mctp;
    device_class_set_props(dc, usb_cxl_mctp_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo usb_cxl_mctp_info = {
    .name          = TYPE_USB_CXL_MCTP,
    .parent        = TYPE_USB_DEVICE,
    .instance_size = sizeof(USBCXLMCTPState),
    .class_init    = usb_cxl_mctp_class_init,
};

static void usb_cxl_mctp_register_types(void)
{
    type_register_static(&usb_cxl_mctp_info);
}

type_init(usb_cxl_mctp_register_types)
