/*
 * libqos USB host: what the EHCI, UHCI and xHCI drivers share
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A host controller driver (usb-ehci.c, usb-uhci.c, usb-xhci.c) embeds
 * a QUSBHost and gives it a QUSBHostOps: its ports, the stages of a
 * control transfer in its descriptors, waiting on them.  On that, this
 * file has what is the same on every controller: control transfers from
 * their setup, data and status stages, the standard requests,
 * enumeration, the device and its pipes (one guest page each, for the
 * controller's queue head or transfer ring and the descriptors of the
 * one transfer in flight), and polling for a transfer by stepping the
 * virtual clock one frame at a time, a bounded number of times (see
 * qusb_set_poll_limits()); nothing sleeps.  Guest memory comes from the
 * libqos allocator and must be below 4 GiB:
 *
 *   hc = qehci_init(qts, pcibus, alloc, QPCI_DEVFN(slot, fn));
 *   dev = qusb_enumerate(hc, qusb_first_connected_port(hc), 1, NULL);
 *   qusb_set_configuration(dev, 1);
 *   ... bulk transfers through the controller's driver ...
 *   qusb_device_free(dev);
 *   qusb_free(hc);
 */

#ifndef LIBQOS_USB_HCD_H
#define LIBQOS_USB_HCD_H

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

/* Default poll limits, in polls of one 1 ms frame of virtual time each */
#define QUSB_MAX_POLLS          1000
#define QUSB_NAK_POLLS          20
/* One poll: one frame of the controller models, 1 ms */
#define QUSB_POLL_NS            (1000 * 1000)

/* Endpoint numbers, and the guest page of each pipe */
#define QUSB_NUM_EPS            16
#define QUSB_PIPE_PAGE_SIZE     4096

typedef enum QUSBStatus {
    QUSB_OK,            /* transfer complete (possibly short, for IN) */
    /*
     * The controller started the transfer but the device NAKed (or, for
     * an IN, held) it for the whole NAK budget; the transfer was
     * cancelled.  For a bulk IN this means "nothing queued", for an OUT
     * "not accepted".
     */
    QUSB_NO_DATA,
    QUSB_STALL,         /* the device stalled: the endpoint is halted */
    QUSB_ERROR,         /* babble, transaction, CRC or buffer error */
    QUSB_TIMEOUT,       /* the controller never processed the transfer */
} QUSBStatus;

/* Where a transfer is, for qusb_wait() */
typedef enum QUSBXferState {
    QUSB_XFER_RUNNING,          /* the controller is at it */
    QUSB_XFER_WAITING,          /* on the device: NAKed, or an IN held */
    QUSB_XFER_DONE,
} QUSBXferState;

/* Token packet identifiers, as the PID byte has them (USB 2.0 8.3.1) */
typedef enum QUSBPid {
    QUSB_PID_OUT = 0xe1,
    QUSB_PID_IN = 0x69,
    QUSB_PID_SETUP = 0x2d,
} QUSBPid;

typedef struct QUSBHost QUSBHost;
typedef struct QUSBDevice QUSBDevice;

/*
 * A pipe: one direction of an endpoint (both, for the control endpoint)
 * and its guest page.
 */
typedef struct QUSBPipe {
    uint64_t page;              /* queue head, descriptors; 0 until used */
    int ntd;                    /* descriptors of the transfer in flight */
    uint16_t mps;               /* max packet size */
    bool toggle;                /* next data toggle, if the driver keeps it */
    uint64_t buf;               /* the transfer in flight's buffer */
    size_t len;                 /* and its length */
} QUSBPipe;

