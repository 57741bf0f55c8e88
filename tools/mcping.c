/* mcping - multicast reachability: the ssmping protocol (draft-ietf-mboned-ssmping),
   client and server, IPv4 and IPv6; it works with the deployed ssmping, asmping
   and ssmpingd.

     mcping [-46qv] [-I IFACE] [-c COUNT] [-i SECONDS] [-S SIZE] [-g GROUP] [-p PORT]
            [-W SECONDS] HOST
     mcping -s [-46q] [-p PORT] [-n COUNT] [-w TIMEOUT_MS]

   The client sends a request to HOST (UDP port 4321) every SECONDS (default 1)
   and joins the channel (HOST, 232.43.211.234) -- IPv6: (HOST, ff3e::4321:1234)
   -- on the port its requests come from (asmping's way with -g GROUP: the group
   GROUP, any source, unless GROUP is source-specific). The server answers each
   request twice, unicast to the client and multicast to the group, so a reply
   per request and path shows what works:

       unicast from 192.0.2.2: seq=1 ttl=64 hops=0 time=0.370 ms
     multicast from 192.0.2.2: seq=1 ttl=63 hops=1 time=0.404 ms

   time is the round trip, hops the routers on the way: the servers send with
   TTL 64 (hops = 64 - ttl; 128 - ttl or 255 - ttl for larger TTLs). At the end
   (COUNT requests, SIGINT): sent, received, loss (multicast: since the first
   multicast reply, as the tree needs a moment to form), rtt min/avg/max/std-dev
   and hops, per path. Exit status: 0 multicast replies came, 1 none did (or a
   failure), 2 bad usage or a bad argument.

   -s answers ssmping, asmping and mcping clients on PORT (IPv4 and IPv6, or
   one with -4/-6), as ssmpingd does: the multicast reply goes to the group the
   request names (if it is an ssmping group: 232.x.x.234, ffXe::4321:1234, or
   the default) at the client's port, from the address the request was sent
   to, with TTL 64. One line per request (not with -q). It says "mcping:
   answering ..." on standard error once its sockets are bound; it exits after
   COUNT requests (-n), after TIMEOUT_MS without one (-w), or on SIGINT/SIGTERM.

   The client receives the multicast replies through a libmulticast listener
   (source-specific join, received TTL, kernel receive timestamps); the unicast
   requests and replies, which the library does not do, use plain sockets.
   Try it inside a private network namespace: tests/netns-run. */
#define _GNU_SOURCE /* struct in_pktinfo, struct in6_pktinfo */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <multicast.h>

/* The library's last message, its hints in this tool's terms (an option,
   not the C function that sets it). */
static const char *lib_msg(void) {
    static char buf[1024];
    const char *m = mc_last_error(), *hit = strstr(m, "mc_opts_set_interface");
    if (!hit) return m;
    snprintf(buf, sizeof buf, "%.*s-I IFACE%s", (int)(hit - m), m,
             hit + strlen("mc_opts_set_interface"));
    return buf;
}


#define SSM_GROUP4 "232.43.211.234"
#define SSM_GROUP6 "ff3e::4321:1234"
#define SSMPING_PORT 4321
#define SERVER_TTL 64

/* message types and TLV types of the ssmping protocol */
#define MSG_REQUEST 'Q'
#define MSG_REPLY 'A'
#define TLV_PID 1
#define TLV_SEQ 2
#define TLV_TIMESTAMP 3
#define TLV_GROUP 4
#define TLV_RQVER 5
#define TLV_VER 6
#define TLV_REPLYSIZE 7
#define TLV_PAD 8

#define MAX_MSG 65507
#define SEEN 1024 /* replies remembered per path, for duplicates */

static const char usage_line[] =
    "usage: mcping [-46qv] [-I IFACE] [-c COUNT] [-i SECONDS] [-S SIZE] [-g GROUP] [-p PORT]\n"
    "              [-W SECONDS] HOST\n"
    "       mcping -s [-46q] [-p PORT] [-n COUNT] [-w TIMEOUT_MS]\n";

