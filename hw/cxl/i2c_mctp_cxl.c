/*
 * i2c_mctp_cxl: CXL FM-API and CCI messages over MCTP over SMBus/I2C
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An MCTP endpoint on an I2C bus (hw/i2c/mctp.c) through which a fabric
 * manager reaches the CCI of a CXL switch upstream port or type 3 device
 * (hw/cxl/cxl-mctp.c), as usb-cxl-mctp does over USB:
 *
 *   -device i2c_mctp_cxl,bus=<i2c bus>,address=0x4,target=us0
 */

#include "qemu/osdep.h"
#include "hw/cxl/cxl_mctp.h"
#include "hw/i2c/mctp.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

#define TYPE_I2C_MCTP_CXL "i2c_mctp_cxl"
OBJECT_DECLARE_SIMPLE_TYPE(I2CMCTPCXLState, I2C_MCTP_CXL)

struct I2CMCTPCXLState {
    I2CMCTPEndpoint parent_obj;

    CXLMCTPBinding cxl;         /* target and CCI */
};

static bool i2c_mctp_cxl_realize_binding(I2CMCTPEndpoint *ep,
                                         MCTPEndpoint *mep, Error **errp)
{
    I2CMCTPCXLState *s = I2C_MCTP_CXL(ep);

    return cxl_mctp_binding_realize(&s->cxl, DEVICE(s), mep, errp);
}

static void i2c_mctp_cxl_unrealize_binding(I2CMCTPEndpoint *ep)
{
    cxl_mctp_binding_unrealize(&I2C_MCTP_CXL(ep)->cxl);
}

static void i2c_mctp_cxl_reset_binding(I2CMCTPEndpoint *ep)
{
    cxl_mctp_binding_reset(&I2C_MCTP_CXL(ep)->cxl);
}

static size_t i2c_mctp_cxl_handle_message(I2CMCTPEndpoint *ep, uint8_t *msg,
                                          size_t len, uint8_t *rsp,
                                          size_t rsp_size)
{
    return cxl_mctp_binding_handle_message(&I2C_MCTP_CXL(ep)->cxl, msg, len,
                                           rsp, rsp_size);
}

static const VMStateDescription vmstate_i2c_mctp_cxl = {
    .name = TYPE_I2C_MCTP_CXL,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_I2C_MCTP_ENDPOINT(parent_obj, I2CMCTPCXLState),
        VMSTATE_CXL_MCTP_BINDING(cxl, I2CMCTPCXLState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property i2c_mctp_cxl_properties[] = {
    DEFINE_PROP_CXL_MCTP_TARGET(I2CMCTPCXLState, cxl),
};

static void i2c_mctp_cxl_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    I2CMCTPEndpointClass *k = I2C_MCTP_ENDPOINT_CLASS(klass);

    dc->desc = "CXL FM-API and CCI over MCTP over SMBus/I2C (DSP0237)";
    dc->vmsd = &vmstate_i2c_mctp_cxl;
    device_class_set_props(dc, i2c_mctp_cxl_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    k->realize_binding = i2c_mctp_cxl_realize_binding;
    k->unrealize_binding = i2c_mctp_cxl_unrealize_binding;
    k->reset_binding = i2c_mctp_cxl_reset_binding;
    k->handle_message = i2c_mctp_cxl_handle_message;
}

static const TypeInfo i2c_mctp_cxl_info = {
    .name = TYPE_I2C_MCTP_CXL,
    .parent = TYPE_I2C_MCTP_ENDPOINT,
    .instance_size = sizeof(I2CMCTPCXLState),
    .class_init = i2c_mctp_cxl_class_init,
};

static void i2c_mctp_cxl_register_types(void)
{
    type_register_static(&i2c_mctp_cxl_info);
}

type_init(i2c_mctp_cxl_register_types)
