/*
 * QTest testcase for designware-i2c-pci
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The controller sits on the root bus of q35 (or of arm virt, on an aarch64
 * QEMU) with QEMU I2C devices on its bus:
 * i2c-ddc (a 128-byte EDID: the first byte written sets the offset, later
 * ones only advance it, reads return the bytes from there on) and i2c-echo
 * (takes 3 bytes; after STOP it masters bytes 2 and 3 back to the address
 * in byte 1, with the asynchronous bus-master API).  The
 * test drives the controller through libqos/i2c-designware.c, which
 * programs it as Linux's i2c-designware does.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "libqos/libqos-malloc.h"
#include "libqos/i2c-designware.h"
#include "libqos/mctp.h"        /* qos_migrate_unix(), the machine */
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

#define DW_SLOT         4
#define DW_DEVFN        QPCI_DEVFN(DW_SLOT, 0)
#define DW_ARGS         "-device designware-i2c-pci,id=i2c0,addr=04.0"
#define DDC_ADDR        0x50
#define DDC_ARGS        " -device i2c-ddc,bus=i2c0,address=0x50"
#define EDID_SIZE       128
#define ECHO_ADDR       0x42
#define ECHO2_ADDR      0x43
#define ECHO_ARGS       " -device i2c-echo,bus=i2c0,address=0x42"
#define ECHO2_ARGS      " -device i2c-echo,bus=i2c0,address=0x43"
#define EMPTY_ADDR      0x33
#define NOBODY_ADDR     0x7f
#define OWN_ADDR        0x10
/* Guest RAM that MSI messages are pointed at (q35, virt) */
#define MSI_ADDR_PC     0x400000
#define MSI_ADDR_VIRT   0x40400000
#define MSI_ADDR        (mctp_machine_is_virt() ? MSI_ADDR_VIRT : MSI_ADDR_PC)
#define MSI_DATA        0x4321
/* virt's GIC inputs of PCIe INTA-D (SPIs 3 to 6) */
#define VIRT_PCIE_SPI   3

typedef struct Test {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *pcibus;
    QDWI2C *i2c;
} Test;

/* The machine, first on every command line: q35, or virt on aarch64 */
static const char *machine(void)
{
    return mctp_machine_is_virt() ? "-machine virt,gic-version=3 -cpu max " :
        "-machine q35 ";
}

static void test_boot(Test *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void test_boot(Test *t, const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    memset(t, 0, sizeof(*t));
    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    t->qts = qtest_initf("%s%s", machine(), args);
    mctp_alloc_init(&t->alloc, t->qts);
    t->pcibus = mctp_pci_new(t->qts, &t->alloc);
    t->i2c = qdw_i2c_init(t->qts, t->pcibus, DW_DEVFN);
}

static void test_end(Test *t)
{
    qdw_i2c_free(t->i2c);
    mctp_pci_free(t->pcibus);
    alloc_destroy(&t->alloc);
    qtest_quit(t->qts);
}

static uint32_t rd(Test *t, uint32_t reg)
{
    return qdw_i2c_readl(t->i2c, reg);
}

static void wr(Test *t, uint32_t reg, uint32_t val)
{
    qdw_i2c_writel(t->i2c, reg, val);
}

static void step(Test *t)
{
    qtest_clock_step(t->qts, QDW_I2C_POLL_NS);
}

/* Step until (@reg & @mask) == @want; false after a bounded number */
static bool wait_reg(Test *t, uint32_t reg, uint32_t mask, uint32_t want)
{
    int i;

    for (i = 0; i < 100; i++) {
        if ((rd(t, reg) & mask) == want) {
            return true;
        }
        step(t);
    }
    return false;
}

static void assert_status(QDWI2CStatus got, QDWI2CStatus want)
{
    if (got != want) {
        g_error("transfer: %s, expected %s", qdw_i2c_status_str(got),
                qdw_i2c_status_str(want));
    }
}

static const uint8_t edid_header[8] = {
    0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00
};

/* Read @len EDID bytes from @offset */
static void ddc_read(Test *t, uint8_t offset, uint8_t *buf, size_t len)
{
    assert_status(qdw_i2c_transfer(t->i2c, DDC_ADDR, &offset, 1, buf, len),
                  QDW_I2C_OK);
}

/* Read on from where the DDC's pointer is */
static uint8_t ddc_next(Test *t)
{
    uint8_t byte;

    assert_status(qdw_i2c_read(t->i2c, DDC_ADDR, &byte, 1), QDW_I2C_OK);
    return byte;
}

/* Set the DDC's pointer to @offset */
static void ddc_seek(Test *t, uint8_t offset)
{
    assert_status(qdw_i2c_write(t->i2c, DDC_ADDR, &offset, 1), QDW_I2C_OK);
}

/* Identification, reset values, FIFO depth properties */

static void test_ident(void)
{
    Test t;
    QPCIDevice *pdev;
    uint32_t param;

    test_boot(&t, DW_ARGS);
    pdev = qdw_i2c_pci_device(t.i2c);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_DEVICE_ID), ==, 0x9c61);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_CLASS_DEVICE), ==, 0x0c80);
    g_assert_cmpuint(qpci_config_readb(pdev, PCI_INTERRUPT_PIN), ==, 1);
    g_assert_cmpuint(qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0), !=, 0);

    g_assert_cmphex(rd(&t, DW_IC_COMP_TYPE), ==, DW_IC_COMP_TYPE_VALUE);
    g_assert_cmphex(rd(&t, DW_IC_COMP_VERSION), >=, 0x3131312a);
    param = rd(&t, DW_IC_COMP_PARAM_1);
    g_assert_cmpuint(((param >> 16) & 0xff) + 1, ==, 64);
    g_assert_cmpuint(((param >> 8) & 0xff) + 1, ==, 64);
    g_assert_cmpuint(qdw_i2c_tx_fifo_depth(t.i2c), ==, 64);
    /* What Linux's probe left: SDA hold with a RX hold, master config */
    g_assert_cmphex(rd(&t, DW_IC_SDA_HOLD), ==, 0x10009);
    g_assert_cmphex(rd(&t, DW_IC_CON), ==, DW_IC_CON_MASTER_CFG);
    g_assert_cmphex(rd(&t, DW_IC_TX_TL), ==, 32);
    g_assert_cmphex(rd(&t, DW_IC_SS_SCL_HCNT), ==, 0x1b0);
    g_assert_cmphex(rd(&t, DW_IC_STATUS), ==,
                    DW_IC_STATUS_TFNF | DW_IC_STATUS_TFE);
    test_end(&t);

    /* Other FIFO depths, as COMP_PARAM_1 tells them */
    test_boot(&t, DW_ARGS ",tx-fifo-depth=16,rx-fifo-depth=8");
    g_assert_cmpuint(qdw_i2c_tx_fifo_depth(t.i2c), ==, 16);
    g_assert_cmpuint(qdw_i2c_rx_fifo_depth(t.i2c), ==, 8);
    test_end(&t);
}

