/*
 * Synopsys DesignWare I2C controller (DW_apb_i2c) on PCI
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The DW_apb_i2c register block in BAR0 of a PCI function with Intel's
 * Lynx Point LP (Haswell ULT) LPSS I2C ID, 8086:9c61.  Linux's
 * i2c-designware-pci binds that ID with fixed timing counts and SDA hold
 * time, no ACPI data, no LPSS private registers and no setup hook, so an
 * unmodified guest kernel drives the controller as it is, over INTx or
 * MSI.
 *
 * One I2C bus hangs off the controller, named after the device's id when
 * it has one (-device designware-i2c-pci,id=i2c0 -device tmp105,bus=i2c0).
 *
 * Master: IC_DATA_CMD commands (a byte to send, or CMD for a byte to
 * read, with STOP and RESTART) run on the bus as the guest writes them,
 * with the synchronous I2C calls.  If another bus master holds the bus,
 * the commands wait in the TX FIFO and the controller queues itself with
 * i2c_bus_master(); a read waits while the RX FIFO is full.  A NAK aborts
 * (TX_ABRT, IC_TX_ABRT_SOURCE) and flushes the TX FIFO, which then drops
 * writes until TX_ABRT is cleared.  Without STOP the transfer stays open
 * (IC_EMPTYFIFO_HOLD_MASTER_EN behaviour, which Linux assumes).
 *
 * Target: with IC_ENABLE set and IC_CON.SLAVE_DISABLE clear, a child
 * I2CSlave answers at IC_SAR (7-bit) to QEMU devices that master the bus
 * asynchronously (i2c_bus_master(), i2c_start_send_async()): bytes go to
 * the RX FIFO, with FIRST_DATA_BYTE on the first one, and are acked with
 * i2c_ack().  When the RX FIFO is full a byte is held, not acked, until
 * the guest reads IC_DATA_CMD (RX_FIFO_FULL_HLD_CTRL; without it the
 * byte is lost with RX_OVER, as on hardware).  Reads from a remote
 * master get the TX FIFO's bytes or 0xff (minimal; RD_REQ is raised).
 *
 * Two liberties make consecutive target transfers reach Linux one by one.
 * Linux's target ISR reads every byte in the RX FIFO before it handles
 * STOP_DET, so on a bus this fast the next transfer's bytes would be
 * glued to the previous one.  Hence a target transfer's STOP_DET is
 * raised once its bytes have been read out of the RX FIFO, and the
 * address of the next transfer is not acked (the clock is stretched)
 * until the guest has cleared that STOP_DET.
 *
 * With MSI, a message is sent when a pending interrupt appears and, as
 * Linux's ACCESS_INTR_MASK workaround expects, when IC_INTR_MASK is
 * written while an interrupt is pending: the driver keeps TX_EMPTY
 * pending while it refills the FIFO and would otherwise never see it
 * again.  Interrupts are signalled only while IC_ENABLE is set, as the
 * driver's handlers ignore them otherwise.
 *
 * A third liberty: while RX_FULL stays pending in target mode, the MSI
 * is sent again: checked every DW_MSI_RETRIGGER_NS, so within two
 * periods of the first, then every period.  Linux (7.2) swaps to
 * target mode by writing IC_ENABLE before it records the mode, so an
 * interrupt taken in between goes to its master-mode handler, which
 * reads nothing and returns: on hardware the edge is lost, and the
 * target-mode bytes stay in the RX FIFO until the next transfer flushes
 * them.  Under TCG a remote master's frame lands in that window now and
 * then (the vCPU and the main loop run at once); the second message
 * reaches the target-mode handler.
 *
 * Not modelled: 10-bit addressing (aborted), START byte, SMBus and DMA
 * registers, bus timing (the count registers are stored only).
 */

#include "qemu/osdep.h"
#include "hw/i2c/designware_i2c.h"
#include "hw/pci/msi.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/module.h"
#include "system/runstate.h"
#include "trace.h"

#define DW_I2C_PCI_DEVICE_ID        0x9c61
#define DW_I2C_PCI_CLASS            0x0c80  /* serial bus, other */
#define DW_I2C_MMIO_SIZE            0x1000
/* How often an MSI is sent again while target-mode bytes wait unread */
#define DW_MSI_RETRIGGER_NS         (5 * SCALE_MS)

/* Registers */
#define R_CON                       0x00
#define R_TAR                       0x04
#define R_SAR                       0x08
#define R_HS_MADDR                  0x0c
#define R_DATA_CMD                  0x10
#define R_SS_SCL_HCNT               0x14
#define R_SS_SCL_LCNT               0x18
#define R_FS_SCL_HCNT               0x1c
#define R_FS_SCL_LCNT               0x20
#define R_HS_SCL_HCNT               0x24
#define R_HS_SCL_LCNT               0x28
#define R_INTR_STAT                 0x2c
#define R_INTR_MASK                 0x30
#define R_RAW_INTR_STAT             0x34
#define R_RX_TL                     0x38
#define R_TX_TL                     0x3c
#define R_CLR_INTR                  0x40
#define R_CLR_RX_UNDER              0x44
#define R_CLR_RX_OVER               0x48
#define R_CLR_TX_OVER               0x4c
#define R_CLR_RD_REQ                0x50
#define R_CLR_TX_ABRT               0x54
#define R_CLR_RX_DONE               0x58
#define R_CLR_ACTIVITY              0x5c
#define R_CLR_STOP_DET              0x60
#define R_CLR_START_DET             0x64
#define R_CLR_GEN_CALL              0x68
#define R_ENABLE                    0x6c
#define R_STATUS                    0x70
#define R_TXFLR                     0x74
#define R_RXFLR                     0x78
#define R_SDA_HOLD                  0x7c
#define R_TX_ABRT_SOURCE            0x80
#define R_SLV_DATA_NACK_ONLY        0x84
#define R_SDA_SETUP                 0x94
#define R_ACK_GENERAL_CALL          0x98
#define R_ENABLE_STATUS             0x9c
#define R_FS_SPKLEN                 0xa0
#define R_HS_SPKLEN                 0xa4
#define R_CLR_RESTART_DET           0xa8
#define R_SMBUS_INTR_STAT           0xc8
#define R_SMBUS_INTR_MASK           0xcc
#define R_SMBUS_RAW_INTR_STAT       0xd0
#define R_CLR_SMBUS_INTR            0xd4
#define R_COMP_PARAM_1              0xf4
#define R_COMP_VERSION              0xf8
#define R_COMP_TYPE                 0xfc

/* IC_CON */
#define CON_MASTER                  BIT(0)
#define CON_SPEED_SHIFT             1
#define CON_SPEED_MASK              (3 << CON_SPEED_SHIFT)
#define CON_SPEED_HIGH              3
#define CON_10BITADDR_SLAVE         BIT(3)
#define CON_10BITADDR_MASTER        BIT(4)
#define CON_RESTART_EN              BIT(5)
#define CON_SLAVE_DISABLE           BIT(6)
#define CON_RX_FIFO_FULL_HLD_CTRL   BIT(9)
#define CON_WRITABLE                0x7ff
#define CON_RESET                   (CON_MASTER | (2 << CON_SPEED_SHIFT) | \
                                     CON_RESTART_EN | CON_SLAVE_DISABLE)

/* IC_TAR, IC_SAR */
#define TAR_ADDR_7BIT               0x7f
#define TAR_GC_OR_START             BIT(10)
#define TAR_SPECIAL                 BIT(11)
#define TAR_10BITADDR_MASTER        BIT(12)
#define TAR_WRITABLE                0x1fff
#define SAR_WRITABLE                0x3ff
#define ADDR_RESET                  0x55

/* IC_DATA_CMD */
#define DATA_CMD_DAT                0xff
#define DATA_CMD_CMD                BIT(8)
#define DATA_CMD_STOP               BIT(9)
#define DATA_CMD_RESTART            BIT(10)
#define DATA_CMD_FIRST_DATA_BYTE    BIT(11)

