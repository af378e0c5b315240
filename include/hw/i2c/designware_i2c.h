/*
 * Synopsys DesignWare I2C controller (DW_apb_i2c) on PCI
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_I2C_DESIGNWARE_I2C_H
#define HW_I2C_DESIGNWARE_I2C_H

#include "hw/i2c/i2c.h"
#include "hw/pci/pci_device.h"
#include "qom/object.h"

#define TYPE_DESIGNWARE_I2C_PCI "designware-i2c-pci"
OBJECT_DECLARE_SIMPLE_TYPE(DesignWareI2CState, DESIGNWARE_I2C_PCI)

/* The controller as a target on its own bus (not user creatable) */
#define TYPE_DESIGNWARE_I2C_TARGET "designware-i2c-target"
OBJECT_DECLARE_SIMPLE_TYPE(DesignWareI2CTarget, DESIGNWARE_I2C_TARGET)

/* FIFO depths the DW_apb_i2c IP can be built with, and this model's default */
#define DESIGNWARE_I2C_FIFO_MIN         2
#define DESIGNWARE_I2C_FIFO_MAX         256
#define DESIGNWARE_I2C_FIFO_DEFAULT     64

struct DesignWareI2CTarget {
    I2CSlave parent_obj;

    DesignWareI2CState *ctrl;
};

struct DesignWareI2CState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    I2CBus *bus;
    DesignWareI2CTarget target;
    /* Runs when the bus is granted after i2c_bus_master() */
    QEMUBH *master_bh;
    /* Resumes work once a target transfer has left the bus, or after load */
    QEMUBH *kick_bh;
    /* Runs kick_bh when the VM runs after an incoming migration */
    VMChangeStateEntry *vm_state;
    /*
     * Sends the MSI again while target-mode bytes wait unread: RX_FULL
     * has become pending rx_full_edges times, rx_full_edges_checked at
     * the timer's last run (not migrated: the timer starts again)
     */
    QEMUTimer *msi_retrigger;
    uint32_t rx_full_edges;
    uint32_t rx_full_edges_checked;

    /* Properties */
    uint32_t tx_fifo_depth;
    uint32_t rx_fifo_depth;

    /* Registers */
    uint32_t con;
    uint32_t tar;
    uint32_t sar;
    uint32_t hs_maddr;
    uint32_t ss_scl_hcnt;
    uint32_t ss_scl_lcnt;
    uint32_t fs_scl_hcnt;
    uint32_t fs_scl_lcnt;
    uint32_t hs_scl_hcnt;
    uint32_t hs_scl_lcnt;
    uint32_t intr_mask;
    uint32_t rx_tl;
    uint32_t tx_tl;
    uint32_t enable;
    uint32_t sda_hold;
    uint32_t slv_data_nack_only;
    uint32_t sda_setup;
    uint32_t ack_general_call;
    uint32_t fs_spklen;
    uint32_t hs_spklen;
    /* Latched (software-cleared) bits of IC_RAW_INTR_STAT */
    uint32_t raw_intr;
    uint32_t tx_abrt_source;
    /* IC_ENABLE_STATUS bits 1-2 (bit 0 follows IC_ENABLE) */
    uint32_t enable_status;

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
    /* Target side: DWTargetState, DWTargetHold */
    uint8_t target_state;
    uint8_t target_hold;
    uint8_t target_held_byte;
    /* A target transfer ended; STOP_DET waits for the RX FIFO to drain */
    bool target_stop_pending;
    /* A target transfer's STOP_DET is raised and not yet cleared */
    bool target_stop_unread;

    /* Pending interrupts last signalled, for MSI edges */
    uint32_t irq_pending;

    /* Bus arbitration (not migrated: the I2C core does not migrate it) */
    bool master_queued;
    bool owns_bus;
    bool end_target_after_load;
    bool kick_when_running;
};

#endif