static const char usage_text[] =
    "Multicast reachability with the ssmping protocol: ask HOST (which runs ssmpingd\n"
    "or mcping -s) for replies, unicast and to a multicast group, and show per reply\n"
    "the round-trip time and the hops; or, with -s, answer such requests.\n"
    "\n"
    "  HOST          the server: an IPv4 or IPv6 address or a name\n"
    "  -4, -6        IPv4 only, IPv6 only\n"
    "  -c COUNT      send COUNT requests (default: until interrupted)\n"
    "  -i SECONDS    between requests (default 1; decimals allowed, 0.01 or more)\n"
    "  -W SECONDS    after the last request, wait this long for replies (default 1)\n"
    "  -I IFACE      join (and send) on this interface\n"
    "  -S SIZE       ask for replies of SIZE bytes (ssmping's -s)\n"
    "  -g GROUP      ask for the multicast replies on GROUP (any-source, as asmping;\n"
    "                the server accepts 224-239.x.x.234 and ffXe::4321:1234)\n"
    "  -p PORT       the server's port (default 4321)\n"
    "  -v            ask for the server's version\n"
    "  -q            quiet: only the summary\n"
    "  -s            server: answer requests (ssmpingd)\n"
    "  -n COUNT      server: exit after COUNT requests\n"
    "  -w TIMEOUT_MS server: exit after TIMEOUT_MS without a request\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 multicast replies arrived (client) or the server ended normally,\n"
    "1 no multicast reply or a failure, 2 bad usage or argument.\n";

static const char *prog = "mcping";

static void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s  (mcping --help for more)\n", prog, what, arg, end);
    exit(2);
}

static long parse_number(const char *s, long min, long max, const char *what) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s \"%s\": expected a number from %ld to %ld\n", prog, what,
                s, min, max);
        exit(2);
    }
    return v;
}

static double parse_seconds(const char *s, double min, const char *what) {
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= min) || v > 1e6 ||
        isspace((unsigned char)s[0])) {
        fprintf(stderr, "%s: bad %s \"%s\": expected seconds, %g or more\n", prog, what, s, min);
        exit(2);
    }
    return v;
}

static long long real_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p) {
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Appends a TLV; returns the new end. */
static uint8_t *tlv(uint8_t *p, unsigned type, unsigned len, const void *value) {
    put16(p, type);
    put16(p + 2, len);
    if (len) {
        if (value) memcpy(p + 4, value, len);
        else memset(p + 4, 0, len);
    }
    return p + 4 + len;
}

/* "192.0.2.1" or "fd42::1" (with %scope for link-local) */
static const char *addr_text(const struct sockaddr *sa, char *out, size_t size) {
    if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in),
                    out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, size, "?");
    return out;
}

static unsigned sa_port(const struct sockaddr_storage *ss) {
    return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                                     : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Hops from a received TTL: the senders start at 64 (or 128, 255). */
static int hops_of(int ttl) {
    if (ttl < 0) return -1;
    if (ttl <= 64) return 64 - ttl;
    if (ttl <= 128) return 128 - ttl;
    return 255 - ttl;
}

/* A square root without libm (Newton). */
static double root(double x) {
    double r = x > 1 ? x : 1;
    int i;
    if (x <= 0) return 0;
    for (i = 0; i < 200; i++) {
        double n = (r + x / r) / 2;
        if (n >= r) break;
        r = n;
    }
    return r;
}

static volatile sig_atomic_t interrupted;
static mc_poller *signal_poller;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    mc_stop(signal_poller);
}

