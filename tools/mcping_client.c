/* mcping_client.c - the mcping client: a request to the server every
   SECONDS, the replies on two paths (unicast on its socket, multicast through
   a libmulticast listener on the same port), a line per reply and a summary
   per path. */
#define _GNU_SOURCE /* struct in_pktinfo, struct in6_pktinfo */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include "mcping.h"

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
        unsigned t = get_be16(p + at), l = get_be16(p + at + 2);
        const uint8_t *v = p + at + 4;
        if (at + 4 + l > n) return -1;
        if (t == TLV_PID && l == 4) *pid = get_be32(v), have |= 1;
        if (t == TLV_SEQ && l == 4) *seq = get_be32(v), have |= 2;
        if (t == TLV_TIMESTAMP && l == 8)
            *sent_ns = (long long)get_be32(v) * 1000000000LL + (long long)get_be32(v + 4) * 1000,
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
        if (!c->quiet)
            printf("%s: malformed %s reply from %s (%zu byte%s)\n", prog, path->name, from, n,
                   plural(n));
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
        if (c->size && n != c->size) printf(" (%zu byte%s, asked %u)", n, plural(n), c->size);
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
        n = recv_datagram(fd, &mh, &iov, &from, cbuf, sizeof cbuf);
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
    if (p->dups) printf(", %lu duplicate%s", p->dups, plural(p->dups));
    putchar('\n');
}

/* Exits 2 if HOST, resolved to `sa`, is not a unicast address: a group (the
   user meant -g GROUP), or 0.0.0.0 / ::. */
static void not_a_server(const struct sockaddr_storage *sa, const char *host) {
    char text[NI_MAXHOST], what[NI_MAXHOST + 64];
    int group, any;
    if (sa->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        group = IN6_IS_ADDR_MULTICAST(a), any = IN6_IS_ADDR_UNSPECIFIED(a);
    } else {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        group = IN_MULTICAST(a), any = a == INADDR_ANY;
    }
    if (!group && !any) return;
    addr_text((const struct sockaddr *)sa, text, sizeof text);
    if (strcmp(text, host) == 0) snprintf(what, sizeof what, "\"%s\"", host);
    else snprintf(what, sizeof what, "\"%s\" (%s)", host, text);
    usage_error("HOST ", what,
                group ? " is a multicast group: HOST must be a unicast address, the ssmping "
                        "server to ping (-g GROUP takes the group)"
                      : " is the unspecified address: HOST must be a unicast address, the "
                        "ssmping server to ping");
}

static int is_ssm(const char *group) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, group, ip) == 1) return ip[0] == 232;
    if (inet_pton(AF_INET6, group, ip) == 1) return ip[0] == 0xff && (ip[1] >> 4) == 3;
    return 0;
}

int run_client(int family, const char *host, const char *iface, long count,
               long long interval, long long wait_end, unsigned size, const char *asm_group,
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
    not_a_server(&c.server, host);
    if (asm_group) {
        if (inet_pton(c.family, asm_group, gip) != 1) { /* a group (mcping.c) of the other family */
            char end[NI_MAXHOST + 64];
            snprintf(end, sizeof end, "\": not an %s address like HOST \"%s\"",
                     c.family == AF_INET6 ? "IPv6" : "IPv4", host);
            usage_error("bad GROUP (-g) \"", asm_group, end);
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
    put_be32(p + 4, c.pid);
    p = tlv(p, TLV_PID, 4, p + 4);
    seq_at = p + 4;
    p = tlv(p, TLV_SEQ, 4, NULL);
    ts_at = p + 4;
    p = tlv(p, TLV_TIMESTAMP, 8, NULL);
    if (version) p = tlv(p, TLV_RQVER, 0, NULL);
    if (size) {
        uint8_t s2[2];
        put_be16(s2, size);
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
        if (end_by) {
            if (now >= end_by) break;
            if (c.uni.received >= c.seq && c.multi.received >= c.seq)
                break; /* every reply is in */
        }
        if (!end_by && now >= next) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            c.seq++;
            put_be32(seq_at, c.seq);
            put_be32(ts_at, (uint32_t)ts.tv_sec);
            put_be32(ts_at + 4, (uint32_t)(ts.tv_nsec / 1000));
            if (send(c.fd, req, req_len, 0) < 0 && !quiet)
                printf("%s: send to %s: %s\n", prog, server_text, strerror(errno));
            next += interval;
            if (count > 0 && c.seq >= (unsigned long)count)
                end_by = now + wait_end;
            continue;
        }
        wake = end_by ? end_by : next;
        if ((rc = mc_poll(poller, ms_until(wake, now))) < 0) goto lib_failed;
    }
    catch_signals(poller, 0);

    printf("\n--- %s mcping statistics ---\n", server_text);
    printf("%u request%s sent in %.3f s\n", (unsigned)c.seq, plural(c.seq),
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