static void test_reset_values(void)
{
    QTestState *qts = qtest_initf("%s" DW_ARGS, machine());
    QGuestAllocator alloc;
    QPCIBus *pcibus;
    QPCIDevice *pdev;
    uint64_t bar_size;
    QPCIBar bar;

    mctp_alloc_init(&alloc, qts);
    pcibus = mctp_pci_new(qts, &alloc);
    pdev = qpci_device_find(pcibus, DW_DEVFN);
    qpci_device_enable(pdev);
    bar = qpci_iomap(pdev, 0, &bar_size);
    g_assert_cmpuint(bar_size, ==, 0x1000);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_CON), ==, 0x65);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_TAR), ==, 0x55);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_SAR), ==, 0x55);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_INTR_MASK), ==, 0x8ff);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_ENABLE), ==, 0);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_RAW_INTR_STAT), ==, 0);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_SDA_HOLD), ==, 1);
    g_assert_cmphex(qpci_io_readl(pdev, bar, DW_IC_FS_SPKLEN), ==, 5);
    g_free(pdev);
    mctp_pci_free(pcibus);
    alloc_destroy(&alloc);
    qtest_quit(qts);
}

/*
 * A bad FIFO depth is refused at realize, hot-plugged on pc's root bus
 * (or on virt, whose root bus takes no hot-plug, below a root port)
 */
static void test_bad_config(void)
{
    bool virt = mctp_machine_is_virt();
    QTestState *qts = qtest_init(virt ? "-machine virt,gic-version=3 -cpu max "
                                 "-device pcie-root-port,id=rp,chassis=1" :
                                 "-machine pc");
    const char *bus = virt ? "rp" : "pci.0";
    QDict *resp;

    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': {"
                     "'driver': 'designware-i2c-pci', 'bus': %s, "
                     "'rx-fifo-depth': 1}}", bus);
    g_assert(qdict_haskey(resp, "error"));
    g_assert(strstr(qdict_get_str(qdict_get_qdict(resp, "error"), "desc"),
                    "fifo-depth"));
    qobject_unref(resp);
    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': {"
                     "'driver': 'designware-i2c-pci', 'bus': %s, "
                     "'tx-fifo-depth': 257}}", bus);
    g_assert(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    qtest_quit(qts);
}

/* Master */

static void test_master_ddc(void)
{
    uint8_t edid[EDID_SIZE];
    uint8_t buf[EDID_SIZE + 72];
    uint8_t sum = 0;
    Test t;
    int i;

    test_boot(&t, DW_ARGS DDC_ARGS);
    /* Write the offset, repeated START, read: the EDID header */
    ddc_read(&t, 0, buf, 8);
    g_assert(!memcmp(buf, edid_header, 8));

    /* The whole EDID, longer than the RX FIFO: its checksum holds */
    ddc_read(&t, 0, edid, sizeof(edid));
    for (i = 0; i < sizeof(edid); i++) {
        sum += edid[i];
    }
    g_assert_cmphex(sum, ==, 0);
    /* A plain read goes on from where the last one stopped */
    ddc_read(&t, 5, buf, 3);
    g_assert_cmphex(ddc_next(&t), ==, edid[8]);
    g_assert_cmphex(ddc_next(&t), ==, edid[9]);
    /* ... and again, read in pieces */
    for (i = 0; i < sizeof(edid); i += 16) {
        ddc_read(&t, i, buf + i, 16);
    }
    g_assert(!memcmp(buf, edid, sizeof(edid)));
    /* 200 bytes wrap around the 128-byte EDID */
    ddc_read(&t, 0, buf, 200);
    g_assert(!memcmp(buf + EDID_SIZE, edid, 200 - EDID_SIZE));

    /* Idle, disabled, interrupts masked afterwards, as Linux leaves it */
    g_assert_cmphex(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY, ==, 0);
    g_assert_cmphex(rd(&t, DW_IC_ENABLE), ==, 0);
    g_assert_cmphex(rd(&t, DW_IC_INTR_MASK), ==, 0);
    test_end(&t);
}

