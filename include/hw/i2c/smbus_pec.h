/*
 * SMBus Packet Error Code
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_I2C_SMBUS_PEC_H
#define HW_I2C_SMBUS_PEC_H

/*
 * The SMBus PEC (SMBus 3.x 6.4): CRC-8, polynomial x^8 + x^2 + x + 1, of
 * every byte of a transaction from the first address byte on.  Chainable:
 * pass 0 for the first chunk and the previous result for the next ones.
 */
uint8_t i2c_smbus_pec(uint8_t crc, const uint8_t *buf, size_t len);

#endif /* HW_I2C_SMBUS_PEC_H */
