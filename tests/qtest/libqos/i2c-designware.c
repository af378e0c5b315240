/*
 * libqos driver for the DesignWare I2C controller on PCI
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The register programming follows Linux's i2c-designware (common,
 * master and slave parts), so that a test sees what the guest driver
 * would: see i2c-designware.h.
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "i2c-designware.h"

/* What Linux's i2c-designware-pcidrv programs for 8086:9c61 (Haswell) */
#define HSW_SS_HCNT             0x01b0
#define HSW_SS_LCNT             0x01fb
#define HSW_FS_HCNT             0x48
#define HSW_FS_LCNT             0xa0
#define HSW_SDA_HOLD            0x9
#define SDA_HOLD_RX_SHIFT       16
#define SDA_HOLD_MIN_VERSION    0x3131312a

struct QDWI2C {
    QTestState *qts;
    QPCIDevice *pdev;
    QPCIBar bar;
    unsigned max_polls;
    unsigned tx_depth;
    unsigned rx_depth;
    uint32_t sda_hold;
    int own_addr;           /* target address, -1 if none */
    bool dual;
    uint32_t abort_source;
};

const char *qdw_i2c_status_str(QDWI2CStatus st)
{
    switch (st) {
    case QDW_I2C_OK:
        return "ok";
    case QDW_I2C_ADDR_NAK:
        return "address NAK";
    case QDW_I2C_DATA_NAK:
        return "data NAK";
    case QDW_I2C_ABORTED:
        return "aborted";
    case QDW_I2C_TIMEOUT:
        return "timeout";
    }
    return "?";
}

uint32_t qdw_i2c_readl(QDWI2C *i2c, uint32_t reg)
{
    return qpci_io_readl(i2c->pdev, i2c->bar, reg);
}

void qdw_i2c_writel(QDWI2C *i2c, uint32_t reg, uint32_t val)
{
    qpci_io_writel(i2c->pdev, i2c->bar, reg, val);
}

static void step(QDWI2C *i2c)
{
    qtest_clock_step(i2c->qts, QDW_I2C_POLL_NS);
}

QPCIDevice *qdw_i2c_pci_device(QDWI2C *i2c)
{
    return i2c->pdev;
}

QPCIBar qdw_i2c_bar(QDWI2C *i2c)
{
    return i2c->bar;
}

void qdw_i2c_set_max_polls(QDWI2C *i2c, unsigned max_polls)
{
    i2c->max_polls = max_polls;
}

unsigned qdw_i2c_tx_fifo_depth(QDWI2C *i2c)
{
    return i2c->tx_depth;
}

unsigned qdw_i2c_rx_fifo_depth(QDWI2C *i2c)
{
    return i2c->rx_depth;
}

uint32_t qdw_i2c_abort_source(QDWI2C *i2c)
{
    return i2c->abort_source;
}

void qdw_i2c_disable(QDWI2C *i2c)
{
    unsigned i;

    for (i = 0; i < i2c->max_polls; i++) {
        qdw_i2c_writel(i2c, DW_IC_ENABLE, 0);
        if (!(qdw_i2c_readl(i2c, DW_IC_ENABLE_STATUS) & 1)) {
            return;
        }
        step(i2c);
    }
    g_assert_not_reached();
}