static void test_master_addr_nak(void)
{
    static const uint8_t data[] = { 0, 1, 2, 3 };
    uint8_t buf[2];
    uint8_t edid8;
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    ddc_read(&t, 8, &edid8, 1);
    g_assert_cmphex(edid8, !=, 0xff);
    assert_status(qdw_i2c_write(t.i2c, EMPTY_ADDR, data, sizeof(data)),
                  QDW_I2C_ADDR_NAK);
    g_assert_cmphex(qdw_i2c_abort_source(t.i2c) & 0xffff, ==,
                    DW_IC_ABRT_7B_ADDR_NOACK);
    assert_status(qdw_i2c_read(t.i2c, EMPTY_ADDR, buf, sizeof(buf)),
                  QDW_I2C_ADDR_NAK);
    /* The bus is free again: the DDC answers */
    ddc_seek(&t, 8);

    /* While TX_ABRT is set the TX FIFO drops writes (raw programming) */
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_TAR, EMPTY_ADDR);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_DATA_CMD, 0x00);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_ABRT);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_DATA_CMD, 0x00);
    wr(&t, DW_IC_DATA_CMD, 0x99 | DW_IC_DATA_CMD_STOP);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 0);
    g_assert_cmphex(rd(&t, DW_IC_TX_ABRT_SOURCE) & 0xffff, ==,
                    DW_IC_ABRT_7B_ADDR_NOACK);
    g_assert_cmpuint(rd(&t, DW_IC_CLR_TX_ABRT), ==, 1);
    g_assert_cmphex(rd(&t, DW_IC_TX_ABRT_SOURCE), ==, 0);
    g_assert_cmpuint(rd(&t, DW_IC_CLR_TX_ABRT), ==, 0);
    qdw_i2c_disable(t.i2c);
    /* Neither the offset nor the data byte got there */
    g_assert_cmphex(ddc_next(&t), ==, edid8);
    test_end(&t);
}

static void test_master_data_nak(void)
{
    /* i2c-echo takes three bytes and NAKs the fourth */
    static const uint8_t data[] = { NOBODY_ADDR, 1, 2, 3, 4, 5 };
    Test t;

    test_boot(&t, DW_ARGS ECHO_ARGS);
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, data, sizeof(data)),
                  QDW_I2C_DATA_NAK);
    g_assert_cmphex(qdw_i2c_abort_source(t.i2c) & 0xffff, ==,
                    DW_IC_ABRT_TXDATA_NOACK);
    test_end(&t);
}

/*
 * SMBus 3.0 block writes: 255 bytes, and the 259 of an MCTP packet.  The
 * DDC's pointer moves on with every byte written, so it tells whether
 * every byte arrived: the offsets are chosen to bring it back to 0.
 */
static void test_master_block_write(void)
{
    static const struct {
        size_t len;
        uint8_t offset;
    } cases[] = {
        { 255, 2 },         /* 2 + 254 data bytes = 256 */
        { 259, 254 },       /* 254 + 258 = 512 */
    };
    uint8_t msg[259];
    uint8_t buf[8];
    int i, n;

    for (n = 0; n < ARRAY_SIZE(cases); n++) {
        Test t;

        test_boot(&t, DW_ARGS DDC_ARGS);
        msg[0] = cases[n].offset;
        for (i = 1; i < cases[n].len; i++) {
            msg[i] = i ^ 0x5a;
        }
        assert_status(qdw_i2c_write(t.i2c, DDC_ADDR, msg, cases[n].len),
                      QDW_I2C_OK);
        g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 0);
        assert_status(qdw_i2c_read(t.i2c, DDC_ADDR, buf, sizeof(buf)),
                      QDW_I2C_OK);
        g_assert(!memcmp(buf, edid_header, sizeof(buf)));
        test_end(&t);
    }
}

/* A read waits while the RX FIFO is full instead of losing bytes */
static void test_master_rx_full(void)
{
    const uint8_t *data = edid_header;
    Test t;
    int i;

    test_boot(&t, DW_ARGS ",rx-fifo-depth=2" DDC_ARGS);
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    for (i = 0; i < 4; i++) {
        wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD |
           (i == 3 ? DW_IC_DATA_CMD_STOP : 0));
    }
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 2);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 2);
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_RFF);
    g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET));
    for (i = 0; i < 4; i++) {
        uint32_t v = rd(&t, DW_IC_DATA_CMD);

        g_assert_cmphex(v & 0xff, ==, data[i]);
        g_assert_cmpuint(!!(v & DW_IC_DATA_CMD_FIRST_DATA_BYTE), ==, !i);
    }
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET);
    g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_RX_OVER));
    test_end(&t);
}

/* IC_ENABLE.ABORT ends a transfer held open without STOP */
static void test_master_user_abort(void)
{
    uint8_t buf[8];
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_DATA_CMD, 0x40);
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_MST_ACTIVITY);
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_MST_HOLD_TX_EMPTY);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_MST_ON_HOLD);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE | DW_IC_ENABLE_ABORT);
    g_assert_cmphex(rd(&t, DW_IC_ENABLE), ==, DW_IC_ENABLE_ENABLE);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_ABRT);
    g_assert(rd(&t, DW_IC_TX_ABRT_SOURCE) & DW_IC_ABRT_USER_ABRT);
    g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY));
    qdw_i2c_disable(t.i2c);
    /* The bus was released */
    ddc_read(&t, 0, buf, sizeof(buf));
    g_assert(!memcmp(buf, edid_header, sizeof(buf)));
    test_end(&t);
}

/* Target */

