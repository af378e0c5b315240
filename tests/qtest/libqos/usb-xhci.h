/*
 * libqos driver for an xHCI USB 3 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Just enough of a host controller driver for a qtest to enumerate a
 * device on a root port of qemu-xhci (PCI 1b36:000d) at any speed and to
 * run control and bulk transfers; the control transfers and enumeration
 * are usb-hcd.h's:
 *
 *   hc = qxhci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = qusb_enumerate(hc, qusb_first_connected_port(hc), 1, NULL);
 *   qusb_set_configuration(dev, 1);
 *   qusb_bulk_out(dev, 1, buf, len);
 *   qxhci_bulk_in(dev, 1, buf, 512, &actual);
 *
 * One command ring, one event ring on interrupter 0 that the driver polls
 * (no interrupt, no MSI), a device slot per device and a transfer ring
 * per endpoint.  The device gets its slot when it is created
 * (qusb_device_new(), Enable Slot), its control endpoint at its first
 * control transfer (Address Device with BSR set: the device stays at
 * address 0), and its address from the SET_ADDRESS request, which the
 * driver turns into Address Device (the xHC picks the address, its slot
 * ID; qusb_device_addr() keeps the one asked for).  A bulk endpoint is
 * added with Configure Endpoint at its first transfer.
 *
 * A bulk IN the device holds (nothing to send yet) stays posted on its
 * ring, as a host driver keeps an URB posted: qxhci_bulk_in() reports
 * QUSB_NO_DATA after the NAK budget (qusb_set_poll_limits()) and a later
 * call completes the same TRB.  Everything else waits for at most the
 * poll limit and asserts that the controller neither halted nor failed.
 */

#ifndef LIBQOS_USB_XHCI_H
#define LIBQOS_USB_XHCI_H

#include "usb-hcd.h"

/* Largest bulk OUT the driver runs (in TRBs of at most 64 KiB) */
#define QXHCI_MAX_XFER          (64 * 1024)
/* Largest bulk IN: one TRB in one guest page */
#define QXHCI_MAX_IN            4096

/* PORTSC Port Speed values (xHCI 1.2 table 7-13, the default IDs) */
#define QXHCI_SPEED_FULL        1
#define QXHCI_SPEED_LOW         2
#define QXHCI_SPEED_HIGH        3
#define QXHCI_SPEED_SUPER       4

/*
 * Enable the xHCI PCI function at @devfn on @bus (its memory BAR 0),
 * reset the controller, give it its device context base address array,
 * command ring and event ring, and run it.  Guest memory comes from
 * @alloc.  Root ports count from 0 (the xHC's port 1); on qemu-xhci the
 * USB 3 ports come first.
 */
QUSBHost *qxhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                     int devfn);
/* PORTSC of root port @port (0-based) */
uint32_t qxhci_portsc(QUSBHost *hc, int port);
/* The speed of the device on @port after a reset (QXHCI_SPEED_*) */
int qxhci_port_speed(QUSBHost *hc, int port);
/* The slot ID of @dev, its USB address on the bus since SET_ADDRESS */
int qxhci_slot_id(QUSBDevice *dev);

/*
 * Bulk transfers on endpoint number @ep (1..15; the direction is the
 * function's).  An OUT (qusb_bulk_out()) of at most QXHCI_MAX_XFER bytes
 * is one TD of Normal TRBs, none crossing a 64 KiB boundary.
 *
 * An IN reads at most @maxlen (<= QXHCI_MAX_IN) bytes into @buf, one
 * Normal TRB that ends at a short packet, and stores the length received
 * in *@actual (0 unless QUSB_OK).  If the device has not answered within
 * the NAK budget it returns QUSB_NO_DATA and leaves the TRB posted; the
 * next call on @ep waits for that TRB again (its @maxlen must hold the
 * posted one's) rather than posting another.
 */
QUSBStatus qxhci_bulk_in(QUSBDevice *dev, int ep, void *buf,
                         size_t maxlen, size_t *actual);
/*
 * qxhci_bulk_in() in two halves: post an IN TRB for @maxlen bytes
 * (QUSB_STALL if the endpoint is halted), then wait for it as
 * qxhci_bulk_in() does.
 */
QUSBStatus qxhci_bulk_in_submit(QUSBDevice *dev, int ep, size_t maxlen);
QUSBStatus qxhci_bulk_in_wait(QUSBDevice *dev, int ep, void *buf,
                              size_t *actual);
/* Whether an IN TRB is posted on @ep and not completed yet */
bool qxhci_bulk_in_pending(QUSBDevice *dev, int ep);
/* IN TRBs posted on @ep since the device was created */
unsigned qxhci_bulk_in_posted(QUSBDevice *dev, int ep);
/*
 * Take the posted IN off @ep (Stop Endpoint, then Set TR Dequeue Pointer
 * past it); what it may have received is lost
 */
void qxhci_bulk_in_cancel(QUSBDevice *dev, int ep);

#endif
