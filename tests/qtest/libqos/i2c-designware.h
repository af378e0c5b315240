/*
 * libqos driver for the DesignWare I2C controller on PCI
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Drives designware-i2c-pci (8086:9c61) through its registers only, the
 * way Linux's i2c-designware does, as a BMC or fabric manager's OS would:
 *
 *   i2c = qdw_i2c_init(qts, pcibus, QPCI_DEVFN(4, 0));
 *   qdw_i2c_write(i2c, 0x50, buf, len);            master, with STOP
 *   qdw_i2c_target_mode(i2c, 0x10);                answer at 0x10
 *   qdw_i2c_target_recv(i2c, buf, sizeof(buf), &len);
 *
 * Every call polls the controller, stepping the virtual clock between
 * polls a bounded number of times (qdw_i2c_set_max_polls()); nothing
 * sleeps.  Interrupts stay masked unless a test unmasks them.
 */

#ifndef LIBQOS_I2C_DESIGNWARE_H
#define LIBQOS_I2C_DESIGNWARE_H

#include "qemu/bitops.h"
#include "pci.h"

/* Register offsets in BAR0 */
#define DW_IC_CON               0x00
#define DW_IC_TAR               0x04
#define DW_IC_SAR               0x08
#define DW_IC_DATA_CMD          0x10
#define DW_IC_SS_SCL_HCNT       0x14
#define DW_IC_SS_SCL_LCNT       0x18
#define DW_IC_FS_SCL_HCNT       0x1c
#define DW_IC_FS_SCL_LCNT       0x20
#define DW_IC_HS_SCL_HCNT       0x24
#define DW_IC_HS_SCL_LCNT       0x28
#define DW_IC_INTR_STAT         0x2c
#define DW_IC_INTR_MASK         0x30
#define DW_IC_RAW_INTR_STAT     0x34
#define DW_IC_RX_TL             0x38
#define DW_IC_TX_TL             0x3c
#define DW_IC_CLR_INTR          0x40
#define DW_IC_CLR_RX_UNDER      0x44
#define DW_IC_CLR_RX_OVER       0x48
#define DW_IC_CLR_TX_OVER       0x4c
#define DW_IC_CLR_RD_REQ        0x50
#define DW_IC_CLR_TX_ABRT       0x54
#define DW_IC_CLR_RX_DONE       0x58
#define DW_IC_CLR_ACTIVITY      0x5c
#define DW_IC_CLR_STOP_DET      0x60
#define DW_IC_CLR_START_DET     0x64
#define DW_IC_CLR_GEN_CALL      0x68
#define DW_IC_ENABLE            0x6c
#define DW_IC_STATUS            0x70
#define DW_IC_TXFLR             0x74
#define DW_IC_RXFLR             0x78
#define DW_IC_SDA_HOLD          0x7c
#define DW_IC_TX_ABRT_SOURCE    0x80
#define DW_IC_ENABLE_STATUS     0x9c
#define DW_IC_FS_SPKLEN         0xa0
#define DW_IC_SMBUS_INTR_MASK   0xcc
#define DW_IC_COMP_PARAM_1      0xf4
#define DW_IC_COMP_VERSION      0xf8
#define DW_IC_COMP_TYPE         0xfc

#define DW_IC_COMP_TYPE_VALUE   0x44570140

/* IC_CON */
#define DW_IC_CON_MASTER                BIT(0)
#define DW_IC_CON_SPEED_FAST            (2 << 1)
#define DW_IC_CON_SPEED_MASK            (3 << 1)
#define DW_IC_CON_RESTART_EN            BIT(5)
#define DW_IC_CON_SLAVE_DISABLE         BIT(6)
#define DW_IC_CON_STOP_DET_IFADDRESSED  BIT(7)
#define DW_IC_CON_RX_FIFO_FULL_HLD_CTRL BIT(9)
/* What Linux programs for master and for target mode */
#define DW_IC_CON_MASTER_CFG    (DW_IC_CON_MASTER | DW_IC_CON_SLAVE_DISABLE | \
                                 DW_IC_CON_RESTART_EN | DW_IC_CON_SPEED_FAST)
