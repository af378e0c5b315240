/*
 * Synopsys DesignWare I2C controller (DW_apb_i2c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The DW_apb_i2c register block (one MMIO region) with one interrupt
 * line.  One I2C bus, "i2c", hangs off the controller.
 *
 * Master: IC_DATA_CMD commands (a byte to send, or CMD for a byte to
 * read, with STOP and RESTART) run on the bus as the guest writes them,
 * with the synchronous I2C calls; a read waits while the RX FIFO is
 * full.  A NAK aborts (TX_ABRT, IC_TX_ABRT_SOURCE) and flushes the TX
 * FIFO, which then drops writes until TX_ABRT is cleared.  Without STOP
 * the transfer stays open (IC_EMPTYFIFO_HOLD_MASTER_EN behaviour, which
 * Linux assumes).
 *
 * Target (slave) mode is not supported: enabling the controller with
 * IC_CON.MASTER_MODE clear is refused.
 *
 * Interrupts are signalled only while IC_ENABLE is set, as Linux's
 * handlers ignore them otherwise.
 *
 * Not modelled: 10-bit addressing (aborted), START byte, SMBus and DMA
 * registers, bus timing (the count registers are stored only).
 */

#include "qemu/osdep.h"
#include "hw/i2c/designware_i2c.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "trace.h"

REG32(IC_CON, 0x00)
    FIELD(IC_CON, MASTER_MODE, 0, 1)
    FIELD(IC_CON, SPEED, 1, 2)
    FIELD(IC_CON, IC_10BITADDR_SLAVE, 3, 1)
    FIELD(IC_CON, IC_10BITADDR_MASTER, 4, 1)
    FIELD(IC_CON, IC_RESTART_EN, 5, 1)
    FIELD(IC_CON, IC_SLAVE_DISABLE, 6, 1)
    FIELD(IC_CON, RX_FIFO_FULL_HLD_CTRL, 9, 1)
REG32(IC_TAR, 0x04)
    FIELD(IC_TAR, IC_TAR, 0, 10)
    FIELD(IC_TAR, GC_OR_START, 10, 1)
    FIELD(IC_TAR, SPECIAL, 11, 1)
    FIELD(IC_TAR, IC_10BITADDR_MASTER, 12, 1)
REG32(IC_SAR, 0x08)
REG32(IC_HS_MADDR, 0x0c)
REG32(IC_DATA_CMD, 0x10)
    FIELD(IC_DATA_CMD, DAT, 0, 8)
    FIELD(IC_DATA_CMD, CMD, 8, 1)
    FIELD(IC_DATA_CMD, STOP, 9, 1)
    FIELD(IC_DATA_CMD, RESTART, 10, 1)
    FIELD(IC_DATA_CMD, FIRST_DATA_BYTE, 11, 1)
REG32(IC_SS_SCL_HCNT, 0x14)
REG32(IC_SS_SCL_LCNT, 0x18)
REG32(IC_FS_SCL_HCNT, 0x1c)
REG32(IC_FS_SCL_LCNT, 0x20)
REG32(IC_HS_SCL_HCNT, 0x24)
REG32(IC_HS_SCL_LCNT, 0x28)
REG32(IC_INTR_STAT, 0x2c)
REG32(IC_INTR_MASK, 0x30)
REG32(IC_RAW_INTR_STAT, 0x34)
REG32(IC_RX_TL, 0x38)
REG32(IC_TX_TL, 0x3c)
REG32(IC_CLR_INTR, 0x40)
REG32(IC_CLR_RX_UNDER, 0x44)
REG32(IC_CLR_RX_OVER, 0x48)
REG32(IC_CLR_TX_OVER, 0x4c)
REG32(IC_CLR_RD_REQ, 0x50)
REG32(IC_CLR_TX_ABRT, 0x54)
REG32(IC_CLR_RX_DONE, 0x58)
REG32(IC_CLR_ACTIVITY, 0x5c)
REG32(IC_CLR_STOP_DET, 0x60)
REG32(IC_CLR_START_DET, 0x64)
REG32(IC_CLR_GEN_CALL, 0x68)
REG32(IC_ENABLE, 0x6c)
    FIELD(IC_ENABLE, ENABLE, 0, 1)
    FIELD(IC_ENABLE, ABORT, 1, 1)
