// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cxl-mctp-client: a small in-guest fabric manager for the usb-cxl-mctp,
 * i2c_mctp_cxl and cxl-mctp-serial endpoints, with AF_MCTP sockets and
 * rtnetlink only (no mctp tool, no mctpd, no libcxlmi).
 *
 *   cxl-mctp-client ldisc TTY...
 *       put the MCTP line discipline (N_MCTP, Linux's mctp-serial, DSP0253)
 *       on each TTY, which makes an mctpserialN link of it, then stay in
 *       the background holding the TTYs open (the links last as long as
 *       that process), as ldattach does; the foreground process exits 0
 *       once every link is there
 *   cxl-mctp-client setup [--local-eid N] [--net N] [--i2c-addrs A,B,...]
 *       [--link NAME]
 *       for every MCTP link (mctpusbN and mctpserialN, and mctpi2cN for
 *       each of the I2C addresses given; with --link, only the netdev
 *       NAME): local EID N (default 8), network id N (if
 *       given), link up, then what mctpd's SetupEndpoint does: Get/Set
 *       Endpoint ID at the null EID (EIDs 20, 21, ... per endpoint), on
 *       I2C at the endpoint's address (extended addressing) and a
 *       neighbour entry for it, a route to the new EID, Get Message Type
 *       Support and Get Endpoint UUID
 *   cxl-mctp-client demo [--local-eid N] [--net N] [--i2c-addrs A,B,...]
 *       setup, then per endpoint CXL Identify and the switch (FM-API 51h,
 *       tunnel 53h) or type 3 (54h, 56h) commands, and on each Set
 *       Response Message Limit and a 1 KiB Get Log of the Command Effects
 *       Log (with the number of MCTP packets it took); each of these lines
 *       starts with the transport, "usb ", "i2c " or "serial "
 *   cxl-mctp-client bench [N] [...]
 *       setup, then N round trips per endpoint (and through the in-band
 *       mailbox of each type 3 device)
 *   --concurrent N (with setup, demo or bench)
 *       at the end, for every type 3 device with an MCTP endpoint: at least
 *       N commands through its primary mailbox (CXL_MEM_SEND_COMMAND on
 *       /dev/cxl/memN, found by serial number) and at least N over MCTP,
 *       both at once until both have done N; every response is checked
 *       against the first of its kind
 *   --dcd (with setup, demo or bench)
 *       then dynamic capacity end to end on every type 3 device with it:
 *       this client the fabric manager over MCTP (FM-API 5601h, 5603h,
 *       5604h, 5605h) and the host through the device's primary mailbox
 *       (raw commands on /dev/cxl/memN: Get/Clear Event Records of the
 *       DC event log, 4800h-4803h), each step checked on both sides
 *   --bind-cycle (with setup or demo)
 *       last, over each switch endpoint, unbind the vPPB of a device the
 *       host sees and bind it again, the host's view checked; on a device
 *       with persistent memory the host makes a region through sysfs
 *       before the unbind and writes a pattern through /dev/pmemN, then
 *       after the bind checks the endpoint port probed again and reads
 *       the pattern back through a new region
 *   --remote-wait S (with --bind-cycle)
 *       the host that sees the switch's devices is another machine (this
 *       one is its BMC): the bind cycle takes the first vPPB bound to a
 *       type 3 device (or the one with serial --cycle-sn SN), unbinds it,
 *       waits (at most S seconds) for the host's hot-plug driver to take
 *       the slot's events and turn its power indicator off, binds it again
 *       and waits for the events taken and the indicator on (the
 *       downstream port's Slot Status and Control, read with Send PPB
 *       CXL.io Configuration Request); the host's side is "host-watch"
 *       there
 *   cxl-mctp-client host-watch SN [SECONDS]
 *       on the managed host, while a fabric manager elsewhere unbinds and
 *       binds the vPPB of the type 3 device with serial number SN: with
 *       persistent memory, a region and a pattern written as --bind-cycle
 *       does ("host-watch ... ready" once done), then wait (at most SECONDS,
 *       default 120) for the host to lose the device, and for it to come
 *       back: its endpoint port probed and the pattern read back
 *
 * and on an endpoint already set up (EID, after "setup"):
 *   identify EID            Identify (0001h)
 *   switch EID              Identify Switch Device (5100h), Get Physical
 *                           Port State (5101h) of every port
 *   tunnel EID PORT         Identify tunnelled (5300h) to switch port PORT
 *   ld-info EID             Get LD Info (5400h)
 *   dcd-info EID            Get DCD Info (5600h)
 *   set-limit EID N         Set Response Message Limit (0004h) to 2^N bytes
 *   cel EID [LEN [OFFSET]]  Get Log (0401h) of the CEL, LEN bytes (default
 *                           the current limit's worth, at most 1024)
 *   dcd EID                 the --dcd flow on that type 3 device
 *   (and vcs, bind, unbind, port-state, port-control, memdev, timestamp,
 *   set-timestamp: see usage())
 * (these take --net N too, for links moved to another MCTP network).
 *
 * Every output line starts with "CLIENT: "; the last one is "CLIENT: ok"
 * or "CLIENT: error ...", and the exit status is 0 only after "ok".
 *
 * References: DMTF DSP0236 (MCTP base, control messages), DSP0234 and
 * DSP0281 (CXL FM-API and CCI over MCTP), CXL r3.2 7.6 (FM-API commands)
 * and 8.2.10 (CCI message format, generic commands).  Response checks
 * follow mctpd (control) and libcxlmi (CXL).
 */

#define _GNU_SOURCE            /* O_DIRECT, scandir() and versionsort() */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <termios.h>
#include <linux/cxl_mem.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/mctp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef AF_MCTP
#define AF_MCTP 45
#endif
#ifndef SOL_MCTP
#define SOL_MCTP 285
#endif
#ifndef ARPHRD_MCTP
#define ARPHRD_MCTP 290
#endif
#ifndef N_MCTP
#define N_MCTP 28               /* include/uapi/linux/tty.h */
#endif

#define LOCAL_EID       8       /* our EID on every link, by default */
#define FIRST_EID       20      /* given to the endpoint of the first link */
#define MAX_MCTP_LINKS  16
#define RX_TIMEOUT_S    2       /* libcxlmi's MCTP_MAX_TIMEOUT */
#define CTRL_TRIES      3       /* sends of a control request */
#define CXL_TRIES       2       /* sends of a CXL request */
#define MAX_STRAY       8       /* unexpected messages skipped per try */
#define LINK_WAIT_MS    3000    /* for the first mctpusbN to appear */

/* MCTP message types (DSP0239) */
#define MCTP_TYPE_CONTROL       0x00
#define MCTP_TYPE_CXL_FMAPI     0x07
#define MCTP_TYPE_CXL_CCI       0x08

/* MCTP control messages (DSP0236 12) */
#define CTRL_RQ                 0x80
#define CTRL_D                  0x40
#define CTRL_IID_MASK           0x1f
#define CTRL_SET_EID            0x01
#define CTRL_GET_EID            0x02
#define CTRL_GET_UUID           0x03
#define CTRL_GET_MSG_TYPES      0x05
#define CTRL_HDR_SIZE           3       /* Rq/D/IID, command, completion */

/* CXL CCI message (CXL r3.2 7.6.3): 12-byte header, then the payload */
#define CXL_HDR_SIZE            12
#define CXL_CAT_REQ             0
#define CXL_CAT_RSP             1
#define CXL_PL_LEN_MASK         0x1fffff
#define CXL_MAX_PAYLOAD         4096
#define CXL_RC_BG_STARTED       0x0001
#define CXL_BO                  0x80    /* in the last length byte */

/* Opcodes: command set in the high byte */
#define OP_IDENTIFY             0x0001
#define OP_BG_STATUS            0x0002
#define OP_GET_RSP_LIMIT        0x0003
#define OP_SET_RSP_LIMIT        0x0004
#define OP_GET_TIMESTAMP        0x0300
#define OP_SET_TIMESTAMP        0x0301
#define OP_GET_SUPPORTED_LOGS   0x0400
#define OP_GET_LOG              0x0401
#define OP_IDENTIFY_SWITCH      0x5100
#define OP_IDENTIFY_MEMDEV      0x4000
#define OP_GET_HEALTH_INFO      0x4200
#define OP_GET_PORT_STATE       0x5101
#define OP_PORT_CONTROL         0x5102
#define OP_PPB_CONFIG           0x5103
#define OP_GET_VCS_INFO         0x5200
#define OP_BIND_VPPB            0x5201
#define OP_UNBIND_VPPB          0x5202
#define OP_TUNNEL               0x5300
#define OP_GET_LD_INFO          0x5400
#define OP_GET_DCD_INFO         0x5600

/* FM-API command sets go over DSP0234 (type 0x07), all others DSP0281 */
#define FMAPI_SET_FIRST         0x51
#define FMAPI_SET_LAST          0x59

#define COMPONENT_SWITCH        0x00
#define COMPONENT_TYPE3         0x03

#define CEL_LOG_BYTES           1024
#define CEL_PIECE               32
#define RSP_LIMIT_LOG2          10      /* 2^10 = 1024 bytes */
#define RSP_LIMIT_LOG2_MIN      8       /* CXL r3.2 8.2.10.1.4: 256 bytes */

static const uint8_t cel_uuid[16] = {
    0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
    0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17,
};

struct link {
    char name[IFNAMSIZ];        /* mctpusbN, mctpserialN, or mctpi2cN:0xNN */
    char dev[IFNAMSIZ];         /* the netdev: mctpusbN, mctpserialN, ... */
    int ifindex;
    bool i2c;                   /* haddr is the endpoint's I2C address */
    bool serial;                /* mctp-serial (DSP0253) */
    uint8_t haddr;
    uint8_t eid;                /* 0 until set up */
    uint8_t types[32];          /* message types besides control */
    unsigned ntypes;
    uint8_t uuid[16];
};

/* A CXL component reached over MCTP: one socket for both message types */
struct cxl_ep {
    uint8_t eid;
    int fd;
    uint8_t tag;                /* CXL message tag, per endpoint */
    const char *dev;            /* its link's netdev, if known */
    uint64_t sn;                /* serial number, after cxl_identify() */
};

static int failures;
/* A background command may start (cxl_cmd_bg()), and one did */
static bool bg_allowed, bg_started;
/* MCTP network of the links (--net), and our EID on them (--local-eid) */
static uint32_t mctp_net = MCTP_NET_ANY;
/* I2C addresses of the endpoints on each mctpi2cN link (--i2c-addrs) */
static uint8_t i2c_addrs[MAX_MCTP_LINKS];
static unsigned n_i2c_addrs;
static uint8_t local_eid = LOCAL_EID;
/* The transport of the endpoint being described: "usb ", "i2c ", ... */
static const char *via = "";
/* setup --link: the only netdev to set up ("": all) */
static char only_link[IFNAMSIZ];
/*
 * --remote-wait: the managed host is elsewhere; how long to wait for it
 * after the unbind and after the bind (0: the host is this machine).
 * --cycle-sn: the device whose vPPB to cycle (0: the first bound to a
 * type 3 device).
 */
static unsigned remote_wait_s;
static uint64_t cycle_sn;

static void say(const char *fmt, ...)
{
    va_list ap;

    printf("CLIENT: %s", via);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* Report a failure; the caller goes on with what does not depend on it */
static int fail(const char *fmt, ...)
{
    va_list ap;

    printf("CLIENT: error ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    failures++;
    return -1;
}

static uint16_t get_le16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t get_le24(const uint8_t *p)
{
    return p[0] | p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put_le24(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, v);
    put_le16(p + 2, v >> 16);
}

/* ------------------------------------------------------------------------ */
/* rtnetlink: addresses, link state, routes                                  */

static int nl_fd = -1;
static uint32_t nl_seq;

struct nl_req {
    struct nlmsghdr nh;
    char buf[256];
};

static void nl_init(struct nl_req *req, uint16_t type, uint16_t flags,
                    size_t body_len)
{
    memset(req, 0, sizeof(*req));
    req->nh.nlmsg_len = NLMSG_LENGTH(body_len);
    req->nh.nlmsg_type = type;
    req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    req->nh.nlmsg_seq = ++nl_seq;
}

static void nl_attr(struct nl_req *req, uint16_t type, const void *data,
                    size_t len)
{
    struct rtattr *rta = (struct rtattr *)((char *)&req->nh +
                                           NLMSG_ALIGN(req->nh.nlmsg_len));

    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
                        RTA_ALIGN(rta->rta_len);
}

/* Open a nested attribute; nl_nest_end() sets its length */
static struct rtattr *nl_nest_begin(struct nl_req *req, uint16_t type)
{
    struct rtattr *nest = (struct rtattr *)((char *)&req->nh +
                                            NLMSG_ALIGN(req->nh.nlmsg_len));

    /* The kernel's nla_parse_nested() insists on NLA_F_NESTED */
    nest->rta_type = type | NLA_F_NESTED;
    nest->rta_len = RTA_LENGTH(0);
    req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + nest->rta_len;
    return nest;
}

static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
    nest->rta_len = (char *)&req->nh + req->nh.nlmsg_len - (char *)nest;
}

/* Send @req and wait for its acknowledgement: 0 or a negative errno */
static int nl_talk(struct nl_req *req)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    union {
        struct nlmsghdr nh;
        char buf[8192];
    } rsp;

    if (nl_fd < 0) {
        nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (nl_fd < 0) {
            return -errno;
        }
    }
    if (sendto(nl_fd, &req->nh, req->nh.nlmsg_len, 0,
               (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        return -errno;
    }
    for (;;) {
        ssize_t n = recv(nl_fd, &rsp, sizeof(rsp), 0);
        struct nlmsghdr *nh;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        for (nh = &rsp.nh; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
            if (nh->nlmsg_seq != req->nh.nlmsg_seq) {
                continue;
            }
            if (nh->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(nh);

                return e->error;
            }
        }
    }
}

/* mctp addr add <eid> dev <link> (an address already there is fine) */
static int nl_add_addr(int ifindex, uint8_t eid)
{
    struct nl_req req;
    struct ifaddrmsg *ifa;
    int rc;

    nl_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
    ifa = NLMSG_DATA(&req.nh);
    ifa->ifa_family = AF_MCTP;
    ifa->ifa_index = ifindex;
    nl_attr(&req, IFA_LOCAL, &eid, 1);
    rc = nl_talk(&req);
    return rc == -EEXIST ? 0 : rc;
}

/* mctp link set <link> up */
static int nl_link_up(int ifindex)
{
    struct nl_req req;
    struct ifinfomsg *ifi;

    nl_init(&req, RTM_NEWLINK, 0, sizeof(*ifi));
    ifi = NLMSG_DATA(&req.nh);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return nl_talk(&req);
}

/*
 * mctp link set <link> net <net>: IFLA_AF_SPEC { AF_MCTP { IFLA_MCTP_NET } }
 * (net/mctp/device.c, mctp_set_link_af)
 */
static int nl_link_set_net(int ifindex, uint32_t net)
{
    struct nl_req req;
    struct ifinfomsg *ifi;
    struct rtattr *af_spec, *af_mctp;

    nl_init(&req, RTM_NEWLINK, 0, sizeof(*ifi));
    ifi = NLMSG_DATA(&req.nh);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    af_spec = nl_nest_begin(&req, IFLA_AF_SPEC);
    af_mctp = nl_nest_begin(&req, AF_MCTP);
    nl_attr(&req, IFLA_MCTP_NET, &net, sizeof(net));
    nl_nest_end(&req, af_mctp);
    nl_nest_end(&req, af_spec);
    return nl_talk(&req);
}

/*
 * mctp route add <eid> via <link>: a direct route (RTA_OIF) to a single
 * EID (rtm_dst_len is the extent of the range, 0 here); net/mctp/route.c
 * wants AF_MCTP, RTN_UNICAST and a u8 RTA_DST.
 */
static int nl_add_route(int ifindex, uint8_t eid)
{
    struct nl_req req;
    struct rtmsg *rtm;
    uint32_t oif = ifindex;
    int rc;

    nl_init(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
    rtm = NLMSG_DATA(&req.nh);
    rtm->rtm_family = AF_MCTP;
    rtm->rtm_dst_len = 0;
    rtm->rtm_table = RT_TABLE_DEFAULT;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    nl_attr(&req, RTA_DST, &eid, 1);
    nl_attr(&req, RTA_OIF, &oif, sizeof(oif));
    rc = nl_talk(&req);
    return rc == -EEXIST ? 0 : rc;
}

/*
 * mctp neigh add <eid> dev <link> lladdr <haddr>: the physical address of
 * an EID on a link that has them (net/mctp/neigh.c: NDA_DST, NDA_LLADDR of
 * the link's address length)
 */
static int nl_add_neigh(int ifindex, uint8_t eid, uint8_t haddr)
{
    struct nl_req req;
    struct ndmsg *ndm;
    int rc;

    nl_init(&req, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ndm));
    ndm = NLMSG_DATA(&req.nh);
    ndm->ndm_family = AF_MCTP;
    ndm->ndm_ifindex = ifindex;
    nl_attr(&req, NDA_DST, &eid, 1);
    nl_attr(&req, NDA_LLADDR, &haddr, 1);
    rc = nl_talk(&req);
    return rc == -EEXIST ? 0 : rc;
}

/* ------------------------------------------------------------------------ */
/* MCTP links                                                                */

static int read_int(const char *dir, const char *name, const char *attr,
                    int *val)
{
    char path[256];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr);
    f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    ok = fscanf(f, "%d", val) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* mctpusb2 before mctpusb10 */
static int link_cmp(const void *a, const void *b)
{
    const struct link *la = a, *lb = b;
    size_t na = strlen(la->name), nb = strlen(lb->name);

    return na != nb ? (na > nb) - (na < nb) : strcmp(la->name, lb->name);
}

/*
 * The MCTP network devices (type ARPHRD_MCTP) whose name is mctpusbN or
 * mctpserialN, one endpoint each, and mctpi2cN, one endpoint per
 * --i2c-addrs address (only only_link, if set)
 */
static unsigned find_links(struct link *links)
{
    const char *dir = "/sys/class/net";
    unsigned n = 0, a;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (!d) {
        return 0;
    }
    while ((de = readdir(d)) && n < MAX_MCTP_LINKS) {
        bool i2c = !strncmp(de->d_name, "mctpi2c", 7);
        bool serial = !strncmp(de->d_name, "mctpserial", 10);
        int type, ifindex;

        if ((!i2c && !serial && strncmp(de->d_name, "mctpusb", 7)) ||
            (only_link[0] && strcmp(de->d_name, only_link)) ||
            strlen(de->d_name) + (i2c ? 6 : 0) >= IFNAMSIZ ||
            read_int(dir, de->d_name, "type", &type) || type != ARPHRD_MCTP ||
            read_int(dir, de->d_name, "ifindex", &ifindex)) {
            continue;
        }
        for (a = 0; a < (i2c ? n_i2c_addrs : 1) && n < MAX_MCTP_LINKS; a++) {
            memset(&links[n], 0, sizeof(links[n]));
            links[n].ifindex = ifindex;
            links[n].i2c = i2c;
            links[n].serial = serial;
            strcpy(links[n].dev, de->d_name);
            if (i2c) {
                links[n].haddr = i2c_addrs[a];
                snprintf(links[n].name, sizeof(links[n].name), "%s:0x%02x",
                         de->d_name, i2c_addrs[a]);
            } else {
                strcpy(links[n].name, de->d_name);
            }
            n++;
        }
    }
    closedir(d);
    qsort(links, n, sizeof(*links), link_cmp);
    return n;
}

static int mctp_socket(bool ext_addr)
{
    struct timeval tv = { .tv_sec = RX_TIMEOUT_S };
    int one = 1;
    int fd = socket(AF_MCTP, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return fail("socket(AF_MCTP): %s", strerror(errno));
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
        (ext_addr &&
         setsockopt(fd, SOL_MCTP, MCTP_OPT_ADDR_EXT, &one, sizeof(one)))) {
        fail("setsockopt on AF_MCTP socket: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ------------------------------------------------------------------------ */
/* MCTP control requests                                                     */

static uint8_t ctrl_iid;

static const char *ctrl_name(uint8_t cmd)
{
    switch (cmd) {
    case CTRL_SET_EID: return "Set Endpoint ID";
    case CTRL_GET_EID: return "Get Endpoint ID";
    case CTRL_GET_UUID: return "Get Endpoint UUID";
    case CTRL_GET_MSG_TYPES: return "Get Message Type Support";
    default: return "control request";
    }
}

/*
 * Send control command @cmd with @dlen bytes of @data to @addr and wait for
 * the response, up to CTRL_TRIES times: on success, @rsp holds the response
 * after the type byte (Rq/D/IID, command, completion code, data) and
 * @rsp_len its length, at least @min_len.  A response with another IID is a
 * late answer to an earlier try and is skipped (up to MAX_STRAY of them).
 */
static int ctrl_xfer(int fd, const void *addr, socklen_t addr_len,
                     const char *where, uint8_t cmd, const uint8_t *data,
                     size_t dlen, uint8_t *rsp, size_t rsp_size,
                     size_t min_len, size_t *rsp_len)
{
    uint8_t req[2 + 8];
    int try;

    for (try = 0; try < CTRL_TRIES; try++) {
        uint8_t iid = ctrl_iid++ & CTRL_IID_MASK;
        unsigned stray = 0;

        req[0] = CTRL_RQ | iid;
        req[1] = cmd;
        memcpy(req + 2, data, dlen);
        if (sendto(fd, req, 2 + dlen, 0, addr, addr_len) < 0) {
            return fail("%s: %s: sendto: %s", where, ctrl_name(cmd),
                        strerror(errno));
        }
        for (;;) {
            struct sockaddr_mctp_ext from;
            socklen_t from_len = sizeof(from);
            ssize_t n = recvfrom(fd, rsp, rsp_size, MSG_TRUNC,
                                 (struct sockaddr *)&from, &from_len);

            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;          /* timeout: try again */
            }
            if (n < 0) {
                return fail("%s: %s: recvfrom: %s", where, ctrl_name(cmd),
                            strerror(errno));
            }
            if ((size_t)n > rsp_size) {
                return fail("%s: %s: %zd-byte response, more than %zu",
                            where, ctrl_name(cmd), n, rsp_size);
            }
            if (from.smctp_base.smctp_type != MCTP_TYPE_CONTROL) {
                return fail("%s: %s: response of message type 0x%02x", where,
                            ctrl_name(cmd), from.smctp_base.smctp_type);
            }
            if (from.smctp_base.smctp_tag & MCTP_TAG_OWNER) {
                return fail("%s: %s: a request (tag owner set) came back",
                            where, ctrl_name(cmd));
            }
            if (n < CTRL_HDR_SIZE) {
                return fail("%s: %s: %zd-byte response", where,
                            ctrl_name(cmd), n);
            }
            if (rsp[0] & (CTRL_RQ | CTRL_D) ||
                (rsp[0] & CTRL_IID_MASK) != iid) {
                /* not the answer to this try: a late one to an earlier */
                if (++stray > MAX_STRAY) {
                    return fail("%s: %s: %u responses with the wrong IID "
                                "(last 0x%02x, want 0x%02x)", where,
                                ctrl_name(cmd), stray, rsp[0], iid);
                }
                say("note %s: %s: skipped a response with IID %u (want %u)",
                    where, ctrl_name(cmd), rsp[0] & CTRL_IID_MASK, iid);
                continue;
            }
            if (rsp[1] != cmd) {
                return fail("%s: %s: response for command 0x%02x", where,
                            ctrl_name(cmd), rsp[1]);
            }
            if (rsp[2] != 0) {
                return fail("%s: %s: completion code 0x%02x", where,
                            ctrl_name(cmd), rsp[2]);
            }
            if ((size_t)n < min_len) {
                return fail("%s: %s: %zd-byte response, expected %zu", where,
                            ctrl_name(cmd), n, min_len);
            }
            *rsp_len = n;
            return 0;
        }
    }
    return fail("%s: %s: no response after %d tries of %d s", where,
                ctrl_name(cmd), CTRL_TRIES, RX_TIMEOUT_S);
}

/* "6d60b211-a54a-..." into @buf (37 bytes) */
static const char *uuid_str(const uint8_t *u, char *buf)
{
    sprintf(buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
            "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
            u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    return buf;
}

/* "07,08" into @buf (3 bytes per type) */
static const char *types_str(const struct link *l, char *buf)
{
    unsigned t;

    strcpy(buf, l->ntypes ? "" : "none");
    for (t = 0; t < l->ntypes; t++) {
        sprintf(buf + strlen(buf), "%s%02x", t ? "," : "", l->types[t]);
    }
    return buf;
}

/*
 * What mctpd's SetupEndpoint does for a link with no physical address:
 * Get/Set Endpoint ID at the null EID through the link (extended
 * addressing), a route to the new EID, then Get Message Type Support and
 * Get Endpoint UUID to the EID through the routing table.  One
 * "setup <link> ..." line per step.
 */
static int setup_endpoint(struct link *l, uint8_t want_eid)
{
    static const char *const eid_types[] = {
        "dynamic", "static", "static-current", "static-other",
    };
    struct sockaddr_mctp_ext null_addr = {
        .smctp_base = {
            .smctp_family = AF_MCTP,
            .smctp_network = mctp_net,
            .smctp_addr.s_addr = MCTP_ADDR_NULL,
            .smctp_type = MCTP_TYPE_CONTROL,
            .smctp_tag = MCTP_TAG_OWNER,
        },
        .smctp_ifindex = l->ifindex,
        .smctp_halen = l->i2c,  /* USB, serial: no physical address */
        .smctp_haddr = { l->haddr },
    };
    struct sockaddr_mctp eid_addr = {
        .smctp_family = AF_MCTP,
        .smctp_network = mctp_net,
        .smctp_type = MCTP_TYPE_CONTROL,
        .smctp_tag = MCTP_TAG_OWNER,
    };
    uint8_t rsp[64], set[2] = { 0x00 /* operation: Set */, want_eid };
    const uint8_t *data = rsp + CTRL_HDR_SIZE;
    char buf[3 * sizeof(l->types) + 40];
    size_t len;
    uint8_t eid;
    int fd, rc = -1;

    fd = mctp_socket(true);
    if (fd < 0) {
        return -1;
    }
    /* Get Endpoint ID: EID, endpoint type, medium-specific */
    if (ctrl_xfer(fd, &null_addr, sizeof(null_addr), l->name, CTRL_GET_EID,
                  NULL, 0, rsp, sizeof(rsp), CTRL_HDR_SIZE + 3, &len)) {
        goto out;
    }
    say("setup %s get-eid eid %u endpoint %s eid-type %s", l->name, data[0],
        (data[1] >> 4 & 3) == 0 ? "simple" :
        (data[1] >> 4 & 3) == 1 ? "bus-owner" : "reserved",
        eid_types[data[1] & 3]);
    /* Set Endpoint ID: status, EID setting, pool size */
    if (ctrl_xfer(fd, &null_addr, sizeof(null_addr), l->name, CTRL_SET_EID,
                  set, sizeof(set), rsp, sizeof(rsp), CTRL_HDR_SIZE + 3,
                  &len)) {
        goto out;
    }
    eid = data[1];
    say("setup %s set-eid %u %s eid %u pool %u", l->name, want_eid,
        (data[0] >> 4 & 3) ? "rejected" : "accepted", eid, data[2]);
    if (eid < 8 || eid == 0xff) {
        fail("%s: Set Endpoint ID: endpoint now at invalid EID %u", l->name,
             eid);
        goto out;
    }
    if (eid != want_eid) {
        say("note %s: asked for EID %u, endpoint uses %u", l->name, want_eid,
            eid);
    }
    if (l->i2c) {
        rc = nl_add_neigh(l->ifindex, eid, l->haddr);
        if (rc) {
            fail("%s: neighbour EID %u at 0x%02x: %s", l->name, eid,
                 l->haddr, strerror(-rc));
            rc = -1;
            goto out;
        }
        say("setup %s neigh eid %u lladdr 0x%02x", l->name, eid, l->haddr);
    }
    rc = nl_add_route(l->ifindex, eid);
    if (rc) {
        fail("%s: route to EID %u: %s", l->name, eid, strerror(-rc));
        rc = -1;
        goto out;
    }
    say("setup %s route eid %u", l->name, eid);
    rc = -1;
    close(fd);

    fd = mctp_socket(false);
    if (fd < 0) {
        return -1;
    }
    eid_addr.smctp_addr.s_addr = eid;
    /* Get Message Type Support: count, then exactly that many types */
    if (ctrl_xfer(fd, &eid_addr, sizeof(eid_addr), l->name,
                  CTRL_GET_MSG_TYPES, NULL, 0, rsp, sizeof(rsp),
                  CTRL_HDR_SIZE + 1, &len)) {
        goto out;
    }
    l->ntypes = data[0];
    if (len != CTRL_HDR_SIZE + 1 + l->ntypes ||
        l->ntypes > sizeof(l->types)) {
        fail("%s: Get Message Type Support: %zu-byte response for %u types",
             l->name, len, l->ntypes);
        goto out;
    }
    memcpy(l->types, data + 1, l->ntypes);
    say("setup %s types %s", l->name, types_str(l, buf));
    /* Get Endpoint UUID */
    if (ctrl_xfer(fd, &eid_addr, sizeof(eid_addr), l->name, CTRL_GET_UUID,
                  NULL, 0, rsp, sizeof(rsp), CTRL_HDR_SIZE + 16, &len)) {
        goto out;
    }
    memcpy(l->uuid, data, 16);
    say("setup %s uuid %s", l->name, uuid_str(l->uuid, buf));
    l->eid = eid;
    rc = 0;
out:
    close(fd);
    return rc;
}

/* The prefix of the lines about the endpoint on @l */
static const char *link_via(const struct link *l)
{
    return l->i2c ? "i2c " : l->serial ? "serial " : "usb ";
}

static bool link_has_type(const struct link *l, uint8_t type)
{
    unsigned i;

    for (i = 0; i < l->ntypes; i++) {
        if (l->types[i] == type) {
            return true;
        }
    }
    return false;
}

/*
 * Set up every link: local address, network, link up, then the endpoint.
 * Returns how many links were found (0: failure); those whose endpoint was
 * set up have a non-zero eid.
 */
static unsigned setup(struct link *links)
{
    unsigned n, i, waited;
    int rc;

    for (waited = 0; !(n = find_links(links)) && waited < LINK_WAIT_MS;
         waited += 100) {
        usleep(100 * 1000);
    }
    if (!n) {
        fail("no mctpusbN, mctpserialN or mctpi2cN link%s%s (type %d) in "
             "/sys/class/net", only_link[0] ? " named " : "", only_link,
             ARPHRD_MCTP);
        return 0;
    }
    for (i = 0; i < n; i++) {
        struct link *l = &links[i];
        char types[3 * sizeof(l->types) + 8], uuid[40];

        rc = nl_add_addr(l->ifindex, local_eid);
        if (rc) {
            fail("%s: address %u: %s", l->name, local_eid, strerror(-rc));
            continue;
        }
        say("setup %s ifindex %d local-eid %u", l->name, l->ifindex,
            local_eid);
        if (mctp_net != MCTP_NET_ANY) {
            rc = nl_link_set_net(l->ifindex, mctp_net);
            if (rc) {
                fail("%s: net %u: %s", l->name, mctp_net, strerror(-rc));
                continue;
            }
            say("setup %s net %u", l->name, mctp_net);
        }
        rc = nl_link_up(l->ifindex);
        if (rc) {
            fail("%s: link up: %s", l->name, strerror(-rc));
            continue;
        }
        say("setup %s up", l->name);
        if (setup_endpoint(l, FIRST_EID + i)) {
            continue;
        }
        say("link %s eid %u types %s uuid %s", l->name, l->eid,
            types_str(l, types), uuid_str(l->uuid, uuid));
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* CXL commands over MCTP                                                    */

static const char *cxl_rc_name(uint16_t rc)
{
    static const char *const names[] = {
        [0x00] = "success", [0x01] = "background command started",
        [0x02] = "invalid input", [0x03] = "unsupported",
        [0x04] = "internal error", [0x05] = "retry required",
        [0x06] = "busy", [0x07] = "media disabled",
        [0x08] = "FW transfer in progress", [0x09] = "FW transfer out of order",
        [0x0a] = "FW verification failed", [0x0b] = "FW invalid slot",
        [0x0c] = "FW activation failed", [0x0d] = "FW cold reset required",
        [0x0e] = "invalid handle", [0x0f] = "invalid physical address",
        [0x10] = "inject poison limit", [0x11] = "permanent media failure",
        [0x12] = "aborted", [0x13] = "invalid security state",
        [0x14] = "incorrect passphrase", [0x15] = "unsupported mailbox",
        [0x16] = "invalid payload length", [0x17] = "invalid log",
        [0x18] = "interrupted", [0x19] = "unsupported feature version",
        [0x1a] = "unsupported feature selection",
        [0x1b] = "feature transfer in progress",
        [0x1c] = "feature transfer out of order",
        [0x1d] = "resources exhausted",
        [0x1e] = "invalid extent list",
        [0x1f] = "transfer out of order",
        [0x20] = "request abort not supported",
    };

    return rc < sizeof(names) / sizeof(names[0]) && names[rc] ?
           names[rc] : "unknown";
}

static int cxl_open(struct cxl_ep *ep, uint8_t eid)
{
    ep->eid = eid;
    ep->tag = 0;
    ep->dev = NULL;
    ep->sn = 0;
    ep->fd = mctp_socket(false);
    return ep->fd < 0 ? -1 : 0;
}

static void cxl_close(struct cxl_ep *ep)
{
    if (ep->fd >= 0) {
        close(ep->fd);
        ep->fd = -1;
    }
}

/* Fill a 12-byte CXL request header */
static void cxl_header(uint8_t *h, uint8_t tag, uint16_t opcode,
                       size_t pl_len)
{
    memset(h, 0, CXL_HDR_SIZE);
    h[0] = CXL_CAT_REQ;
    h[1] = tag;
    h[3] = opcode & 0xff;
    h[4] = opcode >> 8;
    put_le24(h + 5, pl_len);
}

/*
 * Check a CXL response header against the request's tag and opcode, and
 * its payload length against the @len bytes received (libcxlmi's
 * sanity_check_mctp_rsp); print what is wrong and return -1.
 */
static int cxl_check_response(const char *where, const uint8_t *h, size_t len,
                              uint8_t tag, uint16_t opcode)
{
    uint32_t pl_len;
    uint16_t rc;

    if (len < CXL_HDR_SIZE) {
        return fail("%s opcode %04xh: %zu-byte response", where, opcode, len);
    }
    if ((h[0] & 0xf) != CXL_CAT_RSP) {
        return fail("%s opcode %04xh: message category %u, not a response",
                    where, opcode, h[0] & 0xf);
    }
    if (h[1] != tag) {
        return fail("%s opcode %04xh: tag %u in the response to tag %u",
                    where, opcode, h[1], tag);
    }
    if ((h[3] | h[4] << 8) != opcode) {
        return fail("%s opcode %04xh: response for opcode %02x%02xh", where,
                    opcode, h[4], h[3]);
    }
    pl_len = get_le24(h + 5) & CXL_PL_LEN_MASK;
    if (pl_len != len - CXL_HDR_SIZE) {
        return fail("%s opcode %04xh: payload length %u, but %zu bytes follow"
                    " the header", where, opcode, pl_len, len - CXL_HDR_SIZE);
    }
    rc = get_le16(h + 8);
    if (rc == CXL_RC_BG_STARTED && bg_allowed) {
        if (!(h[7] & CXL_BO)) {
            return fail("%s opcode %04xh: background command started, but "
                        "the BO bit is clear", where, opcode);
        }
        bg_started = true;
        return 0;
    }
    if (rc) {
        return fail("%s opcode %04xh: return code 0x%04x (%s)", where, opcode,
                    rc, cxl_rc_name(rc));
    }
    return 0;
}

/*
 * Run CXL command @opcode on @ep with @in_len bytes of input; on success
 * the payload is in @out (at least @min_out bytes, @out_len set).  The
 * request goes over DSP0234 (type 0x07) for FM-API command sets and over
 * DSP0281 (type 0x08) otherwise; with no response within RX_TIMEOUT_S it
 * is sent again (with a new tag), up to CXL_TRIES times, and a late
 * response to an earlier try is skipped.  Anything else that does not
 * match the request fails the command.
 */
static int cxl_cmd(struct cxl_ep *ep, uint16_t opcode, const void *in,
                   size_t in_len, uint8_t *out, size_t out_size,
                   size_t min_out, size_t *out_len)
{
    static uint8_t req[CXL_HDR_SIZE + CXL_MAX_PAYLOAD];
    static uint8_t rsp[CXL_HDR_SIZE + CXL_MAX_PAYLOAD];
    uint8_t set = opcode >> 8;
    uint8_t type = set >= FMAPI_SET_FIRST && set <= FMAPI_SET_LAST ?
                   MCTP_TYPE_CXL_FMAPI : MCTP_TYPE_CXL_CCI;
    struct sockaddr_mctp addr = {
        .smctp_family = AF_MCTP,
        .smctp_network = mctp_net,
        .smctp_addr.s_addr = ep->eid,
        .smctp_type = type,
        .smctp_tag = MCTP_TAG_OWNER,
    };
    uint8_t first_tag = ep->tag;
    char where[32];
    size_t pl_len;
    ssize_t n = -1;
    int try;

    snprintf(where, sizeof(where), "eid %u", ep->eid);
    if (in_len > CXL_MAX_PAYLOAD) {
        return fail("%s opcode %04xh: %zu-byte input", where, opcode, in_len);
    }
    for (try = 0; try < CXL_TRIES && n < 0; try++) {
        uint8_t tag = ep->tag++;
        unsigned stray = 0;

        cxl_header(req, tag, opcode, in_len);
        memcpy(req + CXL_HDR_SIZE, in, in_len);
        if (sendto(ep->fd, req, CXL_HDR_SIZE + in_len, 0,
                   (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            return fail("%s opcode %04xh: sendto: %s", where, opcode,
                        strerror(errno));
        }
        for (;;) {
            struct sockaddr_mctp from;
            socklen_t from_len = sizeof(from);

            n = recvfrom(ep->fd, rsp, sizeof(rsp), MSG_TRUNC,
                         (struct sockaddr *)&from, &from_len);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                say("note %s opcode %04xh: no response within %d s (try "
                    "%d of %d)", where, opcode, RX_TIMEOUT_S, try + 1,
                    CXL_TRIES);
                break;
            }
            if (n < 0) {
                return fail("%s opcode %04xh: recvfrom: %s", where, opcode,
                            strerror(errno));
            }
            if ((size_t)n > sizeof(rsp)) {
                return fail("%s opcode %04xh: %zd-byte response, more than "
                            "%zu", where, opcode, n, sizeof(rsp));
            }
            if (from.smctp_type != type) {
                return fail("%s opcode %04xh: response of MCTP type 0x%02x "
                            "to type 0x%02x", where, opcode, from.smctp_type,
                            type);
            }
            if (from.smctp_addr.s_addr != ep->eid) {
                return fail("%s opcode %04xh: response from EID %u", where,
                            opcode, from.smctp_addr.s_addr);
            }
            if (from.smctp_tag & MCTP_TAG_OWNER) {
                return fail("%s opcode %04xh: a request (tag owner set) "
                            "came back", where, opcode);
            }
            /* A late response to an earlier try of this command */
            if (n >= CXL_HDR_SIZE && rsp[1] != tag &&
                (uint8_t)(rsp[1] - first_tag) < (uint8_t)(tag - first_tag)) {
                if (++stray > MAX_STRAY) {
                    return fail("%s opcode %04xh: too many late responses",
                                where, opcode);
                }
                say("note %s opcode %04xh: skipped a late response (tag %u)",
                    where, opcode, rsp[1]);
                continue;
            }
            if (cxl_check_response(where, rsp, n, tag, opcode)) {
                return -1;
            }
            break;
        }
    }
    if (n < 0) {
        return fail("%s opcode %04xh: no response after %d tries of %d s",
                    where, opcode, CXL_TRIES, RX_TIMEOUT_S);
    }
    pl_len = n - CXL_HDR_SIZE;
    if (pl_len < min_out || pl_len > out_size) {
        return fail("%s opcode %04xh: %zu-byte payload, expected %zu..%zu",
                    where, opcode, pl_len, min_out, out_size);
    }
    memcpy(out, rsp + CXL_HDR_SIZE, pl_len);
    *out_len = pl_len;
    return 0;
}

/* Identify (0001h): the component type, or -1 */
static int cxl_identify(struct cxl_ep *ep)
{
    uint8_t out[64];
    size_t len;
    uint8_t type;

    if (cxl_cmd(ep, OP_IDENTIFY, NULL, 0, out, sizeof(out), 18, &len)) {
        return -1;
    }
    type = out[17];
    ep->sn = get_le64(out + 8);
    say("identify eid %u type %s sn 0x%llx max-msg %u vendor 0x%04x "
        "device 0x%04x", ep->eid,
        type == COMPONENT_SWITCH ? "switch" :
        type == COMPONENT_TYPE3 ? "type3" : "other",
        (unsigned long long)get_le64(out + 8),
        out[16] < 32 ? 1u << out[16] : 0, get_le16(out), get_le16(out + 2));
    return type;
}

/*
 * Tunnel Management Command (5300h) carrying Identify to switch port
 * @port; the serial number of what answered in @sn
 */
static int cxl_tunnel_identify(struct cxl_ep *ep, uint8_t port, uint64_t *sn)
{
    uint8_t in[4 + CXL_HDR_SIZE], out[128];
    const uint8_t *inner = out + 4;
    uint8_t inner_tag = 0x80 | (ep->tag & 0x7f);
    size_t len, resp_len;
    char where[32];

    snprintf(where, sizeof(where), "tunnel port %u", port);
    in[0] = port;
    in[1] = 0;                  /* target type: port or LD */
    put_le16(in + 2, CXL_HDR_SIZE);
    cxl_header(in + 4, inner_tag, OP_IDENTIFY, 0);
    if (cxl_cmd(ep, OP_TUNNEL, in, sizeof(in), out, sizeof(out),
                4 + CXL_HDR_SIZE, &len)) {
        return -1;
    }
    resp_len = get_le16(out);
    if (resp_len != len - 4) {
        return fail("tunnel port %u: response length %zu, but %zu bytes "
                    "follow", port, resp_len, len - 4);
    }
    if (cxl_check_response(where, inner, resp_len, inner_tag, OP_IDENTIFY)) {
        return -1;
    }
    if (resp_len - CXL_HDR_SIZE < 18) {
        return fail("tunnel port %u: %zu-byte Identify payload", port,
                    resp_len - CXL_HDR_SIZE);
    }
    inner += CXL_HDR_SIZE;
    if (sn) {
        *sn = get_le64(inner + 8);
    }
    say("tunnel port %u sn 0x%llx type %u max-msg %u", port,
        (unsigned long long)get_le64(inner + 8), inner[17],
        inner[16] < 32 ? 1u << inner[16] : 0);
    return 0;
}

static const char *port_config_state(uint8_t s)
{
    switch (s) {
    case 0: return "disabled";
    case 1: return "bind-in-progress";
    case 2: return "unbind-in-progress";
    case 3: return "dsp";
    case 4: return "usp";
    case 5: return "fabric";
    case 0xf: return "invalid";
    default: return "reserved";
    }
}

static const char *port_device_type(uint8_t t)
{
    switch (t) {
    case 0: return "none";
    case 1: return "pcie";
    case 2: return "type1";
    case 3: return "type2";
    case 4: return "type3-sld";
    case 5: return "type3-mld";
    case 6: return "pbr";
    default: return "reserved";
    }
}

/* CXL r3.2 Table 7-19 LTSSM State */
static const char *ltssm_state(uint8_t s)
{
    static const char *const states[] = {
        "detect", "polling", "configuration", "recovery", "L0", "L0s", "L1",
        "L2", "disabled", "loopback", "hot-reset",
    };

    return s < sizeof(states) / sizeof(states[0]) ? states[s] : "reserved";
}

/* PCIe link speed encoding (Link Capabilities / Status) in GT/s */
static const char *link_speed(uint8_t s)
{
    static const char *const speeds[] = {
        "?", "2.5", "5", "8", "16", "32", "64", "128",
    };

    return s < sizeof(speeds) / sizeof(speeds[0]) ? speeds[s] : "?";
}

/* A port's information block of Get Physical Port State (5101h) */
static void port_state_line(const uint8_t *b)
{
    say("port %u state %s device %s width x%u/x%u speed %s/%s GT/s ltssm %s "
        "perst %u", b[0], port_config_state(b[1]), port_device_type(b[4]),
        b[6], b[7], link_speed(b[9]), link_speed(b[10]), ltssm_state(b[11]),
        (get_le16(b + 13) >> 1) & 1);
}

/*
 * Identify Switch Device (5100h), then Get Physical Port State (5101h) of
 * every port; with @tunnel, Identify tunnelled to each type 3 device found
 * below a downstream port.
 */
static int switch_commands(struct cxl_ep *ep, bool tunnel)
{
    uint8_t out[CXL_MAX_PAYLOAD], in[1 + 256];
    uint8_t ports[256];
    unsigned nports = 0, i;
    size_t len;
    int rc = 0;

    /* Identify Switch Device (5100h) */
    if (cxl_cmd(ep, OP_IDENTIFY_SWITCH, NULL, 0, out, sizeof(out), 72,
                &len)) {
        return -1;
    }
    say("switch eid %u ports %u vcss %u vppbs %u/%u ingress-port %u",
        ep->eid, out[2], out[3], get_le16(out + 70), get_le16(out + 68),
        out[0]);
    /*
     * The ports to ask about are those of the active port bitmask: port
     * IDs need not be 0..ports-1 (and a switch answers Invalid Input for
     * an ID that is not one of its ports).
     */
    for (i = 0; i < 256; i++) {
        if (out[4 + i / 8] & (1 << (i % 8))) {
            ports[nports++] = i;
        }
    }
    if (nports != out[2]) {
        say("note switch eid %u: %u ports in the active port bitmask, %u "
            "physical ports", ep->eid, nports, out[2]);
    }
    if (!nports) {
        return fail("switch eid %u: no active port", ep->eid);
    }

    /* Get Physical Port State (5101h) for all active ports at once */
    in[0] = nports;
    memcpy(in + 1, ports, nports);
    if (cxl_cmd(ep, OP_GET_PORT_STATE, in, 1 + nports, out, sizeof(out),
                4 + 16 * nports, &len)) {
        return -1;
    }
    if (out[0] != nports) {
        return fail("switch eid %u: port state of %u ports, %u asked",
                    ep->eid, out[0], nports);
    }
    for (i = 0; i < nports; i++) {
        const uint8_t *b = out + 4 + 16 * i;

        if (b[0] != ports[i]) {
            rc = fail("switch eid %u: port state block %u for port %u, not "
                      "%u", ep->eid, i, b[0], ports[i]);
            continue;
        }
        port_state_line(b);
    }

    /* Identify, tunnelled to every type 3 device below a downstream port */
    for (i = 0; tunnel && i < nports; i++) {
        const uint8_t *b = out + 4 + 16 * i;

        if (b[1] == 3 && (b[4] == 4 || b[4] == 5) &&
            cxl_tunnel_identify(ep, b[0], NULL)) {
            rc = -1;
        }
    }
    return rc;
}

/*
 * Identify Memory Device (4000h) and Get Health Info (4200h) of a type 3
 * device: capacities in bytes, and its health as the device reports it
 */
static int memdev_info(struct cxl_ep *ep)
{
    static const char *const media[] = {
        "normal", "not-ready", "write-persistency-lost", "all-data-lost",
        "write-persistency-loss-on-power-loss",
        "write-persistency-loss-on-shutdown", "write-persistency-loss-soon",
        "all-data-loss-on-power-loss", "all-data-loss-on-shutdown",
        "all-data-loss-soon",
    };
    uint8_t out[128];
    char life[8], temp[8];
    size_t len;

    if (cxl_cmd(ep, OP_IDENTIFY_MEMDEV, NULL, 0, out, sizeof(out), 0x45,
                &len)) {
        return -1;
    }
    out[15] = 0;
    say("memdev eid %u fw \"%s\" capacity 0x%llx volatile 0x%llx "
        "persistent 0x%llx lsa 0x%x", ep->eid, (char *)out,
        (unsigned long long)get_le64(out + 0x10) << 28,
        (unsigned long long)get_le64(out + 0x18) << 28,
        (unsigned long long)get_le64(out + 0x20) << 28,
        (unsigned)(get_le16(out + 0x38) | get_le16(out + 0x3a) << 16));
    if (cxl_cmd(ep, OP_GET_HEALTH_INFO, NULL, 0, out, sizeof(out), 0x12,
                &len)) {
        return -1;
    }
    strcpy(life, "n/a");
    if (out[3] != 0xff) {
        snprintf(life, sizeof(life), "%u%%", out[3]);
    }
    strcpy(temp, "n/a");
    if (get_le16(out + 4) != 0xffff) {
        snprintf(temp, sizeof(temp), "%dC", (int16_t)get_le16(out + 4));
    }
    say("health eid %u status 0x%02x media %s life-used %s temperature %s "
        "dirty-shutdowns %u", ep->eid, out[0],
        out[1] < sizeof(media) / sizeof(media[0]) ? media[out[1]] : "?",
        life, temp,
        (unsigned)(get_le16(out + 6) | get_le16(out + 8) << 16));
    return 0;
}

/* Get LD Info (5400h): memory size, LD count */
static int ld_info(struct cxl_ep *ep)
{
    uint8_t out[256];
    size_t len;

    if (cxl_cmd(ep, OP_GET_LD_INFO, NULL, 0, out, sizeof(out), 10, &len)) {
        return -1;
    }
    say("ld-info eid %u size 0x%llx lds %u", ep->eid,
        (unsigned long long)get_le64(out), get_le16(out + 8));
    return 0;
}

/* Get DCD Info (5600h): hosts, regions, total capacity / 256 MiB */
static int dcd_info(struct cxl_ep *ep)
{
    uint8_t out[256];
    size_t len;

    if (cxl_cmd(ep, OP_GET_DCD_INFO, NULL, 0, out, sizeof(out), 20, &len)) {
        return -1;
    }
    say("dcd-info eid %u hosts %u regions %u capacity 0x%llx", ep->eid,
        out[0], out[1], (unsigned long long)get_le64(out + 12) << 28);
    return 0;
}

/* Set Response Message Limit (0004h) to 2^@limit bytes */
static int set_rsp_limit(struct cxl_ep *ep, uint8_t limit)
{
    uint8_t out[16];
    size_t len;

    if (cxl_cmd(ep, OP_SET_RSP_LIMIT, &limit, 1, out, sizeof(out), 1,
                &len)) {
        return -1;
    }
    if (out[0] != limit) {
        return fail("eid %u: response message limit 2^%u set, 2^%u asked",
                    ep->eid, out[0], limit);
    }
    say("response-limit eid %u %u bytes", ep->eid, 1u << out[0]);
    return 0;
}

/* Get Response Message Limit (0003h): 2^n bytes, n returned, or -1 */
static int get_rsp_limit(struct cxl_ep *ep)
{
    uint8_t out[16];
    size_t len;

    if (cxl_cmd(ep, OP_GET_RSP_LIMIT, NULL, 0, out, sizeof(out), 1, &len)) {
        return -1;
    }
    return out[0];
}

/* Get Log (0401h) of @len bytes of the CEL from @offset into @out */
static int get_cel(struct cxl_ep *ep, uint32_t offset, uint32_t len,
                   uint8_t *out)
{
    uint8_t in[24];
    size_t got;

    memcpy(in, cel_uuid, 16);
    put_le32(in + 16, offset);
    put_le32(in + 20, len);
    if (cxl_cmd(ep, OP_GET_LOG, in, sizeof(in), out, len, len, &got)) {
        return -1;
    }
    return 0;
}

/*
 * MCTP packets received so far on netdev @dev (NULL: unknown), or -1: the
 * number of packets a message took, if nothing else arrives meanwhile
 */
static long long link_rx_packets(const char *dev)
{
    char path[96];
    long long n = -1;
    FILE *f;

    if (!dev) {
        return -1;
    }
    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets",
             dev);
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%lld", &n) != 1) {
            n = -1;
        }
        fclose(f);
    }
    return n;
}

/*
 * link_rx_packets() once it has stopped changing: mctp-serial and mctp-i2c
 * count a packet after handing it on (netif_rx()), so the count may lag
 * the message a reader already has by its last packet
 */
static long long link_rx_packets_settled(const char *dev)
{
    long long n = link_rx_packets(dev), prev;
    int i;

    for (i = 0; i < 50 && n >= 0; i++) {
        usleep(2000);
        prev = n;
        n = link_rx_packets(dev);
        if (n == prev) {
            break;
        }
    }
    return n;
}

/*
 * Read @len bytes (0: as many as the response message limit allows, at
 * most CEL_LOG_BYTES) of the Command Effects Log at @offset in one Get Log:
 * with a 1 KiB limit, a response of many MCTP packets.  Print the number of
 * entries and a checksum, after checking the bytes against a read in
 * single-packet pieces.
 */
static int cel_read(struct cxl_ep *ep, uint32_t len, uint32_t offset)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    unsigned entries = 0, i;
    uint32_t sum = 0;
    long long rx0, rx1;
    char packets[32] = "";

    if (!len) {
        int limit = get_rsp_limit(ep);

        if (limit < 0) {
            return -1;
        }
        len = limit < 10 ? 1u << limit : CEL_LOG_BYTES;
    }
    if (len > CXL_MAX_PAYLOAD) {
        return fail("eid %u: CEL length %u, more than %u", ep->eid, len,
                    CXL_MAX_PAYLOAD);
    }
    rx0 = link_rx_packets_settled(ep->dev);
    if (get_cel(ep, offset, len, out)) {
        return -1;
    }
    rx1 = link_rx_packets_settled(ep->dev);
    if (rx0 >= 0 && rx1 >= rx0) {
        snprintf(packets, sizeof(packets), " packets %lld", rx1 - rx0);
    }
    /* CEL entries: opcode LE16, command effect LE16; unused ones are 0 */
    for (i = 0; i + 4 <= len; i += 4) {
        if (out[i] | out[i + 1] | out[i + 2] | out[i + 3]) {
            entries++;
        }
    }
    /* Checksum: the 32-bit sum of all bytes, each weighted by its offset + 1 */
    for (i = 0; i < len; i++) {
        sum += (uint32_t)out[i] * (i + 1);
    }
    /*
     * Intact: the same bytes as read back in single-packet pieces (a
     * 32-byte log piece makes a 45-byte message, under the 64-byte BTU).
     */
    for (i = 0; i < len; i += CEL_PIECE) {
        uint32_t plen = len - i < CEL_PIECE ? len - i : CEL_PIECE;
        uint8_t piece[CEL_PIECE];

        if (get_cel(ep, offset + i, plen, piece)) {
            return -1;
        }
        if (memcmp(piece, out + i, plen)) {
            return fail("eid %u: CEL bytes %u..%u differ between the %u-byte "
                        "read and a %u-byte read", ep->eid, offset + i,
                        offset + i + plen - 1, len, plen);
        }
    }
    say("cel eid %u bytes %u entries %u sum 0x%08x intact%s", ep->eid, len,
        entries, sum, packets);
    return 0;
}

/*
 * For every endpoint set up: Identify, then the switch or type 3 command
 * set, then a 1 KiB read of the CEL after raising the response limit.
 */
/*
 * Whether the endpoint's Command Effects Log lists @opcode (its first
 * 512 bytes, what any response limit allows): 1, 0, or -1 on failure
 */
static int cel_lists(struct cxl_ep *ep, uint16_t opcode)
{
    uint8_t out[512];
    unsigned i;

    if (get_cel(ep, 0, sizeof(out), out)) {
        return -1;
    }
    for (i = 0; i + 4 <= sizeof(out); i += 4) {
        if (get_le16(out + i) == opcode) {
            return 1;
        }
    }
    return 0;
}

/* Get Timestamp (0300h), after Set Timestamp (0301h) to @set if not 0 */
static int timestamp(struct cxl_ep *ep, uint64_t set)
{
    uint8_t in[8], out[16];
    uint64_t ns;
    time_t secs;
    char buf[32];
    size_t len;

    if (set) {
        for (len = 0; len < 8; len++) {
            in[len] = set >> (8 * len);
        }
        if (cxl_cmd(ep, OP_SET_TIMESTAMP, in, 8, out, sizeof(out), 0,
                    &len)) {
            return -1;
        }
    }
    if (cxl_cmd(ep, OP_GET_TIMESTAMP, NULL, 0, out, sizeof(out), 8, &len)) {
        return -1;
    }
    ns = get_le64(out);
    secs = ns / 1000000000ULL;
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", gmtime(&secs));
    say("timestamp eid %u %llu ns (%s UTC)%s", ep->eid,
        (unsigned long long)ns, ns ? buf : "not set", set ? " set" : "");
    return 0;
}

/* The time now, in ns since the epoch, for Set Timestamp */
static uint64_t realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void demo(struct link *links, unsigned n)
{
    unsigned i, done = 0;

    for (i = 0; i < n; i++) {
        struct cxl_ep ep;
        int type;

        if (!links[i].eid) {
            continue;           /* setup failed, already reported */
        }
        if (!link_has_type(&links[i], MCTP_TYPE_CXL_CCI) ||
            !link_has_type(&links[i], MCTP_TYPE_CXL_FMAPI)) {
            fail("%s: eid %u does not list MCTP types 07 and 08",
                 links[i].name, links[i].eid);
            continue;
        }
        if (cxl_open(&ep, links[i].eid)) {
            continue;
        }
        ep.dev = links[i].dev;
        via = link_via(&links[i]);
        type = cxl_identify(&ep);
        if (type == COMPONENT_SWITCH) {
            switch_commands(&ep, true);
        } else if (type == COMPONENT_TYPE3) {
            memdev_info(&ep);
            ld_info(&ep);
            /* DCD management only on a device with dynamic capacity */
            switch (cel_lists(&ep, OP_GET_DCD_INFO)) {
            case 1:
                dcd_info(&ep);
                break;
            case 0:
                say("dcd-info eid %u none", ep.eid);
                break;
            }
        } else if (type >= 0) {
            fail("eid %u: component type 0x%02x", ep.eid, type);
        }
        if (type >= 0) {
            timestamp(&ep, realtime_ns());
        }
        if (type >= 0 && !set_rsp_limit(&ep, RSP_LIMIT_LOG2)) {
            cel_read(&ep, CEL_LOG_BYTES, 0);
        }
        cxl_close(&ep);
        via = "";
        done++;
    }
    if (!done) {
        fail("no endpoint to describe");
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * @n round trips of @opcode to @ep; prints the rate, and the median and
 * 90th percentile of the round trip times (a host controller that polls
 * its schedule shows in them as steps)
 */
static void bench_mctp(struct cxl_ep *ep, const char *what, uint16_t opcode,
                       unsigned n)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    double *rtt = calloc(n ? n : 1, sizeof(*rtt));
    double t0 = now_s(), t, t1 = t0;
    size_t len;
    unsigned i;

    if (!rtt) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (cxl_cmd(ep, opcode, NULL, 0, out, sizeof(out), 1, &len)) {
            free(rtt);
            return;
        }
        t = now_s();
        rtt[i] = t - t1;
        t1 = t;
    }
    t = now_s() - t0;
    qsort(rtt, n, sizeof(*rtt), cmp_double);
    say("bench mctp eid %u %s %04xh %u round trips in %.3f s: %.0f/s "
        "(round trip median %.0f us, 90%% %.0f us)",
        ep->eid, what, opcode, n, t, n / t, n ? rtt[n / 2] * 1e6 : 0,
        n ? rtt[n * 9 / 10] * 1e6 : 0);
    free(rtt);
}

/*
 * Command @id through the primary mailbox of the memory device open on
 * @fd (CXL_MEM_SEND_COMMAND), its output in @out (at most @size bytes):
 * 0, or -1 with errno or cmd->retval saying why
 */
static int memdev_cmd(int fd, struct cxl_send_command *cmd, uint32_t id,
                      void *out, uint32_t size)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->id = id;
    cmd->out.size = size;
    cmd->out.payload = (uintptr_t)out;
    return ioctl(fd, CXL_MEM_SEND_COMMAND, cmd) < 0 || cmd->retval ? -1 : 0;
}

/*
 * The same command through a type 3 device's primary mailbox, the in-band
 * path: CXL_MEM_SEND_COMMAND on /dev/cxl/memN.
 */
static void bench_mailbox(unsigned n)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    char path[64];
    unsigned i, m;

    for (m = 0; m < 16; m++) {
        struct cxl_send_command cmd;
        double t0, t;
        int fd;

        snprintf(path, sizeof(path), "/dev/cxl/mem%u", m);
        fd = open(path, O_RDWR);
        if (fd < 0) {
            continue;
        }
        t0 = now_s();
        for (i = 0; i < n; i++) {
            if (memdev_cmd(fd, &cmd, CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS,
                           out, sizeof(out))) {
                fail("%s: Get Supported Logs: %s, return code 0x%x", path,
                     strerror(errno), cmd.retval);
                break;
            }
        }
        t = now_s() - t0;
        if (i == n) {
            say("bench mailbox mem%u type3 %04xh %u round trips in %.3f s: "
                "%.0f/s", m, OP_GET_SUPPORTED_LOGS, n, t, n / t);
        }
        close(fd);
    }
}

/*
 * Round trips per second over mctp-usb for every endpoint (Identify, and
 * Get Supported Logs, which type 3 devices also answer in band), then the
 * in-band mailbox for comparison.
 */
static void bench(struct link *links, unsigned n_links, unsigned n)
{
    unsigned i;

    for (i = 0; i < n_links; i++) {
        struct cxl_ep ep;
        int type;

        if (!links[i].eid || cxl_open(&ep, links[i].eid)) {
            continue;
        }
        via = link_via(&links[i]);
        type = cxl_identify(&ep);
        if (type >= 0) {
            const char *what = type == COMPONENT_SWITCH ? "switch" : "type3";

            bench_mctp(&ep, what, OP_IDENTIFY, n);
            bench_mctp(&ep, what, OP_GET_SUPPORTED_LOGS, n);
        }
        cxl_close(&ep);
        via = "";
    }
    bench_mailbox(n);
}

/* ------------------------------------------------------------------------ */
/* In band and out of band at once                                           */

#define CONC_MAX_S      120     /* give up after this long */

/* One side of a concurrent run: what it did, and why it stopped early */
struct conc_side {
    unsigned min;               /* commands to run at least */
    unsigned count;             /* commands run, every response checked */
    bool counted;               /* has run min (conc_done counts it) */
    char error[192];            /* the first failure, "" if none */
};

static atomic_int conc_done;    /* sides that ran their minimum or failed */
static double conc_t0;

/* After each command: whether the side goes on */
static bool conc_go_on(struct conc_side *s)
{
    if (!s->counted && (s->count >= s->min || s->error[0])) {
        s->counted = true;
        atomic_fetch_add(&conc_done, 1);
    }
    if (s->error[0]) {
        return false;
    }
    if (now_s() - conc_t0 > CONC_MAX_S) {
        snprintf(s->error, sizeof(s->error), "still running after %d s",
                 CONC_MAX_S);
        return false;
    }
    return atomic_load(&conc_done) < 2;
}

/*
 * Whether response @i (of @out_len bytes in @out) of a command that has
 * @k-th reference @ref/@ref_len is that reference; the first becomes it
 */
static bool conc_same(uint8_t (*ref)[CXL_MAX_PAYLOAD], size_t *ref_len,
                      unsigned i, unsigned k, const uint8_t *out,
                      size_t out_len)
{
    if (!ref_len[k] && i == k) {
        memcpy(ref[k], out, out_len);
        ref_len[k] = out_len;
        return true;
    }
    return out_len == ref_len[k] && !memcmp(out, ref[k], out_len);
}

struct conc_inband {
    struct conc_side side;
    int fd;                     /* /dev/cxl/memN */
};

/* The in-band side: Identify Memory Device and Get Supported Logs */
static void *conc_inband(void *opaque)
{
    static const struct {
        uint32_t id;
        const char *name;
    } cmds[] = {
        { CXL_MEM_COMMAND_ID_IDENTIFY, "Identify Memory Device" },
        { CXL_MEM_COMMAND_ID_GET_SUPPORTED_LOGS, "Get Supported Logs" },
    };
    static uint8_t ref[2][CXL_MAX_PAYLOAD], out[CXL_MAX_PAYLOAD];
    struct conc_inband *ib = opaque;
    struct conc_side *s = &ib->side;
    size_t ref_len[2] = { 0, 0 };
    unsigned i, k;

    for (i = 0; ; i++) {
        struct cxl_send_command cmd;

        k = i % 2;
        if (memdev_cmd(ib->fd, &cmd, cmds[k].id, out, sizeof(out))) {
            snprintf(s->error, sizeof(s->error), "in band, command %u (%s): "
                     "%s, return code 0x%x", i, cmds[k].name,
                     strerror(errno), cmd.retval);
        } else if (!conc_same(ref, ref_len, i, k, out, cmd.out.size)) {
            snprintf(s->error, sizeof(s->error), "in band, command %u (%s): "
                     "%u-byte response differs from the first", i,
                     cmds[k].name, cmd.out.size);
        } else {
            s->count++;
        }
        if (!conc_go_on(s)) {
            break;
        }
    }
    return NULL;
}

/* The out-of-band side: Identify, Get Supported Logs, Get LD Info */
static void conc_oob(struct cxl_ep *ep, struct conc_side *s)
{
    static const uint16_t ops[] = {
        OP_IDENTIFY, OP_GET_SUPPORTED_LOGS, OP_GET_LD_INFO,
    };
    static uint8_t ref[3][CXL_MAX_PAYLOAD], out[CXL_MAX_PAYLOAD];
    size_t ref_len[3] = { 0, 0, 0 }, len;
    unsigned i, k;

    for (i = 0; ; i++) {
        k = i % 3;
        if (cxl_cmd(ep, ops[k], NULL, 0, out, sizeof(out), 1, &len)) {
            snprintf(s->error, sizeof(s->error), "out of band, command %u "
                     "(%04xh) failed", i, ops[k]);
        } else if (!conc_same(ref, ref_len, i, k, out, len)) {
            snprintf(s->error, sizeof(s->error), "out of band, command %u "
                     "(%04xh): %zu-byte response differs from the first", i,
                     ops[k], len);
        } else {
            s->count++;
        }
        if (!conc_go_on(s)) {
            break;
        }
    }
}

/* /dev/cxl/memN of the memory device with serial number @sn, or -1 */
static int memdev_by_serial(uint64_t sn, char *path, size_t size)
{
    const char *dir = "/sys/bus/cxl/devices";
    struct dirent *de;
    DIR *d = opendir(dir);
    int found = -1;

    if (!d) {
        return -1;
    }
    while (found < 0 && (de = readdir(d))) {
        char attr[300], buf[32];
        FILE *f;

        if (strncmp(de->d_name, "mem", 3)) {
            continue;
        }
        snprintf(attr, sizeof(attr), "%s/%s/serial", dir, de->d_name);
        f = fopen(attr, "r");
        if (!f) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f) && strtoull(buf, NULL, 0) == sn) {
            snprintf(path, size, "/dev/cxl/%s", de->d_name);
            found = 0;
        }
        fclose(f);
    }
    closedir(d);
    return found;
}

/* Managing the fabric                                                       */

/*
 * Run @opcode, which may start in the background: 1 if it did, 0 if it
 * completed at once, -1 if it failed
 */
static int cxl_cmd_bg(struct cxl_ep *ep, uint16_t opcode, const void *in,
                      size_t in_len)
{
    uint8_t out[64];
    size_t len;
    int rc;

    bg_allowed = true;
    bg_started = false;
    rc = cxl_cmd(ep, opcode, in, in_len, out, sizeof(out), 0, &len);
    bg_allowed = false;
    return rc ? -1 : bg_started;
}

/*
 * Poll Background Operation Status (0002h) until @opcode is done, at
 * most BG_TIMEOUT_S: its return code, or -1; how long it took in @secs
 */
#define BG_TIMEOUT_S    10
#define POLL_US         20000
static int bg_wait(struct cxl_ep *ep, uint16_t opcode, double *secs)
{
    double t0 = now_s();
    uint8_t out[16];
    size_t len;

    for (;;) {
        if (cxl_cmd(ep, OP_BG_STATUS, NULL, 0, out, sizeof(out), 8, &len)) {
            return -1;
        }
        if (get_le16(out + 2) != opcode) {
            return fail("eid %u: background operation %04xh, not %04xh",
                        ep->eid, get_le16(out + 2), opcode);
        }
        *secs = now_s() - t0;
        if (!(out[0] & 1)) {
            return get_le16(out + 4);
        }
        if (*secs > BG_TIMEOUT_S) {
            return fail("eid %u: %04xh still running after %d s (%u%%)",
                        ep->eid, opcode, BG_TIMEOUT_S, out[0] >> 1);
        }
        usleep(POLL_US);
    }
}

#define VPPB_UNBOUND        0
#define VPPB_IN_PROGRESS    1
#define VPPB_BOUND_PORT     2
#define VPPB_BOUND_LD       3

static const char *const vppb_status[] = {
    "unbound", "in-progress", "bound", "bound-ld",
};

/*
 * Get Virtual CXL Switch Info (5200h) of VCS 0: with @want -1, print it
 * with its vPPBs and return 0; else the binding status of vPPB @want (and
 * in @port the port it is bound to), or -1
 */
static int vcs_info(struct cxl_ep *ep, int want, uint8_t *port)
{
    uint8_t in[4] = { 0, 0xff, 1, 0 }, out[CXL_MAX_PAYLOAD];
    int rc = -1;
    size_t len;
    unsigned i;

    if (cxl_cmd(ep, OP_GET_VCS_INFO, in, sizeof(in), out, sizeof(out), 8,
                &len)) {
        return -1;
    }
    if (out[0] != 1 || out[4] != 0 || out[5] != 1 ||
        len < 8 + 4u * out[7]) {
        return fail("eid %u: Get Virtual CXL Switch Info: %u VCSs, VCS %u "
                    "state %u, %u vPPBs in %zu bytes", ep->eid, out[0],
                    out[4], out[5], out[7], len);
    }
    if (want < 0) {
        say("vcs eid %u vcs 0 enabled usp-port %u vppbs %u", ep->eid, out[6],
            out[7]);
    }
    for (i = 0; i < out[7]; i++) {
        const uint8_t *b = out + 8 + 4 * i;

        if (want < 0 && b[0] >= VPPB_BOUND_PORT) {
            say("vppb %u %s port %u", i, vppb_status[b[0] & 3], b[1]);
        } else if (want < 0) {
            say("vppb %u %s", i, vppb_status[b[0] & 3]);
        } else if ((unsigned)want == i) {
            rc = b[0];
            if (port) {
                *port = b[1];
            }
        }
    }
    return want < 0 ? 0 : rc;
}

/*
 * Bind vPPB (5201h) @vppb of VCS 0 to the whole of @port, or with @port
 * -1 unbind it (5202h, managed hot-remove); wait for the background
 * operation.  The vPPB's binding status after it, or -1.
 */
static int vppb_bind(struct cxl_ep *ep, uint8_t vppb, int port)
{
    uint16_t opcode = port >= 0 ? OP_BIND_VPPB : OP_UNBIND_VPPB;
    uint8_t in[6] = { 0, vppb, port, 0, 0xff, 0xff }, bound = 0;
    char now[32];
    double secs = 0;
    int rc;

    if (port < 0) {
        in[2] = 1;              /* managed hot-remove */
    }
    rc = cxl_cmd_bg(ep, opcode, in, port >= 0 ? 6 : 3);
    if (rc < 0) {
        return -1;
    }
    if (rc) {
        rc = bg_wait(ep, opcode, &secs);
        if (rc) {
            return rc < 0 ? -1 : fail("eid %u: %s vPPB %u: return code "
                                      "0x%04x (%s)", ep->eid, port >= 0 ?
                                      "bind" : "unbind", vppb, rc,
                                      cxl_rc_name(rc));
        }
    }
    rc = vcs_info(ep, vppb, &bound);
    if (rc < 0) {
        return -1;
    }
    snprintf(now, sizeof(now), "%s", vppb_status[rc & 3]);
    if (rc >= VPPB_BOUND_PORT) {
        snprintf(now + strlen(now), sizeof(now) - strlen(now), " port %u",
                 bound);
    }
    say("%s eid %u vppb %u: done in %.2f s, vppb %s",
        port >= 0 ? "bind" : "unbind", ep->eid, vppb, secs, now);
    return rc;
}

/* Get Physical Port State (5101h) of one port, printed */
static int port_state(struct cxl_ep *ep, uint8_t port)
{
    uint8_t in[2] = { 1, port }, out[64];
    size_t len;

    if (cxl_cmd(ep, OP_GET_PORT_STATE, in, sizeof(in), out, sizeof(out),
                4 + 16, &len)) {
        return -1;
    }
    port_state_line(out + 4);
    return 0;
}

/* Physical Port Control (5102h) @op of @port, then the port's state */
static int port_control(struct cxl_ep *ep, uint8_t port, uint8_t op)
{
    static const char *const ops[] = {
        "assert-perst", "deassert-perst", "reset",
    };
    uint8_t in[2] = { port, op }, out[16];
    size_t len;

    if (cxl_cmd(ep, OP_PORT_CONTROL, in, sizeof(in), out, sizeof(out), 0,
                &len)) {
        return -1;
    }
    say("port-control eid %u port %u %s: done", ep->eid, port,
        op < 3 ? ops[op] : "reserved");
    return port_state(ep, port);
}

/*
 * The host's view of the type 3 device with serial @sn: its memdev
 * (memN, in @mem) and the PCI device that memdev belongs to (@bdf).  A
 * memdev is /sys/bus/cxl/devices/memN, a child of its PCI device.
 */
static bool host_sees_memdev(uint64_t sn, char *mem, char *bdf)
{
    char path[300], target[300], *slash;
    ssize_t n;

    if (memdev_by_serial(sn, path, sizeof(path))) {
        return false;
    }
    snprintf(mem, 32, "%.31s", strrchr(path, '/') + 1);
    snprintf(path, sizeof(path), "/sys/bus/cxl/devices/%s", mem);
    n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0) {
        return false;
    }
    target[n] = 0;
    slash = strrchr(target, '/');
    if (!slash) {
        return false;
    }
    *slash = 0;
    slash = strrchr(target, '/');
    snprintf(bdf, 32, "%.31s", slash ? slash + 1 : target);
    return true;
}

