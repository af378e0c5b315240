/*
 * MCTP over SMBus/I2C (DMTF DSP0237 1.2)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The transport half of an MCTP endpoint on an I2C bus: it checks and
 * unwraps the SMBus block writes addressed to it and hands the MCTP
 * packets in them to the endpoint core (hw/mctp/mctp.c), which reassembles
 * messages, answers control requests and queues responses; it then masters
 * each queued response packet onto the bus, to the address of the request
 * it answers, with QEMU's asynchronous bus-master API: i2c_bus_master()
 * queues it for the bus, the controller grants it when the bus is free,
 * and the receiving target acknowledges every byte with i2c_ack().
 *
 * Nothing here waits for the guest without a limit: a receiver that does
 * not acknowledge, or a bus that is not granted, within
 * I2C_MCTP_TIMEOUT_MS of virtual time makes the endpoint give the packet's
 * message up and the bus back.
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/i2c/mctp.h"
#include "hw/i2c/smbus_pec.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "trace.h"

/* A frame is at least command, count, source, MCTP header and the PEC */
#define I2C_MCTP_FRAME_MIN      (3 + MCTP_HEADER_SIZE + 1)
/* Source address byte: 7-bit address, bit 0 set (DSP0237 6.2) */
#define I2C_MCTP_SRC_BIT        0x01
/* 0 is the general call address, 0x78 and up are for 10-bit addressing */
#define I2C_MCTP_ADDR_MAX       0x77

/*
 * SMBus's clock low timeout is 25 to 35 ms; a guest is slower than a
 * wire.  A packet whose receiver does not acknowledge its address is
 * tried again every I2C_MCTP_RETRY_NS until then (a host that swaps
 * between master and target mode is back within a few hundred us).
 */
#define I2C_MCTP_TIMEOUT_MS     100
#define I2C_MCTP_RETRY_NS       (100 * SCALE_US)

static void i2c_mctp_drop_frame(I2CMCTPEndpoint *s, const char *why)
{
    trace_i2c_mctp_rx_drop(s->parent_obj.address, s->rx_len, why);
    qemu_log_mask(LOG_GUEST_ERROR, "i2c-mctp at 0x%02x: %u-byte write "
                  "dropped: %s\n", s->parent_obj.address, s->rx_len, why);
}

/* The block write addressed to us ended with a STOP: unwrap it */
static void i2c_mctp_receive_frame(I2CMCTPEndpoint *s)
{
    uint8_t addr = s->parent_obj.address << 1;
    const uint8_t *f = s->rx;
    uint32_t len = s->rx_len;
    uint8_t pec;

    if (s->rx_overrun) {
        i2c_mctp_drop_frame(s, "longer than an SMBus block write");
        return;
    }
    if (len < I2C_MCTP_FRAME_MIN) {
        i2c_mctp_drop_frame(s, "shorter than an MCTP packet");
        return;
    }
    if (f[0] != I2C_MCTP_COMMAND_CODE) {
        i2c_mctp_drop_frame(s, "command code is not MCTP's");
        return;
    }
    if (f[1] + 3 != len) {
        i2c_mctp_drop_frame(s, "byte count does not match the bytes written");
        return;
    }
    if (!(f[2] & I2C_MCTP_SRC_BIT)) {
        i2c_mctp_drop_frame(s, "source address bit 0 clear");
        return;
    }
    /* The response goes there: not the general call address, not 10-bit */
    if (!(f[2] >> 1) || (f[2] >> 1) > I2C_MCTP_ADDR_MAX) {
        i2c_mctp_drop_frame(s, "source address is not a target's");
        return;
    }
    /* The PEC covers the address byte, which the bus does not pass on */
    pec = i2c_smbus_pec(i2c_smbus_pec(0, &addr, 1), f, len - 1);
    if (pec != f[len - 1]) {
        i2c_mctp_drop_frame(s, "bad PEC");
        return;
    }
    trace_i2c_mctp_rx_packet(s->parent_obj.address, f[2] >> 1, f[1] - 1);
    mctp_endpoint_receive(&s->mctp, f + 3, f[1] - 1, f[2] >> 1);
}