static void catch_signals(mc_poller *p, int on) {
    struct sigaction sa;
    signal_poller = p;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ------------------------------------------------------------------------- */
/* Client */

struct path {                 /* unicast or multicast replies */
    const char *name;
    unsigned long received, dups;
    uint32_t first_seq;
    double min, max, sum, sumsq; /* ms */
    int hops_min, hops_max;
    uint32_t seen[SEEN];      /* seq + 1 per slot: duplicates */
};

struct client {
    int fd, family;
    struct sockaddr_storage server;
    uint32_t pid, seq;
    int quiet, want_version, got_version;
    unsigned size;
    const char *host_text;
    struct path uni, multi;
    uint8_t buf[MAX_MSG + 1];
};

/* Parses a reply's TLVs; 0 if it is well formed. */
static int parse_reply(const uint8_t *p, size_t n, uint32_t *pid, uint32_t *seq,
                       long long *sent_ns, const uint8_t **ver, size_t *ver_len) {
    size_t at = 1;
    int have = 0;
    *ver = NULL;
    *ver_len = 0;
    if (n < 1 || p[0] != MSG_REPLY) return -1;
    while (at + 4 <= n) {
        unsigned t = get16(p + at), l = get16(p + at + 2);
        const uint8_t *v = p + at + 4;
        if (at + 4 + l > n) return -1;
        if (t == TLV_PID && l == 4) *pid = get32(v), have |= 1;
        if (t == TLV_SEQ && l == 4) *seq = get32(v), have |= 2;
        if (t == TLV_TIMESTAMP && l == 8)
            *sent_ns = (long long)get32(v) * 1000000000LL + (long long)get32(v + 4) * 1000,
            have |= 4;
        if (t == TLV_VER && l > 0) *ver = v, *ver_len = l;
        at += 4 + l;
    }
    return have == 7 ? 0 : -1;
}

/* One reply on `path`: prints it and counts it. */
static void got_reply(struct client *c, struct path *path, const uint8_t *data, size_t n,
                      const char *from, int ttl, long long rx_ns) {
    uint32_t pid = 0, seq = 0;
    long long sent = 0;
    const uint8_t *ver;
    size_t ver_len;
    double ms;
    int hops = hops_of(ttl), dup;
    if (parse_reply(data, n, &pid, &seq, &sent, &ver, &ver_len) != 0) {
        if (!c->quiet) printf("%s: malformed %s reply from %s (%zu bytes)\n", prog, path->name, from, n);
        return;
    }
    if (pid != c->pid) {
        if (!c->quiet) printf("%s: someone else's %s reply from %s\n", prog, path->name, from);
        return;
    }
    if (ver && c->want_version && !c->got_version) {
        c->got_version = 1;
        printf("server version: %.*s\n", (int)ver_len, (const char *)ver);
    }
    ms = (double)(rx_ns - sent) / 1e6;
    dup = path->seen[seq % SEEN] == seq + 1;
    if (!c->quiet) {
        printf("%9s from %s: seq=%u ttl=%d hops=%d time=%.3f ms", path->name, from,
               (unsigned)seq, ttl, hops, ms);
        if (c->size && n != c->size) printf(" (%zu bytes, asked %u)", n, c->size);
        puts(dup ? " (DUP!)" : "");
        fflush(stdout);
    }
    if (dup) {
        path->dups++;
        return;
    }
    path->seen[seq % SEEN] = seq + 1;
    if (path->received == 0 || seq < path->first_seq) path->first_seq = seq;
    if (path->received == 0 || ms < path->min) path->min = ms;
    if (path->received == 0 || ms > path->max) path->max = ms;
    if (path->received == 0 || hops < path->hops_min) path->hops_min = hops;
    if (path->received == 0 || hops > path->hops_max) path->hops_max = hops;
    path->sum += ms;
    path->sumsq += ms * ms;
    path->received++;
}

static void on_unicast(void *user_data, int fd) {
    struct client *c = user_data;
    for (;;) {
        struct sockaddr_storage from;
        char cbuf[512], name[NI_MAXHOST];
        struct iovec iov = {c->buf, sizeof c->buf};
        struct msghdr mh;
        struct cmsghdr *cm;
        long long rx = 0;
        int ttl = -1;
        ssize_t n;
        memset(&mh, 0, sizeof mh);
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && !c->quiet)
                printf("%s: unicast: %s\n", prog, strerror(errno)); /* e.g. port unreachable */
            return;
        }
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                rx = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            } else if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
                       (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) {
                memcpy(&ttl, CMSG_DATA(cm), sizeof ttl);
            }
        }
        if (!rx) rx = real_ns();
        got_reply(c, &c->uni, c->buf, (size_t)n, addr_text((struct sockaddr *)&from, name, sizeof name),
                  ttl, rx);
    }
}