static bool host_sees_pci(const char *bdf)
{
    char path[300];

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
    return access(path, F_OK) == 0;
}

/*
 * Wait (at most host_timeout_s) for the host to see the device with
 * serial @sn, PCI device @bdf, come (@present: its memdev in @mem) or go
 * (printed); how long it took in @secs
 */
static unsigned host_timeout_s = 20;
static int host_wait(uint64_t sn, char *bdf, bool present, char *mem,
                     double *secs)
{
    double t0 = now_s(), t;
    char now_bdf[32];
    bool mem_seen, pci_seen;

    mem[0] = 0;
    for (;;) {
        mem_seen = host_sees_memdev(sn, mem, now_bdf);
        if (mem_seen) {
            snprintf(bdf, 32, "%.31s", now_bdf);
        }
        pci_seen = host_sees_pci(bdf);
        t = now_s() - t0;
        if (mem_seen == present && pci_seen == present) {
            break;
        }
        if (t > host_timeout_s) {
            return fail("host view of sn 0x%llx after %u s: pci %s %s, "
                        "memdev %s", (unsigned long long)sn, host_timeout_s,
                        bdf, pci_seen ? "present" : "gone",
                        mem_seen ? mem : "gone");
        }
        usleep(POLL_US);
    }
    *secs = t;
    if (!present) {
        say("host sn 0x%llx: pci %s and its memdev gone in %.2f s",
            (unsigned long long)sn, bdf, t);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The host using a persistent-memory device: a CXL region through sysfs    */
/* (Linux's CXL ABI, Documentation/ABI/testing/sysfs-bus-cxl), libnvdimm's   */
/* region and namespace on it, and its /dev/pmemN                            */

#define CXL_SYSFS       "/sys/bus/cxl/devices"
#define ND_SYSFS        "/sys/bus/nd/devices"
#define REGION_ALIGN    (256ULL << 20)  /* region size: 256 MiB x ways */
#define PATTERN_BLOCK   4096
#define PATTERN_BLOCKS  4               /* the first, the last, two between */
#define SYSFS_WAIT_S    10              /* for a device that probes */

/* The first line of sysfs file @path, without newline, in @buf: 0 or -errno */
static int sysfs_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    buf[0] = 0;
    if (fd < 0) {
        return -errno;
    }
    n = read(fd, buf, size - 1);
    if (n < 0) {
        n = -errno;
        close(fd);
        return n;
    }
    close(fd);
    buf[n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

/*
 * echo @val > @path (with the newline: some attributes want it, a region's
 * uuid for one): 0 or -errno
 */
static int sysfs_write(const char *path, const char *val)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    char line[128];
    ssize_t n;
    int rc = 0;

    if (fd < 0) {
        return -errno;
    }
    snprintf(line, sizeof(line), "%s\n", val);
    n = write(fd, line, strlen(line));
    if (n < 0) {
        rc = -errno;
    } else if ((size_t)n != strlen(line)) {
        rc = -EIO;
    }
    close(fd);
    return rc;
}

/*
 * The number sysfs file @path holds (decimal or 0x...) in @val: 0, -errno,
 * or -EINVAL if it is not one; what it reads in @buf
 */
static int sysfs_num(const char *path, uint64_t *val, char *buf, size_t size)
{
    char *end;
    int rc = sysfs_read(path, buf, size);

    if (rc) {
        return rc;
    }
    errno = 0;
    *val = strtoull(buf, &end, 0);
    return !buf[0] || *end || errno ? -EINVAL : 0;
}

/* The name of the driver bound to sysfs device @dir in @buf, "" if none */
static const char *sysfs_driver(const char *dir, char *buf, size_t size)
{
    char path[512], target[512];
    ssize_t n;

    snprintf(path, sizeof(path), "%s/driver", dir);
    n = readlink(path, target, sizeof(target) - 1);
    buf[0] = 0;
    if (n > 0) {
        target[n] = 0;
        snprintf(buf, size, "%.*s", (int)size - 1, strrchr(target, '/') ?
                 strrchr(target, '/') + 1 : target);
    }
    return buf;
}

/*
 * The entries of directory @dir whose name starts with @prefix, in
 * version order (decoder4.2 before decoder4.10), comma-separated in
 * @list; how many
 */
static unsigned sysfs_entries(const char *dir, const char *prefix, char *list,
                              size_t size)
{
    struct dirent **names;
    int n, i;
    unsigned found = 0;

    list[0] = 0;
    n = scandir(dir, &names, NULL, versionsort);
    if (n < 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!strncmp(names[i]->d_name, prefix, strlen(prefix)) &&
            strlen(list) + strlen(names[i]->d_name) + 2 < size) {
            sprintf(list + strlen(list), "%s%s", found ? "," : "",
                    names[i]->d_name);
            found++;
        }
        free(names[i]);
    }
    free(names);
    return found;
}

/* The host's persistent-memory region over one type 3 device */
struct pmem_host {
    uint64_t sn;
    char mem[32];               /* its memdev, memN */
    char endpoint[32];          /* the memdev's endpoint port, endpointN */
    char decoders[256];         /* the endpoint's decoders */
    char decoder[32];           /* the endpoint decoder the region uses */
    char root[32];              /* a root decoder that maps pmem */
    char region[32];            /* the CXL region, regionZ */
    char nd_region[32];         /* libnvdimm's region on it, regionN */
    char ns[32];                /* its namespace, namespaceN.M */
    char blk[32];               /* the namespace's block device, pmemN */
    bool from_labels;           /* the namespace came back from the LSA */
    bool ns_enabled;            /* bound to nd_pmem by us */
    uint64_t size;              /* the device's persistent capacity */
    char uuid[40];              /* the CXL region's */
    uint64_t seed;              /* of the pattern written, 0: none */
};

/* echo @val > @dir/@attr, or fail() saying what and where */
static int host_set(const struct pmem_host *h, const char *dir,
                    const char *attr, const char *val)
{
    char path[512];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, attr);
    rc = sysfs_write(path, val);
    if (rc) {
        return fail("host sn 0x%llx: echo %s > %s: %s",
                    (unsigned long long)h->sn, val, path, strerror(-rc));
    }
    return 0;
}

