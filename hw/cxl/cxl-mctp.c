/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * CXL FM-API (DMTF DSP0234) and CXL CCI (DMTF DSP0281) messages over MCTP,
 * dispatched into the CCI of a CXL switch upstream port or type 3 device.
 *
 * CXL r3.2 7.6.3 "CCI Message Format": a 12-byte header (category, tag,
 * opcode, 21-bit payload length and BO bit, return code, vendor status)
 * follows the MCTP message type byte.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qapi/error.h"
#include "hw/cxl/cxl.h"
#include "hw/cxl/cxl_mctp.h"
#include "hw/pci-bridge/cxl_upstream_port.h"
#include "migration/vmstate.h"
#include "trace.h"

const MCTPMessageTypeInfo cxl_mctp_message_types[] = {
    {   /* DSP0234 1.0 */
        .type = MCTP_MESSAGE_TYPE_CXL_FMAPI,
        .num_versions = 1,
        .versions = { { 0xf1, 0xf0, 0xff, 0x00 } },
    }, {/* DSP0281 1.0 */
        .type = MCTP_MESSAGE_TYPE_CXL_CCI,
        .num_versions = 1,
        .versions = { { 0xf1, 0xf0, 0xff, 0x00 } },
    },
};
QEMU_BUILD_BUG_ON(ARRAY_SIZE(cxl_mctp_message_types) !=
                  CXL_MCTP_NUM_MESSAGE_TYPES);

/* FM-API command set of Bind and Unbind vPPB (CXL r3.2 Table 8-215) */
#define CXL_MCTP_SET_VIRTUAL_SWITCH 0x52

static bool cxl_mctp_cci_init(CXLCCI *cci, DeviceState *target,
                              DeviceState *intf, Error **errp)
{
    if (object_dynamic_cast(OBJECT(target), TYPE_CXL_USP)) {
        cxl_initialize_usp_mctpcci(cci, target, intf,
                                   CXL_MCTP_DEFAULT_PAYLOAD);
    } else if (object_dynamic_cast(OBJECT(target), TYPE_CXL_TYPE3)) {
        cxl_initialize_t3_mctpcci(cci, target, intf,
                                  CXL_MCTP_DEFAULT_PAYLOAD);
    } else {
        error_setg(errp, "target '%s' is a %s: it must be a %s (switch "
                   "upstream port) or a %s device",
                   target->id ?: object_get_canonical_path(OBJECT(target)),
                   object_get_typename(OBJECT(target)), TYPE_CXL_USP,
                   TYPE_CXL_TYPE3);
        return false;
    }
    return true;
}

/*
 * The target was unplugged (device_del, or the guest powering its slot
 * off): its CCI goes, with a background operation that would end on a
 * device no longer there, and so does our reference, which would keep
 * the device (and DEVICE_DELETED) from ever being finalized
 */
static void cxl_mctp_target_unrealize(DeviceListener *l, DeviceState *dev)
{
    CXLMCTPBinding *b = container_of(l, CXLMCTPBinding, target_gone);

    if (!b->target || dev != DEVICE(b->target)) {
        return;
    }
    trace_cxl_mctp_target_gone(dev->id ?: "");
    if (b->cci->initialized) {
        cxl_destroy_cci(b->cci);
    }
    object_unref(OBJECT(b->target));
    b->target = NULL;
}

bool cxl_mctp_binding_realize(CXLMCTPBinding *b, DeviceState *intf,
                              MCTPEndpoint *mep, Error **errp)
{
    if (!b->target) {
        error_setg(errp, "property 'target' is required: the id of a %s "
                   "(switch upstream port) or %s device", TYPE_CXL_USP,
                   TYPE_CXL_TYPE3);
        return false;
    }
    b->cci = g_new0(CXLCCI, 1);
    if (!cxl_mctp_cci_init(b->cci, DEVICE(b->target), intf, errp)) {
        g_free(b->cci);
        b->cci = NULL;
        return false;
    }
    mep->types = cxl_mctp_message_types;
    mep->num_types = CXL_MCTP_NUM_MESSAGE_TYPES;
    mep->max_response_size = CXL_MCTP_MAX_RESPONSE_SIZE;
    b->target_gone = (DeviceListener) {
        .unrealize = cxl_mctp_target_unrealize,
    };
    device_listener_register(&b->target_gone);
    return true;
}

void cxl_mctp_binding_unrealize(CXLMCTPBinding *b)
{
    if (b->target_gone.unrealize) {
        device_listener_unregister(&b->target_gone);
        b->target_gone.unrealize = NULL;
    }
    if (b->cci && b->cci->initialized) {
        cxl_destroy_cci(b->cci);
    }
    g_free(b->cci);
    b->cci = NULL;
}

/*
 * The CCI comes back as at power-on.  A background operation started
 * through it does not run on after the reset, to report or do later what
 * was asked before it: it is interrupted, nothing of it done (a machine
 * reset may have reset the target already, which must then not look as
 * if it had run), except that a vPPB being bound or unbound ends up so,
 * as cxl_reset_cci() has it (a switch's reset binds it again).
 */
void cxl_mctp_binding_reset(CXLMCTPBinding *b)
{
    CXLCCI *cci = b->cci;

    if (!cci->initialized) {                /* the target was unplugged */
        cci->payload_max = CXL_MCTP_DEFAULT_PAYLOAD;
        return;
    }
    qemu_mutex_lock(&cci->bg.lock);
    if (cci->bg.runtime &&
        (cci->bg.opcode >> 8) != CXL_MCTP_SET_VIRTUAL_SWITCH) {
        timer_del(cci->bg.timer);
        cci->bg.runtime = 0;
    }
    qemu_mutex_unlock(&cci->bg.lock);
    cxl_reset_cci(cci, CXL_MCTP_DEFAULT_PAYLOAD);
}