static int on_multicast(void *user_data, const mc_packet *p) {
    struct client *c = user_data;
    char name[INET6_ADDRSTRLEN] = "?";
    inet_ntop(p->from.family, p->from.ip, name, sizeof name);
    got_reply(c, &c->multi, p->data, p->len, name, p->ttl,
              p->timestamp_ns ? (long long)p->timestamp_ns : real_ns());
    return 0;
}

static void summary_line(const struct client *c, const struct path *p) {
    unsigned long sent = c->seq;
    unsigned long base = sent;
    printf("%9s: %lu repl%s", p->name, p->received, p->received == 1 ? "y" : "ies");
    if (p == &c->multi && p->received) {
        base = sent - p->first_seq + 1; /* since the first multicast reply */
        printf(", %lu%% loss since the first (seq %u)",
               base ? (base - (p->received < base ? p->received : base)) * 100 / base : 0,
               (unsigned)p->first_seq);
    } else {
        printf(", %lu%% loss", sent ? (sent - (p->received < sent ? p->received : sent)) * 100 / sent : 0);
    }
    if (p->received) {
        double avg = p->sum / (double)p->received;
        double var = p->sumsq / (double)p->received - avg * avg;
        printf(", rtt min/avg/max/std-dev = %.3f/%.3f/%.3f/%.3f ms", p->min, avg, p->max,
               root(var > 0 ? var : 0));
        if (p->hops_min == p->hops_max) printf(", hops %d", p->hops_max);
        else printf(", hops %d-%d", p->hops_min, p->hops_max);
    }
    if (p->dups) printf(", %lu duplicates", p->dups);
    putchar('\n');
}

static int is_ssm(const char *group) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, group, ip) == 1) return ip[0] == 232;
    if (inet_pton(AF_INET6, group, ip) == 1) return ip[0] == 0xff && (ip[1] >> 4) == 3;
    return 0;
}