#define DW_IC_CON_TARGET_CFG    (DW_IC_CON_RX_FIFO_FULL_HLD_CTRL | \
                                 DW_IC_CON_RESTART_EN | \
                                 DW_IC_CON_STOP_DET_IFADDRESSED)

/* IC_DATA_CMD */
#define DW_IC_DATA_CMD_CMD              BIT(8)
#define DW_IC_DATA_CMD_STOP             BIT(9)
#define DW_IC_DATA_CMD_RESTART          BIT(10)
#define DW_IC_DATA_CMD_FIRST_DATA_BYTE  BIT(11)

/* Interrupt bits */
#define DW_IC_INTR_RX_UNDER     BIT(0)
#define DW_IC_INTR_RX_OVER      BIT(1)
#define DW_IC_INTR_RX_FULL      BIT(2)
#define DW_IC_INTR_TX_OVER      BIT(3)
#define DW_IC_INTR_TX_EMPTY     BIT(4)
#define DW_IC_INTR_RD_REQ       BIT(5)
#define DW_IC_INTR_TX_ABRT      BIT(6)
#define DW_IC_INTR_RX_DONE      BIT(7)
#define DW_IC_INTR_ACTIVITY     BIT(8)
#define DW_IC_INTR_STOP_DET     BIT(9)
#define DW_IC_INTR_START_DET    BIT(10)
#define DW_IC_INTR_MST_ON_HOLD  BIT(13)
#define DW_IC_INTR_MASTER_MASK  (DW_IC_INTR_RX_FULL | DW_IC_INTR_TX_ABRT | \
                                 DW_IC_INTR_STOP_DET | DW_IC_INTR_TX_EMPTY)
#define DW_IC_INTR_TARGET_MASK  (DW_IC_INTR_RX_FULL | DW_IC_INTR_TX_ABRT | \
                                 DW_IC_INTR_STOP_DET | DW_IC_INTR_RX_UNDER | \
                                 DW_IC_INTR_RD_REQ)

/* IC_ENABLE */
#define DW_IC_ENABLE_ENABLE     BIT(0)
#define DW_IC_ENABLE_ABORT      BIT(1)

/* IC_STATUS */
#define DW_IC_STATUS_ACTIVITY           BIT(0)
#define DW_IC_STATUS_TFNF               BIT(1)
#define DW_IC_STATUS_TFE                BIT(2)
#define DW_IC_STATUS_RFNE               BIT(3)
#define DW_IC_STATUS_RFF                BIT(4)
#define DW_IC_STATUS_MST_ACTIVITY       BIT(5)
#define DW_IC_STATUS_SLV_ACTIVITY       BIT(6)
#define DW_IC_STATUS_MST_HOLD_TX_EMPTY  BIT(7)
#define DW_IC_STATUS_SLV_HOLD_RX_FULL   BIT(10)

/* IC_TX_ABRT_SOURCE */
#define DW_IC_ABRT_7B_ADDR_NOACK        BIT(0)
#define DW_IC_ABRT_TXDATA_NOACK         BIT(3)
#define DW_IC_ABRT_USER_ABRT            BIT(16)
#define DW_IC_ABRT_TX_FLUSH_CNT(src)    ((src) >> 23)

/* Default poll limit, in polls of QDW_I2C_POLL_NS of virtual time each */
#define QDW_I2C_MAX_POLLS       1000
#define QDW_I2C_POLL_NS         (10 * 1000)

typedef struct QDWI2C QDWI2C;

typedef enum QDWI2CStatus {
    QDW_I2C_OK,
    QDW_I2C_ADDR_NAK,       /* TX_ABRT, ABRT_7B_ADDR_NOACK */
    QDW_I2C_DATA_NAK,       /* TX_ABRT, ABRT_TXDATA_NOACK */
    QDW_I2C_ABORTED,        /* TX_ABRT for another reason */
    QDW_I2C_TIMEOUT,        /* nothing happened within the poll limit */
} QDWI2CStatus;