static int i2c_mctp_event(I2CSlave *i2c, enum i2c_event event)
{
    I2CMCTPEndpoint *s = I2C_MCTP_ENDPOINT(i2c);

    /* Unplugged with its controller, which ends a transfer after us */
    if (!qdev_is_realized(DEVICE(i2c))) {
        return 0;
    }

    switch (event) {
    case I2C_START_SEND:
        s->rx_len = 0;
        s->rx_overrun = false;
        s->rx_active = true;
        break;
    case I2C_START_SEND_ASYNC:
        /* Another QEMU device mastering: only controllers talk MCTP here */
        trace_i2c_mctp_event(i2c->address, "asynchronous write refused");
        return -1;
    case I2C_START_RECV:
        /* DSP0237 never reads from an endpoint */
        trace_i2c_mctp_event(i2c->address, "read");
        s->rx_active = false;
        break;
    case I2C_FINISH:
        if (s->rx_active) {
            s->rx_active = false;
            i2c_mctp_receive_frame(s);
        }
        break;
    case I2C_NACK:
    default:
        break;
    }
    return 0;
}

static int i2c_mctp_send(I2CSlave *i2c, uint8_t data)
{
    I2CMCTPEndpoint *s = I2C_MCTP_ENDPOINT(i2c);

    if (!s->rx_active) {
        return 0;
    }
    if (s->rx_len == sizeof(s->rx)) {
        s->rx_overrun = true;
        return 0;
    }
    s->rx[s->rx_len++] = data;
    return 0;
}

static uint8_t i2c_mctp_recv(I2CSlave *i2c)
{
    return 0xff;
}

/* Sending: the endpoint as bus master */

static int64_t i2c_mctp_now(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
}

/*
 * Ask for the bus to send the packet in tx[] or, if none is built yet,
 * the next queued one: within I2C_MCTP_TIMEOUT_MS of its first try.
 */
static void i2c_mctp_want_bus(I2CMCTPEndpoint *s)
{
    trace_i2c_mctp_tx_want_bus(s->parent_obj.address);
    if (!s->tx_len) {
        s->tx_deadline = i2c_mctp_now() + I2C_MCTP_TIMEOUT_MS;
    }
    s->tx_state = I2C_MCTP_TX_WAIT_BUS;
    i2c_bus_master(s->bus, s->bh);
    /*
     * The controller grants the bus when it ends a transfer; when nothing
     * is under way (a retry), nobody would: take it now
     */
    i2c_schedule_pending_master(s->bus);
    timer_mod(s->timer, s->tx_deadline);
}

/* Nothing more to send: the bus goes back */
static void i2c_mctp_tx_done(I2CMCTPEndpoint *s)
{
    timer_del(s->timer);
    s->tx_state = I2C_MCTP_TX_IDLE;
    i2c_bus_release(s->bus);
}

/* The next queued packet as a DSP0237 frame; false if none */
static bool i2c_mctp_build_frame(I2CMCTPEndpoint *s)
{
    uint8_t *f = s->tx;
    uint8_t addr;
    size_t len;

    len = mctp_endpoint_pop_packet(&s->mctp, f + 3, I2C_MCTP_FRAME_MAX - 4,
                                   &s->tx_dest);
    if (!len) {
        return false;
    }
    f[0] = I2C_MCTP_COMMAND_CODE;
    f[1] = 1 + len;
    f[2] = s->parent_obj.address << 1 | I2C_MCTP_SRC_BIT;
    s->tx_eom = f[3 + 3] & MCTP_FLAGS_EOM;
    addr = s->tx_dest << 1;
    f[3 + len] = i2c_smbus_pec(i2c_smbus_pec(0, &addr, 1), f, 3 + len);
    s->tx_len = 3 + len + 1;
    s->tx_pos = 0;
    s->tx_deadline = i2c_mctp_now() + I2C_MCTP_TIMEOUT_MS;
    return true;
}

