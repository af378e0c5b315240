/*
 * Synopsys DesignWare I2C controller on PCI
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A PCI function with the DW_apb_i2c register block (designware-i2c) in
 * BAR0 and Intel's Lynx Point LP (Haswell ULT) LPSS I2C ID, 8086:9c61.
 * Linux's i2c-designware-pci binds that ID with fixed timing counts and
 * SDA hold time, no ACPI data, no LPSS private registers and no setup
 * hook, so an unmodified guest kernel drives the controller as it is,
 * over INTx or MSI.
 *
 * The controller's I2C bus is named after the function's id when it has
 * one (-device designware-i2c-pci,id=i2c0 -device tmp105,bus=i2c0).  The
 * FIFOs are 64 entries deep unless tx-fifo-depth and rx-fifo-depth say
 * otherwise.
 *
 * INTx follows the level of the controller's pending interrupts; with
 * MSI, a message is sent on each pulse of the controller's edge output.
 */

#include "qemu/osdep.h"
#include "hw/i2c/designware_i2c.h"
#include "hw/irq.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci_device.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/module.h"

#define TYPE_DESIGNWARE_I2C_PCI     "designware-i2c-pci"
OBJECT_DECLARE_SIMPLE_TYPE(DesignWareI2CPCIState, DESIGNWARE_I2C_PCI)

#define DW_I2C_PCI_DEVICE_ID        0x9c61
#define DW_I2C_PCI_CLASS            0x0c80  /* serial bus, other */
#define DW_I2C_PCI_FIFO_DEPTH       64

/* The controller's interrupt outputs, as inputs of the function */
#define DW_I2C_PCI_IRQ_IN           "designware-i2c-irq"
#define DW_I2C_PCI_IRQ_LEVEL        0
#define DW_I2C_PCI_IRQ_EDGE         1

struct DesignWareI2CPCIState {
    PCIDevice parent_obj;

    DesignWareI2CState core;
};

static void dw_i2c_pci_irq(void *opaque, int n, int level)
{
    DesignWareI2CPCIState *s = opaque;
    PCIDevice *pdev = &s->parent_obj;
    bool msi = msi_enabled(pdev);

    if (n == DW_I2C_PCI_IRQ_EDGE) {
        if (msi && level) {
            msi_notify(pdev, 0);
        }
    } else if (!msi) {
        pci_set_irq(pdev, level);
    }
}

static void dw_i2c_pci_write_config(PCIDevice *pdev, uint32_t addr,
                                    uint32_t val, int len)
{
    DesignWareI2CPCIState *s = DESIGNWARE_I2C_PCI(pdev);
    bool msi = msi_enabled(pdev);
    bool pending = s->core.irq_pending != 0;

    pci_default_write_config(pdev, addr, val, len);
    if (msi == msi_enabled(pdev)) {
        return;
    }
    /* Signal what is pending the new way */
    if (msi) {
        pci_set_irq(pdev, pending);
    } else {
        pci_set_irq(pdev, 0);
        if (pending) {
            msi_notify(pdev, 0);
        }
    }
}

static void dw_i2c_pci_realize(PCIDevice *pdev, Error **errp)
{
    DesignWareI2CPCIState *s = DESIGNWARE_I2C_PCI(pdev);
    DeviceState *dev = DEVICE(pdev);
    DeviceState *core = DEVICE(&s->core);
    Error *err = NULL;
    int ret;

    /* Named after the id, if any, so that bus=<id> finds it */
    if (dev->id) {
        qdev_prop_set_string(core, "bus-name", dev->id);
    }
    if (!sysbus_realize(SYS_BUS_DEVICE(core), errp)) {
        /*
         * qdev put the core on the system bus before its realize failed:
         * take it off, this function's memory goes with the failure
         */
        object_unparent(OBJECT(core));
        return;
    }
    /* Migrated as part of the function (vmstate_dw_i2c_pci) */
    vmstate_unregister(VMSTATE_IF(core), &vmstate_designware_i2c, core);

    sysbus_connect_irq(SYS_BUS_DEVICE(core), 0,
                       qdev_get_gpio_in_named(dev, DW_I2C_PCI_IRQ_IN,
                                              DW_I2C_PCI_IRQ_LEVEL));
    qdev_connect_gpio_out_named(core, DESIGNWARE_I2C_EDGE, 0,
                                qdev_get_gpio_in_named(dev, DW_I2C_PCI_IRQ_IN,
                                                       DW_I2C_PCI_IRQ_EDGE));

    pci_config_set_interrupt_pin(pdev->config, 1);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     sysbus_mmio_get_region(SYS_BUS_DEVICE(core), 0));

    ret = msi_init(pdev, 0, 1, true, false, &err);
    if (ret == -ENOTSUP) {
        error_free(err);            /* no MSI on this machine: INTx only */
    } else if (ret) {
        error_propagate(errp, err);
        /* Off the system bus too: the core is part of this function */
        object_unparent(OBJECT(core));
    }
}

static void dw_i2c_pci_exit(PCIDevice *pdev)
{
    DesignWareI2CPCIState *s = DESIGNWARE_I2C_PCI(pdev);

    msi_uninit(pdev);
    /*
     * Unrealize the core and take it off the system bus, whose reference
     * to it must not outlive this function, of which it is a part
     */
    object_unparent(OBJECT(&s->core));
}

static void dw_i2c_pci_reset(DeviceState *dev)
{
    DesignWareI2CPCIState *s = DESIGNWARE_I2C_PCI(dev);

    device_cold_reset(DEVICE(&s->core));
}

static void dw_i2c_pci_init(Object *obj)
{
    DesignWareI2CPCIState *s = DESIGNWARE_I2C_PCI(obj);

    object_initialize_child(obj, "i2c", &s->core, TYPE_DESIGNWARE_I2C);
    qdev_prop_set_uint32(DEVICE(&s->core), "tx-fifo-depth",
                         DW_I2C_PCI_FIFO_DEPTH);
    qdev_prop_set_uint32(DEVICE(&s->core), "rx-fifo-depth",
                         DW_I2C_PCI_FIFO_DEPTH);
    object_property_add_alias(obj, "tx-fifo-depth", OBJECT(&s->core),
                              "tx-fifo-depth");
    object_property_add_alias(obj, "rx-fifo-depth", OBJECT(&s->core),
                              "rx-fifo-depth");
    qdev_init_gpio_in_named(DEVICE(obj), dw_i2c_pci_irq, DW_I2C_PCI_IRQ_IN,
                            2);
}

static const VMStateDescription vmstate_dw_i2c_pci = {
    .name = TYPE_DESIGNWARE_I2C_PCI,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, DesignWareI2CPCIState),
        VMSTATE_STRUCT(core, DesignWareI2CPCIState, 1,
                       vmstate_designware_i2c, DesignWareI2CState),
        VMSTATE_END_OF_LIST()
    }
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
    dc->vmsd = &vmstate_dw_i2c_pci;
    device_class_set_legacy_reset(dc, dw_i2c_pci_reset);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo dw_i2c_pci_types[] = {
    {
        .name = TYPE_DESIGNWARE_I2C_PCI,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(DesignWareI2CPCIState),
        .instance_init = dw_i2c_pci_init,
        .class_init = dw_i2c_pci_class_init,
        .interfaces = (const InterfaceInfo[]) {
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(dw_i2c_pci_types)