static int run_client(int family, const char *host, const char *iface, long count,
                      double interval, double wait_end, unsigned size, const char *asm_group,
                      long port, int quiet, int version) {
    static struct client c;
    struct addrinfo hints, *res;
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    char service[16], local_text[NI_MAXHOST], server_text[NI_MAXHOST];
    const char *group;
    uint8_t req[128], *p, *seq_at, *ts_at;
    unsigned char gip[16];
    size_t req_len;
    mc_poller *poller;
    mc_listener *l;
    mc_opts *o;
    int one = 1, rc, e, ssm;
    long long start, next, end_by = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(service, sizeof service, "%ld", port);
    if ((e = getaddrinfo(host, service, &hints, &res)) != 0) {
        fprintf(stderr, "%s: cannot resolve \"%s\": %s\n", prog, host, gai_strerror(e));
        return 2;
    }
    memcpy(&c.server, res->ai_addr, res->ai_addrlen);
    c.family = res->ai_family;
    freeaddrinfo(res);
    if (asm_group) {
        if (inet_pton(c.family, asm_group, gip) != 1) {
            fprintf(stderr, "%s: group %s is not an %s address like HOST %s\n", prog, asm_group,
                    c.family == AF_INET6 ? "IPv6" : "IPv4", host);
            return 2;
        }
        group = asm_group;
    } else {
        group = c.family == AF_INET6 ? SSM_GROUP6 : SSM_GROUP4;
        inet_pton(c.family, group, gip);
    }
    ssm = is_ssm(group);

    /* the unicast socket: its port is where the multicast replies go too */
    c.fd = socket(c.family, SOCK_DGRAM, 0);
    if (c.fd < 0) {
        fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
        return 1;
    }
    setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (c.family == AF_INET6) setsockopt(c.fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    else setsockopt(c.fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    if (iface && setsockopt(c.fd, SOL_SOCKET, SO_BINDTODEVICE, iface, (socklen_t)strlen(iface)) < 0) {
        fprintf(stderr, "%s: interface %s for the unicast socket (SO_BINDTODEVICE): %s\n", prog,
                iface, strerror(errno));
        return errno == ENODEV ? 2 : 1;
    }
    if (connect(c.fd, (struct sockaddr *)&c.server,
                c.family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0 ||
        getsockname(c.fd, (struct sockaddr *)&local, &len) < 0) {
        fprintf(stderr, "%s: no way to %s: %s\n", prog, host, strerror(errno));
        return 1;
    }
    addr_text((struct sockaddr *)&local, local_text, sizeof local_text);
    addr_text((struct sockaddr *)&c.server, server_text, sizeof server_text);

    /* the multicast replies: a listener on (HOST, G) at our port; a link-local
       HOST's scope is the interface to join on */
    {
        char *pct = strchr(server_text, '%');
        if (pct) {
            *pct = '\0';
            if (!iface) iface = pct + 1;
        }
    }
    if ((rc = mc_poller_new(&poller)) < 0) goto lib_failed;
    o = mc_opts_new();
    if (!o) goto lib_failed;
    if ((rc = mc_opts_set_group(o, group)) < 0 ||
        (rc = mc_opts_set_port(o, (uint16_t)sa_port(&local))) < 0 ||
        (ssm && (rc = mc_opts_set_source(o, server_text)) < 0) ||
        (iface && (rc = mc_opts_set_interface(o, iface)) < 0) ||
        (rc = mc_opts_set_recv_ttl(o, 1)) < 0 || (rc = mc_opts_set_timestamps(o, 1)) < 0 ||
        (rc = mc_listener_new(poller, o, on_multicast, &c, &l)) < 0) {
        mc_opts_free(o);
        goto lib_failed;
    }
    mc_opts_free(o);
    if ((rc = mc_register(poller, c.fd, MC_READ, on_unicast, NULL, &c)) < 0) goto lib_failed;

    /* the request: Q, PID, SEQ, TIMESTAMP, [RQVER], [REPLYSIZE], GROUP */
    c.pid = (uint32_t)getpid();
    c.quiet = quiet;
    c.want_version = version;
    c.size = size;
    c.uni.name = "unicast";
    c.multi.name = "multicast";
    p = req;
    *p++ = MSG_REQUEST;
    put32(p + 4, c.pid);
    p = tlv(p, TLV_PID, 4, p + 4);
    seq_at = p + 4;
    p = tlv(p, TLV_SEQ, 4, NULL);
    ts_at = p + 4;
    p = tlv(p, TLV_TIMESTAMP, 8, NULL);
    if (version) p = tlv(p, TLV_RQVER, 0, NULL);
    if (size) {
        uint8_t s2[2];
        put16(s2, size);
        p = tlv(p, TLV_REPLYSIZE, 2, s2);
    }
    {
        uint8_t g[17];
        g[0] = c.family == AF_INET6 ? 2 : 1; /* IANA address family */
        memcpy(g + 1, gip, c.family == AF_INET6 ? 16 : 4);
        p = tlv(p, TLV_GROUP, c.family == AF_INET6 ? 17 : 5, g);
    }
    req_len = (size_t)(p - req);

    printf("%s: joined (S,G) = (%s, %s) port %u%s%s\n", prog, ssm ? server_text : "*", group,
           sa_port(&local), iface ? " on " : "", iface ? iface : "");
    printf("%s: pinging %s port %ld from %s\n", prog, server_text, port, local_text);
    fflush(stdout);

    catch_signals(poller, 1);
    start = next = mono_ns();
    while (!interrupted) {
        long long now = mono_ns(), wake;
        int timeout;
        if (end_by) {
            if (now >= end_by) break;
            if (c.uni.received >= c.seq && c.multi.received >= c.seq)
                break; /* every reply is in */
        }
        if (!end_by && now >= next) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            c.seq++;
            put32(seq_at, c.seq);
            put32(ts_at, (uint32_t)ts.tv_sec);
            put32(ts_at + 4, (uint32_t)(ts.tv_nsec / 1000));
            if (send(c.fd, req, req_len, 0) < 0 && !quiet)
                printf("%s: send to %s: %s\n", prog, server_text, strerror(errno));
            next += (long long)(interval * 1e9);
            if (count > 0 && c.seq >= (unsigned long)count)
                end_by = now + (long long)(wait_end * 1e9);
            continue;
        }
        wake = end_by ? end_by : next;
        timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        if ((rc = mc_poll(poller, timeout)) < 0) goto lib_failed;
    }
    catch_signals(poller, 0);

    printf("\n--- %s mcping statistics ---\n", server_text);
    printf("%u request%s sent in %.3f s\n", (unsigned)c.seq, c.seq == 1 ? "" : "s",
           (double)(mono_ns() - start) / 1e9);
    summary_line(&c, &c.uni);
    summary_line(&c, &c.multi);
    mc_unregister(poller, c.fd);
    mc_poller_free(poller);
    close(c.fd);
    if (c.multi.received == 0) {
        fprintf(stderr, "%s: no multicast reply from %s%s\n", prog, server_text,
                c.uni.received ? " (unicast replies came)" : " (nor any unicast reply)");
        return 1;
    }
    return 0;

lib_failed:
    fprintf(stderr, "%s: %s\n", prog, lib_msg());
    return rc == MC_EINVAL || rc == MC_EADDRESS ? 2 : 1;
}

/* ------------------------------------------------------------------------- */
/* Server */

struct server {
    int fd[2], nfd;
    long count;           /* 0: no limit */
    unsigned long answered;
    int quiet;
    long long last;       /* monotonic ns of the last request */
    uint8_t in[MAX_MSG + 1], out[MAX_MSG + 1];
};

static const char server_version[] = "mcping (libmulticast) [asm][size]";

/* An ssmping group: 224-239.x.x.234, or ffXY::...:4321:1234 (as ssmpingd). */
static int group_ok(int family, const uint8_t *ip) {
    static const uint8_t id[4] = {0x43, 0x21, 0x12, 0x34};
    if (family == AF_INET) return (ip[0] & 0xf0) == 0xe0 && ip[3] == 234;
    return ip[0] == 0xff && memcmp(ip + 12, id, 4) == 0;
}

static void on_request(void *user_data, int fd) {
    struct server *s = user_data;
    for (;;) {
        struct sockaddr_storage from, to;
        char cbuf[512], name[NI_MAXHOST], gname[NI_MAXHOST];
        struct iovec iov = {s->in, sizeof s->in};
        struct msghdr mh;
        struct cmsghdr *cm;
        ssize_t n;
        size_t at = 1, out_len;
        int rqver = 0, family, have_group = 0;
        unsigned rqsize = 0, seq = 0;
        uint8_t gip[16];
        uint8_t *p;
        const char *why = NULL;

        memset(&mh, 0, sizeof mh);
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) return;
        family = from.ss_family;
        if (n < 1 || s->in[0] != MSG_REQUEST) continue; /* not a request (our own reply?) */
        addr_text((struct sockaddr *)&from, name, sizeof name);
        while (at + 4 <= (size_t)n) {
            unsigned t = get16(s->in + at), l = get16(s->in + at + 2);
            const uint8_t *v = s->in + at + 4;
            if (at + 4 + l > (size_t)n) {
                why = "malformed";
                break;
            }
            if (t == TLV_RQVER) rqver = 1;
            if (t == TLV_REPLYSIZE && l == 2) rqsize = get16(v);
            if (t == TLV_SEQ && l == 4) seq = get32(v);
            if (t == TLV_GROUP && l >= 1) {
                if (v[0] == 1 && l == 5 && family == AF_INET) memcpy(gip, v + 1, 4), have_group = 1;
                else if (v[0] == 2 && l == 17 && family == AF_INET6)
                    memcpy(gip, v + 1, 16), have_group = 1;
                else why = "a group of another family";
            }
            at += 4 + l;
        }
        if (why && strcmp(why, "malformed") == 0) {
            if (!s->quiet) printf("malformed request from %s (%zd bytes): ignored\n", name, n);
            continue;
        }
        /* the reply: A, the request's TLVs, [VER], [PAD to the size asked] */
        s->out[0] = MSG_REPLY;
        memcpy(s->out + 1, s->in + 1, (size_t)n - 1);
        p = s->out + n;
        if (rqver) p = tlv(p, TLV_VER, (unsigned)strlen(server_version), server_version);
        out_len = (size_t)(p - s->out);
        if (rqsize && rqsize <= MAX_MSG && out_len + 4 <= rqsize) {
            p = tlv(p, TLV_PAD, (unsigned)(rqsize - out_len - 4), NULL);
            out_len = rqsize;
        }
        /* unicast, from the address the request came to (its pktinfo, ifindex 0) */
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof pi);
                pi.ipi_ifindex = 0;
                pi.ipi_spec_dst = pi.ipi_addr;
                memcpy(CMSG_DATA(cm), &pi, sizeof pi);
            } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof pi);
                if (!IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr)) pi.ipi6_ifindex = 0;
                memcpy(CMSG_DATA(cm), &pi, sizeof pi);
            }
        }
        iov.iov_base = s->out;
        iov.iov_len = out_len;
        if (sendmsg(fd, &mh, 0) < 0 && !s->quiet)
            printf("unicast reply to %s: %s\n", name, strerror(errno));
        /* multicast, to the group at the client's port */
        to = from;
        if (!have_group) inet_pton(family, family == AF_INET6 ? SSM_GROUP6 : SSM_GROUP4, gip);
        if (family == AF_INET6) {
            memcpy(&((struct sockaddr_in6 *)&to)->sin6_addr, gip, 16);
            ((struct sockaddr_in6 *)&to)->sin6_scope_id = 0;
        } else {
            memcpy(&((struct sockaddr_in *)&to)->sin_addr, gip, 4);
        }
        addr_text((struct sockaddr *)&to, gname, sizeof gname);
        if (!why && !group_ok(family, gip)) why = "not an ssmping group";
        if (!why) {
            mh.msg_name = &to;
            if (sendmsg(fd, &mh, 0) < 0) why = strerror(errno);
        }
        s->answered++;
        s->last = mono_ns();
        if (!s->quiet) {
            if (why)
                printf("request from %s port %u seq %u: replied unicast; not to %s: %s\n", name,
                       sa_port(&from), seq, gname, why);
            else
                printf("request from %s port %u seq %u: replied unicast and to %s port %u\n",
                       name, sa_port(&from), seq, gname, sa_port(&from));
            fflush(stdout);
        }
        if (s->count > 0 && s->answered >= (unsigned long)s->count) {
            mc_stop(signal_poller);
            return;
        }
    }
}

