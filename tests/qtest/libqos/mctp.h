/*
 * MCTP bus owner for qtests: MCTP over USB (DMTF DSP0283) through the
 * libqos EHCI, UHCI and xHCI drivers or over SMBus/I2C (DSP0237) through
 * the libqos DesignWare I2C driver, MCTP control messages (DSP0236) and CXL
 * FM-API and CCI messages (DSP0234, DSP0281), and a CXL mailbox reached
 * by MMIO to compare with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Layers, bottom up:
 *
 *   mctp_test_boot()       QEMU started, PCI and guest memory set up
 *   mctp_test_attach_*()   the device enumerated behind EHCI, UHCI or xHCI,
 *                          or the I2C controller as master and target
 *   mctp_send*()           an MCTP message as DSP0283 packets on bulk OUT,
 *                          or as DSP0237 block writes to the endpoint
 *   mctp_recv()            one message reassembled from bulk IN transfers
 *                          or from the block writes the endpoint masters
 *                          to us, every packet's framing checked
 *   mctp_control()         an MCTP control request and its response
 *   cxl_cmd()              a CXL FM-API or CCI command and its response
 */

#ifndef LIBQOS_MCTP_H
#define LIBQOS_MCTP_H

#include "../libqtest.h"
#include "pci-pc.h"
#include "malloc-pc.h"
#include "generic-pcihost.h"
#include "usb-ehci.h"
#include "usb-uhci.h"
#include "usb-xhci.h"
#include "i2c-designware.h"

/*
 * The machine of the MCTP qtests, by the QEMU binary's target: q35 on
 * x86, virt with a GICv3 on aarch64, CXL on in both.  mctp_test_boot()
 * and mctp_test_migrate() put it first on the command line; what the
 * tests add after it (CXL_TOPOLOGY, devices on pcie.0) is the same on
 * both, PCI reached through CF8/CFC (q35) or virt's PCIe host's ECAM,
 * DMA buffers in guest RAM below 4 GiB.
 */
#define MCTP_Q35_MACHINE    "-machine q35,cxl=on "
#define MCTP_VIRT_MACHINE   "-machine virt,gic-version=3,cxl=on -cpu max "
/* virt's PCIe MMIO below 4 GiB ends here; libqos takes its start */
#define MCTP_VIRT_PCI_MMIO_END  0x2f000000ULL

/* True on virt (an aarch64 QEMU), false on q35 */
bool mctp_machine_is_virt(void);
/* MCTP_Q35_MACHINE or MCTP_VIRT_MACHINE */
const char *mctp_machine_args(void);
/* An allocator of the machine's guest RAM (below 4 GiB) */
void mctp_alloc_init(QGuestAllocator *alloc, QTestState *qts);
/* The machine's PCI bus 0 (buses below: devfn | bus << 8), and freeing it */
QPCIBus *mctp_pci_new(QTestState *qts, QGuestAllocator *alloc);
void mctp_pci_free(QPCIBus *bus);

/*
 * The topology of the CXL MCTP qtests.
 *
 * CXL switch: host bridge, root port, upstream port us0 (physical port 3),
 * downstream ports 0 to 2; a type 3 device with volatile memory below
 * port 0 and one with two dynamic capacity regions below port 1.
 */