typedef struct QUSBHostOps {
    /* Whether a device is connected to root port @port */
    bool (*port_connected)(QUSBHost *hc, int port);
    /* Reset @port; true if a device is there and the port is enabled */
    bool (*port_reset)(QUSBHost *hc, int port);
    /* A device on @port, its fields and pipes' mps set: g_malloc0()ed */
    QUSBDevice *(*device_new)(QUSBHost *hc, int port);
    /* Make the new page of pipe @p (of endpoint @ep) a queue head */
    void (*pipe_link)(QUSBDevice *dev, int ep, QUSBPipe *p);
    /*
     * Fill the descriptors of one stage of a control transfer on pipe
     * @p from descriptor @i on; returns the next descriptor
     */
    int (*control_stage)(QUSBDevice *dev, QUSBPipe *p, int i, QUSBPid pid,
                         bool toggle, uint64_t buf, size_t len, bool last);
    /*
     * Run the @n descriptors filled on @p and wait for them; *@data gets
     * the bytes the data stage moved
     */
    QUSBStatus (*control_run)(QUSBDevice *dev, QUSBPipe *p, int n,
                              size_t *data);
    /* Run a bulk OUT of @len bytes at @buf on @p, endpoint @ep */
    QUSBStatus (*bulk_out)(QUSBDevice *dev, QUSBPipe *p, int ep,
                           uint64_t buf, size_t len);
    /* Where the transfer in flight on @p is (*@st: how it ended) */
    QUSBXferState (*poll)(QUSBDevice *dev, QUSBPipe *p, QUSBStatus *st);
    /* Take the transfer in flight off @p, its outcome lost */
    void (*cancel)(QUSBDevice *dev, QUSBPipe *p);
    /* The device has a new address (dev->addr); every pipe is idle */
    void (*addressed)(QUSBDevice *dev);
    /* Idle pipe @p starts again with DATA0 and is not halted */
    void (*pipe_reset)(QUSBDevice *dev, QUSBPipe *p);
    /* Stop the controller (if @stop) and free the driver's schedule */
    void (*free)(QUSBHost *hc, bool stop);
} QUSBHostOps;

/* The part of a controller every driver has; its driver embeds it */
struct QUSBHost {
    const QUSBHostOps *ops;
    QTestState *qts;
    QGuestAllocator *alloc;
    QPCIDevice *pdev;
    QPCIBar bar;
    int nports;
    GArray *pages;              /* guest pages of all pipes */
    unsigned max_polls;
    unsigned nak_polls;
};

struct QUSBDevice {
    QUSBHost *hc;
    int port;
    uint8_t addr;
    /* [0] control, [n] OUT n, [16 + n] IN n */
    QUSBPipe pipes[2 * QUSB_NUM_EPS];
};

/* Name of a status, for assertion messages */
const char *qusb_status_str(QUSBStatus st);

/* For the drivers */

/*
 * Set up the common part of @hc: enable the PCI function at @devfn on
 * @bus and map its BAR @bar.
 */
void qusb_host_init(QUSBHost *hc, const QUSBHostOps *ops, QTestState *qts,
                    QPCIBus *bus, QGuestAllocator *alloc, int devfn,
                    int bar);
/* Free the pipes' guest pages and the PCI device */
void qusb_host_cleanup(QUSBHost *hc);
/* @size bytes of guest memory below 4 GiB, @align aligned */
uint64_t qusb_alloc(QUSBHost *hc, size_t size, uint64_t align);
/* A 32-bit word of guest memory */
uint32_t qusb_readl(QUSBHost *hc, uint64_t addr);
void qusb_writel(QUSBHost *hc, uint64_t addr, uint32_t val);
/* Step the virtual clock by @frames frames */
void qusb_step(QUSBHost *hc, unsigned frames);
/* Pipe of endpoint @ep in direction @in (any direction for 0) */
QUSBPipe *qusb_pipe(QUSBDevice *dev, int ep, bool in);
/* The same, with its page allocated and linked in on first use */
QUSBPipe *qusb_pipe_get(QUSBDevice *dev, int ep, bool in);
/*
 * Wait for the transfer started on @p, for at most max_polls frames, or
 * nak_polls frames of waiting for the device: QUSB_NO_DATA then, or
 * QUSB_TIMEOUT if the controller never got to it
 */
QUSBStatus qusb_wait(QUSBDevice *dev, QUSBPipe *p);

/* Controller */

/* Stop the controller and free it, its devices' state and guest memory */
void qusb_free(QUSBHost *hc);
/*
 * The machine was reset behind the driver's back (system_reset): free
 * the driver's state of the controller, or of a device on it, and their
 * guest memory, without touching the controller.  Forget the devices
 * first.
 */
void qusb_forget(QUSBHost *hc);
void qusb_device_forget(QUSBDevice *dev);
/*
 * The controller's machine was migrated to @qts: carry on there, on @bus
 * (that QEMU's PCI bus), with the schedule and transfers in flight as they
 * are in guest memory.
 */