/* i2c-echo masters two bytes back to the controller's own address */
static void test_target_echo(void)
{
    uint8_t msg[] = { OWN_ADDR, 0xa5, 0x5a };
    uint8_t buf[8];
    size_t len;
    Test t;

    test_boot(&t, DW_ARGS ECHO_ARGS);
    qdw_i2c_target_mode(t.i2c, OWN_ADDR);
    g_assert_cmphex(rd(&t, DW_IC_SAR), ==, OWN_ADDR);
    /*
     * Linux would switch to master mode for the write and back to target
     * mode after it; i2c-echo answers at once, so stay a target
     * throughout.
     */
    qdw_i2c_set_dual_role(t.i2c, true);
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, msg, sizeof(msg)),
                  QDW_I2C_OK);
    assert_status(qdw_i2c_target_recv(t.i2c, buf, sizeof(buf), &len),
                  QDW_I2C_OK);
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmphex(buf[0], ==, 0xa5);
    g_assert_cmphex(buf[1], ==, 0x5a);
    g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY));

    /* Again, with other bytes */
    msg[1] = 0x01;
    msg[2] = 0x02;
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, msg, sizeof(msg)),
                  QDW_I2C_OK);
    assert_status(qdw_i2c_target_recv(t.i2c, buf, sizeof(buf), &len),
                  QDW_I2C_OK);
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmphex(buf[0], ==, 0x01);
    g_assert_cmphex(buf[1], ==, 0x02);

    /* With the target off, the echo is NAKed and nothing arrives */
    qdw_i2c_set_dual_role(t.i2c, false);
    qdw_i2c_target_off(t.i2c);
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, msg, sizeof(msg)),
                  QDW_I2C_OK);
    qdw_i2c_set_max_polls(t.i2c, 20);
    qdw_i2c_writel(t.i2c, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    assert_status(qdw_i2c_target_recv(t.i2c, buf, sizeof(buf), &len),
                  QDW_I2C_TIMEOUT);
    g_assert_cmpuint(len, ==, 0);
    test_end(&t);
}

/*
 * Target mode in dual role; echo1's two bytes (0x11, 0x12) arrive in the
 * RX FIFO, then echo2's transfer (0x21, 0x22) is held on its address
 * while STOP_DET of the first is pending
 */
static void hold_second_echo(Test *t)
{
    static const uint8_t to_echo1[] = { OWN_ADDR, 0x11, 0x12 };
    static const uint8_t to_echo2[] = { OWN_ADDR, 0x21, 0x22 };

    qdw_i2c_target_mode(t->i2c, OWN_ADDR);
    qdw_i2c_set_dual_role(t->i2c, true);
    assert_status(qdw_i2c_write(t->i2c, ECHO_ADDR, to_echo1, 3), QDW_I2C_OK);
    g_assert(wait_reg(t, DW_IC_RXFLR, 0xff, 2));
    assert_status(qdw_i2c_write(t->i2c, ECHO2_ADDR, to_echo2, 3), QDW_I2C_OK);
    g_assert(wait_reg(t, DW_IC_STATUS, DW_IC_STATUS_SLV_ACTIVITY,
                      DW_IC_STATUS_SLV_ACTIVITY));
}

/*
 * Back-to-back transfers from two devices reach the guest one by one:
 * STOP_DET comes once the first transfer's bytes are read, and the second
 * transfer waits (address not acked) until STOP_DET is cleared.  A master
 * write meanwhile waits in the TX FIFO for the bus.
 */
static void test_target_serialize(void)
{
    uint8_t edid[10];
    uint32_t v;
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS ECHO_ARGS ECHO2_ARGS);
    ddc_read(&t, 0, edid, sizeof(edid));
    ddc_seek(&t, 0);
    /* echo2 holds the bus, its address phase stretched */
    hold_second_echo(&t);
    step(&t);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 2);
    g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET));

    /* A master write to the DDC now waits for the bus */
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_DATA_CMD, 8);
    wr(&t, DW_IC_DATA_CMD, 0x77 | DW_IC_DATA_CMD_STOP);
    step(&t);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 2);
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_MST_ACTIVITY);

    /* The first transfer, then its STOP_DET */
    v = rd(&t, DW_IC_DATA_CMD);
    g_assert_cmphex(v, ==, 0x11 | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
    g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET));
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==, 0x12);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET);
    step(&t);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 0);

    /* Clearing it lets the second transfer in, then the master write */
    g_assert_cmpuint(rd(&t, DW_IC_CLR_STOP_DET), ==, 1);
    g_assert(wait_reg(&t, DW_IC_RAW_INTR_STAT, DW_IC_INTR_STOP_DET,
                      DW_IC_INTR_STOP_DET));
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 2);
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                    0x21 | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==, 0x22);
    rd(&t, DW_IC_CLR_STOP_DET);
    g_assert(wait_reg(&t, DW_IC_TXFLR, 0xff, 0));
    g_assert(wait_reg(&t, DW_IC_STATUS, DW_IC_STATUS_ACTIVITY, 0));
    g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_ABRT));

    qdw_i2c_set_dual_role(t.i2c, false);
    qdw_i2c_target_off(t.i2c);
    /* The write set the DDC's pointer to 8, then moved it on by one */
    g_assert_cmphex(ddc_next(&t), ==, edid[9]);
    test_end(&t);
}

/*
 * A byte that finds the RX FIFO full is held, not acked, until the guest
 * reads (RX_FIFO_FULL_HLD_CTRL); without that bit it is lost (RX_OVER).
 */