static int run_server(int family, long port, long count, long timeout, int quiet) {
    static struct server s;
    int families[2], nf = 0, i, rc;
    mc_poller *poller;
    char what[64] = "";
    s.count = count;
    s.quiet = quiet;
    if (family != AF_INET) families[nf++] = AF_INET6;
    if (family != AF_INET6) families[nf++] = AF_INET;
    if ((rc = mc_poller_new(&poller)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, lib_msg());
        return 1;
    }
    for (i = 0; i < nf; i++) {
        int fd = socket(families[i], SOCK_DGRAM, 0), one = 1, ttl = SERVER_TTL;
        struct sockaddr_storage ss;
        socklen_t len;
        memset(&ss, 0, sizeof ss);
        if (fd < 0) {
            fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
            return 1;
        }
        if (families[i] == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            a->sin6_port = htons((uint16_t)port);
            a->sin6_addr = in6addr_any;
            len = sizeof *a;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
            setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
            setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            a->sin_port = htons((uint16_t)port);
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            len = sizeof *a;
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
            setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        }
        if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
            int err = errno;
            close(fd);
            if (family == AF_UNSPEC && families[i] == AF_INET6 && err == EAFNOSUPPORT) continue;
            fprintf(stderr, "%s: bind to %s port %ld: %s\n", prog,
                    families[i] == AF_INET6 ? "[::]" : "0.0.0.0", port, strerror(err));
            return 1;
        }
        if ((rc = mc_register(poller, fd, MC_READ, on_request, NULL, &s)) < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            return 1;
        }
        s.fd[s.nfd++] = fd;
        strcat(what, s.nfd > 1 ? " and " : "");
        strcat(what, families[i] == AF_INET6 ? "IPv6" : "IPv4");
    }
    catch_signals(poller, 1);
    fprintf(stderr, "%s: answering ssmping requests on port %ld (%s)\n", prog, port, what);
    fflush(stderr);
    s.last = mono_ns();
    while (!interrupted && !(count > 0 && s.answered >= (unsigned long)count)) {
        int wait = -1;
        if (timeout >= 0) {
            long long left = s.last + timeout * 1000000LL - mono_ns();
            if (left <= 0) break;
            wait = (int)((left + 999999) / 1000000);
        }
        if ((rc = mc_poll(poller, wait)) < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            return 1;
        }
    }
    catch_signals(poller, 0);
    for (i = 0; i < s.nfd; i++) {
        mc_unregister(poller, s.fd[i]);
        close(s.fd[i]);
    }
    mc_poller_free(poller);
    fprintf(stderr, "%s: answered %lu requests\n", prog, s.answered);
    return 0;
}

