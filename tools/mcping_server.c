/* mcping_server.c - mcping -s, the server (as ssmpingd): every request is
   answered twice from the address it was sent to, unicast to the client (from
   the server's socket: port 4321, the request's own address by IP_PKTINFO)
   and multicast to the group it names (an ssmping group) at the client's port
   (through the library's sender, bound to that address: mc_opts_set_send_from),
   with TTL 64. */
#define _GNU_SOURCE /* struct in_pktinfo, struct in6_pktinfo */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include "mcping.h"

struct server {
    int fd[2], nfd;
    long count;           /* 0: no limit */
    unsigned long answered;
    int quiet;
    long long last;       /* monotonic ns of the last request */
    mc_poller *poller;    /* stopped once `count` requests were answered */
    uint8_t in[MAX_MSG + 1], out[MAX_MSG + 1];
};

static const char server_version[] = "mcping (libmulticast) [asm][size]";

/* Sends the multicast reply (`len` bytes at `data`) to the group `gip` at
   `port` with TTL 64 from `from`, the address the request was sent to
   (link-local: with its scope), through the library's sender; a scoped
   group goes out on interface `ifindex`. NULL, or why it was not sent. */
static const char *send_multicast(int family, const uint8_t *gip, unsigned port,
                                  const char *from, unsigned ifindex, const uint8_t *data,
                                  size_t len) {
    static char why[512];
    char group[INET6_ADDRSTRLEN], iface[16];
    int rc, scoped = family == AF_INET6 && (gip[1] & 0x0f) <= 2;
    mc_opts *o = mc_opts_new();
    if (!o) return "out of memory";
    ip_text(family, gip, group, sizeof group);
    snprintf(iface, sizeof iface, "%u", ifindex);
    why[0] = '\0';
    if ((rc = mc_opts_set_group(o, group)) < 0 || (rc = mc_opts_set_port(o, (uint16_t)port)) < 0 ||
        (rc = mc_opts_set_ttl(o, SERVER_TTL)) < 0 ||
        (rc = mc_opts_set_send_from(o, from, 0)) < 0 ||
        (scoped && ifindex && (rc = mc_opts_set_interface(o, iface)) < 0) ||
        (rc = mc_sendto_opts(o, data, len)) < 0)
        snprintf(why, sizeof why, "%s", lib_msg()[0] ? lib_msg() : mc_strerror(rc));
    mc_opts_free(o);
    return why[0] ? why : NULL;
}

/* An ssmping group: 224-239.x.x.234, or ffXY::...:4321:1234 (as ssmpingd). */
static int group_ok(int family, const uint8_t *ip) {
    static const uint8_t id[4] = {0x43, 0x21, 0x12, 0x34};
    if (family == AF_INET) return (ip[0] & 0xf0) == 0xe0 && ip[3] == 234;
    return ip[0] == 0xff && memcmp(ip + 12, id, 4) == 0;
}

static void on_request(void *user_data, int fd) {
    struct server *s = user_data;
    for (;;) {
        struct sockaddr_storage from;
        char cbuf[512], name[NI_MAXHOST], gname[NI_MAXHOST], asked[NI_MAXHOST] = "";
        struct iovec iov = {s->in, sizeof s->in};
        struct msghdr mh;
        struct cmsghdr *cm;
        ssize_t n;
        size_t at = 1, out_len;
        int rqver = 0, family, have_group = 0;
        unsigned rqsize = 0, seq = 0, ifindex = 0;
        uint8_t gip[16];
        uint8_t *p;
        const char *why = NULL;

        n = recv_datagram(fd, &mh, &iov, &from, cbuf, sizeof cbuf);
        if (n < 0) return;
        family = from.ss_family;
        if (n < 1 || s->in[0] != MSG_REQUEST) continue; /* not a request (our own reply?) */
        addr_text((struct sockaddr *)&from, name, sizeof name);
        while (at + 4 <= (size_t)n) {
            unsigned t = get_be16(s->in + at), l = get_be16(s->in + at + 2);
            const uint8_t *v = s->in + at + 4;
            if (at + 4 + l > (size_t)n) {
                why = "malformed";
                break;
            }
            if (t == TLV_RQVER) rqver = 1;
            if (t == TLV_REPLYSIZE && l == 2) rqsize = get_be16(v);
            if (t == TLV_SEQ && l == 4) seq = get_be32(v);
            if (t == TLV_GROUP && l >= 1) {
                if (v[0] == 1 && l == 5 && family == AF_INET) memcpy(gip, v + 1, 4), have_group = 1;
                else if (v[0] == 2 && l == 17 && family == AF_INET6)
                    memcpy(gip, v + 1, 16), have_group = 1;
                else why = "a group of another family";
            }
            at += 4 + l;
        }
        if (why && strcmp(why, "malformed") == 0) {
            if (!s->quiet) printf("malformed request from %s (%zd byte%s): ignored\n", name, n,
                                   plural((unsigned long long)n));
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
        /* unicast, from the address the request was sent to (its pktinfo, ifindex 0),
           which `asked` keeps (link-local: with its scope) for the multicast reply */
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
                struct in_pktinfo pi;
                memcpy(&pi, CMSG_DATA(cm), sizeof pi);
                ifindex = (unsigned)pi.ipi_ifindex;
                ip_text(AF_INET, (const uint8_t *)&pi.ipi_addr, asked, sizeof asked);
                pi.ipi_ifindex = 0;
                pi.ipi_spec_dst = pi.ipi_addr;
                memcpy(CMSG_DATA(cm), &pi, sizeof pi);
            } else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
                struct in6_pktinfo pi;
                size_t at;
                memcpy(&pi, CMSG_DATA(cm), sizeof pi);
                ifindex = pi.ipi6_ifindex;
                ip_text(AF_INET6, pi.ipi6_addr.s6_addr, asked, sizeof asked);
                at = strlen(asked);
                if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
                    snprintf(asked + at, sizeof asked - at, "%%%u", ifindex);
                else
                    pi.ipi6_ifindex = 0;
                memcpy(CMSG_DATA(cm), &pi, sizeof pi);
            }
        }
        iov.iov_base = s->out;
        iov.iov_len = out_len;
        if (sendmsg(fd, &mh, 0) < 0 && !s->quiet)
            printf("unicast reply to %s: %s\n", name, strerror(errno));
        /* multicast, to the group at the client's port */
        if (!have_group) inet_pton(family, family == AF_INET6 ? SSM_GROUP6 : SSM_GROUP4, gip);
        ip_text(family, gip, gname, sizeof gname);
        if (!why && !group_ok(family, gip)) why = "not an ssmping group";
        if (!why)
            why = send_multicast(family, gip, sa_port(&from), asked, ifindex, s->out, out_len);
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
            mc_stop(s->poller);
            return;
        }
    }
}

int run_server(int family, long port, long count, long long timeout, int quiet) {
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
    s.poller = poller;
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
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            a->sin_port = htons((uint16_t)port);
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            len = sizeof *a;
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
            setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
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
            long long left = s.last + timeout - mono_ns();
            if (left <= 0) {
                /* Why it stops, before what it did (as mclisten -w). */
                fprintf(stderr, "%s: no request for %g ms: done\n", prog, (double)timeout / 1e6);
                break;
            }
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
    fprintf(stderr, "%s: answered %lu request%s\n", prog, s.answered, plural(s.answered));
    return 0;
}
