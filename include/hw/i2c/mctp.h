/*
 * MCTP over SMBus/I2C (DMTF DSP0237): an abstract I2C target that carries
 * MCTP packets to and from the MCTP endpoint core (hw/mctp).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every MCTP packet is an SMBus block write: [address] 0x0F, byte count,
 * source address (bit 0 set), MCTP header, payload, PEC.  Requests are
 * written to this target; it answers by becoming bus master and writing
 * its responses to the address the request came from.  A subclass binds a
 * message protocol (its types and handler) to the endpoint.
 */

#ifndef HW_I2C_MCTP_H
#define HW_I2C_MCTP_H

#include "hw/i2c/i2c.h"
#include "hw/mctp/mctp.h"
#include "qom/object.h"
#include "system/runstate.h"

#define TYPE_I2C_MCTP_ENDPOINT "i2c-mctp-endpoint"
OBJECT_DECLARE_TYPE(I2CMCTPEndpoint, I2CMCTPEndpointClass, I2C_MCTP_ENDPOINT)

/* DSP0237 framing */
#define I2C_MCTP_COMMAND_CODE   0x0f
#define I2C_MCTP_BYTE_COUNT_MAX 255
/* Byte count: source address, MCTP header and payload */
#define I2C_MCTP_MAX_PAYLOAD    (I2C_MCTP_BYTE_COUNT_MAX - 1 - MCTP_HEADER_SIZE)
/* What follows the address byte: command, count, count bytes, PEC */
#define I2C_MCTP_FRAME_MAX      (2 + I2C_MCTP_BYTE_COUNT_MAX + 1)
/* MCTP packet size sent (header included), as Linux's netdev MTU */
#define I2C_MCTP_MTU_MIN        (MCTP_HEADER_SIZE + MCTP_BASELINE_MTU)
#define I2C_MCTP_MTU_MAX        (MCTP_HEADER_SIZE + I2C_MCTP_MAX_PAYLOAD)

typedef enum I2CMCTPTxState {
    I2C_MCTP_TX_IDLE,       /* nothing to send */
    I2C_MCTP_TX_WAIT_BUS,   /* queued with i2c_bus_master() */
    I2C_MCTP_TX_NEXT,       /* the bus is ours: start the next packet */
    I2C_MCTP_TX_SEND,       /* the bus is ours: a packet under way */
    I2C_MCTP_TX_RETRY,      /* address not acknowledged: bus given back */
} I2CMCTPTxState;

struct I2CMCTPEndpoint {
    I2CSlave parent_obj;

    /* Properties */
    uint32_t mtu;
    uint32_t max_message_size;
    QemuUUID uuid;

    MCTPEndpoint mctp;
    I2CBus *bus;
    QEMUBH *bh;                 /* runs when the bus is ours */
    QEMUTimer *timer;           /* gives up on the bus or the receiver */

    /* The block write being received, from the command code on */
    uint8_t rx[I2C_MCTP_FRAME_MAX];
    uint32_t rx_len;
    bool rx_overrun;            /* more than a frame: dropped at STOP */
    bool rx_active;             /* a write to us is in progress */

    /* The packet being sent, from the command code on, to tx_dest */
    uint32_t tx_state;
    uint8_t tx[I2C_MCTP_FRAME_MAX];
    uint32_t tx_len;
    uint32_t tx_pos;
    uint8_t tx_dest;
    bool tx_eom;                /* it ends its message */
    int64_t tx_deadline;        /* virtual ms: given up after this */
    /* tx_pos when the timer was last armed while sending (not migrated) */
    uint32_t tx_pos_armed;

    /* Migrated in: the bus is asked for again once the VM runs */
    bool resume_tx;
    bool resume_end_transfer;   /* and the transfer under way ended first */
    VMChangeStateEntry *vmstate_change;
};

struct I2CMCTPEndpointClass {
    I2CSlaveClass parent_class;

    /*
     * The message binding.  realize_binding sets up what it needs and the
     * endpoint's message types and response size in @mep (false with
     * @errp set if it cannot); handle_message is
     * MCTPEndpointOps.handle_message; reset_binding and
     * unrealize_binding may be NULL.
     */
    bool (*realize_binding)(I2CMCTPEndpoint *s, MCTPEndpoint *mep,
                            Error **errp);
    void (*unrealize_binding)(I2CMCTPEndpoint *s);
    void (*reset_binding)(I2CMCTPEndpoint *s);
    size_t (*handle_message)(I2CMCTPEndpoint *s, uint8_t *msg, size_t len,
                             uint8_t *rsp, size_t rsp_size);
};

extern const VMStateDescription vmstate_i2c_mctp_endpoint;

#define VMSTATE_I2C_MCTP_ENDPOINT(_field, _state) \
    VMSTATE_STRUCT(_field, _state, 1, vmstate_i2c_mctp_endpoint, \
                   I2CMCTPEndpoint)

#endif /* HW_I2C_MCTP_H */
