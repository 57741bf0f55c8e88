/* send_from.c - mc_addr_format, and mc_opts_set_send_from on lo (tests/netns-run):
 * a listener sees the bound address and port as mc_packet.from; the port is shared
 * with a listener and the send socket does not receive the group's traffic; an
 * address the host lacks, bad strings, NULL opts, the other family.
 *
 *   send_from CASE
 *   CASE: format v4 shared refused
 *
 * Groups 239.9.9.x, ports 51xx (sent to) and 401xx (sent from) are this program's.
 * Over veth (the peer's view, IPv6 link-local): send_from_veth.c.
 */
#define _GNU_SOURCE
#include "veth.h"

#include <errno.h>
#include <sys/stat.h>

static mc_addr addr_of(const char *ip, uint16_t port, uint32_t scope) {
    mc_addr a;
    memset(&a, 0, sizeof a);
    a.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
    a.port = port;
    a.scope_id = scope;
    CHECK(inet_pton(a.family, ip, a.ip) == 1);
    return a;
}

/* mc_addr_format of a must be `want` (also with a buffer of exactly its size). */
static void expect_format(mc_addr a, const char *want) {
    char buf[MC_ADDR_STRLEN], tight[MC_ADDR_STRLEN];
    int n = (int)strlen(want);
    memset(buf, 'x', sizeof buf);
    CHECK_RC(mc_addr_format(&a, buf, sizeof buf), n);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "mc_addr_format: \"%s\", want \"%s\"\n", buf, want);
        check_failures++;
    }
    CHECK_RC(mc_addr_format(&a, tight, (size_t)n + 1), n);
    CHECK(strcmp(tight, want) == 0);
    memset(tight, 'x', sizeof tight);
    CHECK_RC(mc_addr_format(&a, tight, (size_t)n), -ENOSPC);
    CHECK(tight[0] == 0);
    CHECK_MSG(want);
}

