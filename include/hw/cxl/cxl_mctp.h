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
 * Set up @cci as an out-of-band MCTP CCI of @target, a CXL switch upstream
 * port or a type 3 device, reached through @intf.
 */
bool cxl_mctp_cci_init(CXLCCI *cci, DeviceState *target, DeviceState *intf,
                       Error **errp);
void cxl_mctp_cci_reset(CXLCCI *cci);
void cxl_mctp_cci_cleanup(CXLCCI *cci);

/* MCTPEndpointOps.handle_message for a CXL endpoint whose CCI is @cci */
size_t cxl_mctp_handle_message(CXLCCI *cci, uint8_t *msg, size_t len,
                               uint8_t *rsp, size_t rsp_size);

#endif /* HW_CXL_CXL_MCTP_H */