static void test_target_fifo_full(void)
{
    static const uint8_t to_echo[] = { OWN_ADDR, 0xb1, 0xb2 };
    int hold;

    for (hold = 1; hold >= 0; hold--) {
        Test t;
        uint32_t con;
        int i;

        test_boot(&t, DW_ARGS ",rx-fifo-depth=2" DDC_ARGS ECHO_ARGS);
        qdw_i2c_target_mode(t.i2c, OWN_ADDR);
        qdw_i2c_set_dual_role(t.i2c, true);
        qdw_i2c_disable(t.i2c);
        con = DW_IC_CON_MASTER | DW_IC_CON_RESTART_EN | DW_IC_CON_SPEED_FAST;
        if (hold) {
            con |= DW_IC_CON_RX_FIFO_FULL_HLD_CTRL;
        }
        wr(&t, DW_IC_CON, con);
        wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
        /* Leave one byte read from the DDC in the RX FIFO */
        wr(&t, DW_IC_TAR, DDC_ADDR);
        wr(&t, DW_IC_DATA_CMD, 0x00);
        wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD | DW_IC_DATA_CMD_STOP |
           DW_IC_DATA_CMD_RESTART);
        g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 1);
        rd(&t, DW_IC_CLR_INTR);
        /* The echo's two bytes find room for one */
        wr(&t, DW_IC_TAR, ECHO_ADDR);
        for (i = 0; i < 3; i++) {
            wr(&t, DW_IC_DATA_CMD, to_echo[i] |
               (i == 2 ? DW_IC_DATA_CMD_STOP : 0));
        }
        if (hold) {
            g_assert(wait_reg(&t, DW_IC_STATUS, DW_IC_STATUS_SLV_HOLD_RX_FULL,
                              DW_IC_STATUS_SLV_HOLD_RX_FULL));
        } else {
            g_assert(wait_reg(&t, DW_IC_RAW_INTR_STAT, DW_IC_INTR_RX_OVER,
                              DW_IC_INTR_RX_OVER));
        }
        g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_RFF);
        g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                        edid_header[0] | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
        if (hold) {
            g_assert(!(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_RX_OVER));
            g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 2);
            g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                            0xb1 | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
            g_assert(wait_reg(&t, DW_IC_RXFLR, 0xff, 1));
            g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==, 0xb2);
        } else {
            g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_RX_OVER);
            g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                            0xb1 | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
        }
        g_assert(wait_reg(&t, DW_IC_RAW_INTR_STAT, DW_IC_INTR_STOP_DET,
                          DW_IC_INTR_STOP_DET));
        g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 0);
        g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY));
        test_end(&t);
    }
}

/* Interrupts */

/*
 * Level of the interrupt controller's inputs PCI interrupts are routed
 * to: those of the IOAPIC q35 routes PIRQA-H to, or those of virt's GIC
 * the PCIe host's INTA-D are wired to
 */
static bool intx_level(Test *t)
{
    int first = mctp_machine_is_virt() ? VIRT_PCIE_SPI : 16;
    int n = mctp_machine_is_virt() ? 4 : 8;
    int i;

    for (i = first; i < first + n; i++) {
        if (qtest_get_irq(t->qts, i)) {
            return true;
        }
    }
    return false;
}

/* Intercept the inputs of q35's IOAPIC or of virt's GIC */
static void intx_intercept(Test *t)
{
    QDict *rsp;
    QList *list;
    QListEntry *e;
    g_autofree char *gic = NULL;

    if (!mctp_machine_is_virt()) {
        qtest_irq_intercept_in(t->qts, "ioapic");
        return;
    }
    /* virt does not name its GIC: find it among its unnamed children */
    rsp = qtest_qmp(t->qts, "{ 'execute': 'qom-list', 'arguments': "
                    "{ 'path': '/machine/unattached' } }");
    list = qdict_get_qlist(rsp, "return");
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(prop, "type"), "child<arm-gicv3>")) {
            gic = g_strdup_printf("/machine/unattached/%s",
                                  qdict_get_str(prop, "name"));
        }
    }
    qobject_unref(rsp);
    g_assert_nonnull(gic);
    qtest_irq_intercept_in(t->qts, gic);
}

static void start_ddc_write(Test *t, uint8_t offset, uint8_t data)
{
    wr(t, DW_IC_TAR, DDC_ADDR);
    wr(t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(t, DW_IC_DATA_CMD, offset);
    wr(t, DW_IC_DATA_CMD, data | DW_IC_DATA_CMD_STOP);
}

static void test_irq_intx(void)
{
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    intx_intercept(&t);
    g_assert(!intx_level(&t));
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_STOP_DET);
    start_ddc_write(&t, 0, 0x12);
    g_assert(intx_level(&t));
    g_assert_cmphex(rd(&t, DW_IC_INTR_STAT), ==, DW_IC_INTR_STOP_DET);
    g_assert_cmpuint(rd(&t, DW_IC_CLR_STOP_DET), ==, 1);
    g_assert(!intx_level(&t));
    g_assert_cmphex(rd(&t, DW_IC_INTR_STAT), ==, 0);

    /* TX_EMPTY while enabled, nothing while disabled, masked or not */
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_TX_EMPTY);
    g_assert(intx_level(&t));
    qdw_i2c_disable(t.i2c);
    g_assert(!intx_level(&t));
    g_assert_cmphex(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_EMPTY, ==, 0);
    wr(&t, DW_IC_INTR_MASK, 0);
    test_end(&t);
}

/* MSI on, its messages written to MSI_ADDR (cleared) */
static void msi_on(Test *t)
{
    QPCIDevice *pdev = qdw_i2c_pci_device(t->i2c);
    uint8_t cap = qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0);
    uint16_t ctrl;

    g_assert(cap);
    ctrl = qpci_config_readw(pdev, cap + PCI_MSI_FLAGS);
    g_assert(ctrl & PCI_MSI_FLAGS_64BIT);
    qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_LO, MSI_ADDR);
    qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_HI, 0);
    qpci_config_writew(pdev, cap + PCI_MSI_DATA_64, MSI_DATA);
    qpci_config_writew(pdev, cap + PCI_MSI_FLAGS, ctrl | PCI_MSI_FLAGS_ENABLE);
    qtest_writel(t->qts, MSI_ADDR, 0);
}

static void test_irq_msi(void)
{
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    msi_on(&t);

    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_STOP_DET);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, 0);
    start_ddc_write(&t, 0, 0x34);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, MSI_DATA);

    /* Nothing new: no message */
    qtest_writel(t.qts, MSI_ADDR, 0);
    rd(&t, DW_IC_STATUS);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, 0);
    /* Writing IC_INTR_MASK while an interrupt is pending sends another */
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_STOP_DET);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, MSI_DATA);
    qtest_writel(t.qts, MSI_ADDR, 0);
    rd(&t, DW_IC_CLR_STOP_DET);
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_STOP_DET);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, 0);
    qdw_i2c_disable(t.i2c);
    test_end(&t);
}

