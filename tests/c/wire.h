/* wire.h - helpers shared by the C programs that send and receive on the
 * wire (listener.c, multicaster.c, send.c, groups*.c, receive.c, ...):
 * bounded waits on a poller, a watchdog for code that may hang, a plain
 * receiving socket with IP_RECVTTL, the recorder and raw sender of the
 * listeners on lo. What the kernel says of groups on lo, and the group
 * tests' senders and tallies, are in groups.h.
 *
 * Every wait is bounded: WAIT_MS for what must happen, QUIET_MS of polling
 * for what must not. Include it after defining _GNU_SOURCE. The functions
 * are static inline: a program that does not use one gets no warning. */
#ifndef MC_WIRE_H
#define MC_WIRE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define WAIT_MS 5000
#define QUIET_MS 200

static inline long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The fds this process has open now (the count of /proc/self/fd, which
   includes the directory's own fd while it is read). */
static inline int count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Polls p (up to 20 ms at a time) until *counter >= want; 1 if reached
   within WAIT_MS. */
static inline int wait_for(mc_poller *p, const int *counter, int want) {
    long end = now_ms() + WAIT_MS;
    while (*counter < want) {
        long left = end - now_ms();
        if (left <= 0) return 0;
        int rc = mc_poll(p, left < 20 ? (int)left : 20);
        if (rc < 0) {
            fprintf(stderr, "mc_poll failed: %d (%s)\n", rc, mc_last_error());
            return 0;
        }
    }
    return 1;
}

/* Polls p for ms milliseconds (watching for packets that must not come). */
static inline void quiet(mc_poller *p, int ms) {
    long end = now_ms() + ms;
    for (;;) {
        long left = end - now_ms();
        if (left <= 0) return;
        mc_poll(p, left < 20 ? (int)left : 20);
    }
}

static inline mc_opts *opts_for(const char *group, uint16_t port) {
    mc_opts *o = mc_opts_new();
    CHECK(o != NULL);
    CHECK_RC(mc_opts_set_group(o, group), 0);
    CHECK_RC(mc_opts_set_port(o, port), 0);
    return o;
}

/* --- a watchdog: if the code under test hangs, act after ms ------------- */

struct watchdog {
    pthread_t thread;
    int pipe[2];
    int ms;
    int fired;
    void (*action)(void *);
    void *arg;
};

static inline void *watchdog_main(void *arg) {
    struct watchdog *w = arg;
    struct pollfd pf = {w->pipe[0], POLLIN, 0};
    if (poll(&pf, 1, w->ms) == 0) {
        w->fired = 1;
        w->action(w->arg);
    }
    return NULL;
}

/* Calls action(arg) if the watchdog is not ended within ms. */
static inline void watchdog_start(struct watchdog *w, int ms, void (*action)(void *),
                                  void *arg) {
    memset(w, 0, sizeof *w);
    w->ms = ms;
    w->action = action;
    w->arg = arg;
    if (pipe(w->pipe) != 0 || pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
        perror("watchdog");
        exit(2);
    }
}

/* Ends the watchdog; returns 1 if it had fired. */
static inline int watchdog_end(struct watchdog *w) {
    if (write(w->pipe[1], "x", 1) != 1) perror("watchdog write");
    pthread_join(w->thread, NULL);
    close(w->pipe[0]);
    close(w->pipe[1]);
    return w->fired;
}

/* A watchdog action: stops the poller arg (NULL: the default). */
static inline void stop_poller(void *arg) { mc_stop((mc_poller *)arg); }

/* Runs mc_loop on p; it must end by itself (everything closed). */
#define LOOP_ENDS(p)                                                           \
    do {                                                                       \
        struct watchdog wd_;                                                   \
        watchdog_start(&wd_, 2 * WAIT_MS, stop_poller, (p));                   \
        CHECK_RC(mc_loop((p), 100, 0), 0);                                     \
        if (watchdog_end(&wd_)) {                                              \
            fprintf(stderr, "%s:%d: mc_loop did not end by itself\n",         \
                    __FILE__, __LINE__);                                       \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* --- a plain receiving socket, for the ttl -------------------------------- */

/* Joins group on port with IP_RECVTTL; a receive buffer of rcvbuf bytes
   (0: the system's default). */
static inline int raw_receiver(const char *group, uint16_t port, int rcvbuf) {
    int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1, zero = 0;
    struct sockaddr_in a;
    struct ip_mreqn m;
    CHECK(s >= 0);
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    if (rcvbuf > 0)
        CHECK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    CHECK(inet_pton(AF_INET, group, &a.sin_addr) == 1);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    memset(&m, 0, sizeof m);
    m.imr_multiaddr = a.sin_addr;
    CHECK(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0);
    CHECK(setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) == 0);
    CHECK(setsockopt(s, IPPROTO_IP, IP_RECVTTL, &one, sizeof one) == 0);
    return s;
}

/* Receives one datagram within timeout_ms: its length (-1 if none came);
   *ttl gets the received TTL and, unless from_ip is NULL, *from_ip the
   source (host order). */
static inline ssize_t raw_recv(int s, void *buf, size_t cap, int *ttl, uint32_t *from_ip,
                               int timeout_ms) {
    struct pollfd pf = {s, POLLIN, 0};
    union { char buf[CMSG_SPACE(sizeof(int)) * 4]; struct cmsghdr align; } cbuf;
    struct sockaddr_in from;
    struct iovec iov = {buf, cap};
    struct msghdr mh;
    struct cmsghdr *c;
    ssize_t n;
    *ttl = -1;
    if (poll(&pf, 1, timeout_ms) <= 0) return -1;
    memset(&mh, 0, sizeof mh);
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf.buf;
    mh.msg_controllen = sizeof cbuf.buf;
    n = recvmsg(s, &mh, MSG_DONTWAIT);
    if (n < 0) return -1;
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            memcpy(ttl, CMSG_DATA(c), sizeof *ttl);
    if (from_ip) *from_ip = ntohl(from.sin_addr.s_addr);
    return n;
}

/* ============================ listeners on lo (listener*.c, multicaster.c) === */

static const uint8_t LOOPBACK_IP[4] = {127, 0, 0, 1};

/* Sends a text with mc_sendto (default ttl) and checks the byte count. */
#define SEND(text, group, port)                                                \
    CHECK_RC(mc_sendto((text), strlen(text), (group), (port), -1), (int)strlen(text))

static inline void get_stats(mc_listener *l, mc_listener_stats *st) {
    memset(st, 0xab, sizeof *st);
    CHECK_RC(mc_listener_get_stats(l, st), 0);
}

/* --- a recorder for on_packet ---------------------------------------------- */

#define REC_MAX 512
#define REC_TEXT 32

struct rec {
    int count;          /* on_packet calls */
    int stop_at;        /* answer non-zero at this call (0: never) */
    mc_packet last;     /* the last packet (its data pointer cleared) */
    uint8_t last_data[2048];
    char text[REC_MAX][REC_TEXT]; /* the packets as strings */
    void (*also)(void *);         /* called after each packet */
    void *also_arg;
};

static inline int record(void *ud, const mc_packet *p) {
    struct rec *r = ud;
    size_t n;
    if (r->count < REC_MAX) {
        n = p->len < REC_TEXT - 1 ? p->len : REC_TEXT - 1;
        if (n) memcpy(r->text[r->count], p->data, n);
        r->text[r->count][n] = '\0';
    }
    r->last = *p;
    r->last.data = NULL;
    n = p->len < sizeof r->last_data ? p->len : sizeof r->last_data;
    if (n) memcpy(r->last_data, p->data, n);
    r->count++;
    if (r->also) r->also(r->also_arg);
    return r->stop_at != 0 && r->count == r->stop_at;
}

static inline int accept_all(void *ud, const mc_packet *p) {
    (void)ud;
    (void)p;
    return 1;
}

/* --- raw sender: a plain socket, so the sender's port is known ------------ */

static inline int raw_sender(uint16_t *port) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    CHECK(s >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(s, (struct sockaddr *)&a, &alen) == 0);
    *port = ntohs(a.sin_port);
    return s;
}

static inline void raw_send(int s, const char *group, uint16_t port, const void *data,
                            size_t len) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    CHECK(inet_pton(AF_INET, group, &a.sin_addr) == 1);
    CHECK(sendto(s, data, len, 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)len);
}

#endif
