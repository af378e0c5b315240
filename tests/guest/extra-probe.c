// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * extra-probe: check, in the test guest, the kernel interfaces a user's own
 * fabric manager stack relies on (mctpd and libsystemd's sd-event loop,
 * sd-bus and a D-Bus daemon), one line each:
 *
 *   PROBE: <what> ok [details]
 *   PROBE: <what> fail <call>: <errno text>
 *
 * epoll-timerfd  epoll_create1, a timerfd armed for 10 ms, epoll_wait
 *                reports it readable and it counts one expiration
 * signalfd       SIGUSR1 blocked, raised, read from a signalfd (through epoll)
 * eventfd        a value written and read back
 * memfd          memfd_create, written, sealed against growing
 * flock          flock(LOCK_EX | LOCK_NB) on a file in DIR (default /run),
 *                which must be a tmpfs
 * inotify        inotify_init1, a watch on DIR sees a file created there
 * unix           AF_UNIX socketpair with SO_PEERCRED (D-Bus)
 * mctp           socket(AF_MCTP, SOCK_DGRAM, 0) and a bind to MCTP_ADDR_ANY
 *                for message type 0 (MCTP control, what mctpd binds)
 *
 * then "PROBE: done failures=N"; the exit status is N.
 *
 * Usage: extra-probe [DIR]
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/mctp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/timerfd.h>

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

static int failures;

static void ok(const char *what, const char *fmt, ...)
{
    va_list ap;

    printf("PROBE: %s ok", what);
    if (fmt) {
        putchar(' ');
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    putchar('\n');
}

/* fail: the call that failed, with errno if err != 0; returns -1 */
static int fail(const char *what, const char *call, int err)
{
    printf("PROBE: %s fail %s: %s\n", what, call,
           err ? strerror(err) : "unexpected result");
    failures++;
    return -1;
}

static void closep(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
    }
}
#define AUTOCLOSE __attribute__((cleanup(closep)))

/* epoll_wait on EP for one event, at most 1 s; the fd it reports or -1 */
static int wait_one(int ep)
{
    struct epoll_event ev;
    int n = epoll_wait(ep, &ev, 1, 1000);

    if (n < 0) {
        return -1;
    }
    if (n == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return ev.data.fd;
}

static int add(int ep, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int probe_timerfd(void)
{
    const char *w = "epoll-timerfd";
    AUTOCLOSE int ep = epoll_create1(EPOLL_CLOEXEC);
    AUTOCLOSE int tfd = -1;
    struct itimerspec its = { .it_value.tv_nsec = 10 * 1000 * 1000 };
    uint64_t expirations;

    if (ep < 0) {
        return fail(w, "epoll_create1", errno);
    }
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd < 0) {
        return fail(w, "timerfd_create", errno);
    }
    if (timerfd_settime(tfd, 0, &its, NULL) < 0) {
        return fail(w, "timerfd_settime", errno);
    }
    if (add(ep, tfd) < 0) {
        return fail(w, "epoll_ctl", errno);
    }
    if (wait_one(ep) != tfd) {
        return fail(w, "epoll_wait", errno);
    }
    if (read(tfd, &expirations, sizeof(expirations)) != sizeof(expirations)) {
        return fail(w, "read", errno);
    }
    if (expirations != 1) {
        return fail(w, "read (expirations)", 0);
    }
    ok(w, "expirations=%llu", (unsigned long long)expirations);
    return 0;
}

static int probe_signalfd(void)
{
    const char *w = "signalfd";
    AUTOCLOSE int sfd = -1;
    AUTOCLOSE int ep = -1;
    struct signalfd_siginfo si;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
        return fail(w, "sigprocmask", errno);
    }
    sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        return fail(w, "signalfd", errno);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        return fail(w, "epoll_create1", errno);
    }
    if (add(ep, sfd) < 0) {
        return fail(w, "epoll_ctl", errno);
    }
    if (raise(SIGUSR1) != 0) {
        return fail(w, "raise", errno);
    }
    if (wait_one(ep) != sfd) {
        return fail(w, "epoll_wait", errno);
    }
    if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
        return fail(w, "read", errno);
    }
    if (si.ssi_signo != SIGUSR1 || si.ssi_pid != (uint32_t)getpid()) {
        return fail(w, "read (signal, sender)", 0);
    }
    ok(w, "signo=%u pid=%u", si.ssi_signo, si.ssi_pid);
    return 0;
}

static int probe_eventfd(void)
{
    const char *w = "eventfd";
    AUTOCLOSE int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    uint64_t v = 42;

    if (efd < 0) {
        return fail(w, "eventfd", errno);
    }
    if (write(efd, &v, sizeof(v)) != sizeof(v)) {
        return fail(w, "write", errno);
    }
    v = 0;
    if (read(efd, &v, sizeof(v)) != sizeof(v)) {
        return fail(w, "read", errno);
    }
    if (v != 42) {
        return fail(w, "read (value)", 0);
    }
    ok(w, "value=%llu", (unsigned long long)v);
    return 0;
}