REG32(IC_STATUS, 0x70)
    FIELD(IC_STATUS, ACTIVITY, 0, 1)
    FIELD(IC_STATUS, TFNF, 1, 1)
    FIELD(IC_STATUS, TFE, 2, 1)
    FIELD(IC_STATUS, RFNE, 3, 1)
    FIELD(IC_STATUS, RFF, 4, 1)
    FIELD(IC_STATUS, MST_ACTIVITY, 5, 1)
    FIELD(IC_STATUS, SLV_ACTIVITY, 6, 1)
    FIELD(IC_STATUS, MST_HOLD_TX_FIFO_EMPTY, 7, 1)
    FIELD(IC_STATUS, MST_HOLD_RX_FIFO_FULL, 8, 1)
    FIELD(IC_STATUS, SLV_HOLD_RX_FIFO_FULL, 10, 1)
REG32(IC_TXFLR, 0x74)
REG32(IC_RXFLR, 0x78)
REG32(IC_SDA_HOLD, 0x7c)
REG32(IC_TX_ABRT_SOURCE, 0x80)
    FIELD(IC_TX_ABRT_SOURCE, TX_FLUSH_CNT, 23, 9)
REG32(IC_SLV_DATA_NACK_ONLY, 0x84)
REG32(IC_SDA_SETUP, 0x94)
REG32(IC_ACK_GENERAL_CALL, 0x98)
REG32(IC_ENABLE_STATUS, 0x9c)
    FIELD(IC_ENABLE_STATUS, IC_EN, 0, 1)
    FIELD(IC_ENABLE_STATUS, SLV_DISABLED_WHILE_BUSY, 1, 1)
    FIELD(IC_ENABLE_STATUS, SLV_RX_DATA_LOST, 2, 1)
REG32(IC_FS_SPKLEN, 0xa0)
REG32(IC_HS_SPKLEN, 0xa4)
REG32(IC_CLR_RESTART_DET, 0xa8)
REG32(IC_SMBUS_INTR_STAT, 0xc8)
REG32(IC_SMBUS_INTR_MASK, 0xcc)
REG32(IC_SMBUS_RAW_INTR_STAT, 0xd0)
REG32(IC_CLR_SMBUS_INTR, 0xd4)
REG32(IC_COMP_PARAM_1, 0xf4)
REG32(IC_COMP_VERSION, 0xf8)
REG32(IC_COMP_TYPE, 0xfc)

/* IC_CON */
#define CON_MASTER                  R_IC_CON_MASTER_MODE_MASK
#define CON_SPEED_HIGH              3
#define CON_10BITADDR_SLAVE         R_IC_CON_IC_10BITADDR_SLAVE_MASK
#define CON_10BITADDR_MASTER        R_IC_CON_IC_10BITADDR_MASTER_MASK
#define CON_RESTART_EN              R_IC_CON_IC_RESTART_EN_MASK
#define CON_SLAVE_DISABLE           R_IC_CON_IC_SLAVE_DISABLE_MASK
#define CON_RX_FIFO_FULL_HLD_CTRL   R_IC_CON_RX_FIFO_FULL_HLD_CTRL_MASK
#define CON_WRITABLE                0x7ff
#define CON_RESET                   (CON_MASTER | \
                                     (2 << R_IC_CON_SPEED_SHIFT) | \
                                     CON_RESTART_EN | CON_SLAVE_DISABLE)

/* IC_TAR, IC_SAR */
#define TAR_ADDR_7BIT               0x7f
#define TAR_WRITABLE                0x1fff
#define SAR_WRITABLE                0x3ff
#define ADDR_RESET                  0x55

/* IC_DATA_CMD */
#define DATA_CMD_DAT                R_IC_DATA_CMD_DAT_MASK
#define DATA_CMD_CMD                R_IC_DATA_CMD_CMD_MASK
#define DATA_CMD_STOP               R_IC_DATA_CMD_STOP_MASK
#define DATA_CMD_RESTART            R_IC_DATA_CMD_RESTART_MASK
#define DATA_CMD_FIRST_DATA_BYTE    R_IC_DATA_CMD_FIRST_DATA_BYTE_MASK

/* Interrupt bits (IC_INTR_STAT, IC_INTR_MASK, IC_RAW_INTR_STAT) */
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
#define ENABLE_ENABLE               R_IC_ENABLE_ENABLE_MASK
#define ENABLE_ABORT                R_IC_ENABLE_ABORT_MASK
#define ENABLE_STATUS_SLV_DISABLED_WHILE_BUSY \
    R_IC_ENABLE_STATUS_SLV_DISABLED_WHILE_BUSY_MASK
