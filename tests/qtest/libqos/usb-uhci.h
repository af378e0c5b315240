/*
 * libqos driver for a UHCI USB 1.1 host controller
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Just enough of a host controller driver for a qtest to enumerate a
 * full-speed device on a root port of piix3-usb-uhci (or ich9-usb-uhci*)
 * and to run control and bulk transfers:
 *
 *   hc = quhci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = quhci_enumerate(hc, quhci_first_connected_port(hc), 1, NULL);
 *   quhci_set_configuration(dev, 1);
 *   quhci_bulk_out(dev, 1, buf, len);
 *   quhci_bulk_in(dev, 1, buf, 512, &actual);
 *
 * Every entry of the frame list points to one chain of queue heads, one
 * per device endpoint.  A transfer is a chain of TDs of at most the
 * endpoint's max packet size each, with the data toggles the driver keeps
 * per endpoint, hung below the endpoint's queue head; an IN transfer
 * stops at the first short packet (SPD).  Every call runs one transfer
 * and waits for it by stepping the virtual clock one frame at a time, a
 * bounded number of times (see quhci_set_poll_limits()); nothing sleeps.
 * Guest memory comes from the libqos allocator and must be below 4 GiB.
 */

#ifndef LIBQOS_USB_UHCI_H
#define LIBQOS_USB_UHCI_H

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

/*
 * Largest transfer the driver runs; it must also fit in the 254 TDs an
 * endpoint's page holds (4 KiB in 64-byte packets does).
 */
#define QUHCI_MAX_XFER          4096

/* Most USB packets of an IN transfer quhci_bulk_in_packets() reports */
#define QUHCI_MAX_PACKETS       64

/* Default poll limits, in polls of one 1 ms frame of virtual time each */
#define QUHCI_MAX_POLLS         1000
#define QUHCI_NAK_POLLS         20

typedef struct QUHCI QUHCI;
typedef struct QUHCIDevice QUHCIDevice;

typedef enum QUHCIStatus {
    QUHCI_OK,           /* transfer complete (possibly short, for IN) */
    /*
     * The device NAKed (or, for an IN, held) the transfer for the whole
     * NAK budget; it was cancelled.  For a bulk IN this means "nothing
     * queued", for an OUT "not accepted".  Packets moved before stay
     * moved.
     */
    QUHCI_NO_DATA,
    QUHCI_STALL,        /* the device stalled: the endpoint is halted */
    QUHCI_ERROR,        /* babble, CRC/timeout, bit stuff or buffer error */
    QUHCI_TIMEOUT,      /* the controller never processed the transfer */
} QUHCIStatus;

/* Name of a status, for assertion messages */
const char *quhci_status_str(QUHCIStatus st);

/*
 * Enable the UHCI PCI function at @devfn on @bus (its I/O BAR 4), reset
 * the controller and run it on a frame list whose every entry points to
 * the (so far empty) chain of queue heads.  Guest memory comes from
 * @alloc.
 */
QUHCI *quhci_init(QTestState *qts, QPCIBus *bus, QGuestAllocator *alloc,
                  int devfn);
/* Stop the controller and free it, its devices' state and guest memory */
void quhci_free(QUHCI *hc);

/*
 * Poll limits for every following transfer: give up after @max_polls
 * frames (QUHCI_TIMEOUT) and cancel a transfer the device has NAKed (or
 * held) for @nak_polls frames (QUHCI_NO_DATA).  0 keeps the current value.
 */
void quhci_set_poll_limits(QUHCI *hc, unsigned max_polls, unsigned nak_polls);

/* Number of root ports (2), and PORTSC of one (0-based) */
int quhci_num_ports(QUHCI *hc);
uint16_t quhci_portsc(QUHCI *hc, int port);
/* First root port with a device connected, -1 if none */
int quhci_first_connected_port(QUHCI *hc);
/*
 * Reset root port @port, enable it and acknowledge its change bits.
 * True if a device is connected and the port is enabled afterwards.
 */
bool quhci_port_reset(QUHCI *hc, int port);
/* Whether a low-speed device is on @port (else it is full speed) */
bool quhci_port_low_speed(QUHCI *hc, int port);

/*
 * The device on @port after quhci_port_reset(): address 0, an 8-byte
 * control endpoint until enumeration reads bMaxPacketSize0.  Free with
 * quhci_device_free().
 */
