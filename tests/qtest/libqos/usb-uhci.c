/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libqos UHCI driver (placeholder, being written)
 */

#include "qemu/osdep.h"
