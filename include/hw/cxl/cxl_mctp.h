/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * CXL FM-API (DSP0234) and CXL CCI (DSP0281) messages over MCTP: the part
 * shared by every MCTP transport that reaches a CXL component's CCI.
 */

#ifndef HW_CXL_CXL_MCTP_H
#define HW_CXL_CXL_MCTP_H

#include "hw/cxl/cxl_device.h"
#include "hw/cxl/cxl_mailbox.h"
#include "hw/mctp/mctp.h"

/*
 * Command sets of the FM-API (CXL r3.2 Table 8-215): carried only by MCTP
 * message type 0x07; every other command set only by type 0x08.
 */
#define CXL_MCTP_FMAPI_SET_FIRST    0x51    /* Physical Switch */
#define CXL_MCTP_FMAPI_SET_LAST     0x59

/* Bits 20:0 of the 24-bit field: payload length; bit 23: BO */
#define CXL_MCTP_PL_LENGTH_MASK     0x1fffff
#define CXL_MCTP_BO                 (1 << 23)

/* Response message limit of an MCTP CCI until Set Response Message Limit */
#define CXL_MCTP_DEFAULT_PAYLOAD    512

/* Largest response: type byte, CCI message header, mailbox-sized payload */
#define CXL_MCTP_MAX_RESPONSE_SIZE \
    (1 + sizeof(CXLCCIMessage) + CXL_MAILBOX_MAX_PAYLOAD_SIZE)

#define CXL_MCTP_NUM_MESSAGE_TYPES  2
extern const MCTPMessageTypeInfo cxl_mctp_message_types[];

/*
 * What every MCTP transport device that reaches a CXL CCI has: the
 * "target" link (a switch upstream port or a type 3 device), the CCI it
 * owns on that target, and the CCI state that migrates.  The transport
 * embeds one, defines the property with DEFINE_PROP_CXL_MCTP_TARGET and
 * its VMState with VMSTATE_CXL_MCTP_BINDING, and calls the functions
 * below from its realize, unrealize, reset and message handler.
 */
typedef struct CXLMCTPBinding {
    PCIDevice *target;          /* NULL once the target is unplugged */
    CXLCCI *cci;
    uint32_t payload_max;       /* migrated copy of cci->payload_max */
    DeviceListener target_gone; /* notices the target's unrealize */
} CXLMCTPBinding;

#define DEFINE_PROP_CXL_MCTP_TARGET(_state, _field) \
    DEFINE_PROP_LINK("target", _state, _field.target, TYPE_PCI_DEVICE, \
                     PCIDevice *)

/*
 * Set up @b's CCI on its target, reached through the device @intf; fails
 * if there is no target or it is neither a switch USP nor a type 3
 * device.  @mep gets the CXL message types and response size.  If the
 * target is unplugged, its CCI goes (a background operation with it) and
 * every CXL request is answered with Internal Error from then on.
 */
bool cxl_mctp_binding_realize(CXLMCTPBinding *b, DeviceState *intf,
                              MCTPEndpoint *mep, Error **errp);
void cxl_mctp_binding_unrealize(CXLMCTPBinding *b);
void cxl_mctp_binding_reset(CXLMCTPBinding *b);

/* MCTPEndpointOps.handle_message for the binding's CCI */
size_t cxl_mctp_binding_handle_message(CXLMCTPBinding *b, uint8_t *msg,
                                       size_t len, uint8_t *rsp,
                                       size_t rsp_size);

extern const VMStateDescription vmstate_cxl_mctp_binding;

#define VMSTATE_CXL_MCTP_BINDING(_field, _state) \
    VMSTATE_STRUCT(_field, _state, 1, vmstate_cxl_mctp_binding, \
                   CXLMCTPBinding)

#endif /* HW_CXL_CXL_MCTP_H */