/*
 * The packet being sent (or, if none, the next queued one) cannot be
 * delivered: the rest of its message goes too.
 */
static void i2c_mctp_give_up_message(I2CMCTPEndpoint *s, const char *why)
{
    trace_i2c_mctp_tx_drop(s->parent_obj.address, s->tx_dest, why);
    qemu_log_mask(LOG_GUEST_ERROR, "i2c-mctp at 0x%02x: response to 0x%02x "
                  "dropped: %s\n", s->parent_obj.address, s->tx_dest, why);
    if (!s->tx_len || !s->tx_eom) {
        mctp_endpoint_drop_message(&s->mctp);
    }
    s->tx_len = s->tx_pos = 0;
}

/*
 * Nobody acknowledged the requester's address.  A host whose controller
 * swaps between master and target mode (Linux's i2c-designware) is not
 * listening until it has switched back after its request: give the bus
 * back and try again a little later, until the packet's deadline.
 */
static void i2c_mctp_address_nak(I2CMCTPEndpoint *s)
{
    int64_t retry = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + I2C_MCTP_RETRY_NS;

    if (retry / SCALE_MS >= s->tx_deadline) {
        i2c_mctp_give_up_message(s, "address not acknowledged");
        s->tx_state = I2C_MCTP_TX_NEXT;
        return;
    }
    trace_i2c_mctp_tx_retry(s->parent_obj.address, s->tx_dest);
    s->tx_state = I2C_MCTP_TX_RETRY;
    i2c_bus_release(s->bus);
    timer_mod_ns(s->timer, retry);
}

/*
 * Runs when the bus is granted to us, and after each i2c_ack() of the
 * receiver while we have it.
 */
static void i2c_mctp_bh(void *opaque)
{
    I2CMCTPEndpoint *s = opaque;

    /*
     * Granted, then taken back (timed out, reset) before this ran: the
     * bus is somebody else's now
     */
    if (s->bus->bh != s->bh) {
        return;
    }
    for (;;) {
        switch (s->tx_state) {
        case I2C_MCTP_TX_IDLE:
        case I2C_MCTP_TX_RETRY:
            /* Reset, timed out or waiting to retry: the bus is not ours */
            return;
        case I2C_MCTP_TX_WAIT_BUS:
        case I2C_MCTP_TX_NEXT:
            /* A packet tried already (or interrupted) goes again as it is */
            if (!s->tx_len && !i2c_mctp_build_frame(s)) {
                i2c_mctp_tx_done(s);
                return;
            }
            trace_i2c_mctp_tx_packet(s->parent_obj.address, s->tx_dest,
                                     s->tx_len);
            s->tx_pos = 0;
            if (i2c_start_send_async(s->bus, s->tx_dest)) {
                i2c_mctp_address_nak(s);
                continue;
            }
            /*
             * The receiver acknowledges its address, and then each byte,
             * with i2c_ack(); it has I2C_MCTP_TIMEOUT_MS for each, checked
             * when the timer fires rather than re-armed per byte
             */
            s->tx_state = I2C_MCTP_TX_SEND;
            s->tx_pos_armed = s->tx_pos;
            timer_mod(s->timer, i2c_mctp_now() + I2C_MCTP_TIMEOUT_MS);
            return;
        case I2C_MCTP_TX_SEND:
            if (s->tx_pos < s->tx_len) {
                if (i2c_send_async(s->bus, s->tx[s->tx_pos++])) {
                    i2c_end_transfer(s->bus);
                    i2c_mctp_give_up_message(s, "receiver cannot take "
                                             "asynchronous writes");
                    s->tx_state = I2C_MCTP_TX_NEXT;
                    continue;
                }
                return;
            }
            /* STOP; the next packet keeps the bus */
            i2c_end_transfer(s->bus);
            s->tx_len = s->tx_pos = 0;
            s->tx_state = I2C_MCTP_TX_NEXT;
            continue;
        default:
            g_assert_not_reached();
        }
    }
}