/* @attr of sysfs device @dir as a number, or fail() */
static int host_get_num(const struct pmem_host *h, const char *dir,
                        const char *attr, uint64_t *val)
{
    char path[512], buf[64];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, attr);
    rc = sysfs_num(path, val, buf, sizeof(buf));
    if (rc == -EINVAL) {
        return fail("host sn 0x%llx: %s reads \"%s\", not a number",
                    (unsigned long long)h->sn, path, buf);
    }
    if (rc) {
        return fail("host sn 0x%llx: %s: %s", (unsigned long long)h->sn,
                    path, strerror(-rc));
    }
    return 0;
}

/* A new UUID from the kernel, into @buf (37 bytes) */
static int new_uuid(char *buf, size_t size)
{
    int rc = sysfs_read("/proc/sys/kernel/random/uuid", buf, size);

    if (rc || strlen(buf) != 36) {
        return fail("/proc/sys/kernel/random/uuid: %s",
                    rc ? strerror(-rc) : "not a UUID");
    }
    return 0;
}

/* The persistent capacity of memdev @mem (0 if none or unknown) */
static uint64_t memdev_pmem_size(const char *mem)
{
    char path[128], buf[64];
    uint64_t size;

    snprintf(path, sizeof(path), CXL_SYSFS "/%s/pmem/size", mem);
    return sysfs_num(path, &size, buf, sizeof(buf)) ? 0 : size;
}