#define ENABLE_STATUS_SLV_RX_DATA_LOST R_IC_ENABLE_STATUS_SLV_RX_DATA_LOST_MASK

/* IC_TX_ABRT_SOURCE */
#define ABRT_7B_ADDR_NOACK          BIT(0)
#define ABRT_10ADDR1_NOACK          BIT(1)
#define ABRT_TXDATA_NOACK           BIT(3)
#define ABRT_GCALL_NOACK            BIT(4)
#define ABRT_GCALL_READ             BIT(5)
#define ABRT_USER_ABRT              BIT(16)

/* IC_COMP_PARAM_1: 32-bit APB, high speed, encoded parameters */
#define COMP_PARAM_1_BASE           (2 | (CON_SPEED_HIGH << 2) | BIT(7))
#define COMP_VERSION_1_11A          0x3131312a  /* "111*": has IC_SDA_HOLD */
#define COMP_TYPE_DW                0x44570140

/* Minimums of the timing registers */
#define SCL_HCNT_MIN                6
#define SCL_LCNT_MIN                8
#define SDA_SETUP_MIN               2
#define SPKLEN_MIN                  1

typedef enum DWMasterState {
    DW_MASTER_IDLE,
    DW_MASTER_SEND,
    DW_MASTER_RECV,
} DWMasterState;

static void dw_i2c_update_irq(DesignWareI2CState *s);
static void dw_i2c_master_process(DesignWareI2CState *s);

static bool dw_i2c_enabled(DesignWareI2CState *s)
{
    return s->regs[R_IC_ENABLE] & ENABLE_ENABLE;
}

static bool dw_i2c_master_mode(DesignWareI2CState *s)
{
    return s->regs[R_IC_CON] & CON_MASTER;
}

static void dw_i2c_raise(DesignWareI2CState *s, uint32_t bits)
{
    s->regs[R_IC_RAW_INTR_STAT] |= bits;
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
    uint32_t raw = s->regs[R_IC_RAW_INTR_STAT];

    if (s->rx_count > s->regs[R_IC_RX_TL]) {
        raw |= INTR_RX_FULL;
    }
    if (dw_i2c_enabled(s)) {
        if (s->tx_count <= s->regs[R_IC_TX_TL]) {
            raw |= INTR_TX_EMPTY;
        }
    }
    return raw;
}

/* Called on every register access and byte: cheap when nothing changed */
static void dw_i2c_update_irq(DesignWareI2CState *s)
{
    uint32_t pending = 0;

    if (dw_i2c_enabled(s)) {
        pending = dw_i2c_raw_intr(s) & s->regs[R_IC_INTR_MASK];
    }
    if (pending == s->irq_pending) {
        return;
    }
    trace_designware_i2c_irq(pending);
    if (!pending != !s->irq_pending) {
        qemu_set_irq(s->irq, pending != 0);
    }
    s->irq_pending = pending;
}

/* Master */

/* STOP */
static void dw_i2c_master_stop(DesignWareI2CState *s)
{
    trace_designware_i2c_master_stop();
    i2c_end_transfer(s->bus);
    s->master_state = DW_MASTER_IDLE;
    dw_i2c_raise(s, INTR_STOP_DET);
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
    s->regs[R_IC_TX_ABRT_SOURCE] =
        FIELD_DP32(source, IC_TX_ABRT_SOURCE, TX_FLUSH_CNT, flushed);
    dw_i2c_raise(s, INTR_TX_ABRT);
}

/*
 * START or repeated START to IC_TAR in direction @recv.  False if the
 * transfer was aborted.
 */