/* Name of a status, for assertion messages */
const char *qdw_i2c_status_str(QDWI2CStatus st);

/*
 * Enable the function at @devfn on @bus, map BAR0, check the component
 * type, read the FIFO depths and initialise the controller as Linux's
 * i2c_dw_init() does (disabled, timings, SDA hold, master configuration,
 * interrupts masked).
 */
QDWI2C *qdw_i2c_init(QTestState *qts, QPCIBus *bus, int devfn);
void qdw_i2c_free(QDWI2C *i2c);
/* The machine was migrated to @qts: carry on there, on @bus */
void qdw_i2c_migrated(QDWI2C *i2c, QTestState *qts, QPCIBus *bus);
QPCIDevice *qdw_i2c_pci_device(QDWI2C *i2c);
QPCIBar qdw_i2c_bar(QDWI2C *i2c);
void qdw_i2c_set_max_polls(QDWI2C *i2c, unsigned max_polls);
unsigned qdw_i2c_tx_fifo_depth(QDWI2C *i2c);
unsigned qdw_i2c_rx_fifo_depth(QDWI2C *i2c);

/* Raw register access */
uint32_t qdw_i2c_readl(QDWI2C *i2c, uint32_t reg);
void qdw_i2c_writel(QDWI2C *i2c, uint32_t reg, uint32_t val);
/* Disable the controller (IC_ENABLE 0, until IC_ENABLE_STATUS says so) */
void qdw_i2c_disable(QDWI2C *i2c);

/*
 * Master transfer to 7-bit @addr: @wlen bytes from @wbuf, then (after a
 * repeated START if both) @rlen bytes into @rbuf, then STOP.  As Linux,
 * the controller is set up for it and disabled after it, and put back
 * into target mode if qdw_i2c_target_mode() was called (unless dual
 * role is on, see below).  IC_TX_ABRT_SOURCE of an abort is kept for
 * qdw_i2c_abort_source().
 */
QDWI2CStatus qdw_i2c_transfer(QDWI2C *i2c, uint8_t addr,
                              const uint8_t *wbuf, size_t wlen,
                              uint8_t *rbuf, size_t rlen);
QDWI2CStatus qdw_i2c_write(QDWI2C *i2c, uint8_t addr, const uint8_t *buf,
                           size_t len);
QDWI2CStatus qdw_i2c_read(QDWI2C *i2c, uint8_t addr, uint8_t *buf,
                          size_t len);
uint32_t qdw_i2c_abort_source(QDWI2C *i2c);

/*
 * Target mode at 7-bit @addr, as Linux's i2c_dw_reg_slave(): TX_TL and
 * RX_TL 0, IC_CON target configuration, IC_SAR, the target interrupt
 * mask, enabled.  Master transfers switch out of it and back.
 */
void qdw_i2c_target_mode(QDWI2C *i2c, uint8_t addr);
/* Leave target mode: master configuration, disabled */
void qdw_i2c_target_off(QDWI2C *i2c);
/*
 * Dual role (not what Linux does): master transfers keep the target on
 * at the address of qdw_i2c_target_mode() (IC_CON.MASTER with
 * SLAVE_DISABLE clear) and leave the controller enabled, so that a device
 * that answers a write right after its STOP (i2c-echo) finds the target
 * listening.  A transfer does not disable a controller already set up so:
 * what the target received stays in the RX FIFO.
 */
void qdw_i2c_set_dual_role(QDWI2C *i2c, bool on);
/*
 * Receive one target-mode transfer: the RX FIFO's bytes until STOP_DET,
 * which is then cleared.  *@len gets the number of bytes (at most
 * @maxlen are stored).  QDW_I2C_TIMEOUT if no STOP_DET came.
 */
QDWI2CStatus qdw_i2c_target_recv(QDWI2C *i2c, uint8_t *buf, size_t maxlen,
                                 size_t *len);

#endif