QUHCIDevice *quhci_device_new(QUHCI *hc, int port);
/*
 * Reset @port, read the device descriptor's first 8 bytes at address 0
 * (8-byte packets), SET_ADDRESS @addr and read the whole device
 * descriptor into @desc (18 bytes, may be NULL) in bMaxPacketSize0
 * packets.  Asserts that each step works.
 */
QUHCIDevice *quhci_enumerate(QUHCI *hc, int port, uint8_t addr,
                             uint8_t *desc);
/* Forget the device; its queue heads stay idle until quhci_free() */
void quhci_device_free(QUHCIDevice *dev);
uint8_t quhci_device_addr(QUHCIDevice *dev);

/*
 * Max packet size of endpoint @ep in direction @in (0 is the control
 * endpoint); bulk endpoints default to 64, the most full speed allows.
 */
void quhci_set_max_packet(QUHCIDevice *dev, int ep, bool in, uint16_t mps);
uint16_t quhci_max_packet(QUHCIDevice *dev, int ep, bool in);

/*
 * A control transfer on endpoint 0: SETUP (DATA0), an optional DATA
 * stage of @length bytes in max-packet TDs in the direction of
 * @request_type (from/to @data; toggles from DATA1; an IN data stage
 * ends at a short packet), and STATUS (DATA1).  *@actual (may be NULL)
 * gets the bytes of the DATA stage.
 */
QUHCIStatus quhci_control(QUHCIDevice *dev, uint8_t request_type,
                          uint8_t request, uint16_t value, uint16_t index,
                          void *data, uint16_t length, size_t *actual);
/* GET_DESCRIPTOR(@type, @index) with language @langid, up to @len bytes */
QUHCIStatus quhci_get_descriptor(QUHCIDevice *dev, uint8_t type,
                                 uint8_t index, uint16_t langid,
                                 void *buf, uint16_t len, size_t *actual);
/*
 * String descriptor @index in the first language the device lists,
 * converted to ASCII (other characters become '?'); NULL on failure.
 */
char *quhci_get_string(QUHCIDevice *dev, uint8_t index);
/* SET_ADDRESS, then use @addr for every endpoint of @dev */
QUHCIStatus quhci_set_address(QUHCIDevice *dev, uint8_t addr);
/* SET_CONFIGURATION; resets the data toggles of the bulk endpoints */
QUHCIStatus quhci_set_configuration(QUHCIDevice *dev, uint8_t value);
/*
 * CLEAR_FEATURE(ENDPOINT_HALT) on endpoint address @ep_addr (0x81 for
 * IN 1); its data toggle restarts at DATA0.
 */
QUHCIStatus quhci_clear_halt(QUHCIDevice *dev, uint8_t ep_addr);

/*
 * Bulk transfers on endpoint number @ep (1..15; the direction is the
 * function's), data toggles carried on from the endpoint's last
 * transfer.
 *
 * An OUT sends @len (<= QUHCI_MAX_XFER) bytes as one transfer: TDs of
 * the max packet size and a shorter last one.  If @len is a multiple of
 * the max packet size nothing ends the transfer but its length, unless
 * the caller sends a zero-length packet (@len 0) next.
 *
 * An IN reads at most @maxlen (<= QUHCI_MAX_XFER) bytes into @buf as a
 * chain of max-packet TDs that stops at the first short packet (a
 * zero-length one included) and stores the length received in *@actual
 * (0 unless QUHCI_OK).
 */
QUHCIStatus quhci_bulk_out(QUHCIDevice *dev, int ep, const void *buf,
                           size_t len);
QUHCIStatus quhci_bulk_in(QUHCIDevice *dev, int ep, void *buf,
                          size_t maxlen, size_t *actual);
/*
 * The USB packets the last bulk IN on @ep received (QUHCI_OK, or
 * QUHCI_NO_DATA after some data): their number, and the lengths of the
 * first @max of them in @lens.  A transfer that ended on a zero-length
 * packet ends with a 0.
 */
int quhci_bulk_in_packets(QUHCIDevice *dev, int ep, size_t *lens, int max);
/*
 * After a bulk IN on @ep ended QUHCI_NO_DATA: true if the device NAKed
 * its TD, false if it held it (USB_RET_ASYNC: the TD stays active
 * without the NAK bit).
 */
bool quhci_bulk_in_naked(QUHCIDevice *dev, int ep);

#endif