static bool dw_i2c_master_start(DesignWareI2CState *s, bool recv)
{
    uint32_t tar = s->regs[R_IC_TAR];
    bool first = s->master_state == DW_MASTER_IDLE;
    uint8_t addr = tar & TAR_ADDR_7BIT;

    if (FIELD_EX32(tar, IC_TAR, IC_10BITADDR_MASTER) ||
        (s->regs[R_IC_CON] & CON_10BITADDR_MASTER)) {
        qemu_log_mask(LOG_UNIMP, "%s: 10-bit addressing is not supported\n",
                      TYPE_DESIGNWARE_I2C);
        dw_i2c_master_abort(s, ABRT_10ADDR1_NOACK);
        return false;
    }
    if (FIELD_EX32(tar, IC_TAR, SPECIAL)) {
        if (FIELD_EX32(tar, IC_TAR, GC_OR_START)) {
            qemu_log_mask(LOG_UNIMP, "%s: START byte is not supported, "
                          "addressing 0x%02x without it\n",
                          TYPE_DESIGNWARE_I2C, addr);
        } else if (recv) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: read after a general call\n",
                          TYPE_DESIGNWARE_I2C);
            dw_i2c_master_abort(s, ABRT_GCALL_READ);
            return false;
        } else {
            addr = 0;       /* general call: broadcast */
        }
    }

    if (!first && !(s->regs[R_IC_CON] & CON_RESTART_EN)) {
        /* No RESTART: STOP, then START */
        i2c_end_transfer(s->bus);
        dw_i2c_raise(s, INTR_STOP_DET);
    }
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

/* Run the TX FIFO's commands; bounded by the FIFO's contents */
static void dw_i2c_master_process(DesignWareI2CState *s)
{
    while (s->tx_count && dw_i2c_enabled(s) && dw_i2c_master_mode(s) &&
           !(s->regs[R_IC_RAW_INTR_STAT] & INTR_TX_ABRT)) {
        uint16_t cmd = dw_i2c_tx_peek(s);

        if ((cmd & DATA_CMD_CMD) && s->rx_count >= s->rx_fifo_depth) {
            break;          /* hold the read until the guest makes room */
        }
        dw_i2c_master_exec(s, dw_i2c_tx_pop(s));
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

/* Registers */

static DesignWareI2CState *dw_i2c_of(RegisterInfo *reg)
{
    return DESIGNWARE_I2C(reg->opaque);
}

static uint32_t dw_i2c_status(DesignWareI2CState *s)
{
    uint32_t st = 0;
    bool mst;

    if (s->tx_count < s->tx_fifo_depth) {
        st |= R_IC_STATUS_TFNF_MASK;
    }
    if (!s->tx_count) {
        st |= R_IC_STATUS_TFE_MASK;
    }
    if (s->rx_count) {
        st |= R_IC_STATUS_RFNE_MASK;
    }
    if (s->rx_count == s->rx_fifo_depth) {
        st |= R_IC_STATUS_RFF_MASK;
    }
    mst = s->master_state != DW_MASTER_IDLE ||
          (dw_i2c_enabled(s) && dw_i2c_master_mode(s) && s->tx_count &&
           !(s->regs[R_IC_RAW_INTR_STAT] & INTR_TX_ABRT));
    if (mst) {
        st |= R_IC_STATUS_MST_ACTIVITY_MASK | R_IC_STATUS_ACTIVITY_MASK;
    }
    if (s->master_state != DW_MASTER_IDLE && !s->tx_count) {
        st |= R_IC_STATUS_MST_HOLD_TX_FIFO_EMPTY_MASK;
    }
    if (mst && s->tx_count && (dw_i2c_tx_peek(s) & DATA_CMD_CMD) &&
        s->rx_count == s->rx_fifo_depth) {
        st |= R_IC_STATUS_MST_HOLD_RX_FIFO_FULL_MASK;
    }
    return st;
}

/* Read of an IC_CLR_* register: 1 if one of its bits was set */
static uint64_t dw_i2c_clr_post_read(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint32_t bits, was;

    switch (reg->access->addr) {
    case A_IC_CLR_INTR:
        bits = INTR_LATCHED;
        break;
    case A_IC_CLR_RX_UNDER:
        bits = INTR_RX_UNDER;
        break;
    case A_IC_CLR_RX_OVER:
        bits = INTR_RX_OVER;
        break;
    case A_IC_CLR_TX_OVER:
        bits = INTR_TX_OVER;
        break;
    case A_IC_CLR_TX_ABRT:
        bits = INTR_TX_ABRT;
        break;
    case A_IC_CLR_STOP_DET:
        bits = INTR_STOP_DET;
        break;
    default:
        g_assert_not_reached();
    }

    was = s->regs[R_IC_RAW_INTR_STAT] & bits;
    s->regs[R_IC_RAW_INTR_STAT] &= ~bits;
    if (bits & INTR_TX_ABRT) {
        s->regs[R_IC_TX_ABRT_SOURCE] = 0;
    }
    return was != 0;
}

static uint64_t dw_i2c_data_cmd_post_read(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint32_t data;

    if (!s->rx_count) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of an empty RX FIFO\n",
                      TYPE_DESIGNWARE_I2C);
        dw_i2c_raise(s, INTR_RX_UNDER);
        return 0;
    }
    data = dw_i2c_rx_pop(s);
    dw_i2c_master_process(s);       /* a read held by a full RX FIFO */
    return data;
}