/* Interrupt bits */
#define INTR_RX_UNDER               BIT(0)
#define INTR_RX_OVER                BIT(1)
#define INTR_RX_FULL                BIT(2)
#define INTR_TX_OVER                BIT(3)
#define INTR_TX_EMPTY               BIT(4)
#define INTR_RD_REQ                 BIT(5)
#define INTR_TX_ABRT                BIT(6)
#define INTR_RX_DONE                BIT(7)
#define INTR_ACTIVITY               BIT(8)
#define INTR_STOP_DET               BIT(9)
#define INTR_START_DET              BIT(10)
#define INTR_GEN_CALL               BIT(11)
#define INTR_RESTART_DET            BIT(12)
#define INTR_MST_ON_HOLD            BIT(13)
#define INTR_ALL                    0x3fff
#define INTR_LATCHED                (INTR_ALL & ~(INTR_RX_FULL | \
                                     INTR_TX_EMPTY | INTR_MST_ON_HOLD))
#define INTR_MASK_RESET             0x8ff

/* IC_ENABLE, IC_ENABLE_STATUS */
#define ENABLE_ENABLE               BIT(0)
#define ENABLE_ABORT                BIT(1)
#define ENABLE_STATUS_SLV_DISABLED_WHILE_BUSY BIT(1)
#define ENABLE_STATUS_SLV_RX_DATA_LOST BIT(2)

/* IC_STATUS */
#define STATUS_ACTIVITY             BIT(0)
#define STATUS_TFNF                 BIT(1)
#define STATUS_TFE                  BIT(2)
#define STATUS_RFNE                 BIT(3)
#define STATUS_RFF                  BIT(4)
#define STATUS_MST_ACTIVITY         BIT(5)
#define STATUS_SLV_ACTIVITY         BIT(6)
#define STATUS_MST_HOLD_TX_FIFO_EMPTY BIT(7)
#define STATUS_MST_HOLD_RX_FIFO_FULL BIT(8)
#define STATUS_SLV_HOLD_RX_FIFO_FULL BIT(10)

/* IC_TX_ABRT_SOURCE */
#define ABRT_7B_ADDR_NOACK          BIT(0)
#define ABRT_10ADDR1_NOACK          BIT(1)
#define ABRT_TXDATA_NOACK           BIT(3)
#define ABRT_GCALL_NOACK            BIT(4)
#define ABRT_GCALL_READ             BIT(5)
#define ABRT_USER_ABRT              BIT(16)
#define ABRT_TX_FLUSH_CNT_SHIFT     23

/* IC_COMP_PARAM_1: 32-bit APB, high speed, encoded parameters */
#define COMP_PARAM_1_BASE           (2 | (CON_SPEED_HIGH << 2) | BIT(7))
#define COMP_VERSION_1_11A          0x3131312a  /* "111*": has IC_SDA_HOLD */
#define COMP_TYPE_DW                0x44570140

/* Reset values and minimums of the timing registers */
#define SS_SCL_HCNT_RESET           0x190
#define SS_SCL_LCNT_RESET           0x1d6
#define FS_SCL_HCNT_RESET           0x3c
#define FS_SCL_LCNT_RESET           0x82
#define HS_SCL_HCNT_RESET           0x6
#define HS_SCL_LCNT_RESET           0x10
#define SCL_HCNT_MIN                6
#define SCL_LCNT_MIN                8
#define SDA_HOLD_RESET              0x1
#define SDA_HOLD_WRITABLE           0xffffff
#define SDA_SETUP_RESET             0x64
#define SDA_SETUP_MIN               2
#define FS_SPKLEN_RESET             0x5
#define HS_SPKLEN_RESET             0x1

typedef enum DWMasterState {
    DW_MASTER_IDLE,
    DW_MASTER_SEND,
    DW_MASTER_RECV,
} DWMasterState;

typedef enum DWTargetState {
    DW_TARGET_IDLE,
    DW_TARGET_RECV,         /* a remote master writes to us */
    DW_TARGET_SEND,         /* a remote master reads from us */
    DW_TARGET_IGNORE,       /* disabled or reset mid-transfer: drop the rest */
} DWTargetState;

typedef enum DWTargetHold {
    DW_HOLD_NONE,
    DW_HOLD_START,          /* address phase not acked yet */
    DW_HOLD_BYTE,           /* byte not acked: the RX FIFO is full */
} DWTargetHold;

static void dw_i2c_update_irq(DesignWareI2CState *s, bool retrigger);
static void dw_i2c_master_process(DesignWareI2CState *s);
static void dw_i2c_target_finish(DesignWareI2CState *s);

static bool dw_i2c_enabled(DesignWareI2CState *s)
{
    return s->enable & ENABLE_ENABLE;
}

static bool dw_i2c_master_mode(DesignWareI2CState *s)
{
    return s->con & CON_MASTER;
}

static bool dw_i2c_target_on(DesignWareI2CState *s)
{
    return dw_i2c_enabled(s) && !(s->con & CON_SLAVE_DISABLE);
}

/* FIFOs */

static void dw_i2c_tx_push(DesignWareI2CState *s, uint16_t cmd)
{
    s->tx_fifo[(s->tx_head + s->tx_count) % s->tx_fifo_depth] = cmd;
    s->tx_count++;
}

static uint16_t dw_i2c_tx_peek(DesignWareI2CState *s)
{
    return s->tx_fifo[s->tx_head];
}

static uint16_t dw_i2c_tx_pop(DesignWareI2CState *s)
{
    uint16_t cmd = s->tx_fifo[s->tx_head];

    s->tx_head = (s->tx_head + 1) % s->tx_fifo_depth;
    s->tx_count--;
    return cmd;
}

static void dw_i2c_rx_push(DesignWareI2CState *s, uint8_t data)
{
    uint16_t entry = data;

    if (s->rx_first) {
        entry |= DATA_CMD_FIRST_DATA_BYTE;
        s->rx_first = false;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % s->rx_fifo_depth] = entry;
    s->rx_count++;
}

static uint16_t dw_i2c_rx_pop(DesignWareI2CState *s)
{
    uint16_t entry = s->rx_fifo[s->rx_head];

    s->rx_head = (s->rx_head + 1) % s->rx_fifo_depth;
    s->rx_count--;
    return entry;
}

/* Interrupts */

static uint32_t dw_i2c_raw_intr(DesignWareI2CState *s)
{
    uint32_t raw = s->raw_intr;

    if (s->rx_count > s->rx_tl) {
        raw |= INTR_RX_FULL;
    }
    if (dw_i2c_enabled(s)) {
        if (s->tx_count <= s->tx_tl) {
            raw |= INTR_TX_EMPTY;
        }
        if (s->master_state != DW_MASTER_IDLE && !s->tx_count) {
            raw |= INTR_MST_ON_HOLD;
        }
    }
    return raw;
}

/* Look again in DW_MSI_RETRIGGER_NS whether RX_FULL was left pending */
static void dw_i2c_msi_check_later(DesignWareI2CState *s)
{
    s->rx_full_edges_checked = s->rx_full_edges;
    timer_mod(s->msi_retrigger,
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + DW_MSI_RETRIGGER_NS);
}

/*
 * @retrigger: send an MSI even if no new interrupt became pending (the
 * guest wrote IC_INTR_MASK).
 */