static int probe_memfd(void)
{
    const char *w = "memfd";
    AUTOCLOSE int mfd = memfd_create("extra-probe",
                                     MFD_CLOEXEC | MFD_ALLOW_SEALING);
    static const char data[] = "sealed";

    if (mfd < 0) {
        return fail(w, "memfd_create", errno);
    }
    if (write(mfd, data, sizeof(data)) != sizeof(data)) {
        return fail(w, "write", errno);
    }
    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK) < 0) {
        return fail(w, "fcntl(F_ADD_SEALS)", errno);
    }
    if (write(mfd, data, sizeof(data)) >= 0) {
        return fail(w, "write past the seal", 0);
    }
    if (errno != EPERM) {
        return fail(w, "write past the seal", errno);
    }
    ok(w, "seals=0x%x", fcntl(mfd, F_GET_SEALS));
    return 0;
}

static int probe_flock(const char *dir)
{
    const char *w = "flock";
    char path[4096];
    struct statfs sfs;
    AUTOCLOSE int fd = -1;
    AUTOCLOSE int fd2 = -1;

    if (statfs(dir, &sfs) < 0) {
        return fail(w, "statfs", errno);
    }
    if (sfs.f_type != TMPFS_MAGIC) {
        printf("PROBE: %s fail %s is not a tmpfs (f_type 0x%lx)\n", w, dir,
               (unsigned long)sfs.f_type);
        failures++;
        return -1;
    }
    snprintf(path, sizeof(path), "%s/extra-probe.lock", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(w, "open", errno);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        return fail(w, "flock", errno);
    }
    /* A second open file description must not get it. */
    fd2 = open(path, O_RDWR | O_CLOEXEC);
    if (fd2 < 0) {
        return fail(w, "open (again)", errno);
    }
    if (flock(fd2, LOCK_EX | LOCK_NB) == 0) {
        return fail(w, "flock (held elsewhere)", 0);
    }
    if (errno != EWOULDBLOCK) {
        return fail(w, "flock (held elsewhere)", errno);
    }
    unlink(path);
    ok(w, "path=%s fs=tmpfs", path);
    return 0;
}

static int probe_inotify(const char *dir)
{
    const char *w = "inotify";
    AUTOCLOSE int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    AUTOCLOSE int ep = -1;
    char path[4096];
    union {
        struct inotify_event ev;
        char buf[sizeof(struct inotify_event) + 256];
    } u;
    int fd;

    if (ifd < 0) {
        return fail(w, "inotify_init1", errno);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        return fail(w, "epoll_create1", errno);
    }
    if (inotify_add_watch(ifd, dir, IN_CREATE) < 0) {
        return fail(w, "inotify_add_watch", errno);
    }
    if (add(ep, ifd) < 0) {
        return fail(w, "epoll_ctl", errno);
    }
    snprintf(path, sizeof(path), "%s/extra-probe.new", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(w, "open", errno);
    }
    close(fd);
    unlink(path);
    if (wait_one(ep) != ifd) {
        return fail(w, "epoll_wait", errno);
    }
    if (read(ifd, &u, sizeof(u)) < (ssize_t)sizeof(u.ev)) {
        return fail(w, "read", errno);
    }
    if (!(u.ev.mask & IN_CREATE) || !u.ev.len ||
        strcmp(u.ev.name, "extra-probe.new")) {
        return fail(w, "read (event)", 0);
    }
    ok(w, "event=IN_CREATE name=%s", u.ev.name);
    return 0;
}

static int probe_unix(void)
{
    const char *w = "unix";
    int sv[2];
    struct ucred cred;
    socklen_t len = sizeof(cred);
    int r;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return fail(w, "socketpair", errno);
    }
    r = getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len);
    close(sv[0]);
    close(sv[1]);
    if (r < 0) {
        return fail(w, "getsockopt(SO_PEERCRED)", errno);
    }
    if (cred.pid != getpid()) {
        return fail(w, "getsockopt(SO_PEERCRED) (pid)", 0);
    }
    ok(w, "peer-pid=%d uid=%u", (int)cred.pid, (unsigned)cred.uid);
    return 0;
}

static int probe_mctp(void)
{
    const char *w = "mctp";
    AUTOCLOSE int sd = socket(AF_MCTP, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_mctp addr = {
        .smctp_family = AF_MCTP,
        .smctp_network = MCTP_NET_ANY,
        .smctp_addr.s_addr = MCTP_ADDR_ANY,
        .smctp_type = 0,            /* MCTP control */
    };

    if (sd < 0) {
        return fail(w, "socket(AF_MCTP)", errno);
    }
    if (bind(sd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        return fail(w, "bind", errno);
    }
    ok(w, "bound type=0x%02x addr=any net=any", addr.smctp_type);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/run";

    setvbuf(stdout, NULL, _IOLBF, 0);
    probe_timerfd();
    probe_signalfd();
    probe_eventfd();
    probe_memfd();
    probe_flock(dir);
    probe_inotify(dir);
    probe_unix();
    probe_mctp();
    printf("PROBE: done failures=%d\n", failures);
    return failures;
}
