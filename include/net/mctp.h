/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Management Component Transport Protocol (MCTP): wire definitions
 *
 * DMTF DSP0236 1.3 "MCTP Base Specification" (packet header, control
 * messages) and DSP0239 (message type numbers).  Transport bindings
 * (DSP0237 SMBus/I2C, DSP0283 USB) add their own framing around a packet.
 */

#ifndef QEMU_NET_MCTP_H
#define QEMU_NET_MCTP_H

/* DSP0236 8.1: the transport header in front of every packet's payload */
typedef struct MCTPPacketHeader {
    uint8_t version;            /* [7:4] reserved, [3:0] header version */
    uint8_t dest_eid;
    uint8_t src_eid;
    uint8_t flags;              /* SOM, EOM, sequence, tag owner, tag */
} QEMU_PACKED MCTPPacketHeader;

#define MCTP_HEADER_SIZE            sizeof(MCTPPacketHeader)
#define MCTP_HEADER_VERSION         0x1
#define MCTP_HEADER_VERSION_MASK    0x0f

#define MCTP_FLAGS_SOM              (1 << 7)
#define MCTP_FLAGS_EOM              (1 << 6)
#define MCTP_FLAGS_SEQ_SHIFT        4
#define MCTP_FLAGS_SEQ_MASK         0x3
#define MCTP_FLAGS_TO               (1 << 3)
#define MCTP_FLAGS_TAG_MASK         0x7

#define MCTP_SEQ(flags) \
    (((flags) >> MCTP_FLAGS_SEQ_SHIFT) & MCTP_FLAGS_SEQ_MASK)
#define MCTP_TAG(flags)  ((flags) & MCTP_FLAGS_TAG_MASK)

/* DSP0236 8.2: endpoint IDs */
#define MCTP_EID_NULL               0x00
#define MCTP_EID_BROADCAST          0xff
#define MCTP_EID_UNICAST_MIN        0x08
#define MCTP_EID_UNICAST_MAX        0xfe

/*
 * DSP0236 8.3: baseline transmission unit, the packet payload every
 * endpoint must accept; all control messages fit in one such packet.
 */
#define MCTP_BASELINE_MTU           64

/* DSP0236 8.4: first byte of a message (SOM packet payload) */
#define MCTP_MESSAGE_IC             (1 << 7)
#define MCTP_MESSAGE_TYPE_MASK      0x7f

/* DSP0239 message types */
#define MCTP_MESSAGE_TYPE_CONTROL   0x00
#define MCTP_MESSAGE_TYPE_PLDM      0x01
#define MCTP_MESSAGE_TYPE_NCSI      0x02
#define MCTP_MESSAGE_TYPE_ETHERNET  0x03
#define MCTP_MESSAGE_TYPE_NVME_MI   0x04
#define MCTP_MESSAGE_TYPE_SPDM      0x05
#define MCTP_MESSAGE_TYPE_SECURED   0x06
#define MCTP_MESSAGE_TYPE_CXL_FMAPI 0x07    /* DSP0234 */
#define MCTP_MESSAGE_TYPE_CXL_CCI   0x08    /* DSP0281 */
#define MCTP_MESSAGE_TYPE_VDM_PCI   0x7e
#define MCTP_MESSAGE_TYPE_VDM_IANA  0x7f

/* DSP0236 11.5: control message header (message type 0) */
typedef struct MCTPControlHeader {
    uint8_t type;               /* MCTP_MESSAGE_TYPE_CONTROL */
    uint8_t flags;              /* Rq, D, instance ID */
    uint8_t command;
} QEMU_PACKED MCTPControlHeader;

#define MCTP_CONTROL_RQ             (1 << 7)
#define MCTP_CONTROL_D              (1 << 6)
#define MCTP_CONTROL_IID_MASK       0x1f

/* DSP0236 Table 12: control command codes */
enum {
    MCTP_CONTROL_SET_EID                    = 0x01,
    MCTP_CONTROL_GET_EID                    = 0x02,
    MCTP_CONTROL_GET_UUID                   = 0x03,
    MCTP_CONTROL_GET_VERSION                = 0x04,
    MCTP_CONTROL_GET_MESSAGE_TYPES          = 0x05,
    MCTP_CONTROL_GET_VDM_SUPPORT            = 0x06,
    MCTP_CONTROL_RESOLVE_EID                = 0x07,
    MCTP_CONTROL_ALLOCATE_EIDS              = 0x08,
    MCTP_CONTROL_ROUTING_INFO_UPDATE        = 0x09,
    MCTP_CONTROL_GET_ROUTING_TABLE          = 0x0a,
    MCTP_CONTROL_PREPARE_DISCOVERY          = 0x0b,
    MCTP_CONTROL_ENDPOINT_DISCOVERY         = 0x0c,
    MCTP_CONTROL_DISCOVERY_NOTIFY           = 0x0d,
    MCTP_CONTROL_GET_NETWORK_ID             = 0x0e,
    MCTP_CONTROL_QUERY_HOP                  = 0x0f,
};

/* DSP0236 Table 13: completion codes */
enum {
    MCTP_CONTROL_CC_SUCCESS                 = 0x00,
    MCTP_CONTROL_CC_ERROR                   = 0x01,
    MCTP_CONTROL_CC_ERROR_INVALID_DATA      = 0x02,
    MCTP_CONTROL_CC_ERROR_INVALID_LENGTH    = 0x03,
    MCTP_CONTROL_CC_ERROR_NOT_READY         = 0x04,
    MCTP_CONTROL_CC_ERROR_UNSUPPORTED_CMD   = 0x05,
    /* Get MCTP Version Support: message type number not supported */
    MCTP_CONTROL_CC_VERSION_TYPE_UNSUPPORTED = 0x80,
};

/* Set Endpoint ID: request byte 0 operation, response byte 0 status */
#define MCTP_SET_EID_OP_MASK            0x3
#define MCTP_SET_EID_OP_SET             0x0
#define MCTP_SET_EID_OP_FORCE           0x1
#define MCTP_SET_EID_OP_RESET           0x2
#define MCTP_SET_EID_OP_SET_DISCOVERED  0x3
#define MCTP_SET_EID_STATUS_ACCEPTED    (0x0 << 4)
#define MCTP_SET_EID_STATUS_REJECTED    (0x1 << 4)
#define MCTP_SET_EID_ALLOC_NO_POOL      0x0

/* Get Endpoint ID: response byte 1 */
#define MCTP_ENDPOINT_TYPE_SIMPLE       (0x0 << 4)
#define MCTP_ENDPOINT_TYPE_BRIDGE       (0x1 << 4)
#define MCTP_EID_TYPE_DYNAMIC           0x0
#define MCTP_EID_TYPE_STATIC            0x1
#define MCTP_EID_TYPE_STATIC_MATCH      0x2
#define MCTP_EID_TYPE_STATIC_MISMATCH   0x3

/* Get MCTP Version Support: request type 0xff names the base spec */
#define MCTP_VERSION_BASE_SPEC          0xff

/* Get Vendor Defined Message Support: no more vendor ID sets */
#define MCTP_VDM_SELECTOR_NONE          0xff

#endif /* QEMU_NET_MCTP_H */