static void dw_i2c_update_irq(DesignWareI2CState *s, bool retrigger)
{
    /* Called on every register access and byte: no checked cast here */
    PCIDevice *pdev = &s->parent_obj;
    uint32_t pending = 0;
    bool msi;

    if (dw_i2c_enabled(s)) {
        pending = dw_i2c_raw_intr(s) & s->intr_mask;
    }
    if (pending == s->irq_pending && !retrigger) {
        return;
    }
    msi = msi_enabled(pdev);
    trace_designware_i2c_irq(pending, msi);
    if (msi) {
        if ((pending & ~s->irq_pending) || (retrigger && pending)) {
            msi_notify(pdev, 0);
        }
        /*
         * Target-mode bytes: check from time to time that the guest came
         * for them (cheaply: this runs for every byte)
         */
        if (pending & ~s->irq_pending & INTR_RX_FULL) {
            s->rx_full_edges++;
            if (!timer_pending(s->msi_retrigger) && dw_i2c_target_on(s)) {
                dw_i2c_msi_check_later(s);
            }
        }
    } else {
        pci_set_irq(pdev, pending != 0);
    }
    s->irq_pending = pending;
}

static void dw_i2c_msi_retrigger(void *opaque)
{
    DesignWareI2CState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!(s->irq_pending & INTR_RX_FULL) || !dw_i2c_target_on(s) ||
        !msi_enabled(pdev)) {
        return;
    }
    /* Pending all along since the last check: the guest missed it */
    if (s->rx_full_edges == s->rx_full_edges_checked) {
        trace_designware_i2c_msi_retrigger(s->irq_pending, s->rx_count);
        msi_notify(pdev, 0);
    }
    dw_i2c_msi_check_later(s);
}

/* Master */

/* Give the bus to the next master waiting for it, if any */
static void dw_i2c_master_release_bus(DesignWareI2CState *s)
{
    if (s->owns_bus) {
        s->owns_bus = false;
        i2c_bus_release(s->bus);
    } else {
        i2c_schedule_pending_master(s->bus);
    }
}

/* STOP */
static void dw_i2c_master_stop(DesignWareI2CState *s)
{
    trace_designware_i2c_master_stop();
    i2c_end_transfer(s->bus);
    s->master_state = DW_MASTER_IDLE;
    s->raw_intr |= INTR_STOP_DET;
    dw_i2c_master_release_bus(s);
}

/* TX_ABRT: end the transfer and flush the TX FIFO */
static void dw_i2c_master_abort(DesignWareI2CState *s, uint32_t source)
{
    uint32_t flushed = s->tx_count;

    trace_designware_i2c_master_abort(source, flushed);
    if (s->master_state != DW_MASTER_IDLE) {
        dw_i2c_master_stop(s);
    }
    s->tx_head = 0;
    s->tx_count = 0;
    s->tx_abrt_source = source | (flushed << ABRT_TX_FLUSH_CNT_SHIFT);
    s->raw_intr |= INTR_TX_ABRT;
}

/*
 * START or repeated START to IC_TAR in direction @recv.  False if the
 * transfer was aborted.
 */
static bool dw_i2c_master_start(DesignWareI2CState *s, bool recv)
{
    bool first = s->master_state == DW_MASTER_IDLE;
    uint8_t addr = s->tar & TAR_ADDR_7BIT;

    if ((s->tar & TAR_10BITADDR_MASTER) || (s->con & CON_10BITADDR_MASTER)) {
        qemu_log_mask(LOG_UNIMP, "%s: 10-bit addressing is not supported\n",
                      TYPE_DESIGNWARE_I2C_PCI);
        dw_i2c_master_abort(s, ABRT_10ADDR1_NOACK);
        return false;
    }
    if (s->tar & TAR_SPECIAL) {
        if (s->tar & TAR_GC_OR_START) {
            qemu_log_mask(LOG_UNIMP, "%s: START byte is not supported, "
                          "addressing 0x%02x without it\n",
                          TYPE_DESIGNWARE_I2C_PCI, addr);
        } else if (recv) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: read after a general call\n",
                          TYPE_DESIGNWARE_I2C_PCI);
            dw_i2c_master_abort(s, ABRT_GCALL_READ);
            return false;
        } else {
            addr = 0;       /* general call: broadcast */
        }
    }

    if (first) {
        s->raw_intr |= INTR_START_DET | INTR_ACTIVITY;
    } else if (!(s->con & CON_RESTART_EN)) {
        /* No RESTART: STOP, then START */
        i2c_end_transfer(s->bus);
        s->raw_intr |= INTR_STOP_DET | INTR_START_DET;
    }
    /* Set first, so that our own target does not answer */
    s->master_state = recv ? DW_MASTER_RECV : DW_MASTER_SEND;
    s->rx_first = recv;
    trace_designware_i2c_master_start(addr, recv, !first);
    if (i2c_start_transfer(s->bus, addr, recv)) {
        dw_i2c_master_abort(s, addr ? ABRT_7B_ADDR_NOACK : ABRT_GCALL_NOACK);
        return false;
    }
    return true;
}

/* Run one IC_DATA_CMD command on the bus */
static void dw_i2c_master_exec(DesignWareI2CState *s, uint16_t cmd)
{
    bool recv = cmd & DATA_CMD_CMD;
    DWMasterState dir = recv ? DW_MASTER_RECV : DW_MASTER_SEND;

    if (s->master_state != dir || (cmd & DATA_CMD_RESTART)) {
        if (!dw_i2c_master_start(s, recv)) {
            return;
        }
    }
    if (recv) {
        uint8_t data = i2c_recv(s->bus);

        trace_designware_i2c_master_data(true, data);
        dw_i2c_rx_push(s, data);
        if (cmd & DATA_CMD_STOP) {
            i2c_nack(s->bus);
        }
    } else {
        trace_designware_i2c_master_data(false, cmd & DATA_CMD_DAT);
        if (i2c_send(s->bus, cmd & DATA_CMD_DAT)) {
            dw_i2c_master_abort(s, ABRT_TXDATA_NOACK);
            return;
        }
    }
    if (cmd & DATA_CMD_STOP) {
        dw_i2c_master_stop(s);
    }
}

/*
 * May the master drive the bus now?  If another master holds it, queue
 * for it: master_bh runs when it is ours.
 */
static bool dw_i2c_master_acquire(DesignWareI2CState *s)
{
    if (s->master_state != DW_MASTER_IDLE || s->owns_bus ||
        !i2c_bus_busy(s->bus)) {
        return true;
    }
    if (!s->master_queued) {
        trace_designware_i2c_master_wait_bus();
        s->master_queued = true;
        i2c_bus_master(s->bus, s->master_bh);
    }
    return false;
}

/* Run the TX FIFO's commands; bounded by the FIFO's contents */
static void dw_i2c_master_process(DesignWareI2CState *s)
{
    while (s->tx_count && dw_i2c_enabled(s) && dw_i2c_master_mode(s) &&
           !(s->raw_intr & INTR_TX_ABRT)) {
        uint16_t cmd = dw_i2c_tx_peek(s);

        if ((cmd & DATA_CMD_CMD) && s->rx_count >= s->rx_fifo_depth) {
            break;          /* hold the read until the guest makes room */
        }
        if (!dw_i2c_master_acquire(s)) {
            break;
        }
        dw_i2c_master_exec(s, dw_i2c_tx_pop(s));
    }
}

static void dw_i2c_master_bh(void *opaque)
{
    DesignWareI2CState *s = opaque;

    s->master_queued = false;
    if (s->bus->bh != s->master_bh) {
        return;
    }
    s->owns_bus = true;
    dw_i2c_master_process(s);
    if (s->owns_bus && s->master_state == DW_MASTER_IDLE) {
        s->owns_bus = false;
        i2c_bus_release(s->bus);
    }
    dw_i2c_update_irq(s, false);
}

/*
 * The I2C core migrates which devices a transfer addresses, but not who
 * masters the bus (bus->bh, pending masters): a remote master's transfer
 * to us cannot go on after migration.  End it; a held byte stays to be
 * read, a held address phase is forgotten.
 */