static uint64_t dw_i2c_data_cmd_pre_write(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint16_t cmd = val & (DATA_CMD_DAT | DATA_CMD_CMD | DATA_CMD_STOP |
                          DATA_CMD_RESTART);

    if (!dw_i2c_enabled(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_DATA_CMD write while disabled "
                      "dropped\n", TYPE_DESIGNWARE_I2C);
        return 0;
    }
    if (dw_i2c_master_mode(s) &&
        (s->regs[R_IC_RAW_INTR_STAT] & INTR_TX_ABRT)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_DATA_CMD write dropped: the TX "
                      "FIFO stays flushed until TX_ABRT is cleared\n",
                      TYPE_DESIGNWARE_I2C);
        return 0;
    }
    if (s->tx_count >= s->tx_fifo_depth) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: TX FIFO overflow\n",
                      TYPE_DESIGNWARE_I2C);
        dw_i2c_raise(s, INTR_TX_OVER);
        return 0;
    }
    dw_i2c_tx_push(s, cmd);
    dw_i2c_master_process(s);
    return 0;                       /* reads come from the RX FIFO */
}

static void dw_i2c_disable(DesignWareI2CState *s)
{
    if (s->master_state != DW_MASTER_IDLE) {
        dw_i2c_master_stop(s);
    }
    s->tx_head = s->tx_count = 0;
    s->rx_head = s->rx_count = 0;
}

static uint64_t dw_i2c_enable_pre_write(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    bool was = dw_i2c_enabled(s);
    uint32_t unsupported = val & ~(uint64_t)(ENABLE_ENABLE | ENABLE_ABORT);

    if (unsupported) {
        qemu_log_mask(LOG_UNIMP, "%s: IC_ENABLE bits 0x%x not supported\n",
                      TYPE_DESIGNWARE_I2C, unsupported);
    }
    if ((val & ENABLE_ENABLE) && !was && !dw_i2c_master_mode(s)) {
        qemu_log_mask(LOG_UNIMP, "%s: slave mode is not supported\n",
                      TYPE_DESIGNWARE_I2C);
        val &= ~(uint64_t)ENABLE_ENABLE;
    }
    s->regs[R_IC_ENABLE] = val & ENABLE_ENABLE;
    if (val & ENABLE_ABORT) {
        if (was && dw_i2c_enabled(s)) {
            dw_i2c_user_abort(s);   /* completes at once: ABORT reads 0 */
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_ENABLE.ABORT needs the "
                          "controller enabled\n", TYPE_DESIGNWARE_I2C);
        }
    }
    if (was && !dw_i2c_enabled(s)) {
        dw_i2c_disable(s);
    }
    return s->regs[R_IC_ENABLE];
}

static uint64_t dw_i2c_enable_status_post_read(RegisterInfo *reg,
                                               uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);

    return val | (s->regs[R_IC_ENABLE] & ENABLE_ENABLE);
}

/*
 * Registers the guest may change only while the controller is disabled,
 * with the minimum values the IP enforces.
 */
static uint64_t dw_i2c_static_pre_write(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint32_t old = s->regs[reg->access->addr / 4];

    if (dw_i2c_enabled(s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s is read-only while the "
                      "controller is enabled\n", TYPE_DESIGNWARE_I2C,
                      reg->access->name);
        return old;
    }
    switch (reg->access->addr) {
    case A_IC_SS_SCL_HCNT:
    case A_IC_FS_SCL_HCNT:
    case A_IC_HS_SCL_HCNT:
        return MAX(val, SCL_HCNT_MIN);
    case A_IC_SS_SCL_LCNT:
    case A_IC_FS_SCL_LCNT:
    case A_IC_HS_SCL_LCNT:
        return MAX(val, SCL_LCNT_MIN);
    case A_IC_SDA_SETUP:
        return MAX(val, SDA_SETUP_MIN);
    case A_IC_FS_SPKLEN:
    case A_IC_HS_SPKLEN:
        return MAX(val, SPKLEN_MIN);
    default:
        return val;
    }
}

