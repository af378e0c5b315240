/*
 * Synopsys DesignWare I2C controller (DW_apb_i2c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_I2C_DESIGNWARE_I2C_H
#define HW_I2C_DESIGNWARE_I2C_H

#include "hw/i2c/i2c.h"
#include "hw/register.h"
#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_DESIGNWARE_I2C "designware-i2c"
OBJECT_DECLARE_SIMPLE_TYPE(DesignWareI2CState, DESIGNWARE_I2C)

#define DESIGNWARE_I2C_MMIO_SIZE        0x1000
/* Registers up to IC_COMP_TYPE (0xfc) */
#define DESIGNWARE_I2C_NUM_REGS         (0x100 / 4)

/* FIFO depths the DW_apb_i2c IP can be built with, and the default */
#define DESIGNWARE_I2C_FIFO_MIN         2
#define DESIGNWARE_I2C_FIFO_MAX         256
#define DESIGNWARE_I2C_FIFO_DEFAULT     16

struct DesignWareI2CState {
    SysBusDevice parent_obj;

    RegisterInfoArray *reg_array;
    qemu_irq irq;
    I2CBus *bus;

    /* Properties */
    uint32_t tx_fifo_depth;
    uint32_t rx_fifo_depth;

    /*
     * Registers.  IC_RAW_INTR_STAT holds the latched interrupt bits,
     * IC_ENABLE_STATUS bit 0 follows IC_ENABLE.
     */
    uint32_t regs[DESIGNWARE_I2C_NUM_REGS];
    RegisterInfo regs_info[DESIGNWARE_I2C_NUM_REGS];

    /* TX FIFO: IC_DATA_CMD commands (data, CMD, STOP, RESTART) */
    uint16_t tx_fifo[DESIGNWARE_I2C_FIFO_MAX];
    uint32_t tx_head;
    uint32_t tx_count;
    /* RX FIFO: data and the FIRST_DATA_BYTE flag */
    uint16_t rx_fifo[DESIGNWARE_I2C_FIFO_MAX];
    uint32_t rx_head;
    uint32_t rx_count;
    /* Next byte received is the first after an address phase */
    bool rx_first;

    /* Master side: DWMasterState */
    uint8_t master_state;

    /* Pending interrupts last signalled */
    uint32_t irq_pending;
};

#endif
