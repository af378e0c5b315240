/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * MCTP endpoint core, shared by the transport bindings (USB, SMBus/I2C).
 *
 * A transport strips its own framing and hands each MCTP packet (transport
 * header + payload) to mctp_endpoint_receive(), with the physical address
 * it came from on a medium that has them (SMBus/I2C: the requester's
 * address).  The core checks and reassembles messages, answers the control
 * protocol itself and passes messages of the other types it supports to
 * the MCTPEndpointOps of the device.  Responses are fragmented to the
 * transport's MTU and queued, each packet with the physical address of
 * the request it answers; the transport takes them with
 * mctp_endpoint_pop_packet() when its medium is ready for them.
 */

#ifndef HW_MCTP_MCTP_H
#define HW_MCTP_MCTP_H

#include "qemu/uuid.h"
#include "qom/object.h"
#include "migration/vmstate.h"
#include "net/mctp.h"

typedef struct MCTPEndpoint MCTPEndpoint;

/* Version entries for Get MCTP Version Support, DSP0236 12.6 */
#define MCTP_VERSION_MAX_ENTRIES 4

typedef struct MCTPMessageTypeInfo {
    uint8_t type;
    uint8_t num_versions;
    /* major, minor, update, alpha: BCD with the high nibble 0xF */
    uint8_t versions[MCTP_VERSION_MAX_ENTRIES][4];
} MCTPMessageTypeInfo;

typedef struct MCTPEndpointOps {
    /*
     * A whole request message of one of the endpoint's types has arrived;
     * @msg starts with the message type byte.  Write the response message
     * (type byte first) to @rsp, at most @rsp_size bytes, and return its
     * length, or 0 to answer nothing.
     */
    size_t (*handle_message)(MCTPEndpoint *ep, uint8_t *msg, size_t len,
                             uint8_t *rsp, size_t rsp_size);
    /* Packets were queued for the host: tell it there is data to fetch. */
    void (*packets_queued)(MCTPEndpoint *ep);
} MCTPEndpointOps;

/*
 * Queued packets are stored back to back, each behind a 16-bit length and
 * the destination's physical address, in a buffer of this many bytes; a
 * response that does not fit is dropped.
 */
#define MCTP_TX_QUEUE_SIZE  (16 * KiB)
#define MCTP_TXQ_ENTRY_HDR  3

struct MCTPEndpoint {
    /* Configuration, set by the owner before mctp_endpoint_init() */
    const MCTPEndpointOps *ops;
    void *opaque;
    const MCTPMessageTypeInfo *types;   /* besides control */
    size_t num_types;
    QemuUUID uuid;
    uint32_t mtu;                       /* payload bytes per packet sent */
    uint32_t max_message_size;          /* largest request reassembled */
    size_t max_response_size;

    /* Addressing */
    uint8_t eid;                        /* 0: not assigned yet */
    uint8_t bus_owner_eid;              /* source of the accepted Set EID */

    /* Reassembly of the request in progress */
    bool rx_active;
    uint8_t rx_src;
    uint8_t rx_phys;                    /* physical address it came from */
    uint8_t rx_tag;
    uint8_t rx_seq;                     /* sequence of the last packet */
    uint32_t rx_len;
    uint8_t *rx_buf;                    /* max_message_size bytes */

    /* Response packets waiting for the host */
    uint32_t txq_len;
    uint8_t *txq;                       /* MCTP_TX_QUEUE_SIZE bytes */

    uint8_t *rsp_buf;                   /* max_response_size bytes */
};

/*
 * A stable UUID unique to the device @owner, for one given none: mctpd
 * takes a nil UUID as "unknown", and one that changes at every start as a
 * new device.  Name-based (RFC 9562 version 5 layout) on its type and QOM
 * path.
 */
void mctp_default_uuid(QemuUUID *uuid, Object *owner);

void mctp_endpoint_init(MCTPEndpoint *ep);
void mctp_endpoint_cleanup(MCTPEndpoint *ep);
/* Back to power-on state: no EID, no partial request, nothing queued */
void mctp_endpoint_reset(MCTPEndpoint *ep);

/*
 * One MCTP packet (transport header + payload) from the transport, from
 * physical address @src_phys (0 on a point-to-point medium)
 */
void mctp_endpoint_receive(MCTPEndpoint *ep, const uint8_t *pkt, size_t len,
                           uint8_t src_phys);

/* Size of the next queued packet (header included), 0 if none */
size_t mctp_endpoint_peek_packet(MCTPEndpoint *ep);
/*
 * Take the next queued packet into @buf (at least peek bytes); the
 * physical address it goes to in *@dest_phys (may be NULL)
 */
size_t mctp_endpoint_pop_packet(MCTPEndpoint *ep, uint8_t *buf, size_t size,
                                uint8_t *dest_phys);
/*
 * Drop the queued packets up to the end of the message the next one is
 * part of (its destination does not answer)
 */
void mctp_endpoint_drop_message(MCTPEndpoint *ep);

extern const VMStateDescription vmstate_mctp_endpoint;

#define VMSTATE_MCTP_ENDPOINT(_field, _state) \
    VMSTATE_STRUCT(_field, _state, 1, vmstate_mctp_endpoint, MCTPEndpoint)

#endif /* HW_MCTP_MCTP_H */