/*
 * Whether the memdev with serial h->sn has its endpoint port, bound to
 * cxl_port, with its decoders (fills mem, endpoint, decoders, decoder);
 * if not, what the host has in @seen
 */
static bool host_endpoint(struct pmem_host *h, char *seen, size_t size)
{
    char dir[300], drv[64], uport[300], mem_drv[64], path[300];
    struct dirent *de;
    DIR *d;
    ssize_t n;

    h->endpoint[0] = 0;
    if (memdev_by_serial(h->sn, path, sizeof(path))) {
        snprintf(seen, size, "no memdev with serial 0x%llx",
                 (unsigned long long)h->sn);
        return false;
    }
    snprintf(h->mem, sizeof(h->mem), "%s", strrchr(path, '/') + 1);
    snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->mem);
    sysfs_driver(dir, mem_drv, sizeof(mem_drv));
    d = opendir(CXL_SYSFS);
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "endpoint", 8)) {
            continue;
        }
        snprintf(path, sizeof(path), CXL_SYSFS "/%s/uport", de->d_name);
        n = readlink(path, uport, sizeof(uport) - 1);
        if (n > 0) {
            uport[n] = 0;
            if (!strcmp(strrchr(uport, '/') ? strrchr(uport, '/') + 1 : uport,
                        h->mem)) {
                snprintf(h->endpoint, sizeof(h->endpoint), "%.31s", de->d_name);
                break;
            }
        }
    }
    if (d) {
        closedir(d);
    }
    if (!h->endpoint[0]) {
        snprintf(seen, size, "%s (driver %s) has no endpoint port", h->mem,
                 mem_drv[0] ? mem_drv : "none");
        return false;
    }
    snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->endpoint);
    sysfs_driver(dir, drv, sizeof(drv));
    if (strcmp(drv, "cxl_port")) {
        snprintf(seen, size, "%s of %s is bound to %s, not cxl_port",
                 h->endpoint, h->mem, drv[0] ? drv : "no driver");
        return false;
    }
    /* endpointN's decoders are decoderN.M */
    snprintf(h->decoder, sizeof(h->decoder), "decoder%s.", h->endpoint + 8);
    if (!sysfs_entries(dir, h->decoder, h->decoders, sizeof(h->decoders))) {
        snprintf(seen, size, "%s of %s is bound to cxl_port but has no "
                 "decoder %s*", h->endpoint, h->mem, h->decoder);
        return false;
    }
    /* the first decoder: regions take an endpoint's decoders in order */
    snprintf(h->decoder, sizeof(h->decoder), "%.*s",
             (int)strcspn(h->decoders, ","), h->decoders);
    return true;
}