static void test_format(void) {
    char buf[8] = "keep";
    mc_addr a;
    expect_format(addr_of("192.0.2.1", 5000, 0), "192.0.2.1:5000");
    expect_format(addr_of("0.0.0.0", 0, 0), "0.0.0.0:0");
    expect_format(addr_of("ff05::1", 5000, 0), "[ff05::1]:5000");
    expect_format(addr_of("fe80::1", 5000, 1), "[fe80::1%lo]:5000");
    expect_format(addr_of("fe80::1", 5000, 4000000000u), "[fe80::1%4000000000]:5000");
    /* the longest: 8 full groups, a 10-digit scope, a 5-digit port */
    a = addr_of("fe80:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 4294967295u);
    expect_format(a, "[fe80:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535");
    /* len 0: nothing written */
    a = addr_of("192.0.2.1", 5000, 0);
    CHECK_RC(mc_addr_format(&a, buf, 0), -ENOSPC);
    CHECK(strcmp(buf, "keep") == 0);
    CHECK_RC(mc_addr_format(NULL, buf, sizeof buf), MC_EINVAL);
    CHECK_MSG("addr");
    CHECK_RC(mc_addr_format(&a, NULL, 64), MC_EINVAL);
    CHECK_MSG("buf");
    a.family = 0;
    CHECK_RC(mc_addr_format(&a, buf, sizeof buf), MC_EINVAL);
    a.family = AF_UNIX;
    CHECK_RC(mc_addr_format(&a, buf, sizeof buf), MC_EINVAL);
    CHECK_MSG("family");
}

/* opts for group:port on the system's interface (lo), sending from address:from_port. */
static mc_opts *from_opts(const char *group, int port, const char *address, uint16_t from_port) {
    mc_opts *o = opts_for(group, port, NULL);
    CHECK_RC(mc_opts_set_send_from(o, address, from_port), 0);
    return o;
}

static void send_one(const mc_opts *o, const char *payload) {
    CHECK_RC(mc_sendto_opts(o, payload, strlen(payload)), (int)strlen(payload));
}

/* The next packet of l is payload from ip (port: 0 = any but 0); returns its port. */
static uint16_t expect_from(mc_listener *l, const char *payload, const char *ip, uint16_t port) {
    const mc_packet *p = NULL;
    char b[MC_ADDR_STRLEN];
    if (!l || mc_listener_next(l, &p, WAIT_MS) != 1 || !p) {
        fprintf(stderr, "\"%s\" did not arrive: %s\n", payload, mc_last_error());
        check_failures++;
        return 0;
    }
    CHECK(mc_addr_format(&p->from, b, sizeof b) > 0);
    printf("  got \"%.*s\" from %s\n", (int)p->len, (const char *)p->data, b);
    CHECK(payload_is(p, payload));
    if (!ip_is(&p->from, ip) || (port ? p->from.port != port : p->from.port == 0)) {
        fprintf(stderr, "\"%s\" came from %s, want %s port %u\n", payload, b, ip, port);
        check_failures++;
    }
    return p->from.port;
}

static int next_wait(void *user_data, const uint8_t **data, size_t *len) {
    (void)user_data; (void)data; (void)len;
    return MC_NEXT_WAIT;
}

/* A listener sees the bound address and port: mc_sendto_opts and a multicaster; port 0
   is an ephemeral one; opts that differ only in send-from never share a socket. */
static void test_v4(void) {
    const char *G = "239.9.9.1";
    mc_poller *poller = NULL;
    mc_listener *l;
    mc_multicaster *m = NULL;
    mc_opts *o, *plain;
    uint16_t p1, p2;

    CHECK_RC(mc_poller_new(&poller), 0);
    l = listen_on(poller, G, 5101, NULL, NULL);

    o = from_opts(G, 5101, "127.0.0.2", 40101);
    send_one(o, "from .2:40101");
    expect_from(l, "from .2:40101", "127.0.0.2", 40101);
    CHECK_RC(mc_multicaster_new(poller, o, next_wait, NULL, &m), 0);
    if (m) {
        CHECK_RC(mc_multicaster_send(m, "multicaster", 11), 11);
        expect_from(l, "multicaster", "127.0.0.2", 40101);
        mc_multicaster_close(m);
    }

    CHECK_RC(mc_opts_set_send_from(o, "127.0.0.3", 0), 0);
    send_one(o, "from .3, ephemeral");
    CHECK(expect_from(l, "from .3, ephemeral", "127.0.0.3", 0) != 40101);

    /* the same opts but for send-from: one socket each, used again */
    plain = opts_for(G, 5101, NULL);
    CHECK_RC(mc_opts_set_send_from(o, NULL, 40102), 0);
    send_one(plain, "plain 1");
    p1 = expect_from(l, "plain 1", "127.0.0.1", 0);
    send_one(o, "any:40102 1");
    expect_from(l, "any:40102 1", "127.0.0.1", 40102);
    send_one(plain, "plain 2");
    p2 = expect_from(l, "plain 2", "127.0.0.1", p1);
    send_one(o, "any:40102 2");
    expect_from(l, "any:40102 2", "127.0.0.1", 40102);
    CHECK(p1 != 40102 && p2 == p1);

    mc_opts_free(plain);
    mc_opts_free(o);
    mc_listener_close(l);
    mc_poller_free(poller);
}

/* The rx_queue of the UDP sockets bound to 0.0.0.0:port other than inode `not`;
   -1 if there is none. */
static long rx_queue_of_others(int port, unsigned long not) {
    char line[512];
    long worst = -1;
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f) { perror("/proc/net/udp"); check_failures++; return -1; }
    while (fgets(line, sizeof line, f)) {
        unsigned laddr, lport, raddr, rport, st, txq, rxq;
        unsigned long ino;
        if (sscanf(line, " %*d: %x:%x %x:%x %x %x:%x %*x:%*x %*x %*u %*u %lu", &laddr, &lport,
                   &raddr, &rport, &st, &txq, &rxq, &ino) != 8)
            continue;
        if (laddr == 0 && (int)lport == port && ino != not) {
            printf("  /proc/net/udp: 0.0.0.0:%d inode %lu rx_queue %u\n", port, ino, rxq);
            if ((long)rxq > worst) worst = rxq;
        }
    }
    fclose(f);
    return worst;
}

/* A listener of group:PORT and a sender bound to any:PORT coexist; the sender's socket
   does not queue the group's traffic, which a plain socket bound the same way does
   (the control). */
