/*
 * libqos driver for an EHCI USB 2.0 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Just enough of a host controller driver for a qtest to enumerate a
 * high-speed device on a root port of usb-ehci (or ich9-usb-ehci*) and
 * to run control and bulk transfers on the asynchronous schedule:
 *
 *   hc = qehci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = qehci_enumerate(hc, qehci_first_connected_port(hc), 1, NULL);
 *   qehci_set_configuration(dev, 1);
 *   qehci_bulk_out(dev, 1, buf, len);
 *   qehci_bulk_in(dev, 1, buf, 512, &actual);
 *
 * The schedule is a ring of queue heads, one per device endpoint, behind
 * a halted head with the H bit.  Every call runs one transfer and waits
 * for it by stepping the virtual clock one frame at a time, a bounded
 * number of times (see qehci_set_poll_limits()); nothing sleeps.  Only
 * a bulk IN can stay in flight meanwhile (qehci_bulk_in_submit()).  Guest
 * memory comes from the libqos allocator and must be below 4 GiB.
 */

#ifndef LIBQOS_USB_EHCI_H
#define LIBQOS_USB_EHCI_H

#include "pci.h"
#include "libqos-malloc.h"

/* The USB 2.0 chapter 9 values tests need, as include/hw/usb.h has them */
#define USB_DIR_OUT                     0
#define USB_DIR_IN                      0x80
#define USB_TYPE_STANDARD               (0x00 << 5)
#define USB_TYPE_CLASS                  (0x01 << 5)
#define USB_TYPE_VENDOR                 (0x02 << 5)
#define USB_RECIP_DEVICE                0x00
#define USB_RECIP_INTERFACE             0x01
#define USB_RECIP_ENDPOINT              0x02
#define USB_REQ_GET_STATUS              0x00
#define USB_REQ_CLEAR_FEATURE           0x01
#define USB_REQ_SET_ADDRESS             0x05
#define USB_REQ_GET_DESCRIPTOR          0x06
#define USB_REQ_GET_CONFIGURATION       0x08
#define USB_REQ_SET_CONFIGURATION       0x09
#define USB_DT_DEVICE                   0x01
#define USB_DT_CONFIG                   0x02
#define USB_DT_STRING                   0x03
#define USB_DT_INTERFACE                0x04
#define USB_DT_ENDPOINT                 0x05
#define USB_DT_DEVICE_QUALIFIER         0x06
#define USB_ENDPOINT_XFER_CONTROL       0
#define USB_ENDPOINT_XFER_ISOC          1
#define USB_ENDPOINT_XFER_BULK          2
#define USB_ENDPOINT_XFER_INT           3

/* Largest transfer a single qTD carries; bulk IN is at most this */
#define QEHCI_QTD_MAX_BYTES     (16 * 1024)

/* Default poll limits, in polls of one 1 ms frame of virtual time each */
#define QEHCI_MAX_POLLS         1000
#define QEHCI_NAK_POLLS         20

typedef struct QEHCI QEHCI;
typedef struct QEHCIDevice QEHCIDevice;

typedef enum QEHCIStatus {
    QEHCI_OK,           /* transfer complete (possibly short, for IN) */
    /*
     * The controller started the transfer but the device NAKed (or held)
     * it for the whole NAK budget; the transfer was cancelled.  For a
     * bulk IN this means "nothing queued", for an OUT "not accepted".
     */
    QEHCI_NO_DATA,
    QEHCI_STALL,        /* the device stalled: the endpoint is halted */
    QEHCI_ERROR,        /* halted with babble, transaction or buffer error */
    QEHCI_TIMEOUT,      /* the controller never processed the transfer */
} QEHCIStatus;

/* Name of a status, for assertion messages */
const char *qehci_status_str(QEHCIStatus st);

/*
 * Enable the EHCI PCI function at @devfn on @bus, reset the controller,
 * route every port to it (CONFIGFLAG) and run it with an empty
 * asynchronous schedule.  Guest memory comes from @alloc.
 */
QEHCI *qehci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                  int devfn);
/* Stop the controller and free it, its devices' state and guest memory */
void qehci_free(QEHCI *hc);
/*
 * The machine was reset behind the driver's back (system_reset): free
 * the driver's state of the controller, or of a device on it, and their
 * guest memory, without touching the controller.  Forget the devices
 * first.
 */
void qehci_forget(QEHCI *hc);
void qehci_device_forget(QEHCIDevice *dev);
/*
 * The controller's machine was migrated to @qts: carry on there, on @bus
 * (that QEMU's PCI bus), with the schedule and transfers in flight as they
 * are in guest memory.
 */