int main(int argc, char **argv) {
    int opt, i, family = AF_UNSPEC, server = 0, quiet = 0, version = 0;
    long count = 0, port = SSMPING_PORT, timeout = -1, size = 0;
    double interval = 1, wait_end = 1;
    const char *iface = NULL, *group = NULL;
    int client_only = 0, server_only = 0;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_line, stdout);
            fputs(usage_text, stdout);
            return 0;
        }
    }
    opterr = 0;
    while ((opt = getopt(argc, argv, "h46qvsI:c:i:S:g:p:W:n:w:")) != -1) {
        switch (opt) {
        case 'h': fputs(usage_line, stdout); fputs(usage_text, stdout); return 0;
        case '4': family = AF_INET; break;
        case '6': family = AF_INET6; break;
        case 'q': quiet = 1; break;
        case 'v': version = 1, client_only = 'v'; break;
        case 's': server = 1; break;
        case 'I': iface = optarg, client_only = 'I'; break;
        case 'c': count = parse_number(optarg, 1, INT_MAX, "COUNT"), client_only = 'c'; break;
        case 'i': interval = parse_seconds(optarg, 0.01, "SECONDS (-i)"), client_only = 'i'; break;
        case 'W': wait_end = parse_seconds(optarg, 0.001, "SECONDS (-W)"), client_only = 'W'; break;
        case 'S': size = parse_number(optarg, 1, 65507, "SIZE"), client_only = 'S'; break;
        case 'g': group = optarg, client_only = 'g'; break;
        case 'p': port = parse_number(optarg, 1, 65535, "PORT"); break;
        case 'n': count = parse_number(optarg, 1, INT_MAX, "COUNT"), server_only = 'n'; break;
        case 'w': timeout = parse_number(optarg, 0, INT_MAX, "TIMEOUT_MS"), server_only = 'w'; break;
        default: {
            char o[2] = {(char)optopt, '\0'};
            if (strchr("IciSgpWnw", optopt)) usage_error("option -", o, " needs a value");
            usage_error("unknown option -", o, "");
        }
        }
    }
    if (server) {
        if (client_only) {
            char o[2] = {(char)client_only, '\0'};
            usage_error("option -", o, " is for the client, not with -s");
        }
        if (argc - optind > 0) usage_error("unexpected argument \"", argv[optind], "\" with -s");
        return run_server(family, port, count, timeout, quiet);
    }
    if (server_only) {
        char o[2] = {(char)server_only, '\0'};
        usage_error("option -", o, " is for the server (-s)");
    }
    if (argc - optind < 1) usage_error("HOST is required (or -s to answer requests)", "", "");
    if (argc - optind > 1) usage_error("unexpected argument \"", argv[optind + 1], "\"");
    return run_client(family, argv[optind], iface, count, interval, wait_end, (unsigned)size,
                      group, port, quiet, version);
}
