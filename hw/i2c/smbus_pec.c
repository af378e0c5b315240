/*
 * SMBus Packet Error Code
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/i2c/smbus_pec.h"

#define SMBUS_PEC_POLY  0x07    /* x^8 + x^2 + x + 1, the x^8 term implied */

uint8_t i2c_smbus_pec(uint8_t crc, const uint8_t *buf, size_t len)
{
    size_t i;
    int bit;

    for (i = 0; i < len; i++) {
        crc ^= buf[i];
        for (bit = 0; bit < 8; bit++) {
            crc = crc & 0x80 ? (crc << 1) ^ SMBUS_PEC_POLY : crc << 1;
        }
    }
    return crc;
}