static void dw_i2c_end_target_after_load(DesignWareI2CState *s)
{
    I2CNode *node;

    if (s->target_state == DW_TARGET_IDLE) {
        return;
    }
    if (s->target_hold == DW_HOLD_START) {
        s->target_hold = DW_HOLD_NONE;
    }
    QLIST_FOREACH(node, &s->bus->current_devs, next) {
        if (node->elt == I2C_SLAVE(&s->target)) {
            i2c_end_transfer(s->bus);       /* FINISH to us */
            return;
        }
    }
    dw_i2c_target_finish(s);
}

static void dw_i2c_kick_bh(void *opaque)
{
    DesignWareI2CState *s = opaque;

    if (s->end_target_after_load) {
        s->end_target_after_load = false;
        dw_i2c_end_target_after_load(s);
    }
    dw_i2c_master_process(s);
    i2c_schedule_pending_master(s->bus);
    dw_i2c_update_irq(s, false);
    /* After migration too, bytes left unread are checked on */
    if ((s->irq_pending & INTR_RX_FULL) && !timer_pending(s->msi_retrigger)) {
        dw_i2c_msi_check_later(s);
    }
}

/* IC_ENABLE.ABORT */
static void dw_i2c_user_abort(DesignWareI2CState *s)
{
    if (dw_i2c_master_mode(s) &&
        (s->master_state != DW_MASTER_IDLE || s->tx_count)) {
        dw_i2c_master_abort(s, ABRT_USER_ABRT);
    }
}

/* Target */

static void dw_i2c_target_stop_det(DesignWareI2CState *s)
{
    s->target_stop_pending = false;
    s->target_stop_unread = true;
    s->raw_intr |= INTR_STOP_DET;
}

/*
 * The guest read the RX FIFO or cleared STOP_DET: take a held byte, raise
 * a deferred STOP_DET, ack a held address phase.
 */
static void dw_i2c_target_progress(DesignWareI2CState *s)
{
    if (s->target_hold == DW_HOLD_BYTE && s->rx_count < s->rx_fifo_depth) {
        trace_designware_i2c_target_byte(s->target_held_byte, "released");
        s->target_hold = DW_HOLD_NONE;
        dw_i2c_rx_push(s, s->target_held_byte);
        if (s->target_state == DW_TARGET_RECV) {
            i2c_ack(s->bus);
        }
    }
    if (s->target_stop_pending && !s->rx_count &&
        s->target_hold != DW_HOLD_BYTE) {
        dw_i2c_target_stop_det(s);
    }
    if (s->target_hold == DW_HOLD_START && !s->target_stop_pending &&
        !s->target_stop_unread) {
        trace_designware_i2c_target_event("ack held START", s->target_state);
        s->target_hold = DW_HOLD_NONE;
        if (s->target_state == DW_TARGET_RECV) {
            i2c_ack(s->bus);
        }
    }
}

/*
 * A remote master's transfer to us must not stay stuck: drop the rest of
 * it (the controller was disabled or reset).
 */
static void dw_i2c_target_abandon(DesignWareI2CState *s)
{
    bool ack = s->target_state == DW_TARGET_RECV &&
               s->target_hold != DW_HOLD_NONE;

    if (s->target_hold == DW_HOLD_BYTE) {
        s->enable_status |= ENABLE_STATUS_SLV_RX_DATA_LOST;
        trace_designware_i2c_target_byte(s->target_held_byte, "lost");
    }
    s->target_hold = DW_HOLD_NONE;
    if (s->target_state == DW_TARGET_RECV ||
        s->target_state == DW_TARGET_SEND) {
        s->enable_status |= ENABLE_STATUS_SLV_DISABLED_WHILE_BUSY;
        s->target_state = DW_TARGET_IGNORE;
    }
    s->target_stop_pending = false;
    s->target_stop_unread = false;
    if (ack) {
        i2c_ack(s->bus);
    }
}

static void dw_i2c_target_finish(DesignWareI2CState *s)
{
    DWTargetState prev = s->target_state;

    s->target_state = DW_TARGET_IDLE;
    if (s->target_hold == DW_HOLD_START) {
        s->target_hold = DW_HOLD_NONE;
    }
    switch (prev) {
    case DW_TARGET_RECV:
        if (s->rx_count || s->target_hold == DW_HOLD_BYTE) {
            s->target_stop_pending = true;
        } else {
            dw_i2c_target_stop_det(s);
        }
        break;
    case DW_TARGET_SEND:
        s->raw_intr &= ~INTR_RD_REQ;
        s->raw_intr |= INTR_STOP_DET;
        break;
    default:
        break;
    }
    /* The remote master releases the bus after this: look again then */
    qemu_bh_schedule(s->kick_bh);
}

static bool dw_i2c_target_match(I2CSlave *candidate, uint8_t address,
                                bool broadcast, I2CNodeList *current_devs)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_TARGET(candidate)->ctrl;
    I2CNode *node;

    if (broadcast || address != (s->sar & TAR_ADDR_7BIT)) {
        return false;
    }
    if (!dw_i2c_target_on(s) || (s->con & CON_10BITADDR_SLAVE) ||
        s->master_state != DW_MASTER_IDLE) {
        trace_designware_i2c_target_nak(address);
        return false;
    }
    node = g_new(I2CNode, 1);
    node->elt = candidate;
    QLIST_INSERT_HEAD(current_devs, node, next);
    return true;
}

static int dw_i2c_target_event(I2CSlave *t, enum i2c_event event)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_TARGET(t)->ctrl;

    trace_designware_i2c_target_event(event == I2C_START_SEND_ASYNC ?
                                      "start send async" :
                                      event == I2C_START_SEND ? "start send" :
                                      event == I2C_START_RECV ? "start recv" :
                                      event == I2C_FINISH ? "finish" : "nack",
                                      s->target_state);
    switch (event) {
    case I2C_START_SEND:
    case I2C_START_SEND_ASYNC:
        if (s->target_state == DW_TARGET_IGNORE) {
            if (event == I2C_START_SEND_ASYNC) {
                i2c_ack(s->bus);
            }
            break;
        }
        if (s->target_state == DW_TARGET_IDLE) {
            s->raw_intr |= INTR_START_DET | INTR_ACTIVITY;
        } else {
            s->raw_intr |= INTR_RESTART_DET;
        }
        s->target_state = DW_TARGET_RECV;
        s->rx_first = true;
        if (event == I2C_START_SEND_ASYNC) {
            if (s->target_stop_pending || s->target_stop_unread) {
                trace_designware_i2c_target_event("hold START",
                                                  s->target_state);
                s->target_hold = DW_HOLD_START;
            } else {
                i2c_ack(s->bus);
            }
        }
        break;
    case I2C_START_RECV:
        if (s->target_state == DW_TARGET_IGNORE) {
            break;
        }
        if (s->target_state == DW_TARGET_IDLE) {
            s->raw_intr |= INTR_START_DET | INTR_ACTIVITY;
        } else {
            s->raw_intr |= INTR_RESTART_DET;
        }
        s->target_state = DW_TARGET_SEND;
        s->raw_intr |= INTR_RD_REQ;
        break;
    case I2C_NACK:
        if (s->target_state == DW_TARGET_SEND) {
            s->raw_intr |= INTR_RX_DONE;
        }
        break;
    case I2C_FINISH:
        dw_i2c_target_finish(s);
        break;
    }
    dw_i2c_update_irq(s, false);
    return 0;
}