static uint64_t dw_i2c_con_pre_write(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint32_t con = s->regs[R_IC_CON];

    if (dw_i2c_enabled(s)) {
        /* Only SLAVE_DISABLE may change (Linux sets it on shutdown) */
        if ((val ^ con) & ~CON_SLAVE_DISABLE) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: IC_CON written while "
                          "enabled: only SLAVE_DISABLE changes\n",
                          TYPE_DESIGNWARE_I2C);
        }
        val = (con & ~CON_SLAVE_DISABLE) | (val & CON_SLAVE_DISABLE);
    }
    if (!FIELD_EX32(val, IC_CON, SPEED)) {
        /* An illegal speed becomes the highest supported one */
        val = FIELD_DP32(val, IC_CON, SPEED, CON_SPEED_HIGH);
    }
    return val;
}

/* IC_RX_TL, IC_TX_TL: clipped to the FIFO */
static uint64_t dw_i2c_tl_pre_write(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);
    uint32_t depth = reg->access->addr == A_IC_RX_TL ? s->rx_fifo_depth :
                                                       s->tx_fifo_depth;

    return MIN(val, depth - 1);
}

static uint64_t dw_i2c_intr_stat_post_read(RegisterInfo *reg, uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);

    return dw_i2c_raw_intr(s) & s->regs[R_IC_INTR_MASK];
}

static uint64_t dw_i2c_raw_intr_stat_post_read(RegisterInfo *reg,
                                               uint64_t val)
{
    return dw_i2c_raw_intr(dw_i2c_of(reg));
}

static uint64_t dw_i2c_status_post_read(RegisterInfo *reg, uint64_t val)
{
    return dw_i2c_status(dw_i2c_of(reg));
}

static uint64_t dw_i2c_txflr_post_read(RegisterInfo *reg, uint64_t val)
{
    return dw_i2c_of(reg)->tx_count;
}

static uint64_t dw_i2c_rxflr_post_read(RegisterInfo *reg, uint64_t val)
{
    return dw_i2c_of(reg)->rx_count;
}

static uint64_t dw_i2c_comp_param_1_post_read(RegisterInfo *reg,
                                              uint64_t val)
{
    DesignWareI2CState *s = dw_i2c_of(reg);

    return COMP_PARAM_1_BASE | ((s->rx_fifo_depth - 1) << 8) |
           ((s->tx_fifo_depth - 1) << 16);
}

#define DW_RO       0xffffffff