#define CXL_NUM_DSPS        3
#define CXL_USP_PORT        3
#define CXL_MEM0_SN         0x2000
#define CXL_DCD_SN          0x2001
#define CXL_DCD_PORT        1
#define CXL_DCD_REGIONS     2
#define CXL_DCD_SIZE        (512 * 1024 * 1024ULL)
#define CXL_USP_SN          0x1000
#define CXL_MEM0_PORT       0
#define CXL_MEM0_SIZE       (256 * 1024 * 1024ULL)
#define CXL_TOPOLOGY \
    "-object memory-backend-ram,id=cxl-mem0,size=256M " \
    "-object memory-backend-ram,id=cxl-dc1,size=512M " \
    "-device pxb-cxl,id=cxl.0,bus=pcie.0,bus_nr=52 " \
    "-device cxl-rp,id=rp0,bus=cxl.0,chassis=0,slot=0,port=0 " \
    "-device cxl-upstream,id=us0,bus=rp0,addr=0.0,port=3,sn=0x1000 " \
    "-device cxl-downstream,id=swport0,bus=us0,chassis=0,slot=4,port=0 " \
    "-device cxl-downstream,id=swport1,bus=us0,chassis=0,slot=5,port=1 " \
    "-device cxl-downstream,id=swport2,bus=us0,chassis=0,slot=6,port=2 " \
    "-device cxl-type3,bus=swport0,volatile-memdev=cxl-mem0,id=mem0," \
    "sn=0x2000 " \
    "-device cxl-type3,bus=swport1,volatile-dc-memdev=cxl-dc1," \
    "num-dc-regions=2,id=dcd1,sn=0x2001 " \
    "-M cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.size=4G "

/* EHCI at 00:1d.0, the switch mailbox CCI (when there is one) at 00:10.0 */
#define EHCI_DEVFN          QPCI_DEVFN(0x1d, 0)
#define EHCI_ARGS           "-device usb-ehci,id=ehci,bus=pcie.0,addr=1d.0 "
/* or qemu-xhci there */
#define XHCI_DEVFN          QPCI_DEVFN(0x1d, 0)
#define XHCI_ARGS           "-device qemu-xhci,id=xhci,bus=pcie.0,addr=1d.0 "
#define SWCCI_DEVFN         QPCI_DEVFN(0x10, 0)
#define SWCCI_ARGS \
    "-device cxl-switch-mailbox-cci,bus=pcie.0,addr=10.0,target=us0 "

#define USB_ADDR            1
#define MCTP_EP             1       /* bulk OUT 0x01, bulk IN 0x81 */
#define MCTP_XFER_SIZE      512     /* DSP0283 1.0 transfer size */
#define FS_BULK_MPS         64      /* full speed: 64-byte bulk packets */

/* DSP0283 1.0 packet header: DMTF ID (BE), reserved, length of it all */
#define DSP0283_HDR_SIZE    4
#define DSP0283_DMTF_ID_HI  0x1a
#define DSP0283_DMTF_ID_LO  0xb4
#define DSP0283_LEN_MIN     8
#define DSP0283_LEN_MAX     255

/* DSP0236 transport header */
#define MCTP_HDR_SIZE       4
#define MCTP_HDR_VERSION    0x01
#define MCTP_SOM            0x80
#define MCTP_EOM            0x40
#define MCTP_SEQ_SHIFT      4
#define MCTP_TO             0x08
#define MCTP_TAG_MASK       0x07
#define MCTP_BASELINE_MTU   68      /* packet incl. header: 64-byte BTU */
#define MCTP_MSG_MAX        4096

#define MCTP_EID_NULL       0x00
#define HOST_EID            0x10    /* the bus owner, i.e. this test */
#define DEVICE_EID          8

#define MCTP_TYPE_CONTROL   0x00
#define MCTP_TYPE_PLDM      0x01
#define MCTP_TYPE_CXL_FMAPI 0x07
#define MCTP_TYPE_CXL_CCI   0x08

/* MCTP control: [type 0, Rq|D|IID, command, (cc,) data] */
#define MCTP_CTRL_RQ        0x80
#define MCTP_CTRL_IID_MASK  0x1f
#define MCTP_SET_EID        0x01
#define MCTP_GET_EID        0x02
#define MCTP_GET_UUID       0x03
#define MCTP_GET_VERSION    0x04
#define MCTP_GET_MSG_TYPES  0x05
#define MCTP_CMD_RESERVED   0x3f    /* no such command in DSP0236 1.3 */
#define MCTP_CC_SUCCESS     0x00
#define MCTP_CC_UNSUPPORTED 0x05
#define MCTP_CC_VERSION_TYPE_UNSUPPORTED 0x80

