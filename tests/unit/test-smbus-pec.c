/*
 * Unit test for the SMBus Packet Error Code
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/i2c/smbus_pec.h"

/* The CRC catalogue's check value for CRC-8/SMBUS: "123456789" -> 0xF4 */
static void test_pec_check_value(void)
{
    const uint8_t digits[] = "123456789";

    g_assert_cmphex(i2c_smbus_pec(0, digits, 9), ==, 0xf4);
}

/* Single bytes: 0 stays 0, 1 is the polynomial, 0xff */
static void test_pec_single_bytes(void)
{
    const uint8_t zero = 0x00, one = 0x01, ff = 0xff;

    g_assert_cmphex(i2c_smbus_pec(0, &zero, 1), ==, 0x00);
    g_assert_cmphex(i2c_smbus_pec(0, &one, 1), ==, 0x07);
    g_assert_cmphex(i2c_smbus_pec(0, &ff, 1), ==, 0xf3);
    g_assert_cmphex(i2c_smbus_pec(0x5a, NULL, 0), ==, 0x5a);
}

/*
 * An MCTP-over-SMBus packet (DSP0237): to address 0x1d, command 0x0f,
 * byte count 8, source address 0x10, MCTP header (dest EID 0, source 8,
 * SOM EOM TO tag 0) and a Get Endpoint ID request.  The PEC covers the
 * address byte; computed in two chunks it is the same.
 */
static void test_pec_mctp_packet(void)
{
    const uint8_t frame[] = {
        0x1d << 1, 0x0f, 0x08, (0x10 << 1) | 1,
        0x01, 0x00, 0x08, 0xc8, 0x00, 0x81, 0x02,
    };

    g_assert_cmphex(i2c_smbus_pec(0, frame, sizeof(frame)), ==, 0x43);
    g_assert_cmphex(i2c_smbus_pec(i2c_smbus_pec(0, frame, 1), frame + 1,
                                  sizeof(frame) - 1), ==, 0x43);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/smbus-pec/check-value", test_pec_check_value);
    g_test_add_func("/smbus-pec/single-bytes", test_pec_single_bytes);
    g_test_add_func("/smbus-pec/mctp-packet", test_pec_mctp_packet);
    return g_test_run();
}