static void dw_i2c_target_send_async(I2CSlave *t, uint8_t data)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_TARGET(t)->ctrl;

    if (s->target_state != DW_TARGET_RECV) {
        trace_designware_i2c_target_byte(data, "dropped (not receiving)");
        i2c_ack(s->bus);
        return;
    }
    if (s->target_hold == DW_HOLD_START) {
        /* The master did not wait for the address ack; go on */
        s->target_hold = DW_HOLD_NONE;
    }
    if (s->target_hold == DW_HOLD_BYTE) {
        /* It did not wait for the last byte's ack either: no room */
        trace_designware_i2c_target_byte(data, "overrun");
        s->raw_intr |= INTR_RX_OVER;
    } else if (s->rx_count < s->rx_fifo_depth) {
        trace_designware_i2c_target_byte(data, "received");
        dw_i2c_rx_push(s, data);
        i2c_ack(s->bus);
    } else if (s->con & CON_RX_FIFO_FULL_HLD_CTRL) {
        trace_designware_i2c_target_byte(data, "held");
        s->target_hold = DW_HOLD_BYTE;
        s->target_held_byte = data;
    } else {
        trace_designware_i2c_target_byte(data, "overrun");
        s->raw_intr |= INTR_RX_OVER;
        i2c_ack(s->bus);
    }
    dw_i2c_update_irq(s, false);
}

/* A synchronous master cannot wait: NAK what does not fit */
static int dw_i2c_target_send(I2CSlave *t, uint8_t data)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_TARGET(t)->ctrl;
    int ret = -1;

    if (s->target_state != DW_TARGET_RECV) {
        trace_designware_i2c_target_byte(data, "nak (not receiving)");
    } else if (s->rx_count < s->rx_fifo_depth) {
        trace_designware_i2c_target_byte(data, "received");
        dw_i2c_rx_push(s, data);
        ret = 0;
    } else {
        trace_designware_i2c_target_byte(data, "overrun");
        s->raw_intr |= INTR_RX_OVER;
    }
    dw_i2c_update_irq(s, false);
    return ret;
}

static uint8_t dw_i2c_target_recv(I2CSlave *t)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_TARGET(t)->ctrl;
    uint8_t data = 0xff;

    if (s->target_state == DW_TARGET_SEND && s->tx_count &&
        !dw_i2c_master_mode(s)) {
        data = dw_i2c_tx_pop(s) & DATA_CMD_DAT;
    }
    trace_designware_i2c_target_byte(data, "sent");
    dw_i2c_update_irq(s, false);
    return data;
}

/* Registers */

static uint32_t dw_i2c_status(DesignWareI2CState *s)
{
    uint32_t st = 0;
    bool mst, slv;

    if (s->tx_count < s->tx_fifo_depth) {
        st |= STATUS_TFNF;
    }
    if (!s->tx_count) {
        st |= STATUS_TFE;
    }
    if (s->rx_count) {
        st |= STATUS_RFNE;
    }
    if (s->rx_count == s->rx_fifo_depth) {
        st |= STATUS_RFF;
    }
    mst = s->master_state != DW_MASTER_IDLE ||
          (dw_i2c_enabled(s) && dw_i2c_master_mode(s) && s->tx_count &&
           !(s->raw_intr & INTR_TX_ABRT));
    slv = s->target_state == DW_TARGET_RECV ||
          s->target_state == DW_TARGET_SEND;
    if (mst) {
        st |= STATUS_MST_ACTIVITY | STATUS_ACTIVITY;
    }
    if (slv) {
        st |= STATUS_SLV_ACTIVITY | STATUS_ACTIVITY;
    }
    if (s->master_state != DW_MASTER_IDLE && !s->tx_count) {
        st |= STATUS_MST_HOLD_TX_FIFO_EMPTY;
    }
    if (mst && s->tx_count && (dw_i2c_tx_peek(s) & DATA_CMD_CMD) &&
        s->rx_count == s->rx_fifo_depth) {
        st |= STATUS_MST_HOLD_RX_FIFO_FULL;
    }
    if (s->target_hold == DW_HOLD_BYTE) {
        st |= STATUS_SLV_HOLD_RX_FIFO_FULL;
    }
    return st;
}

/* Read of an IC_CLR_* register: 1 if one of @bits was set */
static uint32_t dw_i2c_clear_intr(DesignWareI2CState *s, uint32_t bits)
{
    uint32_t was = s->raw_intr & bits;

    if ((bits & INTR_ACTIVITY) && (dw_i2c_status(s) & STATUS_ACTIVITY)) {
        bits &= ~INTR_ACTIVITY;     /* still active */
    }
    s->raw_intr &= ~bits;
    if (bits & INTR_TX_ABRT) {
        s->tx_abrt_source = 0;
    }
    if (bits & INTR_STOP_DET) {
        s->target_stop_unread = false;
        dw_i2c_target_progress(s);
    }
    return was != 0;
}

static uint32_t dw_i2c_read_data_cmd(DesignWareI2CState *s)
{
    uint32_t val;

    if (!s->rx_count) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of an empty RX FIFO\n",
                      TYPE_DESIGNWARE_I2C_PCI);
        s->raw_intr |= INTR_RX_UNDER;
        return 0;
    }
    val = dw_i2c_rx_pop(s);
    dw_i2c_target_progress(s);
    dw_i2c_master_process(s);       /* a read held by a full RX FIFO */
    return val;
}

static void dw_i2c_write_data_cmd(DesignWareI2CState *s, uint32_t val)
{
    uint16_t cmd = val & (DATA_CMD_DAT | DATA_CMD_CMD | DATA_CMD_STOP |
                          DATA_CMD_RESTART);

    if (!dw_i2c_enabled(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_DATA_CMD write while disabled "
                      "dropped\n", TYPE_DESIGNWARE_I2C_PCI);
        return;
    }
    if (dw_i2c_master_mode(s) && (s->raw_intr & INTR_TX_ABRT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_DATA_CMD write dropped: the TX "
                      "FIFO stays flushed until TX_ABRT is cleared\n",
                      TYPE_DESIGNWARE_I2C_PCI);
        return;
    }
    if (s->tx_count >= s->tx_fifo_depth) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: TX FIFO overflow\n",
                      TYPE_DESIGNWARE_I2C_PCI);
        s->raw_intr |= INTR_TX_OVER;
        return;
    }
    if (!dw_i2c_master_mode(s)) {
        cmd &= DATA_CMD_DAT;        /* data a remote master will read */
    }
    dw_i2c_tx_push(s, cmd);
    if (dw_i2c_master_mode(s)) {
        dw_i2c_master_process(s);
    }
}

static void dw_i2c_disable(DesignWareI2CState *s)
{
    if (s->master_state != DW_MASTER_IDLE) {
        dw_i2c_master_stop(s);
    }
    s->tx_head = s->tx_count = 0;
    s->rx_head = s->rx_count = 0;
    dw_i2c_target_abandon(s);
}

static void dw_i2c_write_enable(DesignWareI2CState *s, uint32_t val)
{
    bool was = dw_i2c_enabled(s);
    uint32_t unsupported = val & ~(uint32_t)(ENABLE_ENABLE | ENABLE_ABORT);

    if (unsupported) {
        qemu_log_mask(LOG_UNIMP, "%s: IC_ENABLE bits 0x%x not supported\n",
                      TYPE_DESIGNWARE_I2C_PCI, unsupported);
    }
    s->enable = val & ENABLE_ENABLE;
    if (val & ENABLE_ABORT) {
        if (was && dw_i2c_enabled(s)) {
            dw_i2c_user_abort(s);   /* completes at once: ABORT reads 0 */
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_ENABLE.ABORT needs the "
                          "controller enabled\n", TYPE_DESIGNWARE_I2C_PCI);
        }
    }
    if (was && !dw_i2c_enabled(s)) {
        dw_i2c_disable(s);
    } else if (!was && dw_i2c_enabled(s)) {
        s->enable_status = 0;
    }
}

static bool dw_i2c_check_disabled(DesignWareI2CState *s, const char *reg)
{
    if (dw_i2c_enabled(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s is read-only while the "
                      "controller is enabled\n", TYPE_DESIGNWARE_I2C_PCI, reg);
        return false;
    }
    return true;
}

