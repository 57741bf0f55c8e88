/* wire.h - helpers shared by the C programs that send and receive on the
 * wire (listener.c, multicaster.c, send.c, groups*.c, receive.c, ...):
 * bounded waits on a poller, a watchdog for code that may hang, a plain
 * receiving socket with IP_RECVTTL, and what the kernel says of groups on lo.
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

/* ====================================== groups on lo (groups*.c, receive.c) ===
 * Groups 239.44.X.Y and 232.44.X.Y, ports 4401..4460: no other test uses them.
 * 127.0.0.0/8 is local on lo, so 127.0.0.2..14 serve as SSM sources: plain
 * sockets bound to each send. */

#include <errno.h>
#include <net/if.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif

/* "239.44.X.Y" in one of 16 rotating buffers (for arguments: do not keep it). */
static inline const char *G(int x, int y) {
    static char ring[16][32];
    static int k;
    char *b = ring[k++ % 16];
    snprintf(b, sizeof ring[0], "239.44.%d.%d", x, y);
    return b;
}

static inline const char *onoff(int v) { return v ? "on" : "off"; }

static inline unsigned lo_index(void) { return if_nametoindex("lo"); }

static inline uint64_t realtime_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline mc_listener_counts counts_of(const mc_listener *l) {
    mc_listener_counts c;
    memset(&c, 0xff, sizeof c);
    CHECK_RC(mc_listener_get_counts(l, &c), 0);
    return c;
}

static inline mc_listener_stats stats_of(const mc_listener *l) {
    mc_listener_stats s;
    memset(&s, 0xff, sizeof s);
    CHECK_RC(mc_listener_get_stats(l, &s), 0);
    return s;
}

/* ------------------------------------ IPv4 groups on lo: what the kernel says --- */

/* True if /proc/net/igmp lists `group` (on device `dev`; NULL: on any). The
   kernel prints the group as %08X of its network-order value, on a line of
   its own that starts with tabs; devices head their lines ("1\tlo : ..."). */
static inline int igmp_on(const char *dev, const char *group) {
    char line[256], needle[16], cur[IF_NAMESIZE + 1] = "";
    struct in_addr a;
    uint32_t v;
    int found = 0;
    FILE *f;
    if (inet_pton(AF_INET, group, &a) != 1) { fprintf(stderr, "bad group %s\n", group); exit(2); }
    memcpy(&v, &a, 4);
    snprintf(needle, sizeof needle, "\t%08X ", v);
    f = fopen("/proc/net/igmp", "r");
    if (!f) { perror("/proc/net/igmp"); exit(2); }
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '\t') {
            int idx;
            if (sscanf(line, "%d %16[^: \t]", &idx, cur) != 2) cur[0] = 0;
            continue;
        }
        if (strstr(line, needle) && (!dev || strcmp(cur, dev) == 0)) found = 1;
    }
    fclose(f);
    return found;
}

static inline int igmp_has(const char *group) { return igmp_on(NULL, group); }

/* Bytes queued on the UDP sockets bound to 0.0.0.0:port (/proc/net/udp). */
static inline long udp_rxq(uint16_t port) {
    char line[512];
    long total = 0;
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f) { perror("/proc/net/udp"); exit(2); }
    while (fgets(line, sizeof line, f)) {
        unsigned long ip, rx;
        unsigned p;
        if (sscanf(line, " %*d: %8lX:%4X %*8X:%*4X %*2X %*8X:%8lX", &ip, &p, &rx) == 3 &&
            ip == 0 && p == port)
            total += (long)rx;
    }
    fclose(f);
    return total;
}

/* Waits (bounded: 1 s, in 1 ms steps) until something is queued on a wildcard
   socket of port; returns the bytes queued (0: nothing came). */
static inline long wait_rxq(uint16_t port) {
    long end = now_ms() + 1000, q;
    while ((q = udp_rxq(port)) == 0 && now_ms() < end) poll(NULL, 0, 1);
    return q;
}

/* -------------------------------------------------------------- sending --- */

static inline void send1(const char *group, uint16_t port, const char *payload) {
    int n = (int)strlen(payload);
    int rc = mc_sendto(payload, (size_t)n, group, port, -1);
    if (rc != n) {
        fprintf(stderr, "mc_sendto(%s:%u, \"%s\") = %d: %s\n", group, port, payload, rc,
                mc_last_error());
        check_failures++;
    }
}

/* A run of `count` equal-size datagrams "PREFIX #i" (i < 10) with
   mc_sendto_many: one GSO send. */