/* Time to retry, or no grant or no acknowledgement in time */
static void i2c_mctp_timeout(void *opaque)
{
    I2CMCTPEndpoint *s = opaque;

    switch (s->tx_state) {
    case I2C_MCTP_TX_RETRY:
        i2c_mctp_want_bus(s);
        break;
    case I2C_MCTP_TX_WAIT_BUS:
        i2c_bus_master_cancel(s->bus, s->bh);
        qemu_bh_cancel(s->bh);
        i2c_mctp_give_up_message(s, "bus not granted");
        s->tx_state = I2C_MCTP_TX_IDLE;
        if (mctp_endpoint_peek_packet(&s->mctp)) {
            i2c_mctp_want_bus(s);
        }
        break;
    case I2C_MCTP_TX_SEND:
        if (s->tx_pos != s->tx_pos_armed) {
            /* Acknowledged since the timer was armed: give it longer */
            s->tx_pos_armed = s->tx_pos;
            timer_mod(s->timer, i2c_mctp_now() + I2C_MCTP_TIMEOUT_MS);
            break;
        }
        i2c_end_transfer(s->bus);
        i2c_mctp_give_up_message(s, "receiver did not acknowledge");
        s->tx_state = I2C_MCTP_TX_NEXT;
        qemu_bh_schedule(s->bh);
        break;
    default:
        break;
    }
}

static void i2c_mctp_packets_queued(MCTPEndpoint *ep)
{
    I2CMCTPEndpoint *s = ep->opaque;

    if (s->tx_state == I2C_MCTP_TX_IDLE) {
        i2c_mctp_want_bus(s);
    }
}

static size_t i2c_mctp_handle_message(MCTPEndpoint *ep, uint8_t *msg,
                                      size_t len, uint8_t *rsp,
                                      size_t rsp_size)
{
    I2CMCTPEndpoint *s = ep->opaque;

    return I2C_MCTP_ENDPOINT_GET_CLASS(s)->handle_message(s, msg, len, rsp,
                                                          rsp_size);
}

static const MCTPEndpointOps i2c_mctp_ops = {
    .handle_message = i2c_mctp_handle_message,
    .packets_queued = i2c_mctp_packets_queued,
};

/* Whatever is under way ends: a transfer we master, our place on the bus */
static void i2c_mctp_stop_tx(I2CMCTPEndpoint *s)
{
    if (s->tx_state == I2C_MCTP_TX_SEND) {
        i2c_end_transfer(s->bus);
    }
    if (s->tx_state != I2C_MCTP_TX_IDLE && s->tx_state != I2C_MCTP_TX_RETRY) {
        i2c_bus_master_cancel(s->bus, s->bh);
    }
    qemu_bh_cancel(s->bh);
    timer_del(s->timer);
    s->tx_state = I2C_MCTP_TX_IDLE;
    s->tx_len = s->tx_pos = 0;
}

static void i2c_mctp_reset_hold(Object *obj, ResetType type)
{
    I2CMCTPEndpoint *s = I2C_MCTP_ENDPOINT(obj);
    I2CMCTPEndpointClass *k = I2C_MCTP_ENDPOINT_GET_CLASS(s);

    trace_i2c_mctp_reset(s->parent_obj.address);
    i2c_mctp_stop_tx(s);
    s->resume_tx = false;
    s->resume_end_transfer = false;
    mctp_endpoint_reset(&s->mctp);
    s->rx_len = 0;
    s->rx_overrun = false;
    s->rx_active = false;
    if (k->reset_binding) {
        k->reset_binding(s);
    }
}

static void i2c_mctp_vm_state_change(void *opaque, bool running,
                                     RunState state);