static void dw_i2c_write_con(DesignWareI2CState *s, uint32_t val)
{
    val &= CON_WRITABLE;
    if (dw_i2c_enabled(s)) {
        /* Only SLAVE_DISABLE may change (Linux sets it on shutdown) */
        if ((val ^ s->con) & ~CON_SLAVE_DISABLE) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_CON written while "
                          "enabled: only SLAVE_DISABLE changes\n",
                          TYPE_DESIGNWARE_I2C_PCI);
        }
        val = (s->con & ~CON_SLAVE_DISABLE) | (val & CON_SLAVE_DISABLE);
    }
    if (!(val & CON_SPEED_MASK)) {
        /* An illegal speed becomes the highest supported one */
        val |= CON_SPEED_HIGH << CON_SPEED_SHIFT;
    }
    s->con = val;
}

static uint32_t dw_i2c_threshold(DesignWareI2CState *s, uint32_t val,
                                 uint32_t depth)
{
    val &= 0xff;
    return MIN(val, depth - 1);
}

static uint64_t dw_i2c_read(void *opaque, hwaddr addr, unsigned size)
{
    DesignWareI2CState *s = opaque;
    uint64_t val = 0;

    switch (addr) {
    case R_CON:
        val = s->con;
        break;
    case R_TAR:
        val = s->tar;
        break;
    case R_SAR:
        val = s->sar;
        break;
    case R_HS_MADDR:
        val = s->hs_maddr;
        break;
    case R_DATA_CMD:
        val = dw_i2c_read_data_cmd(s);
        break;
    case R_SS_SCL_HCNT:
        val = s->ss_scl_hcnt;
        break;
    case R_SS_SCL_LCNT:
        val = s->ss_scl_lcnt;
        break;
    case R_FS_SCL_HCNT:
        val = s->fs_scl_hcnt;
        break;
    case R_FS_SCL_LCNT:
        val = s->fs_scl_lcnt;
        break;
    case R_HS_SCL_HCNT:
        val = s->hs_scl_hcnt;
        break;
    case R_HS_SCL_LCNT:
        val = s->hs_scl_lcnt;
        break;
    case R_INTR_STAT:
        val = dw_i2c_raw_intr(s) & s->intr_mask;
        break;
    case R_INTR_MASK:
        val = s->intr_mask;
        break;
    case R_RAW_INTR_STAT:
        val = dw_i2c_raw_intr(s);
        break;
    case R_RX_TL:
        val = s->rx_tl;
        break;
    case R_TX_TL:
        val = s->tx_tl;
        break;
    case R_CLR_INTR:
        val = dw_i2c_clear_intr(s, INTR_LATCHED);
        break;
    case R_CLR_RX_UNDER:
        val = dw_i2c_clear_intr(s, INTR_RX_UNDER);
        break;
    case R_CLR_RX_OVER:
        val = dw_i2c_clear_intr(s, INTR_RX_OVER);
        break;
    case R_CLR_TX_OVER:
        val = dw_i2c_clear_intr(s, INTR_TX_OVER);
        break;
    case R_CLR_RD_REQ:
        val = dw_i2c_clear_intr(s, INTR_RD_REQ);
        break;
    case R_CLR_TX_ABRT:
        val = dw_i2c_clear_intr(s, INTR_TX_ABRT);
        break;
    case R_CLR_RX_DONE:
        val = dw_i2c_clear_intr(s, INTR_RX_DONE);
        break;
    case R_CLR_ACTIVITY:
        val = dw_i2c_clear_intr(s, INTR_ACTIVITY);
        break;
    case R_CLR_STOP_DET:
        val = dw_i2c_clear_intr(s, INTR_STOP_DET);
        break;
    case R_CLR_START_DET:
        val = dw_i2c_clear_intr(s, INTR_START_DET);
        break;
    case R_CLR_GEN_CALL:
        val = dw_i2c_clear_intr(s, INTR_GEN_CALL);
        break;
    case R_CLR_RESTART_DET:
        val = dw_i2c_clear_intr(s, INTR_RESTART_DET);
        break;
    case R_ENABLE:
        val = s->enable;
        break;
    case R_STATUS:
        val = dw_i2c_status(s);
        break;
    case R_TXFLR:
        val = s->tx_count;
        break;
    case R_RXFLR:
        val = s->rx_count;
        break;
    case R_SDA_HOLD:
        val = s->sda_hold;
        break;
    case R_TX_ABRT_SOURCE:
        val = s->tx_abrt_source;
        break;
    case R_SLV_DATA_NACK_ONLY:
        val = s->slv_data_nack_only;
        break;
    case R_SDA_SETUP:
        val = s->sda_setup;
        break;
    case R_ACK_GENERAL_CALL:
        val = s->ack_general_call;
        break;
    case R_ENABLE_STATUS:
        val = (s->enable & ENABLE_ENABLE) | s->enable_status;
        break;
    case R_FS_SPKLEN:
        val = s->fs_spklen;
        break;
    case R_HS_SPKLEN:
        val = s->hs_spklen;
        break;
    case R_SMBUS_INTR_STAT:
    case R_SMBUS_INTR_MASK:
    case R_SMBUS_RAW_INTR_STAT:
    case R_CLR_SMBUS_INTR:
        break;                      /* no SMBus features: read as zero */
    case R_COMP_PARAM_1:
        val = COMP_PARAM_1_BASE | ((s->rx_fifo_depth - 1) << 8) |
              ((s->tx_fifo_depth - 1) << 16);
        break;
    case R_COMP_VERSION:
        val = COMP_VERSION_1_11A;
        break;
    case R_COMP_TYPE:
        val = COMP_TYPE_DW;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of unknown register 0x%"
                      HWADDR_PRIx "\n", TYPE_DESIGNWARE_I2C_PCI, addr);
        break;
    }
    trace_designware_i2c_read(addr, val);
    dw_i2c_update_irq(s, false);
    return val;
}