void qehci_migrated(QEHCI *hc, QTestState *qts, QPCIBus *bus);

/*
 * Poll limits for every following transfer: give up after @max_polls
 * frames (QEHCI_TIMEOUT) and cancel a transfer the device has NAKed for
 * @nak_polls frames (QEHCI_NO_DATA).  0 keeps the current value.
 */
void qehci_set_poll_limits(QEHCI *hc, unsigned max_polls, unsigned nak_polls);

/* Number of root ports, and PORTSC of one (0-based) */
int qehci_num_ports(QEHCI *hc);
uint32_t qehci_portsc(QEHCI *hc, int port);
/* First root port with a device connected, -1 if none */
int qehci_first_connected_port(QEHCI *hc);
/*
 * Reset root port @port and acknowledge its change bits.  True if the
 * port is enabled afterwards, i.e. a high-speed device is connected (a
 * full or low speed one would belong to a companion controller).
 */
bool qehci_port_reset(QEHCI *hc, int port);

/*
 * The device on @port after qehci_port_reset(): address 0, a 64-byte
 * control endpoint.  Free with qehci_device_free().
 */
QEHCIDevice *qehci_device_new(QEHCI *hc, int port);
/*
 * Reset @port, read the device descriptor's first 8 bytes at address 0,
 * SET_ADDRESS @addr and read the whole device descriptor into @desc
 * (18 bytes, may be NULL).  Asserts that each step works.
 */
QEHCIDevice *qehci_enumerate(QEHCI *hc, int port, uint8_t addr,
                             uint8_t *desc);
/*
 * Forget the device, cancelling a bulk IN in flight; its queue heads stay
 * idle in the schedule until qehci_free().
 */
void qehci_device_free(QEHCIDevice *dev);
uint8_t qehci_device_addr(QEHCIDevice *dev);

/*
 * A control transfer on endpoint 0: SETUP, an optional DATA stage of
 * @length bytes in the direction of @request_type (from/to @data), and
 * STATUS.  *@actual (may be NULL) gets the bytes of the DATA stage.
 */
QEHCIStatus qehci_control(QEHCIDevice *dev, uint8_t request_type,
                          uint8_t request, uint16_t value, uint16_t index,
                          void *data, uint16_t length, size_t *actual);
/* GET_DESCRIPTOR(@type, @index) with language @langid, up to @len bytes */
QEHCIStatus qehci_get_descriptor(QEHCIDevice *dev, uint8_t type,
                                 uint8_t index, uint16_t langid,
                                 void *buf, uint16_t len, size_t *actual);
/*
 * String descriptor @index in the first language the device lists,
 * converted to ASCII (other characters become '?'); NULL on failure.
 */
char *qehci_get_string(QEHCIDevice *dev, uint8_t index);
/* SET_ADDRESS, then use @addr for every endpoint of @dev */
QEHCIStatus qehci_set_address(QEHCIDevice *dev, uint8_t addr);
/* SET_CONFIGURATION; resets the data toggles of the bulk endpoints */
QEHCIStatus qehci_set_configuration(QEHCIDevice *dev, uint8_t value);
/*
 * CLEAR_FEATURE(ENDPOINT_HALT) on endpoint address @ep_addr (0x81 for
 * IN 1) and un-halt its queue head with data toggle 0.
 */
QEHCIStatus qehci_clear_halt(QEHCIDevice *dev, uint8_t ep_addr);

/*
 * Bulk transfers on endpoint number @ep (1..15; the direction is the
 * function's), with the data toggle the queue head keeps.  An OUT sends
 * @len bytes as one transfer (several qTDs if it is larger than
 * QEHCI_QTD_MAX_BYTES; @len 0 sends a zero-length packet).  An IN reads
 * at most @maxlen (<= QEHCI_QTD_MAX_BYTES) bytes into @buf and stores
 * the length received in *@actual (0 unless QEHCI_OK).
 */
QEHCIStatus qehci_bulk_out(QEHCIDevice *dev, int ep, const void *buf,
                           size_t len);
QEHCIStatus qehci_bulk_in(QEHCIDevice *dev, int ep, void *buf,
                          size_t maxlen, size_t *actual);
/*
 * qehci_bulk_in() in two halves, so that an IN transfer can wait on the
 * device while transfers run on other endpoints, as a host driver keeps
 * one queued: submit (QEHCI_STALL if the endpoint is halted), then wait.
 */
QEHCIStatus qehci_bulk_in_submit(QEHCIDevice *dev, int ep, size_t maxlen);
QEHCIStatus qehci_bulk_in_wait(QEHCIDevice *dev, int ep, void *buf,
                               size_t *actual);

#endif