/*
 * Wait (at most host_timeout_s) for the endpoint port of the memdev with
 * serial h->sn to probe; how long it took in @secs, what the host has
 * if it did not in @seen
 */
static int host_endpoint_wait(struct pmem_host *h, double *secs, char *seen,
                              size_t size)
{
    double t0 = now_s();

    while (!host_endpoint(h, seen, size)) {
        if (now_s() - t0 > host_timeout_s) {
            return -1;
        }
        usleep(POLL_US);
    }
    *secs = now_s() - t0;
    return 0;
}

/* A root decoder that can map persistent memory, the first by name */
static int pmem_root_decoder(struct pmem_host *h)
{
    struct dirent **names;
    int n, i;

    h->root[0] = 0;
    n = scandir(CXL_SYSFS, &names, NULL, versionsort);
    for (i = 0; i < n; i++) {
        char path[300], buf[16];

        snprintf(path, sizeof(path), CXL_SYSFS "/%s/cap_pmem",
                 names[i]->d_name);
        if (!h->root[0] && !strncmp(names[i]->d_name, "decoder", 7) &&
            !sysfs_read(path, buf, sizeof(buf)) && !strcmp(buf, "1")) {
            snprintf(path, sizeof(path), CXL_SYSFS "/%s/create_pmem_region",
                     names[i]->d_name);
            if (!access(path, F_OK)) {
                snprintf(h->root, sizeof(h->root), "%.31s", names[i]->d_name);
            }
        }
        free(names[i]);
    }
    if (n > 0) {
        free(names);
    }
    if (!h->root[0]) {
        return fail("host sn 0x%llx: no root decoder with cap_pmem 1 and "
                    "create_pmem_region in " CXL_SYSFS,
                    (unsigned long long)h->sn);
    }
    return 0;
}

/*
 * Wait (at most SYSFS_WAIT_S) for an entry starting with @prefix in @dir;
 * its name in @name
 */
static int sysfs_wait_entry(const struct pmem_host *h, const char *dir,
                            const char *prefix, char *name, size_t size)
{
    double t0 = now_s();
    char list[256];

    while (!sysfs_entries(dir, prefix, list, sizeof(list))) {
        if (now_s() - t0 > SYSFS_WAIT_S) {
            return fail("host sn 0x%llx: no %s* in %s after %d s",
                        (unsigned long long)h->sn, prefix, dir,
                        SYSFS_WAIT_S);
        }
        usleep(POLL_US);
    }
    snprintf(name, size, "%.*s", (int)strcspn(list, ","), list);
    return 0;
}

/*
 * libnvdimm's region over CXL region @dir (cxl_pmem makes it, on the
 * nvdimm bridge's bus): the one at the same host physical address
 */
static int nd_region_wait(struct pmem_host *h, const char *dir)
{
    char list[256], path[300], *name, *save = NULL;
    uint64_t hpa, nd_hpa;
    double t0 = now_s();

    if (host_get_num(h, dir, "resource", &hpa)) {
        return -1;
    }
    for (;;) {
        sysfs_entries(ND_SYSFS, "region", list, sizeof(list));
        for (name = strtok_r(list, ",", &save); name;
             name = strtok_r(NULL, ",", &save)) {
            char buf[32];

            snprintf(path, sizeof(path), ND_SYSFS "/%.63s/resource", name);
            if (!sysfs_num(path, &nd_hpa, buf, sizeof(buf)) && nd_hpa == hpa) {
                snprintf(h->nd_region, sizeof(h->nd_region), "%.31s", name);
                return 0;
            }
        }
        if (now_s() - t0 > SYSFS_WAIT_S) {
            return fail("host sn 0x%llx: no libnvdimm region at 0x%llx, the "
                        "address of %s, in " ND_SYSFS " after %d s",
                        (unsigned long long)h->sn, (unsigned long long)hpa,
                        h->region, SYSFS_WAIT_S);
        }
        usleep(POLL_US);
    }
}

/*
 * A persistent-memory region of all the device's capacity, as the ABI
 * has it: the root decoder's create_pmem_region, the region's
 * interleave (1 way, the root decoder's granularity), UUID and size, the
 * endpoint decoder's mode and DPA size, the target, commit, and the
 * cxl_region driver; cxl_pmem makes a libnvdimm region of it
 */
static int region_create(struct pmem_host *h)
{
    char root[160], dir[160], path[300], gran[32], name[32], size[32];
    char drv[64];
    int rc;

    if (pmem_root_decoder(h)) {
        return -1;
    }
    snprintf(root, sizeof(root), CXL_SYSFS "/%s", h->root);
    snprintf(path, sizeof(path), "%s/create_pmem_region", root);
    rc = sysfs_read(path, name, sizeof(name));
    if (rc || strncmp(name, "region", 6)) {
        return fail("host sn 0x%llx: %s reads \"%s\" (%s), not regionZ",
                    (unsigned long long)h->sn, path, name,
                    rc ? strerror(-rc) : "no error");
    }
    if (host_set(h, root, "create_pmem_region", name)) {
        return -1;
    }
    snprintf(h->region, sizeof(h->region), "%s", name);
    snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->region);
    snprintf(path, sizeof(path), "%s/interleave_granularity", root);
    rc = sysfs_read(path, gran, sizeof(gran));
    if (rc) {
        return fail("host sn 0x%llx: %s: %s", (unsigned long long)h->sn,
                    path, strerror(-rc));
    }
    snprintf(size, sizeof(size), "%llu", (unsigned long long)h->size);
    snprintf(path, sizeof(path), CXL_SYSFS "/%s", h->decoder);
    if (host_set(h, dir, "interleave_granularity", gran) ||
        host_set(h, dir, "interleave_ways", "1") ||
        host_set(h, dir, "uuid", h->uuid) ||
        host_set(h, dir, "size", size) ||
        host_set(h, path, "mode", "pmem") ||
        host_set(h, path, "dpa_size", size) ||
        host_set(h, dir, "target0", h->decoder) ||
        host_set(h, dir, "commit", "1")) {
        return -1;
    }
    if (!sysfs_driver(dir, drv, sizeof(drv))[0] &&
        host_set(h, "/sys/bus/cxl/drivers/cxl_region", "bind", h->region)) {
        return -1;
    }
    return nd_region_wait(h, dir);
}

/*
 * Wait (at most SYSFS_WAIT_S) for devtmpfs to make /dev/h->blk for the
 * block device of namespace @dir: a node of the same name left by the
 * block device of an earlier region may still be there, with its number
 */
static int dev_node_wait(const struct pmem_host *h, const char *dir)
{
    double t0 = now_s();
    char path[300], buf[32];
    unsigned maj, min;
    struct stat st;
    int rc;

    snprintf(path, sizeof(path), "%s/block/%s/dev", dir, h->blk);
    rc = sysfs_read(path, buf, sizeof(buf));
    if (rc || sscanf(buf, "%u:%u", &maj, &min) != 2) {
        return fail("host sn 0x%llx: %s reads \"%s\" (%s)",
                    (unsigned long long)h->sn, path, buf,
                    rc ? strerror(-rc) : "not MAJOR:MINOR");
    }
    snprintf(path, sizeof(path), "/dev/%s", h->blk);
    while (stat(path, &st) || !S_ISBLK(st.st_mode) ||
           st.st_rdev != makedev(maj, min)) {
        if (now_s() - t0 > SYSFS_WAIT_S) {
            return fail("host sn 0x%llx: no block device %u:%u at %s after "
                        "%d s", (unsigned long long)h->sn, maj, min, path,
                        SYSFS_WAIT_S);
        }
        usleep(POLL_US);
    }
    return 0;
}

/*
 * The namespace of the libnvdimm region: the one the label storage area
 * describes, if the kernel found one (it binds nd_pmem to it), else the
 * region's seed namespace with a new UUID and all the region's
 * capacity (the kernel writes its labels), bound to nd_pmem; then its
 * block device
 */
static int region_namespace(struct pmem_host *h)
{
    char nd[160], dir[160], path[300], list[256], uuid[40], buf[32];
    char drv[64], *name, *save = NULL;
    uint64_t size, avail;

    snprintf(nd, sizeof(nd), ND_SYSFS "/%s", h->nd_region);
    /*
     * libnvdimm probes the region and registers the namespaces its labels
     * describe asynchronously; reading the bus's wait_probe returns when
     * that is done (ndctl reads it too)
     */
    snprintf(path, sizeof(path), "%s/../wait_probe", nd);
    if (sysfs_read(path, buf, sizeof(buf))) {
        return fail("host sn 0x%llx: cannot read %s",
                    (unsigned long long)h->sn, path);
    }
    h->ns[0] = 0;
    sysfs_entries(nd, "namespace", list, sizeof(list));
    for (name = strtok_r(list, ",", &save); name && !h->ns[0];
         name = strtok_r(NULL, ",", &save)) {
        snprintf(path, sizeof(path), "%s/%.63s/size", nd, name);
        if (!sysfs_num(path, &size, buf, sizeof(buf)) && size) {
            snprintf(h->ns, sizeof(h->ns), "%s", name);
        }
    }
    h->from_labels = h->ns[0];
    if (!h->from_labels) {
        snprintf(path, sizeof(path), "%s/namespace_seed", nd);
        if (sysfs_read(path, h->ns, sizeof(h->ns)) || !h->ns[0]) {
            return fail("host sn 0x%llx: %s: no seed namespace",
                        (unsigned long long)h->sn, path);
        }
        snprintf(dir, sizeof(dir), ND_SYSFS "/%s", h->ns);
        if (host_get_num(h, nd, "available_size", &avail)) {
            return -1;
        }
        if (avail < h->size / 2) {
            return fail("host sn 0x%llx: %s has 0x%llx bytes available for a "
                        "namespace, expected about 0x%llx", (unsigned long long)
                        h->sn, nd, (unsigned long long)avail,
                        (unsigned long long)h->size);
        }
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)avail);
        if (new_uuid(uuid, sizeof(uuid)) ||
            host_set(h, dir, "uuid", uuid) || host_set(h, dir, "size", buf)) {
            return -1;
        }
    }
    snprintf(dir, sizeof(dir), ND_SYSFS "/%s", h->ns);
    if (host_get_num(h, dir, "size", &size)) {
        return -1;
    }
    if (!sysfs_driver(dir, drv, sizeof(drv))[0] &&
        host_set(h, "/sys/bus/nd/drivers/nd_pmem", "bind", h->ns)) {
        return -1;
    }
    h->ns_enabled = true;
    if (strcmp(sysfs_driver(dir, drv, sizeof(drv)), "nd_pmem")) {
        return fail("host sn 0x%llx: %s bound to %s, not nd_pmem",
                    (unsigned long long)h->sn, dir, drv[0] ? drv : "nothing");
    }
    snprintf(path, sizeof(path), "%s/block", dir);
    if (sysfs_wait_entry(h, path, "pmem", h->blk, sizeof(h->blk)) ||
        dev_node_wait(h, dir)) {
        return -1;
    }
    if (size < 2 * PATTERN_BLOCK) {
        return fail("host sn 0x%llx: %s of %s is 0x%llx bytes",
                    (unsigned long long)h->sn, h->ns, h->nd_region,
                    (unsigned long long)size);
    }
    return 0;
}

/*
 * Tear the region down so the device can go: the namespace's driver
 * unbound, the region decommitted and deleted, the endpoint decoder's
 * DPA freed; the labels stay in the LSA
 */
static int region_teardown(struct pmem_host *h)
{
    char dir[300], drv[64], what[128] = "";
    uint64_t dpa = 0;
    int rc = 0;

    if (h->ns_enabled) {
        snprintf(what, sizeof(what), "%s disabled, ", h->ns);
        snprintf(dir, sizeof(dir), ND_SYSFS "/%s", h->ns);
        if (sysfs_driver(dir, drv, sizeof(drv))[0] &&
            host_set(h, "/sys/bus/nd/drivers/nd_pmem", "unbind", h->ns)) {
            rc = -1;
        }
        h->ns_enabled = false;
    }
    if (h->region[0]) {
        snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->region);
        if (host_set(h, dir, "commit", "0")) {
            rc = -1;
        }
        snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->root);
        if (host_set(h, dir, "delete_region", h->region)) {
            rc = -1;
        }
        snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->region);
        if (!access(dir, F_OK)) {
            rc = fail("host sn 0x%llx: %s still there after delete_region",
                      (unsigned long long)h->sn, dir);
        }
        snprintf(what + strlen(what), sizeof(what) - strlen(what),
                 "region deleted, ");
    }
    snprintf(dir, sizeof(dir), CXL_SYSFS "/%s", h->decoder);
    if (host_set(h, dir, "dpa_size", "0") ||
        host_get_num(h, dir, "dpa_size", &dpa)) {
        rc = -1;
    } else if (dpa) {
        rc = fail("host sn 0x%llx: %s has dpa_size 0x%llx after freeing it",
                  (unsigned long long)h->sn, h->decoder,
                  (unsigned long long)dpa);
    }
    if (!rc) {
        say("region sn 0x%llx: %s torn down: %s%s free",
            (unsigned long long)h->sn, h->region[0] ? h->region : "no region",
            what, h->decoder);
    }
    h->region[0] = 0;
    return rc;
}

