/*
 * libqos driver for an EHCI USB 2.0 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Just enough of a host controller driver for a qtest to enumerate a
 * high-speed device on a root port of usb-ehci (or ich9-usb-ehci*) and
 * to run control and bulk transfers on the asynchronous schedule; the
 * control transfers and enumeration are usb-hcd.h's:
 *
 *   hc = qehci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = qusb_enumerate(hc, qusb_first_connected_port(hc), 1, NULL);
 *   qusb_set_configuration(dev, 1);
 *   qusb_bulk_out(dev, 1, buf, len);
 *   qehci_bulk_in(dev, 1, buf, 512, &actual);
 *
 * The schedule is a ring of queue heads, one per device endpoint, behind
 * a halted head with the H bit.  Every call runs one transfer and waits
 * for it; only a bulk IN can stay in flight meanwhile
 * (qehci_bulk_in_submit()).
 */

#ifndef LIBQOS_USB_EHCI_H
#define LIBQOS_USB_EHCI_H

#include "usb-hcd.h"

/* Largest transfer a single qTD carries; bulk IN is at most this */
#define QEHCI_QTD_MAX_BYTES     (16 * 1024)

/*
 * Enable the EHCI PCI function at @devfn on @bus, reset the controller,
 * route every port to it (CONFIGFLAG) and run it with an empty
 * asynchronous schedule.  Guest memory comes from @alloc.  A root port
 * resets enabled only with a high-speed device (a full or low speed one
 * would belong to a companion controller).
 */
QUSBHost *qehci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn);
/* PORTSC of root port @port (0-based) */
uint32_t qehci_portsc(QUSBHost *hc, int port);

/*
 * Bulk transfers on endpoint number @ep (1..15; the direction is the
 * function's), with the data toggle the queue head keeps.  An OUT
 * (qusb_bulk_out()) goes in several qTDs if it is larger than
 * QEHCI_QTD_MAX_BYTES.  An IN reads at most @maxlen
 * (<= QEHCI_QTD_MAX_BYTES) bytes into @buf and stores the length
 * received in *@actual (0 unless QUSB_OK).
 */
QUSBStatus qehci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual);
/*
 * qehci_bulk_in() in two halves, so that an IN transfer can wait on the
 * device while transfers run on other endpoints, as a host driver keeps
 * one queued: submit (QUSB_STALL if the endpoint is halted), then wait.
 */
QUSBStatus qehci_bulk_in_submit(QUSBDevice *dev, int ep, size_t maxlen);
QUSBStatus qehci_bulk_in_wait(QUSBDevice *dev, int ep, void *buf,
                              size_t *actual);

#endif