static inline void send_run(const char *group, uint16_t port, const char *prefix, int count, int ttl) {
    char text[16][64];
    mc_buf bufs[16];
    int i, rc;
    for (i = 0; i < count && i < 16; i++) {
        snprintf(text[i], sizeof text[i], "%s #%d", prefix, i % 10);
        bufs[i].data = text[i];
        bufs[i].len = strlen(text[i]);
    }
    rc = mc_sendto_many(bufs, (size_t)i, group, port, ttl);
    if (rc != i) {
        fprintf(stderr, "mc_sendto_many(%s:%u, %d x \"%s\") = %d: %s\n", group, port, i, prefix,
                rc, mc_last_error());
        check_failures++;
    }
}

/* A plain UDP socket bound to local address ip (port 0). */
static inline int bound_socket(const char *ip) {
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "bind %s: %s\n", ip, strerror(errno));
        check_failures++;
    }
    return s;
}

/* sendto from a plain socket; seg > 0: as one UDP_SEGMENT (GSO) send of
   segments of seg bytes. */
static inline void plain_send(int s, const char *ip, uint16_t port, const void *data, size_t len,
                       int seg) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    CHECK(setsockopt(s, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0);
    if (sendto(s, data, len, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)len) {
        fprintf(stderr, "sendto %s:%u: %s\n", ip, port, strerror(errno));
        check_failures++;
    }
}

/* ------------------------------------------------------------ receiving --- */

/* What a listener got, counted by the last byte of the group and of the
   sender. Payloads start "gY " where Y is the group's last byte (and, with
   by_source, go on "sZ " where Z is the sender's last byte). */
typedef struct {
    int x;             /* groups 239.44.X.* (or 232.44.X.* with ssm) */
    int ssm;
    uint16_t port;
    int total, bad;
    int per[256];
    int by_src[256];
    mc_listener *l;
} tally_t;

static inline void tally_reset(tally_t *t, int x, uint16_t port) {
    memset(t, 0, sizeof *t);
    t->x = x;
    t->port = port;
}

/* One line about a packet on stdout: payload (60 bytes at most), len, size,
   from, group, scope, ifindex, ttl. */
static inline void print_packet(const char *tag, const mc_packet *p) {
    char f[INET6_ADDRSTRLEN] = "?", g[INET6_ADDRSTRLEN] = "?";
    inet_ntop(p->from.family, p->from.ip, f, sizeof f);
    inet_ntop(p->group.family, p->group.ip, g, sizeof g);
    printf("  [%s] \"%.*s\" (len %zu size %zu) from %s:%u to %s:%u scope %u ifindex %u ttl %d\n",
           tag, (int)(p->len > 60 ? 60 : p->len), (const char *)p->data, p->len, p->size, f,
           p->from.port, g, p->group.port, p->group.scope_id, p->ifindex, p->ttl);
}

/* Checks one packet of a tally: IPv4, group 239.44.X.Y (232.44.X.Y) port,
   from 127.0.0.Z port != 0, arrived on lo, payload "gY " ("gY sZ "). Counts it. */
static inline void tally_packet(tally_t *t, const mc_packet *p) {
    char want[32];
    int ok = 1;
    size_t n;
    t->total++;
    if (p->group.family != AF_INET || p->group.ip[0] != (t->ssm ? 232 : 239) ||
        p->group.ip[1] != 44 || p->group.ip[2] != t->x || p->group.port != t->port ||
        p->group.scope_id != 0)
        ok = 0;
    if (p->from.family != AF_INET || p->from.ip[0] != 127 || p->from.port == 0) ok = 0;
    if (p->ifindex != lo_index()) ok = 0;
    if (t->ssm) snprintf(want, sizeof want, "g%u s%u ", p->group.ip[3], p->from.ip[3]);
    else snprintf(want, sizeof want, "g%u ", p->group.ip[3]);
    n = strlen(want);
    if (p->len < n || p->size != p->len || memcmp(p->data, want, n) != 0) ok = 0;
    if (!ok) {
        print_packet("unexpected", p);
        t->bad++;
        return;
    }
    t->per[p->group.ip[3]]++;
    t->by_src[p->from.ip[3]]++;
}

static inline int on_tally(void *ud, const mc_packet *p) {
    tally_packet(ud, p);
    return 0;
}

/* Pull mode: reads l until `want` packets came (WAIT_MS each), then QUIET_MS more. */
static inline void pull_all(mc_listener *l, tally_t *t, int want) {
    const mc_packet *p;
    int rc;
    while ((rc = mc_listener_next(l, &p, t->total < want ? WAIT_MS : QUIET_MS)) == 1)
        tally_packet(t, p);
    CHECK_RC(rc, 0);
}

/* Waits for `want` packets in t, then QUIET_MS more: exactly want must have come. */
static inline void settle(mc_poller *p, tally_t *t, int want) {
    CHECK(wait_for(p, &t->total, want));
    quiet(p, QUIET_MS);
    if (t->total != want) {
        fprintf(stderr, "got %d packets, want %d\n", t->total, want);
        check_failures++;
    }
    CHECK(t->bad == 0);
}


#endif