/* A region, its namespace and block device, up; torn down on failure */
static int region_up(struct pmem_host *h)
{
    h->region[0] = 0;
    h->ns_enabled = false;
    if (h->size % REGION_ALIGN) {
        return fail("host sn 0x%llx: persistent capacity 0x%llx is not a "
                    "multiple of 256 MiB", (unsigned long long)h->sn,
                    (unsigned long long)h->size);
    }
    if (region_create(h) || region_namespace(h)) {
        region_teardown(h);
        return -1;
    }
    say("region sn 0x%llx: %s of %s on %s, 0x%llx bytes, committed; %s %s "
        "(%s) /dev/%s", (unsigned long long)h->sn, h->region, h->root,
        h->decoder, (unsigned long long)h->size, h->nd_region, h->ns,
        h->from_labels ? "from the labels" : "new, labels written", h->blk);
    return 0;
}

/* Block @i of the pattern on a device of @size bytes: first, last, between */
static uint64_t pattern_offset(uint64_t size, unsigned i)
{
    uint64_t blocks = size / PATTERN_BLOCK;

    return i * (blocks - 1) / (PATTERN_BLOCKS - 1) * PATTERN_BLOCK;
}

/* The pattern of seed @seed at @offset: a header line, then xorshift64 */
static void pattern_fill(uint8_t *buf, uint64_t seed, uint64_t offset)
{
    uint64_t x = (seed ^ offset * 0x9e3779b97f4a7c15ULL) | 1;
    size_t i;

    memset(buf, 0, 64);
    snprintf((char *)buf, 64, "cxl-mctp-client seed 0x%016llx at 0x%llx\n",
             (unsigned long long)seed, (unsigned long long)offset);
    for (i = 64; i < PATTERN_BLOCK; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
}

/*
 * Write the pattern of h->seed to the blocks of /dev/h->blk (@write), or
 * read them and compare; O_DIRECT, so that what is read comes from the
 * device.  @when says when the pattern was written, for the message.
 */
static int pattern_io(struct pmem_host *h, bool write, const char *when)
{
    char path[64];
    uint8_t *buf = NULL, want[PATTERN_BLOCK];
    uint64_t size = 0;
    unsigned i;
    int fd, rc = 0;
    double t0;

    snprintf(path, sizeof(path), "/dev/%s", h->blk);
    /* A disk just added answers ENXIO until it is live */
    t0 = now_s();
    while ((fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT |
                      O_CLOEXEC)) < 0 && errno == ENXIO &&
           now_s() - t0 < SYSFS_WAIT_S) {
        usleep(POLL_US);
    }
    if (fd < 0) {
        return fail("host sn 0x%llx: %s: %s", (unsigned long long)h->sn,
                    path, strerror(errno));
    }
    if (ioctl(fd, BLKGETSIZE64, &size) || size < 2 * PATTERN_BLOCK ||
        posix_memalign((void **)&buf, PATTERN_BLOCK, PATTERN_BLOCK)) {
        close(fd);
        return fail("host sn 0x%llx: %s: size 0x%llx (%s)",
                    (unsigned long long)h->sn, path,
                    (unsigned long long)size, strerror(errno));
    }
    for (i = 0; i < PATTERN_BLOCKS && !rc; i++) {
        uint64_t off = pattern_offset(size, i);
        ssize_t n;
        size_t k;

        pattern_fill(want, h->seed, off);
        if (write) {
            memcpy(buf, want, PATTERN_BLOCK);
            n = pwrite(fd, buf, PATTERN_BLOCK, off);
        } else {
            n = pread(fd, buf, PATTERN_BLOCK, off);
        }
        if (n != PATTERN_BLOCK) {
            rc = fail("host sn 0x%llx: %s %s at 0x%llx: %s",
                      (unsigned long long)h->sn, write ? "write" : "read",
                      path, (unsigned long long)off,
                      n < 0 ? strerror(errno) : "short transfer");
            break;
        }
        k = 0;
        while (!write && k < PATTERN_BLOCK && buf[k] == want[k]) {
            k++;
        }
        if (!write && k < PATTERN_BLOCK) {
            rc = fail("host sn 0x%llx: %s at 0x%llx: byte %zu reads 0x%02x, "
                      "0x%02x was written %s (pattern seed 0x%llx; block "
                      "starts \"%.40s\")", (unsigned long long)h->sn, path,
                      (unsigned long long)off, k, buf[k], want[k], when,
                      (unsigned long long)h->seed,
                      buf[0] >= ' ' && buf[0] < 127 ? (char *)buf : "");
        }
    }
    if (write && !rc && fsync(fd)) {
        rc = fail("host sn 0x%llx: fsync %s: %s", (unsigned long long)h->sn,
                  path, strerror(errno));
    }
    free(buf);
    close(fd);
    return rc;
}

/*
 * Before the unbind: the memdev's endpoint port probed, a region made,
 * a new pattern written through /dev/pmemN and read back, the region
 * torn down (so that the device can go); h->seed is the pattern's
 */
static int pmem_before_unbind(struct pmem_host *h)
{
    char seen[256];
    int rc;

    h->seed = 0;
    if (!host_endpoint(h, seen, sizeof(seen))) {
        return fail("host sn 0x%llx before the unbind: %s",
                    (unsigned long long)h->sn, seen);
    }
    say("host sn 0x%llx: %s %s bound to cxl_port, decoders %s",
        (unsigned long long)h->sn, h->mem, h->endpoint, h->decoders);
    h->size = memdev_pmem_size(h->mem);
    if (new_uuid(h->uuid, sizeof(h->uuid)) || region_up(h)) {
        return -1;
    }
    h->seed = realtime_ns();
    rc = pattern_io(h, true, "") || pattern_io(h, false, "just before");
    if (!rc) {
        say("pattern sn 0x%llx: /dev/%s seed 0x%llx written to %u blocks "
            "(first, last and between) and read back",
            (unsigned long long)h->sn, h->blk, (unsigned long long)h->seed,
            PATTERN_BLOCKS);
    } else {
        h->seed = 0;
    }
    return region_teardown(h) || rc ? -1 : 0;
}

/*
 * After the bind: the device back on PCI with its memdev (@bdf, found by
 * serial), its endpoint port probed; with a pattern written before the
 * unbind (h->seed), a region again whose /dev/pmemN reads it back.  One
 * line says how long the device took to come back and what of it works.
 */
static int host_back(struct pmem_host *h, char *bdf)
{
    double t0 = now_s(), t_mem, t_ep;
    char mem[32], seen[256];
    int rc;

    if (host_wait(h->sn, bdf, true, mem, &t_mem)) {
        return -1;
    }
    if (host_endpoint_wait(h, &t_ep, seen, sizeof(seen))) {
        return fail("host sn 0x%llx: pci %s and %s back in %.2f s, but no "
                    "endpoint port probed after %u s more: %s",
                    (unsigned long long)h->sn, bdf, mem, t_mem,
                    host_timeout_s, seen);
    }
    t_ep = now_s() - t0;
    say("host sn 0x%llx: %s %s bound to cxl_port, decoders %s",
        (unsigned long long)h->sn, h->mem, h->endpoint, h->decoders);
    if (!h->seed) {
        say("host sn 0x%llx: pci %s, %s and %s back in %.2f s",
            (unsigned long long)h->sn, bdf, h->mem, h->endpoint, t_ep);
        return memdev_pmem_size(h->mem) ?
               fail("host sn 0x%llx: no pattern written before the unbind "
                    "to read back", (unsigned long long)h->sn) : 0;
    }
    if (memdev_pmem_size(h->mem) != h->size) {
        return fail("host sn 0x%llx: %s back with 0x%llx bytes of pmem, "
                    "0x%llx before the unbind", (unsigned long long)h->sn,
                    h->mem, (unsigned long long)memdev_pmem_size(h->mem),
                    (unsigned long long)h->size);
    }
    if (region_up(h)) {
        return -1;
    }
    rc = pattern_io(h, false, "before the unbind");
    if (!rc) {
        say("host sn 0x%llx: pci %s, %s and %s back in %.2f s; %s /dev/%s "
            "reads back the pattern written before the unbind",
            (unsigned long long)h->sn, bdf, h->mem, h->endpoint, t_ep,
            h->region, h->blk);
    }
    return region_teardown(h) || rc ? -1 : 0;
}

/*
 * On each switch endpoint in turn: unbind the vPPB of the first port with
 * a type 3 device the host sees, check the host stops seeing it (PCI
 * device and CXL memdev), bind it again and check it comes back.  On a
 * device with persistent memory the host uses it on both sides of the
 * cycle: a region through sysfs, a pattern written through /dev/pmemN
 * before the unbind and read back after the bind.  With --remote-wait the
 * host is another machine (bind_cycle_remote()).
 */
static int bind_cycle_remote(struct cxl_ep *ep, int vppb, uint8_t port,
                             uint64_t sn);
static void bind_cycle(struct link *links, unsigned n_links)
{
    unsigned i, done = 0;

    for (i = 0; i < n_links; i++) {
        uint8_t port;
        char bdf[32] = "", mem[32];
        struct pmem_host h = { 0 };
        struct cxl_ep ep;
        uint64_t sn = 0;
        int vppb, status;
        double secs;
        bool ok;

        if (!links[i].eid || cxl_open(&ep, links[i].eid)) {
            continue;
        }
        via = link_via(&links[i]);
        if (cxl_identify(&ep) != COMPONENT_SWITCH) {
            goto next;
        }
        for (vppb = 0; vppb < 256; vppb++) {
            status = vcs_info(&ep, vppb, &port);
            if (status < 0 || status == VPPB_UNBOUND) {
                fail("bind cycle eid %u: vPPB %d unbound, or no vPPB with "
                     "a device the host sees", ep.eid, vppb);
                goto next;
            }
            if (status == VPPB_BOUND_PORT &&
                !cxl_tunnel_identify(&ep, port, &sn) &&
                (remote_wait_s ? !cycle_sn || sn == cycle_sn :
                 host_sees_memdev(sn, mem, bdf))) {
                break;
            }
        }
        if (remote_wait_s) {
            done += !bind_cycle_remote(&ep, vppb, port, sn);
            goto next;
        }
        say("bind-cycle eid %u vppb %d port %u sn 0x%llx pci %s %s",
            ep.eid, vppb, port, (unsigned long long)sn, bdf, mem);
        h.sn = sn;
        ok = !memdev_pmem_size(mem) || !pmem_before_unbind(&h);
        status = vppb_bind(&ep, vppb, -1);
        if (status != VPPB_UNBOUND) {
            fail("bind cycle eid %u: vPPB %d %s after Unbind vPPB", ep.eid,
                 vppb, status < 0 ? "unknown" : vppb_status[status & 3]);
            goto next;
        }
        /* Bound again whatever the host did, for what comes next */
        ok = !port_state(&ep, port) && !host_wait(sn, bdf, false, mem, &secs)
             && ok;
        status = vppb_bind(&ep, vppb, port);
        if (status != VPPB_BOUND_PORT) {
            fail("bind cycle eid %u: vPPB %d %s after Bind vPPB", ep.eid,
                 vppb, status < 0 ? "unknown" : vppb_status[status & 3]);
            goto next;
        }
        if (!port_state(&ep, port) && !host_back(&h, bdf) && ok) {
            done++;
        }
next:
        cxl_close(&ep);
        via = "";
    }
    if (!done) {
        fail("bind cycle: it went through on no switch endpoint");
    }
}

/*
 * Send PPB CXL.io Configuration Request (5103h): the dword at config
 * offset @reg (a multiple of 4) of switch port @port, read
 */
static int ppb_config_read(struct cxl_ep *ep, uint8_t port, uint16_t reg,
                           uint32_t *val)
{
    uint8_t in[8] = { port, reg & 0xff, 0xf0 | (reg >> 8 & 0xf), 0 };
    uint8_t out[16];
    size_t len;

    if (cxl_cmd(ep, OP_PPB_CONFIG, in, sizeof(in), out, sizeof(out), 4,
                &len)) {
        return -1;
    }
    *val = get_le16(out) | (uint32_t)get_le16(out + 2) << 16;
    return 0;
}

/* The offset of @port's PCI Express Capability, or -1 */
#define PCI_CAP_PTR         0x34
#define PCI_CAP_ID_EXP      0x10
#define PCI_EXP_SLTCAP      0x14
#define PCI_EXP_SLTCAP_PIP  0x10            /* power indicator present */
#define PCI_EXP_SLTCTL      0x18
#define PCI_EXP_SLTCTL_PIC  0x300           /* power indicator control */
#define PCI_EXP_SLTSTA_ABP  0x01            /* attention button pressed */
#define PCI_EXP_SLTSTA_PDC  0x08            /* presence detect changed */
static int ppb_exp_cap(struct cxl_ep *ep, uint8_t port)
{
    uint32_t v;
    unsigned pos, hops;

    if (ppb_config_read(ep, port, PCI_CAP_PTR, &v)) {
        return -1;
    }
    for (pos = v & 0xfc, hops = 0; pos && hops < 48; hops++) {
        if (ppb_config_read(ep, port, pos, &v)) {
            return -1;
        }
        if ((v & 0xff) == PCI_CAP_ID_EXP) {
            return pos;
        }
        pos = v >> 8 & 0xfc;
    }
    return fail("eid %u port %u: no PCI Express Capability", ep->eid, port);
}

static const char *const power_indicator[] = { "reserved", "on", "blink",
                                               "off" };

/*
 * Wait at most remote_wait_s for the host's hot-plug driver to have taken
 * the events of @port's slot (PCIe Slot Status at @cap + 1Ah: presence
 * detect changed and attention button pressed cleared) and set its power
 * indicator (Slot Control at @cap + 18h) to @want (1 on, 3 off): pciehp
 * turns it off once it has removed what was in the slot, on once it has
 * added it.  Prints how long it took.
 */
static int ppb_wait_indicator(struct cxl_ep *ep, uint8_t port, int cap,
                              unsigned want, const char *what)
{
    double t0 = now_s(), t;
    unsigned pic, events;
    uint32_t v;

    for (;;) {
        if (ppb_config_read(ep, port, cap + PCI_EXP_SLTCTL, &v)) {
            return -1;
        }
        t = now_s() - t0;
        pic = (v & PCI_EXP_SLTCTL_PIC) >> 8;
        events = v >> 16 & (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PDC);
        if (!events && pic == want) {
            break;
        }
        if (t > remote_wait_s) {
            return fail("eid %u port %u: after %u s, power indicator %s "
                        "(waiting for %s), slot events%s%s%s (the host %s)",
                        ep->eid, port, remote_wait_s, power_indicator[pic],
                        power_indicator[want], events ? "" : " none",
                        events & PCI_EXP_SLTSTA_PDC ? " presence-changed" : "",
                        events & PCI_EXP_SLTSTA_ABP ? " button" : "", what);
        }
        usleep(POLL_US);
    }
    say("port %u slot events taken, power indicator %s after %.2f s: the "
        "host %s", port, power_indicator[want], t, what);
    return 0;
}

/*
 * The bind cycle of a fabric manager that is not on the managed host (a
 * BMC): unbind vPPB @vppb, bound to @port where the device with serial
 * @sn is, wait for the host to let it go (its hot-plug driver removes it
 * and turns the slot's power indicator off; the host's "host-watch"
 * reports its side), bind it again, wait for the host to take it back
 * (the indicator on) and check the device answers a tunnelled Identify
 * again.  A slot with no power indicator gets a fixed 5 s each way.
 */
static int bind_cycle_remote(struct cxl_ep *ep, int vppb, uint8_t port,
                             uint64_t sn)
{
    uint64_t sn_after = 0;
    uint32_t sltcap = 0;
    int status, cap;
    bool pip;

    say("bind-cycle eid %u vppb %d port %u sn 0x%llx (the host is another "
        "machine)", ep->eid, vppb, port, (unsigned long long)sn);
    cap = ppb_exp_cap(ep, port);
    if (cap < 0 || ppb_config_read(ep, port, cap + PCI_EXP_SLTCAP, &sltcap)) {
        return -1;
    }
    pip = sltcap & PCI_EXP_SLTCAP_PIP;
    status = vppb_bind(ep, vppb, -1);
    if (status != VPPB_UNBOUND) {
        return fail("bind cycle eid %u: vPPB %d %s after Unbind vPPB",
                    ep->eid, vppb,
                    status < 0 ? "unknown" : vppb_status[status & 3]);
    }
    port_state(ep, port);
    if (!pip) {
        say("note port %u: no power indicator; 5 s for the host", port);
        sleep(5);
    } else if (ppb_wait_indicator(ep, port, cap, 3, "let the device go")) {
        return -1;
    }
    status = vppb_bind(ep, vppb, port);
    if (status != VPPB_BOUND_PORT) {
        return fail("bind cycle eid %u: vPPB %d %s after Bind vPPB", ep->eid,
                    vppb, status < 0 ? "unknown" : vppb_status[status & 3]);
    }
    if (port_state(ep, port)) {
        return -1;
    }
    if (!pip) {
        sleep(5);
    } else if (ppb_wait_indicator(ep, port, cap, 1, "took the device back")) {
        return -1;
    }
    if (cxl_tunnel_identify(ep, port, &sn_after)) {
        return -1;
    }
    if (sn_after != sn) {
        return fail("bind cycle eid %u: port %u has sn 0x%llx after the "
                    "bind, 0x%llx before", ep->eid, port,
                    (unsigned long long)sn_after, (unsigned long long)sn);
    }
    say("bind-cycle eid %u vppb %d port %u: sn 0x%llx unbound and bound "
        "again, answering through the switch", ep->eid, vppb, port,
        (unsigned long long)sn);
    return 0;
}

/*
 * host-watch: this is the managed host, and a fabric manager elsewhere
 * unbinds and binds the vPPB of the device with serial @sn.  The host
 * uses the device's persistent memory (if it has some) before, waits at
 * most @secs for the device to go, then for it to come back usable.
 */
static int host_watch(uint64_t sn, unsigned secs)
{
    struct pmem_host h = { .sn = sn };
    char mem[32], bdf[32] = "";
    double t;

    host_timeout_s = secs;
    if (host_wait(sn, bdf, true, mem, &t)) {
        return -1;
    }
    say("host-watch sn 0x%llx: pci %s %s", (unsigned long long)sn, bdf,
        mem);
    if (memdev_pmem_size(mem) && pmem_before_unbind(&h)) {
        return -1;
    }
    say("host-watch sn 0x%llx: ready; waiting up to %u s for a fabric "
        "manager to take the device away", (unsigned long long)sn, secs);
    if (host_wait(sn, bdf, false, mem, &t)) {
        return -1;
    }
    return host_back(&h, bdf);
}

/* ------------------------------------------------------------------------ */
/* MCTP over a serial line: the mctp-serial line discipline                 */

#define LDISC_WAIT_MS   2000    /* for the link of a TTY to appear */

/* The names of the mctpserialN netdevs, at most @max, into @names */
static unsigned serial_links(char (*names)[IFNAMSIZ], unsigned max)
{
    DIR *d = opendir("/sys/class/net");
    struct dirent *de;
    unsigned n = 0;

    if (!d) {
        return 0;
    }
    while ((de = readdir(d)) && n < max) {
        if (!strncmp(de->d_name, "mctpserial", 10) &&
            strlen(de->d_name) < IFNAMSIZ) {
            strcpy(names[n++], de->d_name);
        }
    }
    closedir(d);
    return n;
}

/*
 * Put N_MCTP on @tty (raw, 115200 baud, modem lines ignored): the fd, kept
 * open for the link to last, its netdev's name in @link; or -1
 */