void qusb_migrated(QUSBHost *hc, QTestState *qts, QPCIBus *bus);
/*
 * Poll limits for every following transfer: give up after @max_polls
 * frames (QUSB_TIMEOUT) and cancel a transfer the device has NAKed (or
 * held) for @nak_polls frames (QUSB_NO_DATA).  0 keeps the current value.
 */
void qusb_set_poll_limits(QUSBHost *hc, unsigned max_polls,
                          unsigned nak_polls);

/* Ports */

int qusb_num_ports(QUSBHost *hc);
/* First root port with a device connected, -1 if none */
int qusb_first_connected_port(QUSBHost *hc);
/*
 * Reset root port @port, enable it and acknowledge its change bits.
 * True if a device the controller drives is connected and the port is
 * enabled afterwards.
 */
bool qusb_port_reset(QUSBHost *hc, int port);

/* Devices */

/*
 * The device on @port after qusb_port_reset(): address 0, a control
 * endpoint of the controller's default max packet size.  Free with
 * qusb_device_free().
 */
QUSBDevice *qusb_device_new(QUSBHost *hc, int port);
/*
 * Reset @port, read the device descriptor's first 8 bytes at address 0,
 * SET_ADDRESS @addr and read the whole device descriptor into @desc
 * (18 bytes, may be NULL) in bMaxPacketSize0 packets.  Asserts that each
 * step works.
 */
QUSBDevice *qusb_enumerate(QUSBHost *hc, int port, uint8_t addr,
                           uint8_t *desc);
/*
 * Forget the device, cancelling a transfer in flight; its queue heads
 * stay idle in the schedule until qusb_free().
 */
void qusb_device_free(QUSBDevice *dev);
uint8_t qusb_device_addr(QUSBDevice *dev);
/*
 * Max packet size of endpoint @ep in direction @in (0 is the control
 * endpoint, both directions), before the endpoint's first transfer; on
 * EHCI it reaches a queue head already made at the next SET_ADDRESS
 */
void qusb_set_max_packet(QUSBDevice *dev, int ep, bool in, uint16_t mps);
uint16_t qusb_max_packet(QUSBDevice *dev, int ep, bool in);

/* Control transfers */

/*
 * A control transfer on endpoint 0: SETUP (DATA0), an optional DATA
 * stage of @length bytes in the direction of @request_type (from/to
 * @data; DATA1 first; an IN data stage ends at a short packet), and
 * STATUS (DATA1) the other way.  *@actual (may be NULL) gets the bytes
 * of the DATA stage (0 unless QUSB_OK).
 */
QUSBStatus qusb_control(QUSBDevice *dev, uint8_t request_type,
                        uint8_t request, uint16_t value, uint16_t index,
                        void *data, uint16_t length, size_t *actual);
/* GET_DESCRIPTOR(@type, @index) with language @langid, up to @len bytes */
QUSBStatus qusb_get_descriptor(QUSBDevice *dev, uint8_t type,
                               uint8_t index, uint16_t langid,
                               void *buf, uint16_t len, size_t *actual);
/*
 * String descriptor @index in the first language the device lists,
 * converted to ASCII (other characters become '?'); NULL on failure.
 */
char *qusb_get_string(QUSBDevice *dev, uint8_t index);
/* SET_ADDRESS, then use @addr for every endpoint of @dev */
QUSBStatus qusb_set_address(QUSBDevice *dev, uint8_t addr);
/* SET_CONFIGURATION; resets the data toggles of the bulk endpoints */
QUSBStatus qusb_set_configuration(QUSBDevice *dev, uint8_t value);
/*
 * CLEAR_FEATURE(ENDPOINT_HALT) on endpoint address @ep_addr (0x81 for
 * IN 1); the endpoint is no longer halted and restarts at DATA0.
 */
QUSBStatus qusb_clear_halt(QUSBDevice *dev, uint8_t ep_addr);

/* Bulk transfers */

/*
 * Send @len bytes from @buf as one bulk OUT transfer on endpoint number
 * @ep (1..15), with the data toggle carried on from the endpoint's last
 * transfer; @len 0 sends a zero-length packet.  How the controller
 * splits it, and the longest it takes, are its driver's.
 */
QUSBStatus qusb_bulk_out(QUSBDevice *dev, int ep, const void *buf,
                         size_t len);

#endif