/* CXL message header (CXL r3.1 7.6.3, "CCI Message Format") */
#define CXL_HDR_SIZE        12
#define CXL_CATEGORY_REQ    0
#define CXL_CATEGORY_RSP    1
#define CXL_PL_LEN_MASK     0x1fffff
#define CXL_MBOX_SUCCESS    0x0000
#define CXL_MBOX_INVALID_INPUT 0x0002
#define CXL_MBOX_UNSUPPORTED 0x0003
#define CXL_MBOX_INVALID_PAYLOAD_LENGTH 0x0016
#define CXL_SET_LOGS        0x04
#define CXL_CMD_GET_SUPPORTED_LOGS 0x00
#define CXL_CMD_GET_LOG     0x01
#define CXL_CMD_GET_RSP_LIMIT 0x03
#define CXL_CMD_SET_RSP_LIMIT 0x04
#define CXL_SET_TUNNEL      0x53
#define CXL_CMD_TUNNEL      0x00
#define CXL_SET_MLD_COMP    0x54
#define CXL_CMD_GET_LD_INFO 0x00
#define CXL_SET_FM_DCD      0x56
#define CXL_CMD_GET_DCD_INFO 0x00

#define CXL_SET_INFOSTAT    0x00
#define CXL_CMD_IDENTIFY    0x01
#define CXL_SET_PHYS_SWITCH 0x51
#define CXL_CMD_IDENTIFY_SWITCH 0x00
#define CXL_CMD_GET_PHYS_PORT_STATE 0x01


typedef struct MCTPTest MCTPTest;

/*
 * The USB side of the message-level helpers: one bulk transfer on the
 * device's OUT or IN endpoint through whichever controller it is on.
 */
/* DSP0237 framing */
#define SMBUS_MCTP_COMMAND  0x0f
#define SMBUS_MCTP_SRC_BIT  0x01
#define SMBUS_FRAME_MAX     (2 + 255 + 1)   /* command to PEC */

typedef struct MCTPTransport {
    /* One OUT transfer of @len bytes; asserts the device took it */
    void (*bulk_out)(MCTPTest *t, const void *buf, size_t len);
    /*
     * One IN transfer of at most @maxlen bytes, its length in *@actual;
     * false if the device NAKed it (nothing queued).  Asserts otherwise.
     */
    bool (*bulk_in)(MCTPTest *t, void *buf, size_t maxlen, size_t *actual);
    /*
     * A transport without bulk transfers (SMBus/I2C) moves MCTP packets
     * (header first) one at a time instead: send one to the endpoint, or
     * take the next one it sends (its length, 0 if none comes)
     */
    void (*send_packet)(MCTPTest *t, const uint8_t *pkt, size_t len);
    size_t (*recv_packet)(MCTPTest *t, uint8_t *pkt, size_t max_pkt);
} MCTPTransport;

struct MCTPTest {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *pcibus;
    const MCTPTransport *xport;
    QUSBHost *hc;
    QUSBDevice *dev;
    QUSBHost *uhci;             /* or on UHCI, at full speed */
    QUSBDevice *udev;
    QUSBHost *xhci;             /* or on xHCI, at its port's speed */
    QUSBDevice *xdev;
    int serial_fd;              /* or on a serial line (a socket): */
    uint8_t srx[1024];          /* bytes read, not parsed yet */
    size_t srx_len;
    QDWI2C *i2c;                /* or on I2C: */
    uint8_t i2c_own;            /* our target address */
    uint8_t i2c_dest;           /* the endpoint's address */
    uint8_t desc[18];           /* device descriptor */
    uint8_t iid;                /* next control instance ID */
    uint8_t tag;                /* next MCTP message tag */
    uint8_t cxl_tag;            /* next CXL message tag */
    /* IN transfer data not consumed yet: packets after an EOM */
    /*
     * OUT transfer being filled: with @batch set, packets of consecutive
     * messages share transfers, which go out when full, on mctp_flush()
     * or before anything is received
     */
    bool batch;
    uint8_t tx[MCTP_XFER_SIZE];
    size_t tx_len;
    uint8_t rx[MCTP_XFER_SIZE];
    size_t rx_len;
    size_t rx_off;
    unsigned in_xfers;          /* IN transfers that returned data */
};