static const RegisterAccessInfo dw_i2c_regs_info[] = {
    {   .name = "IC_CON", .addr = A_IC_CON,
        .reset = CON_RESET, .ro = ~CON_WRITABLE,
        .pre_write = dw_i2c_con_pre_write,
    },{ .name = "IC_TAR", .addr = A_IC_TAR,
        .reset = ADDR_RESET, .ro = ~TAR_WRITABLE,
    },{ .name = "IC_SAR", .addr = A_IC_SAR,
        .reset = ADDR_RESET, .ro = ~SAR_WRITABLE,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_HS_MADDR", .addr = A_IC_HS_MADDR,
        .reset = 1, .ro = ~7u,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_DATA_CMD", .addr = A_IC_DATA_CMD,
        .pre_write = dw_i2c_data_cmd_pre_write,
        .post_read = dw_i2c_data_cmd_post_read,
    },{ .name = "IC_SS_SCL_HCNT", .addr = A_IC_SS_SCL_HCNT,
        .reset = 0x190, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_SS_SCL_LCNT", .addr = A_IC_SS_SCL_LCNT,
        .reset = 0x1d6, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_FS_SCL_HCNT", .addr = A_IC_FS_SCL_HCNT,
        .reset = 0x3c, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_FS_SCL_LCNT", .addr = A_IC_FS_SCL_LCNT,
        .reset = 0x82, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_HS_SCL_HCNT", .addr = A_IC_HS_SCL_HCNT,
        .reset = 0x6, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_HS_SCL_LCNT", .addr = A_IC_HS_SCL_LCNT,
        .reset = 0x10, .ro = 0xffff0000,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_INTR_STAT", .addr = A_IC_INTR_STAT,
        .ro = DW_RO,
        .post_read = dw_i2c_intr_stat_post_read,
    },{ .name = "IC_INTR_MASK", .addr = A_IC_INTR_MASK,
        .reset = INTR_MASK_RESET, .ro = ~INTR_ALL,
    },{ .name = "IC_RAW_INTR_STAT", .addr = A_IC_RAW_INTR_STAT,
        .ro = DW_RO,
        .post_read = dw_i2c_raw_intr_stat_post_read,
    },{ .name = "IC_RX_TL", .addr = A_IC_RX_TL,
        .ro = 0xffffff00,
        .pre_write = dw_i2c_tl_pre_write,
    },{ .name = "IC_TX_TL", .addr = A_IC_TX_TL,
        .ro = 0xffffff00,
        .pre_write = dw_i2c_tl_pre_write,
    },{ .name = "IC_CLR_INTR", .addr = A_IC_CLR_INTR,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_CLR_RX_UNDER", .addr = A_IC_CLR_RX_UNDER,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_CLR_RX_OVER", .addr = A_IC_CLR_RX_OVER,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_CLR_TX_OVER", .addr = A_IC_CLR_TX_OVER,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_CLR_TX_ABRT", .addr = A_IC_CLR_TX_ABRT,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_CLR_STOP_DET", .addr = A_IC_CLR_STOP_DET,
        .ro = DW_RO, .post_read = dw_i2c_clr_post_read,
    },{ .name = "IC_ENABLE", .addr = A_IC_ENABLE,
        .pre_write = dw_i2c_enable_pre_write,
    },{ .name = "IC_STATUS", .addr = A_IC_STATUS,
        .ro = DW_RO, .post_read = dw_i2c_status_post_read,
    },{ .name = "IC_TXFLR", .addr = A_IC_TXFLR,
        .ro = DW_RO, .post_read = dw_i2c_txflr_post_read,
    },{ .name = "IC_RXFLR", .addr = A_IC_RXFLR,
        .ro = DW_RO, .post_read = dw_i2c_rxflr_post_read,
    },{ .name = "IC_SDA_HOLD", .addr = A_IC_SDA_HOLD,
        .reset = 0x1, .ro = 0xff000000,
    },{ .name = "IC_TX_ABRT_SOURCE", .addr = A_IC_TX_ABRT_SOURCE,
        .ro = DW_RO,
    },{ .name = "IC_SLV_DATA_NACK_ONLY", .addr = A_IC_SLV_DATA_NACK_ONLY,
        .ro = ~1u,
    },{ .name = "IC_SDA_SETUP", .addr = A_IC_SDA_SETUP,
        .reset = 0x64, .ro = 0xffffff00,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_ACK_GENERAL_CALL", .addr = A_IC_ACK_GENERAL_CALL,
        .reset = 1, .ro = ~1u,
    },{ .name = "IC_ENABLE_STATUS", .addr = A_IC_ENABLE_STATUS,
        .ro = DW_RO, .post_read = dw_i2c_enable_status_post_read,
    },{ .name = "IC_FS_SPKLEN", .addr = A_IC_FS_SPKLEN,
        .reset = 0x5, .ro = 0xffffff00,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_HS_SPKLEN", .addr = A_IC_HS_SPKLEN,
        .reset = 0x1, .ro = 0xffffff00,
        .pre_write = dw_i2c_static_pre_write,
    },{ .name = "IC_SMBUS_INTR_STAT", .addr = A_IC_SMBUS_INTR_STAT,
        .ro = DW_RO,
    },{ .name = "IC_SMBUS_INTR_MASK", .addr = A_IC_SMBUS_INTR_MASK,
        .ro = DW_RO,    /* no SMBus features: reads as zero */
    },{ .name = "IC_SMBUS_RAW_INTR_STAT", .addr = A_IC_SMBUS_RAW_INTR_STAT,
        .ro = DW_RO,
    },{ .name = "IC_CLR_SMBUS_INTR", .addr = A_IC_CLR_SMBUS_INTR,
        .ro = DW_RO,
    },{ .name = "IC_COMP_PARAM_1", .addr = A_IC_COMP_PARAM_1,
        .ro = DW_RO, .post_read = dw_i2c_comp_param_1_post_read,
    },{ .name = "IC_COMP_VERSION", .addr = A_IC_COMP_VERSION,
        .reset = COMP_VERSION_1_11A, .ro = DW_RO,
    },{ .name = "IC_COMP_TYPE", .addr = A_IC_COMP_TYPE,
        .reset = COMP_TYPE_DW, .ro = DW_RO,
    }
};