static int cxl_mctp_binding_pre_save(void *opaque)
{
    CXLMCTPBinding *b = opaque;

    b->payload_max = b->cci->payload_max;
    return 0;
}

static int cxl_mctp_binding_post_load(void *opaque, int version_id)
{
    CXLMCTPBinding *b = opaque;

    /* The values Set Response Message Limit allows */
    if (!is_power_of_2(b->payload_max) || b->payload_max < 256 ||
        b->payload_max > 1024) {
        return -EINVAL;
    }
    b->cci->payload_max = b->payload_max;
    return 0;
}

const VMStateDescription vmstate_cxl_mctp_binding = {
    .name = "cxl-mctp-binding",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = cxl_mctp_binding_pre_save,
    .post_load = cxl_mctp_binding_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(payload_max, CXLMCTPBinding),
        VMSTATE_END_OF_LIST()
    }
};

static bool cxl_mctp_set_is_fmapi(uint8_t set)
{
    return set >= CXL_MCTP_FMAPI_SET_FIRST && set <= CXL_MCTP_FMAPI_SET_LAST;
}

size_t cxl_mctp_binding_handle_message(CXLMCTPBinding *b, uint8_t *msg,
                                       size_t len, uint8_t *rsp,
                                       size_t rsp_size)
{
    CXLCCI *cci = b->cci;
    uint8_t type = msg[0] & MCTP_MESSAGE_TYPE_MASK;
    QEMU_ALIGNED(16) uint8_t pl_in[CXL_MAILBOX_MAX_PAYLOAD_SIZE];
    QEMU_ALIGNED(16) uint8_t pl_out[CXL_MAILBOX_MAX_PAYLOAD_SIZE];
    CXLCCIMessage *req, *out;
    size_t pl_len, len_out = 0;
    bool bg_started = false;
    int rc;

    assert(rsp_size >= CXL_MCTP_MAX_RESPONSE_SIZE);

    if (len < 1 + sizeof(CXLCCIMessage)) {
        qemu_log_mask(LOG_GUEST_ERROR, "cxl-mctp: %zu-byte message is "
                      "shorter than the CCI message header\n", len);
        trace_cxl_mctp_drop(type, "shorter than the CCI message header");
        return 0;
    }
    req = (CXLCCIMessage *)(msg + 1);
    if ((req->category & 0xf) != CXL_CCI_CAT_REQ) {
        trace_cxl_mctp_drop(type, "not a request");
        return 0;
    }
    pl_len = (req->pl_length[0] | req->pl_length[1] << 8 |
              req->pl_length[2] << 16) & CXL_MCTP_PL_LENGTH_MASK;
    trace_cxl_mctp_request(type, req->tag,
                           req->command_set << 8 | req->command, pl_len);

    if (pl_len != len - 1 - sizeof(*req)) {
        qemu_log_mask(LOG_GUEST_ERROR, "cxl-mctp: opcode %02x%02xh payload "
                      "length %zu, but %zu bytes follow the header\n",
                      req->command_set, req->command, pl_len,
                      len - 1 - sizeof(*req));
        rc = CXL_MBOX_INVALID_PAYLOAD_LENGTH;
    } else if (pl_len > CXL_MAILBOX_MAX_PAYLOAD_SIZE) {
        rc = CXL_MBOX_INVALID_PAYLOAD_LENGTH;
    } else if (!b->target) {
        rc = CXL_MBOX_INTERNAL_ERROR;       /* unplugged */
    } else if (cxl_mctp_set_is_fmapi(req->command_set) !=
               (type == MCTP_MESSAGE_TYPE_CXL_FMAPI)) {
        /* FM-API commands only over DSP0234, all others only over DSP0281 */
        qemu_log_mask(LOG_GUEST_ERROR, "cxl-mctp: opcode %02x%02xh sent over "
                      "MCTP message type 0x%02x\n", req->command_set,
                      req->command, type);
        rc = CXL_MBOX_UNSUPPORTED;
    } else {
        /*
         * Commands cast their payloads to structures: give them aligned
         * buffers, and separate ones (not all commands can write their
         * output over their input).  Past the request the input is zero,
         * as it is in a mailbox, not what an earlier command left.  The
         * output starts zeroed too: some commands leave reserved bytes
         * (and Get Physical Port State a field of the upstream port)
         * unwritten, which would otherwise carry QEMU's stack out.
         */
        memcpy(pl_in, req->payload, pl_len);
        memset(pl_in + pl_len, 0, sizeof(pl_in) - pl_len);
        memset(pl_out, 0, sizeof(pl_out));
        rc = cxl_process_cci_message(cci, req->command_set, req->command,
                                     pl_len, pl_in, &len_out, pl_out,
                                     &bg_started);
        assert(len_out <= CXL_MAILBOX_MAX_PAYLOAD_SIZE);
        memcpy(rsp + 1 + sizeof(*out), pl_out, len_out);
    }

    rsp[0] = type;
    out = (CXLCCIMessage *)(rsp + 1);
    out->category = CXL_CCI_CAT_RSP;
    out->tag = req->tag;
    out->resv1 = 0;
    out->command = req->command;
    out->command_set = req->command_set;
    st24_le_p(out->pl_length, len_out | (bg_started ? CXL_MCTP_BO : 0));
    stw_le_p(&out->rc, rc);
    stw_le_p(&out->vendor_specific, 0);
    trace_cxl_mctp_response(type, req->tag, rc, len_out, bg_started);

    return 1 + sizeof(*out) + len_out;
}