static void i2c_mctp_realize(DeviceState *dev, Error **errp)
{
    I2CMCTPEndpoint *s = I2C_MCTP_ENDPOINT(dev);
    I2CMCTPEndpointClass *k = I2C_MCTP_ENDPOINT_GET_CLASS(s);
    uint8_t addr = s->parent_obj.address;

    /* 0 is the general call address, 0x78 and up are 10-bit addressing */
    if (addr == 0 || addr > I2C_MCTP_ADDR_MAX) {
        error_setg(errp, "address 0x%02x cannot be a target: give it a "
                   "7-bit address from 0x01 to 0x77", addr);
        return;
    }
    if (s->mtu < I2C_MCTP_MTU_MIN || s->mtu > I2C_MCTP_MTU_MAX) {
        error_setg(errp, "mtu %u out of range: an MCTP packet over SMBus "
                   "is %u to %u bytes", s->mtu, (unsigned)I2C_MCTP_MTU_MIN,
                   (unsigned)I2C_MCTP_MTU_MAX);
        return;
    }
    if (s->max_message_size < MCTP_BASELINE_MTU ||
        s->max_message_size > 64 * KiB) {
        error_setg(errp, "max-message-size %u out of range: %u to %u bytes",
                   s->max_message_size, (unsigned)MCTP_BASELINE_MTU,
                   (unsigned)(64 * KiB));
        return;
    }
    if (qemu_uuid_is_null(&s->uuid)) {
        mctp_default_uuid(&s->uuid, OBJECT(s));
    }
    s->mctp = (MCTPEndpoint) {
        .ops = &i2c_mctp_ops,
        .opaque = s,
        .uuid = s->uuid,
        .mtu = s->mtu - MCTP_HEADER_SIZE,
        .max_message_size = s->max_message_size,
    };
    if (!k->realize_binding(s, &s->mctp, errp)) {
        return;
    }
    mctp_endpoint_init(&s->mctp);
    s->bus = I2C_BUS(qdev_get_parent_bus(dev));
    s->bh = qemu_bh_new_guarded(i2c_mctp_bh, s, &dev->mem_reentrancy_guard);
    s->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, i2c_mctp_timeout, s);
    s->vmstate_change = qemu_add_vm_change_state_handler(
        i2c_mctp_vm_state_change, s);
}

static void i2c_mctp_unrealize(DeviceState *dev)
{
    I2CMCTPEndpoint *s = I2C_MCTP_ENDPOINT(dev);
    I2CMCTPEndpointClass *k = I2C_MCTP_ENDPOINT_GET_CLASS(s);

    /* Whatever the bus does after this (its controller ends a transfer) */
    s->rx_active = false;
    qemu_del_vm_change_state_handler(s->vmstate_change);
    i2c_mctp_stop_tx(s);
    qemu_bh_delete(s->bh);
    timer_free(s->timer);
    mctp_endpoint_cleanup(&s->mctp);
    if (k->unrealize_binding) {
        k->unrealize_binding(s);
    }
}

static bool i2c_mctp_state_valid(void *opaque, int version_id)
{
    I2CMCTPEndpoint *s = opaque;

    return s->rx_len <= sizeof(s->rx) && s->tx_state <= I2C_MCTP_TX_RETRY &&
           s->tx_len <= sizeof(s->tx) && s->tx_pos <= s->tx_len &&
           (s->tx_len == 0 || s->tx_len >= I2C_MCTP_FRAME_MIN) &&
           s->tx_dest <= 0x7f;
}