static void test_shared(void) {
    const char *G = "239.9.9.2";
    const int P = 5102;
    struct sockaddr_in sin;
    struct stat st;
    mc_poller *poller = NULL;
    mc_listener *l;
    mc_opts *o;
    char buf[64];
    int ctl, one = 1, got = 0, i;
    long end;

    CHECK_RC(mc_poller_new(&poller), 0);
    l = listen_on(poller, G, P, NULL, NULL);
    ctl = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    CHECK(ctl >= 0 && setsockopt(ctl, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(P);
    CHECK(bind(ctl, (struct sockaddr *)&sin, sizeof sin) == 0);
    CHECK(fstat(ctl, &st) == 0);

    o = from_opts(G, P, NULL, P);
    for (i = 0; i < 3; i++) send_one(o, "shared");
    for (i = 0; i < 3; i++) expect_from(l, "shared", "127.0.0.1", P);
    for (end = now_ms() + WAIT_MS; got < 3 && now_ms() < end;) {
        if (recv(ctl, buf, sizeof buf, 0) > 0) got++;
        else poll(NULL, 0, 5);
    }
    CHECK(got == 3); /* a socket bound to any:PORT gets the group's traffic by default */
    CHECK(rx_queue_of_others(P, (unsigned long)st.st_ino) == 0);
    close(ctl);
    mc_opts_free(o);
    mc_listener_close(l);
    mc_poller_free(poller);
}

/* An address the host lacks, bad strings, NULL opts, the other family; a refused
   setting leaves the opts as they were. */
static void test_refused(void) {
    static const char *bad[] = { "", "nonsense", "239.1.1.1", "ff05::1", "0.0.0.0", "::",
                                 "255.255.255.255", "fe80::1", "fe80::1%nosuch0", "fe80::1%",
                                 "127.0.0.2%lo", "127.0.0.2:80" };
    const char *G = "239.9.9.3";
    mc_poller *poller = NULL;
    mc_multicaster *m = NULL;
    mc_listener *l;
    mc_opts *o;
    size_t i;

    CHECK_RC(mc_poller_new(&poller), 0);
    l = listen_on(poller, G, 5103, NULL, NULL);

    o = from_opts(G, 5103, "192.0.2.99", 0);
    CHECK_RC(mc_sendto_opts(o, "x", 1), -EADDRNOTAVAIL);
    CHECK_MSG("192.0.2.99");
    m = (mc_multicaster *)&m;
    CHECK_RC(mc_multicaster_new(poller, o, next_wait, NULL, &m), -EADDRNOTAVAIL);
    CHECK_MSG("192.0.2.99");
    CHECK(m == NULL);

    CHECK_RC(mc_opts_set_send_from(o, "127.0.0.2", 40103), 0);
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_RC(mc_opts_set_send_from(o, bad[i], 40104), MC_EADDRESS);
        CHECK_MSG(bad[i]);
    }
    send_one(o, "unchanged");
    expect_from(l, "unchanged", "127.0.0.2", 40103);
    CHECK_RC(mc_opts_set_send_from(NULL, "127.0.0.2", 1), MC_EINVAL);
    CHECK_MSG("opts");

    CHECK_RC(mc_opts_set_send_from(o, "::1", 0), 0);
    CHECK_RC(mc_sendto_opts(o, "x", 1), MC_EADDRESS);
    CHECK_MSG("::1");
    CHECK_MSG(G);
    CHECK_RC(mc_multicaster_new(poller, o, next_wait, NULL, &m), MC_EADDRESS);
    CHECK_MSG("::1");
    CHECK_RC(mc_opts_set_group(o, "ff05::9"), 0);
    CHECK_RC(mc_opts_set_send_from(o, "127.0.0.2", 0), 0);
    CHECK_RC(mc_sendto_opts(o, "x", 1), MC_EADDRESS);
    CHECK_MSG("127.0.0.2");
    CHECK_MSG("ff05::9");

    mc_opts_free(o);
    mc_listener_close(l);
    mc_poller_free(poller);
}

CHECK_MAIN("send_from",
           { "format", test_format },
           { "v4", test_v4 },
           { "shared", test_shared },
           { "refused", test_refused })