static DesignWareI2CState *dw_i2c_of_array(void *opaque)
{
    RegisterInfoArray *ra = opaque;

    return DESIGNWARE_I2C(ra->r[0]->opaque);
}

static uint64_t dw_i2c_read(void *opaque, hwaddr addr, unsigned size)
{
    DesignWareI2CState *s = dw_i2c_of_array(opaque);
    uint64_t val = register_read_memory(opaque, addr, size);

    trace_designware_i2c_read(addr, val);
    dw_i2c_update_irq(s);
    return val;
}

static void dw_i2c_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    DesignWareI2CState *s = dw_i2c_of_array(opaque);

    trace_designware_i2c_write(addr, val);
    register_write_memory(opaque, addr, val, size);
    dw_i2c_update_irq(s);
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

static void dw_i2c_reset_hold(Object *obj, ResetType type)
{
    DesignWareI2CState *s = DESIGNWARE_I2C(obj);
    unsigned i;

    /* End our transfer on the bus */
    if (s->master_state != DW_MASTER_IDLE) {
        i2c_end_transfer(s->bus);
        s->master_state = DW_MASTER_IDLE;
    }

    for (i = 0; i < ARRAY_SIZE(s->regs_info); i++) {
        register_reset(&s->regs_info[i]);
    }
    s->tx_head = s->tx_count = 0;
    s->rx_head = s->rx_count = 0;
    s->rx_first = false;
    /* Disabled: nothing pending */
    s->irq_pending = 0;
    qemu_irq_lower(s->irq);
}

static void dw_i2c_realize(DeviceState *dev, Error **errp)
{
    DesignWareI2CState *s = DESIGNWARE_I2C(dev);

    if (s->tx_fifo_depth < DESIGNWARE_I2C_FIFO_MIN ||
        s->tx_fifo_depth > DESIGNWARE_I2C_FIFO_MAX ||
        s->rx_fifo_depth < DESIGNWARE_I2C_FIFO_MIN ||
        s->rx_fifo_depth > DESIGNWARE_I2C_FIFO_MAX) {
        error_setg(errp, "tx-fifo-depth and rx-fifo-depth must be between "
                   "%d and %d", DESIGNWARE_I2C_FIFO_MIN,
                   DESIGNWARE_I2C_FIFO_MAX);
        return;
    }

    s->bus = i2c_init_bus(dev, "i2c");
}

static void dw_i2c_unrealize(DeviceState *dev)
{
    DesignWareI2CState *s = DESIGNWARE_I2C(dev);

    if (s->master_state != DW_MASTER_IDLE) {
        i2c_end_transfer(s->bus);
        s->master_state = DW_MASTER_IDLE;
    }
}

static void dw_i2c_init(Object *obj)
{
    DesignWareI2CState *s = DESIGNWARE_I2C(obj);
    SysBusDevice *sbd = SYS_BUS_DEVICE(obj);

    s->reg_array = register_init_block32(DEVICE(obj), dw_i2c_regs_info,
                                         ARRAY_SIZE(dw_i2c_regs_info),
                                         s->regs_info, s->regs,
                                         &dw_i2c_mmio_ops, false,
                                         DESIGNWARE_I2C_MMIO_SIZE);
    sysbus_init_mmio(sbd, &s->reg_array->mem);
    sysbus_init_irq(sbd, &s->irq);
}

static const Property dw_i2c_properties[] = {
    DEFINE_PROP_UINT32("tx-fifo-depth", DesignWareI2CState, tx_fifo_depth,
                       DESIGNWARE_I2C_FIFO_DEFAULT),
    DEFINE_PROP_UINT32("rx-fifo-depth", DesignWareI2CState, rx_fifo_depth,
                       DESIGNWARE_I2C_FIFO_DEFAULT),
};

static void dw_i2c_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "Synopsys DesignWare I2C controller";
    dc->realize = dw_i2c_realize;
    dc->unrealize = dw_i2c_unrealize;
    rc->phases.hold = dw_i2c_reset_hold;
    device_class_set_props(dc, dw_i2c_properties);
}

static const TypeInfo dw_i2c_types[] = {
    {
        .name = TYPE_DESIGNWARE_I2C,
        .parent = TYPE_SYS_BUS_DEVICE,
        .instance_size = sizeof(DesignWareI2CState),
        .instance_init = dw_i2c_init,
        .class_init = dw_i2c_class_init,
    },
};

DEFINE_TYPES(dw_i2c_types)