static void dw_i2c_write(void *opaque, hwaddr addr, uint64_t val64,
                         unsigned size)
{
    DesignWareI2CState *s = opaque;
    uint32_t val = val64;
    bool retrigger = false;

    trace_designware_i2c_write(addr, val);
    switch (addr) {
    case R_CON:
        dw_i2c_write_con(s, val);
        break;
    case R_TAR:
        /* Dynamic TAR update: takes effect at the next START */
        s->tar = val & TAR_WRITABLE;
        break;
    case R_SAR:
        if (dw_i2c_check_disabled(s, "IC_SAR")) {
            s->sar = val & SAR_WRITABLE;
            i2c_slave_set_address(I2C_SLAVE(&s->target),
                                  s->sar & TAR_ADDR_7BIT);
        }
        break;
    case R_HS_MADDR:
        if (dw_i2c_check_disabled(s, "IC_HS_MADDR")) {
            s->hs_maddr = val & 7;
        }
        break;
    case R_DATA_CMD:
        dw_i2c_write_data_cmd(s, val);
        break;
    case R_SS_SCL_HCNT:
        if (dw_i2c_check_disabled(s, "IC_SS_SCL_HCNT")) {
            s->ss_scl_hcnt = MAX(val & 0xffff, SCL_HCNT_MIN);
        }
        break;
    case R_SS_SCL_LCNT:
        if (dw_i2c_check_disabled(s, "IC_SS_SCL_LCNT")) {
            s->ss_scl_lcnt = MAX(val & 0xffff, SCL_LCNT_MIN);
        }
        break;
    case R_FS_SCL_HCNT:
        if (dw_i2c_check_disabled(s, "IC_FS_SCL_HCNT")) {
            s->fs_scl_hcnt = MAX(val & 0xffff, SCL_HCNT_MIN);
        }
        break;
    case R_FS_SCL_LCNT:
        if (dw_i2c_check_disabled(s, "IC_FS_SCL_LCNT")) {
            s->fs_scl_lcnt = MAX(val & 0xffff, SCL_LCNT_MIN);
        }
        break;
    case R_HS_SCL_HCNT:
        if (dw_i2c_check_disabled(s, "IC_HS_SCL_HCNT")) {
            s->hs_scl_hcnt = MAX(val & 0xffff, SCL_HCNT_MIN);
        }
        break;
    case R_HS_SCL_LCNT:
        if (dw_i2c_check_disabled(s, "IC_HS_SCL_LCNT")) {
            s->hs_scl_lcnt = MAX(val & 0xffff, SCL_LCNT_MIN);
        }
        break;
    case R_INTR_MASK:
        s->intr_mask = val & INTR_ALL;
        retrigger = true;
        break;
    case R_RX_TL:
        s->rx_tl = dw_i2c_threshold(s, val, s->rx_fifo_depth);
        break;
    case R_TX_TL:
        s->tx_tl = dw_i2c_threshold(s, val, s->tx_fifo_depth);
        break;
    case R_ENABLE:
        dw_i2c_write_enable(s, val);
        break;
    case R_SDA_HOLD:
        s->sda_hold = val & SDA_HOLD_WRITABLE;
        break;
    case R_SLV_DATA_NACK_ONLY:
        s->slv_data_nack_only = val & 1;
        break;
    case R_SDA_SETUP:
        if (dw_i2c_check_disabled(s, "IC_SDA_SETUP")) {
            s->sda_setup = MAX(val & 0xff, SDA_SETUP_MIN);
        }
        break;
    case R_ACK_GENERAL_CALL:
        s->ack_general_call = val & 1;
        break;
    case R_FS_SPKLEN:
        if (dw_i2c_check_disabled(s, "IC_FS_SPKLEN")) {
            s->fs_spklen = MAX(val & 0xff, 1);
        }
        break;
    case R_HS_SPKLEN:
        if (dw_i2c_check_disabled(s, "IC_HS_SPKLEN")) {
            s->hs_spklen = MAX(val & 0xff, 1);
        }
        break;
    case R_SMBUS_INTR_MASK:
    case R_CLR_SMBUS_INTR:
        break;                      /* no SMBus features: writes ignored */
    case R_INTR_STAT:
    case R_RAW_INTR_STAT:
    case R_CLR_INTR:
    case R_CLR_RX_UNDER:
    case R_CLR_RX_OVER:
    case R_CLR_TX_OVER:
    case R_CLR_RD_REQ:
    case R_CLR_TX_ABRT:
    case R_CLR_RX_DONE:
    case R_CLR_ACTIVITY:
    case R_CLR_STOP_DET:
    case R_CLR_START_DET:
    case R_CLR_GEN_CALL:
    case R_CLR_RESTART_DET:
    case R_STATUS:
    case R_TXFLR:
    case R_RXFLR:
    case R_TX_ABRT_SOURCE:
    case R_ENABLE_STATUS:
    case R_SMBUS_INTR_STAT:
    case R_SMBUS_RAW_INTR_STAT:
    case R_COMP_PARAM_1:
    case R_COMP_VERSION:
    case R_COMP_TYPE:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only register 0x%"
                      HWADDR_PRIx "\n", TYPE_DESIGNWARE_I2C_PCI, addr);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to unknown register 0x%"
                      HWADDR_PRIx "\n", TYPE_DESIGNWARE_I2C_PCI, addr);
        break;
    }
    dw_i2c_update_irq(s, retrigger);
}

static const MemoryRegionOps dw_i2c_mmio_ops = {
    .read = dw_i2c_read,
    .write = dw_i2c_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* Device */

static void dw_i2c_reset(DeviceState *dev)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_PCI(dev);

    /* End our transfer on the bus and free a remote master's */
    if (s->master_state != DW_MASTER_IDLE) {
        i2c_end_transfer(s->bus);
        s->master_state = DW_MASTER_IDLE;
    }
    dw_i2c_master_release_bus(s);
    dw_i2c_target_abandon(s);

    s->con = CON_RESET;
    s->tar = ADDR_RESET;
    s->sar = ADDR_RESET;
    i2c_slave_set_address(I2C_SLAVE(&s->target), ADDR_RESET);
    s->hs_maddr = 1;
    s->ss_scl_hcnt = SS_SCL_HCNT_RESET;
    s->ss_scl_lcnt = SS_SCL_LCNT_RESET;
    s->fs_scl_hcnt = FS_SCL_HCNT_RESET;
    s->fs_scl_lcnt = FS_SCL_LCNT_RESET;
    s->hs_scl_hcnt = HS_SCL_HCNT_RESET;
    s->hs_scl_lcnt = HS_SCL_LCNT_RESET;
    s->intr_mask = INTR_MASK_RESET;
    s->rx_tl = 0;
    s->tx_tl = 0;
    s->enable = 0;
    s->sda_hold = SDA_HOLD_RESET;
    s->slv_data_nack_only = 0;
    s->sda_setup = SDA_SETUP_RESET;
    s->ack_general_call = 1;
    s->fs_spklen = FS_SPKLEN_RESET;
    s->hs_spklen = HS_SPKLEN_RESET;
    s->raw_intr = 0;
    s->tx_abrt_source = 0;
    s->enable_status = 0;
    s->tx_head = s->tx_count = 0;
    s->rx_head = s->rx_count = 0;
    s->rx_first = false;
    s->target_held_byte = 0;
    /* Disabled: nothing pending */
    s->irq_pending = 0;
    timer_del(s->msi_retrigger);
    pci_set_irq(PCI_DEVICE(s), 0);
}

static void dw_i2c_pci_write_config(PCIDevice *pdev, uint32_t addr,
                                    uint32_t val, int len)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_PCI(pdev);
    bool msi = msi_enabled(pdev);

    pci_default_write_config(pdev, addr, val, len);
    if (msi != msi_enabled(pdev)) {
        /* Signal what is pending the new way */
        if (!msi) {
            pci_set_irq(pdev, 0);
        }
        s->irq_pending = 0;
        dw_i2c_update_irq(s, false);
    }
}

static void dw_i2c_vm_state_change(void *opaque, bool running,
                                   RunState state)
{
    DesignWareI2CState *s = opaque;

    if (running && s->kick_when_running) {
        s->kick_when_running = false;
        qemu_bh_schedule(s->kick_bh);
    }
}

static void dw_i2c_pci_realize(PCIDevice *pdev, Error **errp)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_PCI(pdev);
    DeviceState *dev = DEVICE(pdev);
    Error *err = NULL;
    int ret;

    if (s->tx_fifo_depth < DESIGNWARE_I2C_FIFO_MIN ||
        s->tx_fifo_depth > DESIGNWARE_I2C_FIFO_MAX ||
        s->rx_fifo_depth < DESIGNWARE_I2C_FIFO_MIN ||
        s->rx_fifo_depth > DESIGNWARE_I2C_FIFO_MAX) {
        error_setg(errp, "tx-fifo-depth and rx-fifo-depth must be between "
                   "%d and %d", DESIGNWARE_I2C_FIFO_MIN,
                   DESIGNWARE_I2C_FIFO_MAX);
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);
    memory_region_init_io(&s->mmio, OBJECT(s), &dw_i2c_mmio_ops, s,
                          "designware-i2c", DW_I2C_MMIO_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);

    ret = msi_init(pdev, 0, 1, true, false, &err);
    if (ret == -ENOTSUP) {
        error_free(err);            /* no MSI on this machine: INTx only */
    } else if (ret) {
        error_propagate(errp, err);
        return;
    }

    /* Named after the id, if any, so that bus=<id> finds it */
    s->bus = i2c_init_bus(dev, dev->id);
    s->target.ctrl = s;
    if (!qdev_realize(DEVICE(&s->target), BUS(s->bus), errp)) {
        msi_uninit(pdev);
        return;
    }
    s->master_bh = qemu_bh_new_guarded(dw_i2c_master_bh, s,
                                       &dev->mem_reentrancy_guard);
    s->kick_bh = qemu_bh_new_guarded(dw_i2c_kick_bh, s,
                                     &dev->mem_reentrancy_guard);
    s->msi_retrigger = timer_new_ns(QEMU_CLOCK_VIRTUAL, dw_i2c_msi_retrigger,
                                    s);
    s->vm_state = qemu_add_vm_change_state_handler(dw_i2c_vm_state_change,
                                                   s);
}