static int i2c_mctp_post_load(void *opaque, int version_id)
{
    I2CMCTPEndpoint *s = opaque;

    /*
     * The bus's queue of masters does not migrate: ask for the bus again,
     * and send an interrupted packet again from its start, once the VM
     * runs (the bus is not to be touched before).  A transfer under way
     * did migrate, in the bus's state: end it first (its receiver sees a
     * short frame, then the whole packet again).  A retry's timer
     * migrated and asks for the bus itself.
     */
    if (s->tx_state != I2C_MCTP_TX_IDLE && s->tx_state != I2C_MCTP_TX_RETRY) {
        s->resume_end_transfer = s->tx_state == I2C_MCTP_TX_SEND;
        s->resume_tx = true;
        s->tx_state = I2C_MCTP_TX_WAIT_BUS;
        s->tx_pos = 0;
    }
    return 0;
}

static void i2c_mctp_vm_state_change(void *opaque, bool running,
                                     RunState state)
{
    I2CMCTPEndpoint *s = opaque;

    if (!running || !s->resume_tx) {
        return;
    }
    s->resume_tx = false;
    if (s->resume_end_transfer) {
        s->resume_end_transfer = false;
        i2c_end_transfer(s->bus);
    }
    i2c_mctp_want_bus(s);
}

const VMStateDescription vmstate_i2c_mctp_endpoint = {
    .name = TYPE_I2C_MCTP_ENDPOINT,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = i2c_mctp_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_I2C_SLAVE(parent_obj, I2CMCTPEndpoint),
        VMSTATE_MCTP_ENDPOINT(mctp, I2CMCTPEndpoint),
        VMSTATE_UINT32(rx_len, I2CMCTPEndpoint),
        VMSTATE_BOOL(rx_overrun, I2CMCTPEndpoint),
        VMSTATE_BOOL(rx_active, I2CMCTPEndpoint),
        VMSTATE_UINT32(tx_state, I2CMCTPEndpoint),
        VMSTATE_UINT32(tx_len, I2CMCTPEndpoint),
        VMSTATE_UINT32(tx_pos, I2CMCTPEndpoint),
        VMSTATE_UINT8(tx_dest, I2CMCTPEndpoint),
        VMSTATE_BOOL(tx_eom, I2CMCTPEndpoint),
        VMSTATE_INT64(tx_deadline, I2CMCTPEndpoint),
        VMSTATE_VALIDATE("I2C MCTP transfer state", i2c_mctp_state_valid),
        VMSTATE_UINT8_ARRAY(rx, I2CMCTPEndpoint, I2C_MCTP_FRAME_MAX),
        VMSTATE_UINT8_ARRAY(tx, I2CMCTPEndpoint, I2C_MCTP_FRAME_MAX),
        VMSTATE_TIMER_PTR(timer, I2CMCTPEndpoint),
        VMSTATE_END_OF_LIST()
    }
};

static const Property i2c_mctp_properties[] = {
    DEFINE_PROP_UINT32("mtu", I2CMCTPEndpoint, mtu, I2C_MCTP_MTU_MIN),
    DEFINE_PROP_UINT32("max-message-size", I2CMCTPEndpoint, max_message_size,
                       4 * KiB),
    DEFINE_PROP_UUID_NODEFAULT("uuid", I2CMCTPEndpoint, uuid),
};

static void i2c_mctp_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    I2CSlaveClass *k = I2C_SLAVE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = i2c_mctp_realize;
    dc->unrealize = i2c_mctp_unrealize;
    rc->phases.hold = i2c_mctp_reset_hold;
    k->event = i2c_mctp_event;
    k->send = i2c_mctp_send;
    k->recv = i2c_mctp_recv;
    device_class_set_props(dc, i2c_mctp_properties);
}

static const TypeInfo i2c_mctp_info = {
    .name = TYPE_I2C_MCTP_ENDPOINT,
    .parent = TYPE_I2C_SLAVE,
    .instance_size = sizeof(I2CMCTPEndpoint),
    .class_size = sizeof(I2CMCTPEndpointClass),
    .class_init = i2c_mctp_class_init,
    .abstract = true,
};

static void i2c_mctp_register_types(void)
{
    type_register_static(&i2c_mctp_info);
}

type_init(i2c_mctp_register_types)