/*
 * Target-mode bytes left in the RX FIFO with RX_FULL pending: the MSI is
 * sent again (checked every 5 ms) until they are read.  Linux can take
 * the first message in its master-mode handler (it enables the controller
 * before it records that it is a target), which reads nothing.
 */
static void test_irq_msi_target_resend(void)
{
    uint8_t msg[] = { OWN_ADDR, 0xc3, 0x3c };
    uint8_t buf[8];
    size_t len;
    unsigned i;
    Test t;

    test_boot(&t, DW_ARGS ECHO_ARGS);
    msi_on(&t);
    qdw_i2c_target_mode(t.i2c, OWN_ADDR);
    qdw_i2c_set_dual_role(t.i2c, true);
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, msg, sizeof(msg)),
                  QDW_I2C_OK);
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_RX_FULL | DW_IC_INTR_STOP_DET);
    g_assert(wait_reg(&t, DW_IC_RXFLR, 0xff, 2));
    g_assert(rd(&t, DW_IC_INTR_STAT) & DW_IC_INTR_RX_FULL);

    /*
     * The handler ran and did not read them: another message within two
     * 5 ms checks, then one at each check
     */
    for (i = 0; i < 3; i++) {
        qtest_writel(t.qts, MSI_ADDR, 0);
        qtest_clock_step(t.qts, (i ? 5 : 10) * 1000 * 1000);
        g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, MSI_DATA);
    }

    /* Read: no more messages */
    assert_status(qdw_i2c_target_recv(t.i2c, buf, sizeof(buf), &len),
                  QDW_I2C_OK);
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmphex(buf[0], ==, 0xc3);
    g_assert_cmphex(buf[1], ==, 0x3c);
    qtest_writel(t.qts, MSI_ADDR, 0);
    qtest_clock_step(t.qts, 20 * 1000 * 1000);
    g_assert_cmphex(qtest_readl(t.qts, MSI_ADDR), ==, 0);
    test_end(&t);
}

/* Reset */

/* A system reset in the middle of a master transfer frees the bus */
static void test_reset_mid_transfer(void)
{
    uint8_t buf[8];
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_DATA_CMD, 0x08);           /* no STOP: the bus stays ours */
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_MST_ACTIVITY);

    qtest_system_reset(t.qts);
    qdw_i2c_free(t.i2c);
    t.i2c = qdw_i2c_init(t.qts, t.pcibus, DW_DEVFN);
    g_assert_cmphex(rd(&t, DW_IC_STATUS), ==,
                    DW_IC_STATUS_TFNF | DW_IC_STATUS_TFE);
    g_assert_cmphex(rd(&t, DW_IC_RAW_INTR_STAT), ==, 0);
    ddc_read(&t, 0, buf, sizeof(buf));
    g_assert(!memcmp(buf, edid_header, sizeof(buf)));
    test_end(&t);
}

/* ... and while a device masters to the controller, held on its address */
static void test_reset_target_hold(void)
{
    static const uint8_t to_echo1[] = { OWN_ADDR, 0x11, 0x12 };
    uint8_t buf[4];
    size_t len;
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS ECHO_ARGS ECHO2_ARGS);
    hold_second_echo(&t);

    qtest_system_reset(t.qts);
    qdw_i2c_free(t.i2c);
    t.i2c = qdw_i2c_init(t.qts, t.pcibus, DW_DEVFN);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 0);
    /* The bus is free for the controller, and target mode works again */
    ddc_seek(&t, 0);
    qdw_i2c_target_mode(t.i2c, OWN_ADDR);
    qdw_i2c_set_dual_role(t.i2c, true);
    assert_status(qdw_i2c_write(t.i2c, ECHO_ADDR, to_echo1, 3), QDW_I2C_OK);
    assert_status(qdw_i2c_target_recv(t.i2c, buf, sizeof(buf), &len),
                  QDW_I2C_OK);
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmphex(buf[0], ==, 0x11);
    test_end(&t);
}