static void dw_i2c_pci_exit(PCIDevice *pdev)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_PCI(pdev);

    if (s->master_state != DW_MASTER_IDLE) {
        i2c_end_transfer(s->bus);
        s->master_state = DW_MASTER_IDLE;
    }
    qemu_del_vm_change_state_handler(s->vm_state);
    qemu_bh_delete(s->master_bh);
    qemu_bh_delete(s->kick_bh);
    timer_free(s->msi_retrigger);
    msi_uninit(pdev);
}

static void dw_i2c_pci_init(Object *obj)
{
    DesignWareI2CState *s = DESIGNWARE_I2C_PCI(obj);

    object_initialize_child(obj, "target", &s->target,
                            TYPE_DESIGNWARE_I2C_TARGET);
}

static bool dw_i2c_vmstate_valid(void *opaque, int version_id)
{
    DesignWareI2CState *s = opaque;

    return s->tx_head < s->tx_fifo_depth &&
           s->tx_count <= s->tx_fifo_depth &&
           s->rx_head < s->rx_fifo_depth &&
           s->rx_count <= s->rx_fifo_depth &&
           s->rx_tl < s->rx_fifo_depth &&
           s->tx_tl < s->tx_fifo_depth &&
           s->master_state <= DW_MASTER_RECV &&
           s->target_state <= DW_TARGET_IGNORE &&
           s->target_hold <= DW_HOLD_BYTE;
}

static int dw_i2c_post_load(void *opaque, int version_id)
{
    DesignWareI2CState *s = opaque;

    s->owns_bus = false;
    s->master_queued = false;
    /*
     * Nothing that touches the bus or signals interrupts while devices
     * are still loading: kick_bh does the rest once the VM runs.
     */
    s->end_target_after_load = s->target_state != DW_TARGET_IDLE;
    s->kick_when_running = true;
    return 0;
}

static const VMStateDescription vmstate_dw_i2c = {
    .name = TYPE_DESIGNWARE_I2C_PCI,
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = dw_i2c_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, DesignWareI2CState),
        VMSTATE_UINT32(con, DesignWareI2CState),
        VMSTATE_UINT32(tar, DesignWareI2CState),
        VMSTATE_UINT32(sar, DesignWareI2CState),
        VMSTATE_UINT32(hs_maddr, DesignWareI2CState),
        VMSTATE_UINT32(ss_scl_hcnt, DesignWareI2CState),
        VMSTATE_UINT32(ss_scl_lcnt, DesignWareI2CState),
        VMSTATE_UINT32(fs_scl_hcnt, DesignWareI2CState),
        VMSTATE_UINT32(fs_scl_lcnt, DesignWareI2CState),
        VMSTATE_UINT32(hs_scl_hcnt, DesignWareI2CState),
        VMSTATE_UINT32(hs_scl_lcnt, DesignWareI2CState),
        VMSTATE_UINT32(intr_mask, DesignWareI2CState),
        VMSTATE_UINT32(rx_tl, DesignWareI2CState),
        VMSTATE_UINT32(tx_tl, DesignWareI2CState),
        VMSTATE_UINT32(enable, DesignWareI2CState),
        VMSTATE_UINT32(sda_hold, DesignWareI2CState),
        VMSTATE_UINT32(slv_data_nack_only, DesignWareI2CState),
        VMSTATE_UINT32(sda_setup, DesignWareI2CState),
        VMSTATE_UINT32(ack_general_call, DesignWareI2CState),
        VMSTATE_UINT32(fs_spklen, DesignWareI2CState),
        VMSTATE_UINT32(hs_spklen, DesignWareI2CState),
        VMSTATE_UINT32(raw_intr, DesignWareI2CState),
        VMSTATE_UINT32(tx_abrt_source, DesignWareI2CState),
        VMSTATE_UINT32(enable_status, DesignWareI2CState),
        VMSTATE_UINT16_ARRAY(tx_fifo, DesignWareI2CState,
                             DESIGNWARE_I2C_FIFO_MAX),
        VMSTATE_UINT32(tx_head, DesignWareI2CState),
        VMSTATE_UINT32(tx_count, DesignWareI2CState),
        VMSTATE_UINT16_ARRAY(rx_fifo, DesignWareI2CState,
                             DESIGNWARE_I2C_FIFO_MAX),
        VMSTATE_UINT32(rx_head, DesignWareI2CState),
        VMSTATE_UINT32(rx_count, DesignWareI2CState),
        VMSTATE_BOOL(rx_first, DesignWareI2CState),
        VMSTATE_UINT8(master_state, DesignWareI2CState),
        VMSTATE_UINT8(target_state, DesignWareI2CState),
        VMSTATE_UINT8(target_hold, DesignWareI2CState),
        VMSTATE_UINT8(target_held_byte, DesignWareI2CState),
        VMSTATE_BOOL(target_stop_pending, DesignWareI2CState),
        VMSTATE_BOOL(target_stop_unread, DesignWareI2CState),
        VMSTATE_UINT32(irq_pending, DesignWareI2CState),
        VMSTATE_VALIDATE("FIFO indices and states in range",
                         dw_i2c_vmstate_valid),
        VMSTATE_END_OF_LIST()
    }
};

static const Property dw_i2c_properties[] = {
    DEFINE_PROP_UINT32("tx-fifo-depth", DesignWareI2CState, tx_fifo_depth,
                       DESIGNWARE_I2C_FIFO_DEFAULT),
    DEFINE_PROP_UINT32("rx-fifo-depth", DesignWareI2CState, rx_fifo_depth,
                       DESIGNWARE_I2C_FIFO_DEFAULT),
};

static void dw_i2c_pci_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = dw_i2c_pci_realize;
    k->exit = dw_i2c_pci_exit;
    k->config_write = dw_i2c_pci_write_config;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = DW_I2C_PCI_DEVICE_ID;
    k->class_id = DW_I2C_PCI_CLASS;
    dc->desc = "Synopsys DesignWare I2C controller (Intel LPSS 8086:9c61)";
    dc->vmsd = &vmstate_dw_i2c;
    device_class_set_legacy_reset(dc, dw_i2c_reset);
    device_class_set_props(dc, dw_i2c_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const VMStateDescription vmstate_dw_i2c_target = {
    .name = TYPE_DESIGNWARE_I2C_TARGET,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_I2C_SLAVE(parent_obj, DesignWareI2CTarget),
        VMSTATE_END_OF_LIST()
    }
};

static void dw_i2c_target_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    I2CSlaveClass *sc = I2C_SLAVE_CLASS(klass);

    dc->desc = "DesignWare I2C controller as a target on its own bus";
    dc->user_creatable = false;
    dc->vmsd = &vmstate_dw_i2c_target;
    sc->match_and_add = dw_i2c_target_match;
    sc->event = dw_i2c_target_event;
    sc->send = dw_i2c_target_send;
    sc->send_async = dw_i2c_target_send_async;
    sc->recv = dw_i2c_target_recv;
}

static const TypeInfo dw_i2c_types[] = {
    {
        .name = TYPE_DESIGNWARE_I2C_PCI,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(DesignWareI2CState),
        .instance_init = dw_i2c_pci_init,
        .class_init = dw_i2c_pci_class_init,
        .interfaces = (const InterfaceInfo[]) {
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { }
        },
    },
    {
        .name = TYPE_DESIGNWARE_I2C_TARGET,
        .parent = TYPE_I2C_SLAVE,
        .instance_size = sizeof(DesignWareI2CTarget),
        .class_init = dw_i2c_target_class_init,
    },
};

DEFINE_TYPES(dw_i2c_types)