static int ldisc_attach(const char *tty, char *link)
{
    char before[MAX_MCTP_LINKS][IFNAMSIZ], now[MAX_MCTP_LINKS][IFNAMSIZ];
    unsigned nb = serial_links(before, MAX_MCTP_LINKS), nn, i, j, waited;
    int ldisc = N_MCTP;
    struct termios t;
    int fd;

    fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return fail("ldisc %s: open: %s", tty, strerror(errno));
    }
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= ~CRTSCTS;
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        if (tcsetattr(fd, TCSANOW, &t)) {
            say("note ldisc %s: tcsetattr: %s", tty, strerror(errno));
        }
    }
    if (ioctl(fd, TIOCSETD, &ldisc)) {
        fail("ldisc %s: TIOCSETD N_MCTP (%d): %s", tty, N_MCTP,
             strerror(errno));
        close(fd);
        return -1;
    }
    /* The new mctpserialN: the one that was not there before */
    for (waited = 0; waited <= LDISC_WAIT_MS; waited += 20) {
        nn = serial_links(now, MAX_MCTP_LINKS);
        for (i = 0; i < nn; i++) {
            for (j = 0; j < nb && strcmp(now[i], before[j]); j++) {
                ;
            }
            if (j == nb) {
                strcpy(link, now[i]);
                return fd;
            }
        }
        usleep(20 * 1000);
    }
    fail("ldisc %s: N_MCTP set, but no new mctpserialN link", tty);
    close(fd);
    return -1;
}

/*
 * ldisc TTY...: N_MCTP on each; then, if all went well, a child keeps
 * them open (the links last until it is killed) and this process exits
 */
static int ldisc_cmd(int n, char **ttys)
{
    char link[IFNAMSIZ];
    pid_t pid;
    int i;

    for (i = 0; i < n; i++) {
        if (ldisc_attach(ttys[i], link) < 0) {
            return -1;
        }
        say("ldisc %s N_MCTP link %s", ttys[i], link);
    }
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        return fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        setsid();
        for (;;) {
            pause();
        }
    }
    say("ldisc: links held by process %d", (int)pid);
    return 0;
}

/*
 * For every type 3 device with an MCTP endpoint: at least @n commands in
 * band and at least @n out of band, at the same time
 */
static void concurrent(struct link *links, unsigned n_links, unsigned n)
{
    unsigned i, done = 0;

    for (i = 0; i < n_links; i++) {
        struct conc_inband ib = { .side.min = n };
        struct conc_side oob = { .min = n };
        struct cxl_ep ep;
        char path[300];
        pthread_t thread;
        double t;
        int rc;

        if (!links[i].eid || cxl_open(&ep, links[i].eid)) {
            continue;
        }
        via = link_via(&links[i]);
        if (cxl_identify(&ep) != COMPONENT_TYPE3) {
            goto next;
        }
        if (memdev_by_serial(ep.sn, path, sizeof(path))) {
            fail("eid %u: no CXL memory device with serial 0x%llx", ep.eid,
                 (unsigned long long)ep.sn);
            goto next;
        }
        ib.fd = open(path, O_RDWR);
        if (ib.fd < 0) {
            fail("%s: %s", path, strerror(errno));
            goto next;
        }
        atomic_store(&conc_done, 0);
        conc_t0 = now_s();
        rc = pthread_create(&thread, NULL, conc_inband, &ib);
        if (rc) {
            fail("pthread_create: %s", strerror(rc));
            close(ib.fd);
            goto next;
        }
        conc_oob(&ep, &oob);
        pthread_join(thread, NULL);
        t = now_s() - conc_t0;
        close(ib.fd);
        if (ib.side.error[0] || oob.error[0]) {
            fail("concurrent eid %u %s: %s%s%s", ep.eid, path,
                 ib.side.error, ib.side.error[0] && oob.error[0] ? "; " : "",
                 oob.error);
            goto next;
        }
        say("concurrent eid %u %s sn 0x%llx in-band %u out-of-band %u "
            "in %.2f s: every response checked", ep.eid, path,
            (unsigned long long)ep.sn, ib.side.count, oob.count, t);
        done++;
next:
        cxl_close(&ep);
        via = "";
    }
    if (!done) {
        fail("concurrent: no type 3 device with an MCTP endpoint");
    }
}

/* ------------------------------------------------------------------------ */
/* Dynamic capacity end to end: the fabric manager over MCTP (FM-API, CXL   */
/* r3.2 7.6.7.6) and the host through the device's primary mailbox (raw     */
/* commands on /dev/cxl/memN: events 8.2.9.2, DCD 8.2.9.9.9), in one run    */

#define OP_GET_EVENT_RECORDS    0x0100
#define OP_CLEAR_EVENT_RECORDS  0x0101
#define OP_GET_DC_CONFIG        0x4800
#define OP_GET_DC_EXTENTS       0x4801
#define OP_ADD_DC_RESPONSE      0x4802
#define OP_RELEASE_DC           0x4803
#define OP_GET_HOST_DC_CONFIG   0x5601
#define OP_GET_DC_REGION_EXTENTS 0x5603
#define OP_INITIATE_DC_ADD      0x5604
#define OP_INITIATE_DC_RELEASE  0x5605

#define EVENT_LOG_DC            4       /* Dynamic Capacity Event Log */
#define EVENT_PAYLOAD_HDR       0x20    /* Get Event Records output header */
#define EVENT_RECORD_SIZE       0x80
#define EVENT_FLAG_OVERFLOW     0x01
#define EVENT_FLAG_MORE         0x02    /* More Event Records */
#define DC_EVENT_ADD            0x00    /* Dynamic Capacity Event Type */
#define DC_EVENT_RELEASE        0x01
#define DC_EVENT_FLAG_MORE      0x01    /* of a DC event record */
#define DC_SELECT_PRESCRIPTIVE  2       /* Initiate DC Add Selection Policy */
#define DC_REMOVE_PRESCRIPTIVE  1       /* Initiate DC Release Removal Policy */
#define DC_EXTENT_SIZE          0x28    /* Dynamic Capacity Extent */
#define DC_UPDATED_EXTENT_SIZE  0x18    /* Updated Extent (4802h, 4803h) */
#define DC_MAX_EXTENTS          8       /* asked for in one extent list read */

/* Dynamic Capacity Event Record (CXL r3.2 8.2.9.2.1.6) */
static const uint8_t dc_event_uuid[16] = {
    0xca, 0x95, 0xaf, 0xa7, 0xf1, 0x83, 0x40, 0x18,
    0x8c, 0x2f, 0x95, 0x26, 0x8e, 0x10, 0x1a, 0x2a,
};

struct dc_extent {
    uint64_t dpa, len;
};

/* A dynamic capacity device, as its fabric manager and its host see it */
struct dcd {
    struct cxl_ep *ep;          /* the fabric manager, over MCTP */
    char path[64];              /* the host's /dev/cxl/memN */
    int fd;
    uint32_t payload_max;       /* of the host's mailbox */
    uint64_t base, len, block;  /* DC region 0 */
    uint32_t fm_gen, host_gen;  /* extent list generation numbers seen */
    const char *name;           /* of the step, in the lines */
};

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, v);
    put_le32(p + 4, v >> 32);
}

static uint32_t get_le32(const uint8_t *p)
{
    return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

/* "0x0+0x200000,0x400000+0x400000", or "none", into @buf */
static const char *extents_str(const struct dc_extent *e, unsigned n,
                               char *buf, size_t size)
{
    unsigned i;

    snprintf(buf, size, "%s", n ? "" : "none");
    for (i = 0; i < n && strlen(buf) + 40 < size; i++) {
        sprintf(buf + strlen(buf), "%s0x%llx+0x%llx", i ? "," : "",
                (unsigned long long)e[i].dpa, (unsigned long long)e[i].len);
    }
    return buf;
}

/* Whether extent lists @a and @b (@n each) are the same, in any order */
static bool extents_same(const struct dc_extent *a, const struct dc_extent *b,
                         unsigned n)
{
    unsigned i, j;

    for (i = 0; i < n; i++) {
        j = 0;
        while (j < n && (a[i].dpa != b[j].dpa || a[i].len != b[j].len)) {
            j++;
        }
        if (j == n) {
            return false;
        }
    }
    return true;
}

/*
 * Raw command @opcode through the host's primary mailbox: its output in
 * @out (at least @min_out bytes, @out_len set); its return code in @rc if
 * @rc, else any other than Success fails
 */
static int host_cmd(struct dcd *d, uint16_t opcode, const void *in,
                    size_t in_len, uint8_t *out, size_t min_out,
                    size_t *out_len, uint16_t *rc)
{
    struct cxl_send_command cmd = {
        .id = CXL_MEM_COMMAND_ID_RAW,
        .raw.opcode = opcode,
        .in.size = in_len,
        .in.payload = (uintptr_t)in,
        .out.size = d->payload_max,
        .out.payload = (uintptr_t)out,
    };

    if (ioctl(d->fd, CXL_MEM_SEND_COMMAND, &cmd) < 0) {
        return fail("%s raw %04xh: %s", d->path, opcode, strerror(errno));
    }
    if (rc) {
        *rc = cmd.retval;
    } else if (cmd.retval) {
        return fail("%s %04xh: return code 0x%04x (%s)", d->path, opcode,
                    cmd.retval, cxl_rc_name(cmd.retval));
    }
    if (!cmd.retval && cmd.out.size < min_out) {
        return fail("%s %04xh: %u-byte output, expected %zu or more",
                    d->path, opcode, cmd.out.size, min_out);
    }
    *out_len = cmd.out.size;
    return 0;
}

/*
 * DC region 0 as FM-API's Get Host DC Region Configuration and the host's
 * Get Dynamic Capacity Configuration describe it: both the same
 */
static int dcd_region(struct dcd *d)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    uint8_t fm_in[4] = { 0, 0, 1, 0 }, host_in[2] = { 1, 0 };
    const uint8_t *r;
    uint64_t base, len, block;
    size_t n;

    /* host ID 0, 1 region from region 0: 4 + 0x28 + 16 bytes */
    if (cxl_cmd(d->ep, OP_GET_HOST_DC_CONFIG, fm_in, sizeof(fm_in), out,
                sizeof(out), 4 + 0x28 + 16, &n)) {
        return -1;
    }
    if (out[2] < 1 || out[3] != 1) {
        return fail("dcd eid %u: 5601h: %u regions, %u returned for 1 asked",
                    d->ep->eid, out[2], out[3]);
    }
    r = out + 4;
    d->base = get_le64(r);
    d->len = get_le64(r + 16);
    d->block = get_le64(r + 24);
    if (!d->block || d->len < 8 * d->block) {
        return fail("dcd eid %u: 5601h: region 0 of 0x%llx bytes in blocks "
                    "of 0x%llx, too small for the test", d->ep->eid,
                    (unsigned long long)d->len,
                    (unsigned long long)d->block);
    }
    if (host_cmd(d, OP_GET_DC_CONFIG, host_in, sizeof(host_in), out,
                 8 + 0x28 + 16, &n, NULL)) {
        return -1;
    }
    r = out + 8;
    base = get_le64(r);
    len = get_le64(r + 16);
    block = get_le64(r + 24);
    if (out[1] != 1 || base != d->base || len != d->len ||
        block != d->block) {
        return fail("dcd %s: 4800h: region 0 base 0x%llx length 0x%llx block "
                    "0x%llx (%u returned), FM's 5601h says 0x%llx, 0x%llx, "
                    "0x%llx", d->path, (unsigned long long)base,
                    (unsigned long long)len, (unsigned long long)block,
                    out[1], (unsigned long long)d->base,
                    (unsigned long long)d->len,
                    (unsigned long long)d->block);
    }
    return 0;
}

/*
 * An extent list output: @n_out extents (0x28 bytes each) at @p of the
 * @len bytes from @hdr on, @total in all; check and copy them to @e
 */
static int dcd_parse_extents(const char *who, const uint8_t *p, size_t len,
                             uint32_t n_out, uint32_t total,
                             struct dc_extent *e, unsigned *n)
{
    uint32_t i, want = total < DC_MAX_EXTENTS ? total : DC_MAX_EXTENTS;

    if (n_out != want) {
        return fail("%s: %u extents returned, %u in all, %u asked: expected "
                    "%u returned", who, n_out, total, DC_MAX_EXTENTS, want);
    }
    if (len < n_out * DC_EXTENT_SIZE) {
        return fail("%s: %u extents returned in %zu bytes", who, n_out, len);
    }
    for (i = 0; i < n_out; i++) {
        e[i].dpa = get_le64(p + i * DC_EXTENT_SIZE);
        e[i].len = get_le64(p + i * DC_EXTENT_SIZE + 8);
    }
    *n = n_out;
    return 0;
}

/* FM-API Get DC Region Extent Lists (5603h) of host 0 */
static int dcd_fm_extents(struct dcd *d, struct dc_extent *e, unsigned *n,
                          uint32_t *gen)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    uint8_t in[12] = { 0 };
    char who[48];
    size_t len;

    put_le32(in + 4, DC_MAX_EXTENTS);
    if (cxl_cmd(d->ep, OP_GET_DC_REGION_EXTENTS, in, sizeof(in), out,
                sizeof(out), 0x18, &len)) {
        return -1;
    }
    *gen = get_le32(out + 16);
    snprintf(who, sizeof(who), "dcd eid %u 5603h", d->ep->eid);
    return dcd_parse_extents(who, out + 0x18, len - 0x18, get_le32(out + 8),
                             get_le32(out + 12), e, n);
}

/* The host's Get Dynamic Capacity Extent List (4801h) */
static int dcd_host_extents(struct dcd *d, struct dc_extent *e, unsigned *n,
                            uint32_t *gen)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    uint8_t in[8] = { 0 };
    char who[96];
    size_t len;

    put_le32(in, DC_MAX_EXTENTS);
    if (host_cmd(d, OP_GET_DC_EXTENTS, in, sizeof(in), out, 0x10, &len,
                 NULL)) {
        return -1;
    }
    *gen = get_le32(out + 8);
    snprintf(who, sizeof(who), "dcd %s 4801h", d->path);
    return dcd_parse_extents(who, out + 0x10, len - 0x10, get_le32(out),
                             get_le32(out + 4), e, n);
}

/*
 * Both the fabric manager's and the host's extent lists hold @want (@n
 * extents); with @changed the lists changed since last read, and each
 * list's generation number must say so.  One line says so when it holds.
 */
static int dcd_lists(struct dcd *d, const struct dc_extent *want, unsigned n,
                     bool changed, const char *when)
{
    struct dc_extent fm[DC_MAX_EXTENTS], host[DC_MAX_EXTENTS];
    unsigned n_fm, n_host;
    uint32_t fm_gen, host_gen;
    char a[256], b[256];
    int rc = 0;

    if (dcd_fm_extents(d, fm, &n_fm, &fm_gen) ||
        dcd_host_extents(d, host, &n_host, &host_gen)) {
        return -1;
    }
    if (n_fm != n || !extents_same(fm, want, n)) {
        rc = fail("dcd %s %s: FM's Get DC Region Extent Lists (5603h) lists "
                  "%s, expected %s", d->name, when,
                  extents_str(fm, n_fm, a, sizeof(a)),
                  extents_str(want, n, b, sizeof(b)));
    }
    if (n_host != n || !extents_same(host, want, n)) {
        rc = fail("dcd %s %s: the host's Get Dynamic Capacity Extent List "
                  "(4801h) lists %s, expected %s", d->name, when,
                  extents_str(host, n_host, a, sizeof(a)),
                  extents_str(want, n, b, sizeof(b)));
    }
    /*
     * CXL r3.2 8.2.9.9.9.2 (4801h output) and 7.6.7.6.4 (5603h): the
     * Extent List Generation Number is "a device-generated value that
     * is used to indicate that the list has changed"
     */
    if (changed && fm_gen == d->fm_gen) {
        rc = fail("dcd %s %s: the extent list changed, but FM's 5603h "
                  "reports the same Extent List Generation Number 0x%x as "
                  "before (it is to indicate that the list has changed)",
                  d->name, when, fm_gen);
    }
    if (changed && host_gen == d->host_gen) {
        rc = fail("dcd %s %s: the extent list changed, but the host's "
                  "4801h reports the same Extent List Generation Number "
                  "0x%x as before", d->name, when, host_gen);
    }
    if (!rc) {
        say("dcd %s lists %s: FM (5603h) %s generation 0x%x -> 0x%x, host "
            "(4801h) %s generation 0x%x -> 0x%x", d->name, when,
            extents_str(fm, n_fm, a, sizeof(a)), d->fm_gen, fm_gen,
            extents_str(host, n_host, b, sizeof(b)), d->host_gen, host_gen);
    }
    d->fm_gen = fm_gen;
    d->host_gen = host_gen;
    return rc;
}

/*
 * The fabric manager's Initiate Dynamic Capacity Add (5604h, @release
 * false; prescriptive, host 0, region 0) or Release (5605h) of @e
 */
static int dcd_fm_initiate(struct dcd *d, bool release,
                           const struct dc_extent *e, unsigned n)
{
    uint8_t in[0x20 + DC_MAX_EXTENTS * DC_EXTENT_SIZE] = { 0 }, out[16];
    uint64_t total = 0;
    char buf[256];
    size_t len;
    unsigned i;

    in[2] = release ? DC_REMOVE_PRESCRIPTIVE : DC_SELECT_PRESCRIPTIVE;
    in[3] = 0;                  /* region 0 */
    for (i = 0; i < n; i++) {
        uint8_t *x = in + 0x20 + i * DC_EXTENT_SIZE;

        put_le64(x, e[i].dpa);
        put_le64(x + 8, e[i].len);
        total += e[i].len;
    }
    put_le64(in + 4, total);
    put_le32(in + 0x1c, n);
    if (cxl_cmd(d->ep, release ? OP_INITIATE_DC_RELEASE : OP_INITIATE_DC_ADD,
                in, 0x20 + n * DC_EXTENT_SIZE, out, sizeof(out), 0, &len)) {
        return -1;
    }
    say("dcd %s fm-%s eid %u extents %s: initiated", d->name,
        release ? "release" : "add", d->ep->eid,
        extents_str(e, n, buf, sizeof(buf)));
    return 0;
}

/* The host's Get Event Records (0100h) of the DC log: the payload in @out */
static int dcd_host_get_events(struct dcd *d, uint8_t *out, unsigned *count)
{
    uint8_t log = EVENT_LOG_DC;
    size_t len;

    if (host_cmd(d, OP_GET_EVENT_RECORDS, &log, 1, out, EVENT_PAYLOAD_HDR,
                 &len, NULL)) {
        return -1;
    }
    *count = get_le16(out + 0x14);
    if (len != EVENT_PAYLOAD_HDR + *count * EVENT_RECORD_SIZE) {
        return fail("dcd %s 0100h: %u records in %zu bytes", d->path, *count,
                    len);
    }
    if (out[0] & EVENT_FLAG_OVERFLOW) {
        return fail("dcd %s 0100h: DC event log overflow (%u records lost)",
                    d->path, get_le16(out + 2));
    }
    return 0;
}

/*
 * The host reads the Dynamic Capacity Event Log: exactly @n records of
 * event type @type, one per extent of @e in order, each but the last
 * with the More flag (CXL r3.2 8.2.9.2.1.6: the host answers once for
 * the group); all of them in one Get Event Records, which therefore
 * must not set More Event Records; then it clears them and the log is
 * empty
 */