/* Malformed programming: no crash, no effect beyond what hardware does */
static void test_malformed(void)
{
    static const uint32_t ro_regs[] = {
        DW_IC_INTR_STAT, DW_IC_RAW_INTR_STAT, DW_IC_STATUS, DW_IC_TXFLR,
        DW_IC_RXFLR, DW_IC_TX_ABRT_SOURCE, DW_IC_ENABLE_STATUS,
        DW_IC_COMP_PARAM_1, DW_IC_COMP_VERSION, DW_IC_COMP_TYPE,
        DW_IC_CLR_INTR, DW_IC_CLR_STOP_DET,
    };
    uint32_t before[ARRAY_SIZE(ro_regs)];
    uint32_t reg;
    int i;
    Test t;

    test_boot(&t, DW_ARGS DDC_ARGS);
    for (i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        before[i] = rd(&t, ro_regs[i]);
    }
    for (i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        wr(&t, ro_regs[i], 0xffffffff);
    }
    for (i = 0; i < ARRAY_SIZE(ro_regs) - 2; i++) {
        g_assert_cmphex(rd(&t, ro_regs[i]), ==, before[i]);
    }

    /* Data while disabled goes nowhere */
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_DATA_CMD, 0x00);
    wr(&t, DW_IC_DATA_CMD, 0x42 | DW_IC_DATA_CMD_STOP);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 0);
    g_assert_cmphex(rd(&t, DW_IC_RAW_INTR_STAT), ==, 0);

    /* Reading an empty RX FIFO: 0 and RX_UNDER */
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==, 0);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_RX_UNDER);
    g_assert_cmpuint(rd(&t, DW_IC_CLR_RX_UNDER), ==, 1);
    g_assert_cmphex(rd(&t, DW_IC_RAW_INTR_STAT), ==, 0);

    /* Configuration is locked while enabled */
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_SAR, 0x22);
    wr(&t, DW_IC_SS_SCL_HCNT, 0x1234);
    wr(&t, DW_IC_CON, DW_IC_CON_MASTER_CFG & ~DW_IC_CON_MASTER);
    g_assert_cmphex(rd(&t, DW_IC_SAR), ==, 0x55);
    g_assert_cmphex(rd(&t, DW_IC_SS_SCL_HCNT), ==, 0x1b0);
    g_assert_cmphex(rd(&t, DW_IC_CON), ==, DW_IC_CON_MASTER_CFG);
    /* ... except SLAVE_DISABLE, which Linux flips on shutdown */
    wr(&t, DW_IC_CON, DW_IC_CON_MASTER_CFG & ~DW_IC_CON_SLAVE_DISABLE);
    g_assert_cmphex(rd(&t, DW_IC_CON), ==,
                    DW_IC_CON_MASTER_CFG & ~DW_IC_CON_SLAVE_DISABLE);
    qdw_i2c_disable(t.i2c);

    /* Thresholds beyond the FIFOs are clipped */
    wr(&t, DW_IC_RX_TL, 0xff);
    wr(&t, DW_IC_TX_TL, 200);
    g_assert_cmpuint(rd(&t, DW_IC_RX_TL), ==, 63);
    g_assert_cmpuint(rd(&t, DW_IC_TX_TL), ==, 63);

    /* TX FIFO overflow (target mode: data waits for a remote reader) */
    wr(&t, DW_IC_CON, DW_IC_CON_TARGET_CFG);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    for (i = 0; i < 70; i++) {
        wr(&t, DW_IC_DATA_CMD, i);
    }
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 64);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_OVER);
    g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_TFNF));
    qdw_i2c_disable(t.i2c);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 0);

    /* ABORT without ENABLE, unknown registers, other access sizes */
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ABORT);
    g_assert_cmphex(rd(&t, DW_IC_ENABLE), ==, 0);
    for (reg = 0x100; reg < 0x1000; reg += 0x1f4) {
        wr(&t, reg & ~3, 0xffffffff);
        g_assert_cmphex(rd(&t, reg & ~3), ==, 0);
    }
    qpci_io_writeb(qdw_i2c_pci_device(t.i2c), qdw_i2c_bar(t.i2c),
                   DW_IC_DATA_CMD, 0x12);
    qpci_io_readw(qdw_i2c_pci_device(t.i2c), qdw_i2c_bar(t.i2c),
                  DW_IC_COMP_TYPE);
    g_assert_cmpuint(rd(&t, DW_IC_TXFLR), ==, 0);

    /* Unsupported addressing aborts instead of addressing someone else */
    wr(&t, DW_IC_CON, DW_IC_CON_MASTER_CFG);
    wr(&t, DW_IC_TAR, DDC_ADDR | BIT(12));           /* 10-bit */
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_DATA_CMD, 0x00 | DW_IC_DATA_CMD_STOP);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_TX_ABRT);
    g_assert_cmphex(rd(&t, DW_IC_TX_ABRT_SOURCE) & 0xffff, ==, BIT(1));
    rd(&t, DW_IC_CLR_INTR);
    wr(&t, DW_IC_TAR, BIT(11));                         /* general call */
    wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD | DW_IC_DATA_CMD_STOP);
    g_assert_cmphex(rd(&t, DW_IC_TX_ABRT_SOURCE) & 0xffff, ==, BIT(5));
    rd(&t, DW_IC_CLR_INTR);
    qdw_i2c_disable(t.i2c);

    /* Still works */
    ddc_seek(&t, 0);
    test_end(&t);
}

/* Migrate @t to a new QEMU started with @args */
static void migrate(Test *t, const char *args)
{
    g_autofree char *cmdline = g_strconcat(machine(), args, NULL);

    t->qts = qos_migrate_unix(t->qts, cmdline);
    mctp_pci_free(t->pcibus);
    t->pcibus = mctp_pci_new(t->qts, &t->alloc);
    qdw_i2c_migrated(t->i2c, t->qts, t->pcibus);
}

/* Migration with bytes in the RX FIFO and a master transfer open */
static void test_migrate(void)
{
    const char *args = DW_ARGS DDC_ARGS;
    uint8_t buf[8];
    Test t;
    int i;

    test_boot(&t, "%s", args);
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_SAR, OWN_ADDR);
    wr(&t, DW_IC_INTR_MASK, DW_IC_INTR_RX_FULL);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_DATA_CMD, 0);
    for (i = 0; i < 3; i++) {
        wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD |
           (i ? 0 : DW_IC_DATA_CMD_RESTART));
    }
    /* Three bytes wait in the RX FIFO; the read is still going on */
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 3);
    g_assert(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_MST_ACTIVITY);

    migrate(&t, args);

    g_assert_cmphex(rd(&t, DW_IC_TAR), ==, DDC_ADDR);
    g_assert_cmphex(rd(&t, DW_IC_SAR), ==, OWN_ADDR);
    g_assert_cmphex(rd(&t, DW_IC_INTR_STAT), ==, DW_IC_INTR_RX_FULL);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 3);
    for (i = 0; i < 3; i++) {
        uint32_t v = rd(&t, DW_IC_DATA_CMD);

        g_assert_cmphex(v & 0xff, ==, edid_header[i]);
        g_assert_cmpuint(!!(v & DW_IC_DATA_CMD_FIRST_DATA_BYTE), ==, !i);
    }
    /*
     * The transfer can be ended on the destination (i2c-ddc does not
     * migrate its part in it, so the byte read is not checked).
     */
    wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD | DW_IC_DATA_CMD_STOP);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 1);
    rd(&t, DW_IC_DATA_CMD);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET);
    g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY));
    qdw_i2c_disable(t.i2c);
    ddc_read(&t, 0, buf, sizeof(buf));
    g_assert(!memcmp(buf, edid_header, sizeof(buf)));
    test_end(&t);
}

