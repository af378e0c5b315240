/*
 * libqos driver for a UHCI USB 1.1 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Just enough of a host controller driver for a qtest to enumerate a
 * full-speed device on a root port of piix3-usb-uhci (or ich9-usb-uhci*)
 * and to run control and bulk transfers; the control transfers and
 * enumeration are usb-hcd.h's:
 *
 *   hc = quhci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = qusb_enumerate(hc, qusb_first_connected_port(hc), 1, NULL);
 *   qusb_set_configuration(dev, 1);
 *   qusb_bulk_out(dev, 1, buf, len);
 *   quhci_bulk_in(dev, 1, buf, 512, &actual);
 *
 * Every entry of the frame list points to one chain of queue heads, one
 * per device endpoint.  A transfer is a chain of TDs of at most the
 * endpoint's max packet size each (qusb_set_max_packet(); bulk endpoints
 * default to 64, the most full speed allows), with the data toggles the
 * driver keeps per endpoint, hung below the endpoint's queue head; an IN
 * transfer stops at the first short packet (SPD).
 */

#ifndef LIBQOS_USB_UHCI_H
#define LIBQOS_USB_UHCI_H

#include "usb-hcd.h"

/*
 * Largest transfer the driver runs; it must also fit in the 254 TDs an
 * endpoint's page holds (4 KiB in 64-byte packets does).
 */
#define QUHCI_MAX_XFER          4096

/* Most USB packets of an IN transfer quhci_bulk_in_packets() reports */
#define QUHCI_MAX_PACKETS       64

/*
 * Enable the UHCI PCI function at @devfn on @bus (its I/O BAR 4), reset
 * the controller and run it on a frame list whose every entry points to
 * the (so far empty) chain of queue heads.  Guest memory comes from
 * @alloc.  It has 2 root ports.
 */
QUSBHost *quhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn);
/* PORTSC of root port @port (0-based) */
uint16_t quhci_portsc(QUSBHost *hc, int port);
/* Whether a low-speed device is on @port (else it is full speed) */
bool quhci_port_low_speed(QUSBHost *hc, int port);

/*
 * Bulk transfers on endpoint number @ep (1..15; the direction is the
 * function's), data toggles carried on from the endpoint's last
 * transfer.
 *
 * An OUT (qusb_bulk_out()) sends @len (<= QUHCI_MAX_XFER) bytes as one
 * transfer: TDs of the max packet size and a shorter last one.  If @len
 * is a multiple of the max packet size nothing ends the transfer but its
 * length, unless the caller sends a zero-length packet (@len 0) next.
 *
 * An IN reads at most @maxlen (<= QUHCI_MAX_XFER) bytes into @buf as a
 * chain of max-packet TDs that stops at the first short packet (a
 * zero-length one included) and stores the length received in *@actual
 * (0 unless QUSB_OK).
 */
QUSBStatus quhci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual);
/*
 * The USB packets the last bulk IN on @ep received (QUSB_OK, or
 * QUSB_NO_DATA after some data): their number, and the lengths of the
 * first @max of them in @lens.  A transfer that ended on a zero-length
 * packet ends with a 0.
 */
int quhci_bulk_in_packets(QUSBDevice *dev, int ep, size_t *lens, int max);
/*
 * After a bulk IN on @ep ended QUSB_NO_DATA: true if the device NAKed
 * its TD, false if it held it (USB_RET_ASYNC: the TD stays active
 * without the NAK bit).
 */
bool quhci_bulk_in_naked(QUSBDevice *dev, int ep);

#endif