static int dcd_host_events(struct dcd *d, uint8_t type,
                           const struct dc_extent *e, unsigned n)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    uint8_t clear[6 + 2 * DC_MAX_EXTENTS] = { EVENT_LOG_DC, 0, n };
    char more[64] = "", buf[256];
    unsigned count, i;
    bool more_ok;
    size_t len;

    if (dcd_host_get_events(d, out, &count)) {
        return -1;
    }
    if (count != n) {
        return fail("dcd %s: %u records in the DC event log, expected %u "
                    "(one per extent of %s)", d->name, count, n,
                    extents_str(e, n, buf, sizeof(buf)));
    }
    /* A spec deviation, not a reason to stop: the records are there */
    more_ok = !(out[0] & EVENT_FLAG_MORE);
    if (!more_ok) {
        fail("dcd %s %s 0100h: More Event Records set with all %u records "
             "of the log returned (CXL r3.2 8.2.9.2.2: set only if there are "
             "more records than fit in the output)", d->name, d->path,
             count);
    }
    for (i = 0; i < n; i++) {
        const uint8_t *r = out + EVENT_PAYLOAD_HDR + i * EVENT_RECORD_SIZE;
        bool want_more = i + 1 < n;

        if (memcmp(r, dc_event_uuid, 16) || r[0x10] != EVENT_RECORD_SIZE) {
            return fail("dcd %s: record %u is not a DC event record (UUID "
                        "%02x%02x%02x%02x..., length 0x%x)", d->name, i,
                        r[0], r[1], r[2], r[3], r[0x10]);
        }
        if (r[0x30] != type || get_le16(r + 0x32) != 0 ||
            get_le64(r + 0x38) != e[i].dpa ||
            get_le64(r + 0x40) != e[i].len) {
            return fail("dcd %s: record %u: event type %u host %u extent "
                        "0x%llx+0x%llx, expected type %u host 0 extent "
                        "0x%llx+0x%llx", d->name, i, r[0x30],
                        get_le16(r + 0x32),
                        (unsigned long long)get_le64(r + 0x38),
                        (unsigned long long)get_le64(r + 0x40), type,
                        (unsigned long long)e[i].dpa,
                        (unsigned long long)e[i].len);
        }
        if (!(r[0x35] & DC_EVENT_FLAG_MORE) != !want_more) {
            return fail("dcd %s: record %u of %u: More flag %u, expected %u",
                        d->name, i, n, r[0x35] & DC_EVENT_FLAG_MORE,
                        want_more);
        }
        sprintf(more + strlen(more), "%s%u", i ? "," : "",
                r[0x35] & DC_EVENT_FLAG_MORE);
        memcpy(clear + 6 + 2 * i, r + 0x14, 2);
    }
    if (host_cmd(d, OP_CLEAR_EVENT_RECORDS, clear, 6 + 2 * n, out, 0, &len,
                 NULL) || dcd_host_get_events(d, out, &count)) {
        return -1;
    }
    if (count) {
        return fail("dcd %s: %u records in the DC event log after clearing "
                    "the %u read", d->name, count, n);
    }
    if (more_ok) {
        say("dcd %s host-events %s: %u %s record%s, more flags %s; cleared, "
            "log empty", d->name, d->path, n,
            type == DC_EVENT_ADD ? "add-capacity" : "release-capacity",
            n == 1 ? "" : "s", more);
    }
    return 0;
}

/*
 * The host's Add Dynamic Capacity Response (4802h) or Release Dynamic
 * Capacity (4803h) of @e
 */
static int dcd_host_answer(struct dcd *d, uint16_t opcode,
                           const struct dc_extent *e, unsigned n)
{
    static uint8_t out[CXL_MAX_PAYLOAD];
    uint8_t in[8 + DC_MAX_EXTENTS * DC_UPDATED_EXTENT_SIZE] = { 0 };
    char buf[256];
    size_t len;
    unsigned i;

    put_le32(in, n);
    for (i = 0; i < n; i++) {
        put_le64(in + 8 + i * DC_UPDATED_EXTENT_SIZE, e[i].dpa);
        put_le64(in + 8 + i * DC_UPDATED_EXTENT_SIZE + 8, e[i].len);
    }
    if (host_cmd(d, opcode, in, 8 + n * DC_UPDATED_EXTENT_SIZE, out, 0, &len,
                 NULL)) {
        return -1;
    }
    say("dcd %s host-%s %s extents %s: done", d->name,
        opcode == OP_RELEASE_DC ? "release" :
        n ? "add-response" : "add-response-reject", d->path,
        extents_str(e, n, buf, sizeof(buf)));
    return 0;
}

/*
 * One add: the FM initiates it; the host reads the event records and,
 * until it answers, neither list has the extents; it accepts them all
 * (@accept) or none; both lists then have them, or not.  An accepted
 * add is then released: the FM initiates it, the host reads the event
 * records, the extents stay listed until the host releases them.
 */
static int dcd_add_release(struct dcd *d, const char *name,
                           const struct dc_extent *e, unsigned n, bool accept)
{
    d->name = name;
    if (dcd_fm_initiate(d, false, e, n) ||
        dcd_host_events(d, DC_EVENT_ADD, e, n)) {
        return -1;
    }
    dcd_lists(d, NULL, 0, false, "while-add-pending");
    if (dcd_host_answer(d, OP_ADD_DC_RESPONSE, e, accept ? n : 0)) {
        return -1;
    }
    dcd_lists(d, e, accept ? n : 0, accept, "after-add-response");
    if (!accept) {
        return 0;
    }
    if (dcd_fm_initiate(d, true, e, n) ||
        dcd_host_events(d, DC_EVENT_RELEASE, e, n)) {
        return -1;
    }
    dcd_lists(d, e, n, false, "while-release-pending");
    if (dcd_host_answer(d, OP_RELEASE_DC, e, n)) {
        return -1;
    }
    return dcd_lists(d, NULL, 0, true, "after-release");
}

/*
 * Dynamic capacity on the device whose FM endpoint is @ep, its host's
 * mailbox @path: region 0 as both see it, then an add of one extent
 * accepted and released, an add of two (More flag) accepted and
 * released together, and an add the host rejects
 */
static int dcd_run(struct cxl_ep *ep, const char *path)
{
    struct dcd d = { .ep = ep, .fd = -1, .name = "start" };
    char attr[128], buf[32];
    uint8_t out[CXL_MAX_PAYLOAD];
    uint64_t max;
    unsigned count;
    int before = failures;

    snprintf(d.path, sizeof(d.path), "%s", path);
    snprintf(attr, sizeof(attr), CXL_SYSFS "/%s/payload_max",
             strrchr(path, '/') + 1);
    if (sysfs_num(attr, &max, buf, sizeof(buf)) || max < 256 ||
        max > CXL_MAX_PAYLOAD) {
        return fail("dcd: %s reads \"%s\", expected 256..%u", attr, buf,
                    CXL_MAX_PAYLOAD);
    }
    d.payload_max = max;
    d.fd = open(path, O_RDWR | O_CLOEXEC);
    if (d.fd < 0) {
        return fail("dcd: %s: %s", path, strerror(errno));
    }
    if (dcd_region(&d) || dcd_host_get_events(&d, out, &count)) {
        goto out;
    }
    if (count) {
        fail("dcd %s: %u records in the DC event log before any add", path,
             count);
        goto out;
    }
    d.fm_gen = d.host_gen = 0;
    if (dcd_lists(&d, NULL, 0, false, "before-any-add")) {
        goto out;
    }
    say("dcd eid %u %s sn 0x%llx: region 0 base 0x%llx length 0x%llx block "
        "0x%llx as FM (5601h) and host (4800h) see it; no extent, DC event "
        "log empty", ep->eid, path, (unsigned long long)ep->sn,
        (unsigned long long)d.base, (unsigned long long)d.len,
        (unsigned long long)d.block);
    {
        const struct dc_extent one[] = { { d.base, d.block } };
        const struct dc_extent two[] = {
            { d.base + 2 * d.block, d.block },
            { d.base + 4 * d.block, 2 * d.block },
        };

        dcd_add_release(&d, "one-extent", one, 1, true);
        dcd_add_release(&d, "two-extents", two, 2, true);
        dcd_add_release(&d, "rejected", one, 1, false);
    }
    if (failures == before) {
        say("dcd eid %u %s: an extent added, accepted and released, two in "
            "one add (More flag) and an add rejected, FM and host agreeing "
            "at every step", ep->eid, path);
    }
out:
    close(d.fd);
    return failures == before ? 0 : -1;
}

/* Dynamic capacity end to end on every type 3 device that has it */
static void dcd_flow(struct link *links, unsigned n_links)
{
    unsigned i, done = 0;

    for (i = 0; i < n_links; i++) {
        struct cxl_ep ep;
        char path[300];

        if (!links[i].eid || cxl_open(&ep, links[i].eid)) {
            continue;
        }
        via = link_via(&links[i]);
        if (cxl_identify(&ep) != COMPONENT_TYPE3 ||
            cel_lists(&ep, OP_GET_DCD_INFO) != 1) {
            goto next;
        }
        if (memdev_by_serial(ep.sn, path, sizeof(path))) {
            fail("dcd eid %u: no CXL memory device with serial 0x%llx",
                 ep.eid, (unsigned long long)ep.sn);
            goto next;
        }
        dcd_run(&ep, path);
        done++;
next:
        cxl_close(&ep);
        via = "";
    }
    if (!done) {
        fail("dcd: no type 3 device with dynamic capacity and an MCTP "
             "endpoint");
    }
}

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s setup|demo [--local-eid N] [--net N] "
            "[--i2c-addrs A,B,...] [--concurrent N] [--dcd] [--bind-cycle]\n"
            "       %s bench [ROUND-TRIPS] [--local-eid N] [--net N] "
            "[--i2c-addrs A,B,...] [--concurrent N]\n"
            "       %s identify|switch|memdev|ld-info|dcd-info EID [--net N]\n"
            "       %s tunnel EID PORT [--net N]\n"
            "       %s set-limit EID LOG2-BYTES [--net N]\n"
            "       %s cel EID [LENGTH [OFFSET]] [--net N]\n"
            "       %s vcs EID | bind EID VPPB PORT | unbind EID VPPB "
            "[--net N]\n"
            "       %s port-state EID PORT | port-control EID PORT OP "
            "[--net N]\n"
            "          (OP 0 assert PERST#, 1 deassert PERST#, 2 reset)\n"
            "       %s timestamp|set-timestamp EID [--net N]\n"
            "       %s dcd EID [--net N]\n"
            "       %s ldisc TTY... (N_MCTP on each: mctpserialN links)\n"
            "       %s host-watch SERIAL [SECONDS]\n"
            "setup, demo and bench also take --link NAME (only that netdev);"
            "\ndemo --bind-cycle --remote-wait S [--cycle-sn SERIAL]: the "
            "host is\nanother machine (run host-watch there): wait at most S "
            "seconds for its\nhot-plug driver after the unbind and after the "
            "bind.\n"
            "demo --bind-cycle: then unbind and bind again, over each switch "
            "endpoint,\n"
            "the vPPB of a device the host sees, and check the host's view\n"
            "(on a device with persistent memory: a region written before "
            "and read\nafter).  demo --dcd, and dcd EID: dynamic capacity "
            "end to end, this\nclient the fabric manager over MCTP and the "
            "host through /dev/cxl/memN.\n"
            "The EID commands talk to an endpoint already set up by "
            "\"setup\".\n", prog, prog, prog, prog, prog, prog, prog, prog,
            prog, prog, prog, prog);
    return 2;
}

/* @s as a number in [@min, @max] (decimal or 0x...), or false */
static bool parse_num(const char *s, unsigned long min, unsigned long max,
                      unsigned long *val)
{
    char *end;

    errno = 0;
    *val = strtoul(s, &end, 0);
    return *s && *s != '-' && !*end && !errno && *val >= min && *val <= max;
}

/* A command on one endpoint, given by EID: identify, switch, ... */
/* A comma-separated list of 7-bit I2C addresses into i2c_addrs[] */
static bool parse_i2c_addrs(const char *list)
{
    char buf[128], *tok, *save = NULL;
    unsigned long v;

    if (strlen(list) >= sizeof(buf)) {
        return false;
    }
    strcpy(buf, list);
    n_i2c_addrs = 0;
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n_i2c_addrs == MAX_MCTP_LINKS || !parse_num(tok, 1, 0x77, &v)) {
            return false;
        }
        i2c_addrs[n_i2c_addrs++] = v;
    }
    return n_i2c_addrs > 0;
}

static int eid_command(const char *cmd, unsigned long *args, int nargs)
{
    struct cxl_ep ep;
    int rc = -1;

    if (cxl_open(&ep, args[0])) {
        return -1;
    }
    if (!strcmp(cmd, "identify")) {
        rc = cxl_identify(&ep) < 0 ? -1 : 0;
    } else if (!strcmp(cmd, "switch")) {
        rc = switch_commands(&ep, false);
    } else if (!strcmp(cmd, "tunnel")) {
        rc = cxl_tunnel_identify(&ep, args[1], NULL);
    } else if (!strcmp(cmd, "memdev")) {
        rc = memdev_info(&ep);
    } else if (!strcmp(cmd, "ld-info")) {
        rc = ld_info(&ep);
    } else if (!strcmp(cmd, "dcd-info")) {
        rc = dcd_info(&ep);
    } else if (!strcmp(cmd, "set-limit")) {
        rc = set_rsp_limit(&ep, args[1]);
    } else if (!strcmp(cmd, "vcs")) {
        rc = vcs_info(&ep, -1, NULL);
    } else if (!strcmp(cmd, "bind")) {
        rc = vppb_bind(&ep, args[1], args[2]) == VPPB_BOUND_PORT ? 0 : -1;
    } else if (!strcmp(cmd, "unbind")) {
        rc = vppb_bind(&ep, args[1], -1) == VPPB_UNBOUND ? 0 : -1;
    } else if (!strcmp(cmd, "port-state")) {
        rc = port_state(&ep, args[1]);
    } else if (!strcmp(cmd, "port-control")) {
        rc = port_control(&ep, args[1], args[2]);
    } else if (!strcmp(cmd, "timestamp")) {
        rc = timestamp(&ep, 0);
    } else if (!strcmp(cmd, "set-timestamp")) {
        rc = timestamp(&ep, realtime_ns());
    } else if (!strcmp(cmd, "dcd")) {
        char path[300];

        rc = cxl_identify(&ep) < 0 ? -1 :
             memdev_by_serial(ep.sn, path, sizeof(path)) ?
             fail("eid %u: no CXL memory device with serial 0x%llx", ep.eid,
                  (unsigned long long)ep.sn) : dcd_run(&ep, path);
    } else if (!strcmp(cmd, "cel")) {
        rc = cel_read(&ep, nargs > 1 ? args[1] : 0, nargs > 2 ? args[2] : 0);
    }
    cxl_close(&ep);
    return rc;
}

int main(int argc, char **argv)
{
    /* command, positional arguments (min, max), their ranges */
    static const struct {
        const char *name;
        int min_args, max_args;
        bool setup;             /* sets the links up (takes --local-eid) */
        unsigned long max[3];
    } cmds[] = {
        { "setup", 0, 0, true, { 0 } },
        { "demo", 0, 0, true, { 0 } },
        { "bench", 0, 1, true, { 1000000 } },
        { "identify", 1, 1, false, { 254 } },
        { "switch", 1, 1, false, { 254 } },
        { "tunnel", 2, 2, false, { 254, 255 } },
        { "ld-info", 1, 1, false, { 254 } },
        { "memdev", 1, 1, false, { 254 } },
        { "dcd-info", 1, 1, false, { 254 } },
        { "set-limit", 2, 2, false, { 254, 31 } },
        { "cel", 1, 3, false, { 254, CXL_MAX_PAYLOAD, 0xffffffff } },
        { "vcs", 1, 1, false, { 254 } },
        { "bind", 3, 3, false, { 254, 255, 255 } },
        { "unbind", 2, 2, false, { 254, 255 } },
        { "port-state", 2, 2, false, { 254, 255 } },
        { "port-control", 3, 3, false, { 254, 255, 2 } },
        { "timestamp", 1, 1, false, { 254 } },
        { "set-timestamp", 1, 1, false, { 254 } },
        { "dcd", 1, 1, false, { 254 } },
        { "host-watch", 1, 2, false, { ULONG_MAX, 3600 } },
    };
    static struct link links[MAX_MCTP_LINKS];
    unsigned long args[3], v, conc = 0;
    bool cycle = false, dcd = false;
    unsigned n, c;
    int nargs = 0, i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        return usage(argv[0]);
    }
    if (!strcmp(argv[1], "ldisc")) {
        if (argc < 3 || argc - 2 > MAX_MCTP_LINKS) {
            return usage(argv[0]);
        }
        if (ldisc_cmd(argc - 2, argv + 2)) {
            say("error %d step%s failed", failures, failures == 1 ? "" : "s");
            return 1;
        }
        return 0;
    }
    for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
        if (!strcmp(argv[1], cmds[c].name)) {
            break;
        }
    }
    if (c == sizeof(cmds) / sizeof(cmds[0])) {
        return usage(argv[0]);
    }
    for (i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--net") && i + 1 < argc &&
            parse_num(argv[i + 1], 1, UINT32_MAX, &v)) {
            mctp_net = v;
            i++;
        } else if (!strcmp(argv[i], "--i2c-addrs") && cmds[c].setup &&
                   i + 1 < argc && parse_i2c_addrs(argv[i + 1])) {
            i++;
        } else if (!strcmp(argv[i], "--concurrent") && cmds[c].setup &&
                   i + 1 < argc && parse_num(argv[i + 1], 1, 1000000, &conc)) {
            i++;
        } else if (!strcmp(argv[i], "--bind-cycle") && cmds[c].setup) {
            cycle = true;
        } else if (!strcmp(argv[i], "--dcd") && cmds[c].setup) {
            dcd = true;
        } else if (!strcmp(argv[i], "--remote-wait") && cmds[c].setup &&
                   i + 1 < argc && parse_num(argv[i + 1], 1, 600, &v)) {
            remote_wait_s = v;
            i++;
        } else if (!strcmp(argv[i], "--cycle-sn") && cmds[c].setup &&
                   i + 1 < argc && parse_num(argv[i + 1], 1, ULONG_MAX, &v)) {
            cycle_sn = v;
            i++;
        } else if (!strcmp(argv[i], "--link") && cmds[c].setup &&
                   i + 1 < argc && strlen(argv[i + 1]) < IFNAMSIZ) {
            strcpy(only_link, argv[i + 1]);
            i++;
        } else if (!strcmp(argv[i], "--local-eid") && cmds[c].setup &&
                   i + 1 < argc && parse_num(argv[i + 1], 8, 254, &v)) {
            local_eid = v;
            i++;
        } else if (nargs < cmds[c].max_args &&
                   parse_num(argv[i], cmds[c].setup ? 1 : nargs ? 0 : 8,
                             cmds[c].max[nargs], &v)) {
            args[nargs++] = v;
        } else {
            fprintf(stderr, "%s: bad argument '%s'\n", argv[0], argv[i]);
            return usage(argv[0]);
        }
    }
    if (nargs < cmds[c].min_args) {
        return usage(argv[0]);
    }

    if (!strcmp(cmds[c].name, "host-watch")) {
        host_watch(args[0], nargs > 1 ? args[1] : 120);
    } else if (!cmds[c].setup) {
        eid_command(cmds[c].name, args, nargs);
    } else {
        n = setup(links);
        if (n && !strcmp(argv[1], "demo")) {
            demo(links, n);
        } else if (n && !strcmp(argv[1], "bench")) {
            bench(links, n, nargs ? args[0] : 1000);
        }
        if (n && conc) {
            concurrent(links, n, conc);
        }
        if (n && dcd) {
            dcd_flow(links, n);
        }
        if (n && cycle) {
            bind_cycle(links, n);
        }
    }
    if (failures) {
        say("error %d step%s failed", failures, failures == 1 ? "" : "s");
        return 1;
    }
    say("ok");
    return 0;
}