/*
 * Migration while a device masters to the controller and a byte waits,
 * held, for room in the RX FIFO.  Who masters the bus is not migrated by
 * QEMU's I2C core, so the destination ends that transfer: the bytes
 * received, the held one included, stay to be read, then STOP_DET.
 */
static void test_migrate_target_hold(void)
{
    static const uint8_t to_echo[] = { OWN_ADDR, 0xb1, 0xb2 };
    const char *args = DW_ARGS ",rx-fifo-depth=2" DDC_ARGS ECHO_ARGS;
    uint8_t buf[8];
    Test t;
    int i;

    test_boot(&t, "%s", args);
    qdw_i2c_target_mode(t.i2c, OWN_ADDR);
    qdw_i2c_disable(t.i2c);
    wr(&t, DW_IC_CON, DW_IC_CON_MASTER | DW_IC_CON_RESTART_EN |
       DW_IC_CON_SPEED_FAST | DW_IC_CON_RX_FIFO_FULL_HLD_CTRL);
    wr(&t, DW_IC_ENABLE, DW_IC_ENABLE_ENABLE);
    wr(&t, DW_IC_TAR, DDC_ADDR);
    wr(&t, DW_IC_DATA_CMD, 0x00);
    wr(&t, DW_IC_DATA_CMD, DW_IC_DATA_CMD_CMD | DW_IC_DATA_CMD_STOP |
       DW_IC_DATA_CMD_RESTART);
    rd(&t, DW_IC_CLR_INTR);
    wr(&t, DW_IC_TAR, ECHO_ADDR);
    for (i = 0; i < 3; i++) {
        wr(&t, DW_IC_DATA_CMD, to_echo[i] |
           (i == 2 ? DW_IC_DATA_CMD_STOP : 0));
    }
    g_assert(wait_reg(&t, DW_IC_STATUS, DW_IC_STATUS_SLV_HOLD_RX_FULL,
                      DW_IC_STATUS_SLV_HOLD_RX_FULL));
    rd(&t, DW_IC_CLR_INTR);

    migrate(&t, args);

    step(&t);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 2);
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                    edid_header[0] | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==,
                    0xb1 | DW_IC_DATA_CMD_FIRST_DATA_BYTE);
    g_assert_cmphex(rd(&t, DW_IC_DATA_CMD), ==, 0xb2);
    g_assert(rd(&t, DW_IC_RAW_INTR_STAT) & DW_IC_INTR_STOP_DET);
    g_assert_cmpuint(rd(&t, DW_IC_RXFLR), ==, 0);
    g_assert(!(rd(&t, DW_IC_STATUS) & DW_IC_STATUS_ACTIVITY));
    /* The bus is free on the destination */
    qdw_i2c_disable(t.i2c);
    qdw_i2c_target_off(t.i2c);
    ddc_read(&t, 0, buf, sizeof(buf));
    g_assert(!memcmp(buf, edid_header, sizeof(buf)));
    test_end(&t);
}

static const char *missing_device;

static void test_skip(void)
{
    g_test_skip(missing_device);
}

int main(int argc, char **argv)
{
    static const char *const devices[] = {
        "designware-i2c-pci", "i2c-ddc", "i2c-echo",
    };
    int i;

    g_test_init(&argc, &argv, NULL);

    /* The meson keys are of all targets: this QEMU may lack a device */
    for (i = 0; i < ARRAY_SIZE(devices); i++) {
        if (!qtest_has_device(devices[i])) {
            missing_device = g_strdup_printf("no %s in this QEMU",
                                             devices[i]);
            qtest_add_func("/designware-i2c/skipped", test_skip);
            return g_test_run();
        }
    }

    qtest_add_func("/designware-i2c/ident", test_ident);
    qtest_add_func("/designware-i2c/reset-values", test_reset_values);
    qtest_add_func("/designware-i2c/bad-config", test_bad_config);
    qtest_add_func("/designware-i2c/master/ddc", test_master_ddc);
    qtest_add_func("/designware-i2c/master/addr-nak", test_master_addr_nak);
    qtest_add_func("/designware-i2c/master/data-nak", test_master_data_nak);
    qtest_add_func("/designware-i2c/master/block-write",
                   test_master_block_write);
    qtest_add_func("/designware-i2c/master/rx-full", test_master_rx_full);
    qtest_add_func("/designware-i2c/master/user-abort",
                   test_master_user_abort);
    qtest_add_func("/designware-i2c/target/echo", test_target_echo);
    qtest_add_func("/designware-i2c/target/serialize",
                   test_target_serialize);
    qtest_add_func("/designware-i2c/target/fifo-full",
                   test_target_fifo_full);
    qtest_add_func("/designware-i2c/irq/intx", test_irq_intx);
    qtest_add_func("/designware-i2c/irq/msi", test_irq_msi);
    qtest_add_func("/designware-i2c/irq/msi-target-resend",
                   test_irq_msi_target_resend);
    qtest_add_func("/designware-i2c/reset/mid-transfer",
                   test_reset_mid_transfer);
    qtest_add_func("/designware-i2c/reset/target-hold",
                   test_reset_target_hold);
    qtest_add_func("/designware-i2c/malformed", test_malformed);
    qtest_add_func("/designware-i2c/migrate/master", test_migrate);
    qtest_add_func("/designware-i2c/migrate/target-hold",
                   test_migrate_target_hold);
    return g_test_run();
}