/* i2c_dw_wait_bus_not_busy(): false if ACTIVITY never cleared */
static bool wait_bus_not_busy(QDWI2C *i2c)
{
    unsigned i;

    for (i = 0; i < i2c->max_polls; i++) {
        if (!(qdw_i2c_readl(i2c, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY)) {
            return true;
        }
        step(i2c);
    }
    return false;
}

static uint32_t master_con(QDWI2C *i2c)
{
    uint32_t con = DW_IC_CON_MASTER_CFG;

    if (i2c->dual && i2c->own_addr >= 0) {
        con &= ~DW_IC_CON_SLAVE_DISABLE;
        con |= DW_IC_CON_RX_FIFO_FULL_HLD_CTRL;
    }
    return con;
}

/* i2c_dw_configure_mode(DW_IC_SLAVE), controller disabled */
static void enter_target_mode(QDWI2C *i2c)
{
    qdw_i2c_writel(i2c, DW_IC_TX_TL, 0);
    qdw_i2c_writel(i2c, DW_IC_RX_TL, 0);
    qdw_i2c_writel(i2c, DW_IC_CON, DW_IC_CON_TARGET_CFG);
    qdw_i2c_writel(i2c, DW_IC_SAR, i2c->own_addr);
    qdw_i2c_writel(i2c, DW_IC_INTR_MASK, DW_IC_INTR_TARGET_MASK);
    qdw_i2c_writel(i2c, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
}

/* i2c_dw_init() with the master configuration */
static void init_master(QDWI2C *i2c)
{
    qdw_i2c_disable(i2c);
    qdw_i2c_writel(i2c, DW_IC_SMBUS_INTR_MASK, 0);
    qdw_i2c_writel(i2c, DW_IC_SS_SCL_HCNT, HSW_SS_HCNT);
    qdw_i2c_writel(i2c, DW_IC_SS_SCL_LCNT, HSW_SS_LCNT);
    qdw_i2c_writel(i2c, DW_IC_FS_SCL_HCNT, HSW_FS_HCNT);
    qdw_i2c_writel(i2c, DW_IC_FS_SCL_LCNT, HSW_FS_LCNT);
    qdw_i2c_writel(i2c, DW_IC_HS_SCL_HCNT, 0);
    qdw_i2c_writel(i2c, DW_IC_HS_SCL_LCNT, 0);
    if (i2c->sda_hold) {
        qdw_i2c_writel(i2c, DW_IC_SDA_HOLD, i2c->sda_hold);
    }
    qdw_i2c_writel(i2c, DW_IC_TX_TL, i2c->tx_depth / 2);
    qdw_i2c_writel(i2c, DW_IC_RX_TL, 0);
    qdw_i2c_writel(i2c, DW_IC_CON, master_con(i2c));
    qdw_i2c_writel(i2c, DW_IC_INTR_MASK, 0);
}

QDWI2C *qdw_i2c_init(QTestState *qts, QPCIBus *bus, int devfn)
{
    QDWI2C *i2c = g_new0(QDWI2C, 1);
    uint32_t param;

    i2c->qts = qts;
    i2c->max_polls = QDW_I2C_MAX_POLLS;
    i2c->own_addr = -1;
    i2c->pdev = qpci_device_find(bus, devfn);
    g_assert(i2c->pdev);
    qpci_device_enable(i2c->pdev);
    i2c->bar = qpci_iomap(i2c->pdev, 0, NULL);

    g_assert_cmphex(qdw_i2c_readl(i2c, DW_IC_COMP_TYPE), ==,
                    DW_IC_COMP_TYPE_VALUE);
    /* i2c_dw_set_sda_hold(): a non-zero RX hold on newer versions */
    i2c->sda_hold = HSW_SDA_HOLD;
    if (qdw_i2c_readl(i2c, DW_IC_COMP_VERSION) >= SDA_HOLD_MIN_VERSION) {
        i2c->sda_hold |= 1 << SDA_HOLD_RX_SHIFT;
    }
    /* i2c_dw_set_fifo_size() */
    param = qdw_i2c_readl(i2c, DW_IC_COMP_PARAM_1);
    i2c->tx_depth = ((param >> 16) & 0xff) + 1;
    i2c->rx_depth = ((param >> 8) & 0xff) + 1;
    g_assert_cmpuint(i2c->tx_depth, >=, 2);
    g_assert_cmpuint(i2c->rx_depth, >=, 2);

    init_master(i2c);
    return i2c;
}

void qdw_i2c_free(QDWI2C *i2c)
{
    qpci_iounmap(i2c->pdev, i2c->bar);
    g_free(i2c->pdev);
    g_free(i2c);
}

void qdw_i2c_migrated(QDWI2C *i2c, QTestState *qts, QPCIBus *bus)
{
    QPCIDevice *pdev = qpci_device_find(bus, i2c->pdev->devfn);

    g_assert(pdev);
    /* The BAR keeps its address: only the device handle changes */
    g_free(i2c->pdev);
    i2c->pdev = pdev;
    i2c->qts = qts;
}

void qdw_i2c_target_mode(QDWI2C *i2c, uint8_t addr)
{
    i2c->own_addr = addr;
    qdw_i2c_disable(i2c);
    enter_target_mode(i2c);
}

void qdw_i2c_target_off(QDWI2C *i2c)
{
    i2c->own_addr = -1;
    qdw_i2c_writel(i2c, DW_IC_INTR_MASK, 0);
    init_master(i2c);
}

void qdw_i2c_set_dual_role(QDWI2C *i2c, bool on)
{
    i2c->dual = on;
}

/* i2c_dw_xfer_init() */
static void master_setup(QDWI2C *i2c, uint8_t addr)
{
    /*
     * In dual role, keep a controller that is already set up enabled:
     * disabling it would flush what the target received.
     */
    if (i2c->dual && i2c->own_addr >= 0 &&
        (qdw_i2c_readl(i2c, DW_IC_ENABLE) & DW_IC_ENABLE_ENABLE) &&
        qdw_i2c_readl(i2c, DW_IC_CON) == master_con(i2c)) {
        qdw_i2c_writel(i2c, DW_IC_TAR, addr);
        qdw_i2c_readl(i2c, DW_IC_CLR_TX_ABRT);
        return;
    }
    qdw_i2c_disable(i2c);
    qdw_i2c_writel(i2c, DW_IC_TX_TL, i2c->tx_depth / 2);
    qdw_i2c_writel(i2c, DW_IC_RX_TL, 0);
    qdw_i2c_writel(i2c, DW_IC_CON, master_con(i2c));
    if (i2c->dual && i2c->own_addr >= 0) {
        qdw_i2c_writel(i2c, DW_IC_SAR, i2c->own_addr);
    }
    qdw_i2c_writel(i2c, DW_IC_TAR, addr);
    qdw_i2c_writel(i2c, DW_IC_INTR_MASK, 0);
    qdw_i2c_writel(i2c, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    qdw_i2c_readl(i2c, DW_IC_ENABLE_STATUS);
    qdw_i2c_readl(i2c, DW_IC_CLR_INTR);
    qdw_i2c_writel(i2c, DW_IC_INTR_MASK, DW_IC_INTR_MASTER_MASK);
}

/* The end of i2c_dw_xfer_common(): disabled, or back to target mode */
static void master_done(QDWI2C *i2c)
{
    if (i2c->dual && i2c->own_addr >= 0) {
        qdw_i2c_writel(i2c, DW_IC_INTR_MASK, 0);
        return;
    }
    qdw_i2c_disable(i2c);
    if (i2c->own_addr >= 0) {
        enter_target_mode(i2c);
    } else {
        qdw_i2c_writel(i2c, DW_IC_INTR_MASK, 0);
    }
}

QDWI2CStatus qdw_i2c_transfer(QDWI2C *i2c, uint8_t addr,
                              const uint8_t *wbuf, size_t wlen,
                              uint8_t *rbuf, size_t rlen)
{
    size_t wpos = 0, rcmd = 0, rpos = 0;
    QDWI2CStatus st = QDW_I2C_TIMEOUT;
    unsigned i;

    g_assert(wlen || rlen);
    i2c->abort_source = 0;
    if (!wait_bus_not_busy(i2c)) {
        return QDW_I2C_TIMEOUT;
    }
    master_setup(i2c, addr);

    for (i = 0; i < i2c->max_polls; i++) {
        uint32_t raw = qdw_i2c_readl(i2c, DW_IC_RAW_INTR_STAT);
        uint32_t n;

        if (raw & DW_IC_INTR_TX_ABRT) {
            i2c->abort_source = qdw_i2c_readl(i2c, DW_IC_TX_ABRT_SOURCE);
            qdw_i2c_readl(i2c, DW_IC_CLR_INTR);
            if (i2c->abort_source & DW_IC_ABRT_7B_ADDR_NOACK) {
                st = QDW_I2C_ADDR_NAK;
            } else if (i2c->abort_source & DW_IC_ABRT_TXDATA_NOACK) {
                st = QDW_I2C_DATA_NAK;
            } else {
                st = QDW_I2C_ABORTED;
            }
            break;
        }

        /* i2c_dw_read(): what the RX FIFO holds for us */
        n = qdw_i2c_readl(i2c, DW_IC_RXFLR);
        for (; n && rpos < rcmd; n--) {
            rbuf[rpos++] = qdw_i2c_readl(i2c, DW_IC_DATA_CMD) & 0xff;
        }

        if ((raw & DW_IC_INTR_STOP_DET) && wpos == wlen && rpos == rlen) {
            qdw_i2c_readl(i2c, DW_IC_CLR_STOP_DET);
            st = QDW_I2C_OK;
            break;
        }

        /* i2c_dw_xfer_msg(): fill the TX FIFO, reads within the RX FIFO */
        n = i2c->tx_depth - qdw_i2c_readl(i2c, DW_IC_TXFLR);
        while (n && (wpos < wlen || rcmd < rlen)) {
            uint32_t cmd;
            bool last;

            if (wpos < wlen) {
                cmd = wbuf[wpos++];
                last = wpos == wlen && !rlen;
            } else {
                if (rcmd - rpos >= i2c->rx_depth) {
                    break;
                }
                cmd = DW_IC_DATA_CMD_CMD;
                if (!rcmd && wlen) {
                    cmd |= DW_IC_DATA_CMD_RESTART;
                }
                last = ++rcmd == rlen;
            }
            if (last) {
                cmd |= DW_IC_DATA_CMD_STOP;
            }
            qdw_i2c_writel(i2c, DW_IC_DATA_CMD, cmd);
            n--;
        }
        step(i2c);
    }

    master_done(i2c);
    return st;
}

QDWI2CStatus qdw_i2c_write(QDWI2C *i2c, uint8_t addr, const uint8_t *buf,
                           size_t len)
{
    return qdw_i2c_transfer(i2c, addr, buf, len, NULL, 0);
}

QDWI2CStatus qdw_i2c_read(QDWI2C *i2c, uint8_t addr, uint8_t *buf,
                          size_t len)
{
    return qdw_i2c_transfer(i2c, addr, NULL, 0, buf, len);
}

QDWI2CStatus qdw_i2c_target_recv(QDWI2C *i2c, uint8_t *buf, size_t maxlen,
                                 size_t *len)
{
    unsigned i;

    *len = 0;
    for (i = 0; i < i2c->max_polls; i++) {
        uint32_t raw;

        /* i2c_dw_isr_slave(): the RX FIFO first, then STOP_DET */
        while (qdw_i2c_readl(i2c, DW_IC_STATUS) & DW_IC_STATUS_RFNE) {
            uint32_t data = qdw_i2c_readl(i2c, DW_IC_DATA_CMD);

            if (*len < maxlen) {
                buf[*len] = data & 0xff;
            }
            (*len)++;
        }
        raw = qdw_i2c_readl(i2c, DW_IC_RAW_INTR_STAT);
        if (raw & DW_IC_INTR_STOP_DET) {
            qdw_i2c_readl(i2c, DW_IC_CLR_STOP_DET);
            return QDW_I2C_OK;
        }
        step(i2c);
    }
    return QDW_I2C_TIMEOUT;
}