typedef struct MCTPMessage {
    uint8_t dest;
    uint8_t src;
    uint8_t tag;                /* tag, TO bit included */
    unsigned packets;
    size_t len;                 /* data[0] is the message type */
    uint8_t data[MCTP_MSG_MAX];
} MCTPMessage;

#define assert_xfer_ok(st) \
    g_assert_cmpstr(qusb_status_str(st), ==, qusb_status_str(QUSB_OK))


/* Machine and device */

/*
 * Start QEMU with the machine (mctp_machine_args()) and the command line
 * @fmt; PCI and the guest allocator
 */
void mctp_test_boot(MCTPTest *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/*
 * Enable the EHCI (or UHCI) controller at @devfn, enumerate the first
 * device connected to it at address USB_ADDR and configure it; the MCTP
 * helpers below then talk to it.
 */
void mctp_test_attach_ehci(MCTPTest *t, int devfn);
void mctp_test_attach_uhci(MCTPTest *t, int devfn);
/*
 * The same on xHCI (qemu-xhci): the device enumerated on the first port
 * it is connected to, at that port's speed (super speed for a
 * usb-cxl-mctp).  An IN the device holds stays posted between
 * mctp_recv() calls (see qxhci_bulk_in()).
 */
void mctp_test_attach_xhci(MCTPTest *t, int devfn);
/*
 * Enable the DesignWare I2C controller at @devfn, as master and as target
 * at @own (where the endpoints answer), talking to the endpoint at @dest
 * (change t->i2c_dest to talk to another)
 */
void mctp_test_attach_i2c(MCTPTest *t, int devfn, uint8_t own, uint8_t dest);
/*
 * Connect to the UNIX socket @path of a socket chardev with a
 * cxl-mctp-serial on it (the chardev a server); the MCTP helpers below
 * then talk to it in DSP0253 frames.  mctp_test_attach_serial() again
 * reconnects (t->srx dropped).
 */
void mctp_test_attach_serial(MCTPTest *t, const char *path);
/* The DSP0253 FCS-16, computed independently of QEMU's */
uint16_t mctp_serial_fcs(uint16_t fcs, const uint8_t *buf, size_t len);
/* The DSP0253 frame of MCTP packet @pkt in @frame (2 * len + 6 bytes) */
size_t mctp_serial_frame(uint8_t *frame, const uint8_t *pkt, size_t len);
/* Bytes as they are, to the serial endpoint */
void mctp_serial_write(MCTPTest *t, const void *buf, size_t len);
/* The SMBus PEC, computed independently of QEMU's */
uint8_t mctp_smbus_pec(uint8_t crc, const uint8_t *buf, size_t len);
/*
 * The DSP0237 frame (command code to PEC) of MCTP packet @pkt from us to
 * the endpoint, in @frame; its length
 */
size_t mctp_smbus_frame(MCTPTest *t, uint8_t *frame, const uint8_t *pkt,
                        size_t len);
/*
 * Migrate the machine of @src over a UNIX socket to a new QEMU started
 * with the command line @args; @src quits.  The new QEMU, running.
 */
QTestState *qos_migrate_unix(QTestState *src, const char *args);
/*
 * Migrate the machine to a new QEMU started with the machine
 * (mctp_machine_args()) and the command line @fmt, and carry on with the
 * device there (EHCI or I2C): transfers in flight stay in flight, as the
 * guest's driver would see it.
 */
void mctp_test_migrate(MCTPTest *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void mctp_test_end(MCTPTest *t);

/* One bulk OUT transfer to the device, whatever controller it is on */
void mctp_bulk_out(MCTPTest *t, const void *buf, size_t len);

/* MCTP messages */

uint8_t mctp_next_tag(MCTPTest *t);
/* An MCTP transport header from us (HOST_EID) to @dest in @hdr */
void mctp_packet_header(uint8_t *hdr, uint8_t dest, uint8_t flags);
/* Append one DSP0283 packet to @out; returns its length */
size_t dsp0283_packet(uint8_t *out, uint8_t dest, uint8_t flags,
                      const uint8_t *payload, size_t len);
/*
 * Send a request of message type @type with body @msg (@len bytes after
 * the type byte) to @dest, tag @tag with TO set, fragmented into MCTP
 * packets of at most @mtu bytes (MCTP header included; 68 is the
 * baseline).  Each DSP0283 packet goes in its own OUT transfer or, if
 * @packed (or t->batch), they share transfers of at most 512 bytes.
 */
void mctp_send_full(MCTPTest *t, uint8_t dest, uint8_t tag, uint8_t type,
                    const void *msg, size_t len, size_t mtu, bool packed);
/* Send what t->batch has kept back */
void mctp_flush(MCTPTest *t);
void mctp_send(MCTPTest *t, uint8_t dest, uint8_t tag, uint8_t type,
               const void *msg, size_t len, size_t mtu);
void mctp_send_packed(MCTPTest *t, uint8_t dest, uint8_t tag, uint8_t type,
                      const void *msg, size_t len, size_t mtu);
/*
 * Next DSP0283 packet from the device into @pkt (the MCTP packet, header
 * first); its length, or 0 if the device has nothing queued.  Checks the
 * DSP0283 framing and that the MCTP packet is at most @max_pkt bytes.
 */
size_t mctp_recv_packet(MCTPTest *t, uint8_t *pkt, size_t max_pkt);
/*
 * Reassemble the next message from the device, whose MTU is @max_pkt
 * bytes (MCTP header included; its "mtu" property): every packet at most
 * that, all but the last exactly that.  False if nothing is queued; once
 * a message has started it must complete.
 */
bool mctp_recv_mtu(MCTPTest *t, MCTPMessage *m, size_t max_pkt);
bool mctp_recv(MCTPTest *t, MCTPMessage *m);
/* The response to a request sent with @tag: to us, TO clear, same tag */
void mctp_recv_response(MCTPTest *t, MCTPMessage *m, uint8_t tag,
                        uint8_t type);
/* Nothing queued: the device NAKs bulk IN */
void mctp_assert_nothing_queued(MCTPTest *t);

/* MCTP control */

/*
 * Control request @cmd with @len bytes of @data to @dest; returns the
 * completion code and puts the response data after it in @rsp (at most
 * @rsp_size bytes, *@rsp_len of them) and its source EID in *@src.
 */
uint8_t mctp_control_full(MCTPTest *t, uint8_t dest, uint8_t cmd,
                          const void *data, size_t len, void *rsp,
                          size_t rsp_size, size_t *rsp_len, uint8_t *src);
uint8_t mctp_control(MCTPTest *t, uint8_t dest, uint8_t cmd,
                     const void *data, size_t len, void *rsp,
                     size_t rsp_size, size_t *rsp_len);
/* Get Endpoint ID: the EID, after checking the response is complete */
uint8_t mctp_get_eid(MCTPTest *t, uint8_t dest);
/* Set Endpoint ID to @eid (operation Set): accepted */
void mctp_set_eid(MCTPTest *t, uint8_t dest, uint8_t eid);

/* CXL messages */

/* A CXL request sent, for checking its response */
typedef struct CXLRequest {
    uint8_t type;
    uint8_t set;
    uint8_t cmd;
    uint8_t tag;                /* MCTP tag */
    uint8_t cxl_tag;
} CXLRequest;

/* A CCI message request (CXL r3.2 7.6.3) in @msg; its length */
size_t cxl_cci_request(uint8_t *msg, uint8_t tag, uint16_t opcode,
                       const void *in, size_t len);
/*
 * Check @rsp (@len bytes) is the response to a request with @tag for
 * @opcode; its return code, its payload at *@pl (*@pl_len bytes)
 */
uint16_t cxl_cci_response(const uint8_t *rsp, size_t len, uint8_t tag,
                          uint16_t opcode, const uint8_t **pl,
                          size_t *pl_len);

/* The request half of cxl_cmd(): what the response must match in @r */
void cxl_cmd_send(MCTPTest *t, CXLRequest *r, uint8_t dest, uint8_t type,
                  uint8_t set, uint8_t cmd, const void *in, size_t in_len);
/* The response half of cxl_cmd(), to request @r */
uint16_t cxl_cmd_recv(MCTPTest *t, const CXLRequest *r, void *out,
                      size_t out_size, size_t *out_len);
/*
 * CXL command @set/@cmd with @in_len bytes of payload @in over MCTP
 * message type @type (FM-API or CCI) to @dest.  Returns the CXL return
 * code, the response payload in @out (*@out_len bytes, at most
 * @out_size).  Checks the response header against the request.
 */
uint16_t cxl_cmd(MCTPTest *t, uint8_t dest, uint8_t type, uint8_t set,
                 uint8_t cmd, const void *in, size_t in_len, void *out,
                 size_t out_size, size_t *out_len);

/* The Command Effects Log's UUID (CXL r3.2 8.2.10.5.2) */
extern const uint8_t cxl_cel_uuid[16];
/* Get Log (0401h) input: UUID, offset, length */
#define CXL_GET_LOG_IN_SIZE 0x18
/* Get Log input for @len bytes of the CEL from @offset, in @in */
void cxl_get_cel_in(uint8_t *in, uint32_t offset, uint32_t len);

/*
 * The benchmarks' command (-m perf): Identify if @log_len is 0, else Get
 * Log of @log_len bytes of the CEL.  Its command set and command in *@set
 * and *@cmd, its input in @in (CXL_GET_LOG_IN_SIZE bytes); returns the
 * input's length.  cxl_bench_iterations(): how many (BENCH_ITERATIONS,
 * default 200).
 */
size_t cxl_bench_command(size_t log_len, uint8_t *set, uint8_t *cmd,
                         uint8_t *in);
unsigned cxl_bench_iterations(void);
/*
 * The benchmark over MCTP to @t's endpoint: the response limit raised to
 * 1 KiB, then cxl_bench_iterations() of the @log_len command, each
 * answered with its full payload.  Prints "BENCH @name @what N us/cmd
 * ..." and returns the microseconds per command.
 */
double cxl_bench_mctp(MCTPTest *t, const char *name, const char *what,
                      size_t log_len);

/* A CXL mailbox (CXL r3.2 8.2.8.4) in a PCI BAR, driven by MMIO */

#define CXL_MBOX_CAP_ID     0x0002
#define CXL_MBOX_CTRL       0x04
#define CXL_MBOX_CMD        0x08
#define CXL_MBOX_STS        0x10
#define CXL_MBOX_PAYLOAD    0x20
#define CXL_MBOX_PAYLOAD_SIZE 2048

typedef struct CXLMailbox {
    QPCIDevice *dev;
    QPCIBar bar;
    uint64_t regs;              /* mailbox registers in the BAR */
} CXLMailbox;

/*
 * The mailbox of the device at @devfn, whose device capabilities array is
 * at the start of BAR @bar (a cxl-switch-mailbox-cci has it in BAR 0)
 */
void cxl_mbox_init(MCTPTest *t, CXLMailbox *mb, int devfn, int bar);
void cxl_mbox_free(CXLMailbox *mb);
/*
 * Command @set/@cmd with @in_len bytes of @in through the mailbox; its
 * return code, and its output in @out (*@out_len bytes; @out holds
 * CXL_MBOX_PAYLOAD_SIZE).
 */
uint16_t cxl_mbox_cmd(CXLMailbox *mb, uint8_t set, uint8_t cmd,
                      const void *in, size_t in_len, void *out,
                      size_t *out_len);

#endif /* LIBQOS_MCTP_H */
