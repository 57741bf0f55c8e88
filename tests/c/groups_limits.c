/* groups_limits.c - the kernel's limits on groups, each case in a network
 * namespace of its own (tests/groups.rs makes it, nested in the runner's):
 *
 *   groups_limits CASE
 *   CASE: limit  writes the per-namespace sysctls net.ipv4.igmp_max_memberships
 *                and igmp_max_msf
 *         star   "*" on more interfaces than one socket may join (25 veth pairs)
 *
 * Groups 239.44.x.y, ports 4401..4460 (groups.h's helpers for groups on lo).
 * Every wait is bounded (wire.h: WAIT_MS for what must come, QUIET_MS of
 * polling for what must not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "wire.h"
#include "groups.h"

/* ----------------------------------------------------------- the limits --- */

static long read_sysctl(const char *name) {
    char path[128];
    long v = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%ld", &v) != 1) { perror(path); exit(2); }
    fclose(f);
    return v;
}

static void write_sysctl(const char *name, long v) {
    char path[128];
    FILE *f;
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", name);
    f = fopen(path, "w");
    if (!f || fprintf(f, "%ld\n", v) < 0 || fclose(f) != 0) { perror(path); exit(2); }
    if (read_sysctl(name) != v) { fprintf(stderr, "%s did not take %ld\n", path, v); exit(2); }
}

/* mc_last_error names the sysctl and its value v. */
static void check_limit_msg(const char *name, long v) {
    char val[32];
    CHECK_MSG(name);
    snprintf(val, sizeof val, "is %ld", v);
    CHECK_MSG(val);
}

/* In a network namespace of its own (tests/groups.rs): the per-namespace
   sysctls, restored at the end. */
static void test_limit(void) {
    const long orig = read_sysctl("igmp_max_memberships"), orig_msf = read_sysctl("igmp_max_msf");
    printf("net.ipv4.igmp_max_memberships = %ld, igmp_max_msf = %ld here\n", orig, orig_msf);
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4409 : 4459;
        mc_poller *p = NULL;
        int dummy;
        mc_listener *l = (mc_listener *)&dummy;   /* must become NULL on failure */
        mc_opts *o = opts_for(G(8, 1), port);
        mc_listener_counts c;
        tally_t t;
        int rc, y;
        printf("limits, port %u, GRO %s\n", port, onoff(gro));
        tally_reset(&t, 8, port);
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);

        write_sysctl("igmp_max_memberships", 0);
        rc = mc_listener_new(p, o, on_tally, &t, &l);
        CHECK_RC(rc, -ENOBUFS);
        CHECK(l == NULL);
        check_limit_msg("igmp_max_memberships", 0);
        printf("  igmp_max_memberships 0: mc_listener_new = %d: %s\n", rc, mc_last_error());
        CHECK(!igmp_has(G(8, 1)));

        write_sysctl("igmp_max_memberships", 2);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        if (!l) { mc_opts_free(o); mc_poller_free(p); continue; }
        for (y = 2; y <= 5; y++) CHECK_RC(mc_listener_add_group(l, G(8, y), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 5);
        c = counts_of(l);
        printf("  igmp_max_memberships 2: 5 groups on %llu sockets (joins %llu)\n",
               (unsigned long long)c.sockets, (unsigned long long)c.joins);
        CHECK(c.sockets >= 3 && c.joins == 5);

        /* the limit of a fresh socket refuses an add: the listener stays as it was */
        write_sysctl("igmp_max_memberships", 0);
        rc = mc_listener_add_group(l, G(8, 6), NULL);
        CHECK_RC(rc, -ENOBUFS);
        check_limit_msg("igmp_max_memberships", 0);
        CHECK_MSG("239.44.8.6");
        printf("  add at 0: %d: %s\n", rc, mc_last_error());
        CHECK_RC(mc_listener_group_count(l), 5);
        {
            mc_listener_counts d = counts_of(l);
            CHECK(d.sockets == c.sockets && d.joins == c.joins && d.leaves == c.leaves);
        }
        CHECK(!igmp_has(G(8, 6)));
        write_sysctl("igmp_max_memberships", orig);
        for (y = 1; y <= 6; y++) {
            char b[16];
            snprintf(b, sizeof b, "g%d limit", y);
            send1(G(8, y), port, b);
            send_run(G(8, y), port, b, 3, -1);
        }
        settle(p, &t, 5 * 4);
        for (y = 1; y <= 6; y++) CHECK(t.per[y] == (y <= 5 ? 4 : 0));
        mc_listener_close(l);

        /* a source-specific join counts as a membership too: at 0 it is that
           limit (not igmp_max_msf: a fresh socket takes any first source) */
        write_sysctl("igmp_max_memberships", 0);
        CHECK_RC(mc_opts_set_group(o, "232.44.8.1"), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        l = (mc_listener *)&dummy;
        rc = mc_listener_new(p, o, on_tally, &t, &l);
        CHECK_RC(rc, -ENOBUFS);
        CHECK(l == NULL);
        check_limit_msg("igmp_max_memberships", 0);
        printf("  SSM at igmp_max_memberships 0: %d: %s\n", rc, mc_last_error());
        write_sysctl("igmp_max_memberships", orig);

        /* igmp_max_msf 1: each source of a group on a socket of its own */
        write_sysctl("igmp_max_msf", 1);
        tally_reset(&t, 8, port);
        t.ssm = 1;
        l = NULL;
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        if (l) {
            CHECK_RC(mc_listener_add_group(l, "232.44.8.1", "127.0.0.3"), 0);
            CHECK_RC(mc_listener_add_group(l, "232.44.8.1", "127.0.0.4"), 0);
            c = counts_of(l);
            printf("  igmp_max_msf 1: 3 sources on %llu sockets\n", (unsigned long long)c.sockets);
            CHECK(c.sockets >= 3 && c.joins == 3);
            for (y = 2; y <= 5; y++) {
                char src[32], b[32];
                int s;
                snprintf(src, sizeof src, "127.0.0.%d", y);
                snprintf(b, sizeof b, "g1 s%d msf", y);
                s = bound_socket(src);
                plain_send(s, "232.44.8.1", port, b, strlen(b), 0);
                close(s);
            }
            settle(p, &t, 3);
            CHECK(t.by_src[2] == 1 && t.by_src[3] == 1 && t.by_src[4] == 1 && t.by_src[5] == 0);
            mc_listener_close(l);
        }
        write_sysctl("igmp_max_msf", orig_msf);
        mc_opts_free(o);
        mc_poller_free(p);
    }
    CHECK(read_sysctl("igmp_max_memberships") == orig);
    CHECK(read_sysctl("igmp_max_msf") == orig_msf);
}

/* ------------------------------------------- "*" on many interfaces ------ */

/* In a namespace of its own (tests/groups.rs) with 25 veth pairs mcsNa/mcsNb
   (10.44.N.1 / 10.44.N.2), all up with MULTICAST, plus mcq0a/b (MULTICAST
   off) and mcr0a/b (down). A "*" listener joins on every interface up with
   MULTICAST: more than igmp_max_memberships (20) on one socket. Each mcsNb
   sends (loopback off): it arrives on mcsNa, once. */
static void test_star(void) {
    struct if_nameindex *ifs = if_nameindex(), *i;
    int want_joins = 0, senders = 0, fd = socket(AF_INET, SOCK_DGRAM, 0);
    const char *grp = "239.44.9.1";
    CHECK(ifs != NULL && fd >= 0);
    if (!ifs) return;
    for (i = ifs; i->if_index; i++) {
        struct ifreq r;
        memset(&r, 0, sizeof r);
        snprintf(r.ifr_name, sizeof r.ifr_name, "%s", i->if_name);
        CHECK(ioctl(fd, SIOCGIFFLAGS, &r) == 0);
        if ((r.ifr_flags & IFF_UP) && (r.ifr_flags & IFF_MULTICAST)) want_joins++;
        if (strncmp(i->if_name, "mcs", 3) == 0 && i->if_name[strlen(i->if_name) - 1] == 'b')
            senders++;
    }
    close(fd);
    printf("%d interfaces up with MULTICAST, %d senders\n", want_joins, senders);
    CHECK(want_joins > 40 && senders == 25);
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4410 : 4460;
        mc_poller *p = NULL;
        mc_listener *l = NULL;
        mc_opts *o = opts_for(grp, port);
        mc_listener_counts c;
        int got_on[256], total = 0, bad = 0;
        printf("\"*\" on port %u, GRO %s\n", port, onoff(gro));
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_opts_set_interface(o, "*"), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
        mc_opts_free(o);
        if (!l) { mc_poller_free(p); continue; }
        c = counts_of(l);
        printf("  joins %llu, sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.sockets);
        CHECK(c.joins == (uint64_t)want_joins);
        CHECK(c.sockets >= 2 && c.sockets >= (uint64_t)(want_joins + 19) / 20);
        CHECK_RC(mc_listener_group_count(l), 1);
        /* the kernel's view: on each such interface, not on the others */
        for (i = ifs; i->if_index; i++) {
            int excluded = strncmp(i->if_name, "mcq", 3) == 0 || strncmp(i->if_name, "mcr", 3) == 0;
            if (igmp_on(i->if_name, grp) == excluded) {
                fprintf(stderr, "  %s: joined %d, want %d\n", i->if_name, !excluded, excluded);
                check_failures++;
            }
        }
        memset(got_on, 0, sizeof got_on);
        for (i = ifs; i->if_index; i++) {
            char payload[64];
            mc_opts *so;
            int rc;
            if (strncmp(i->if_name, "mcs", 3) != 0 || i->if_name[strlen(i->if_name) - 1] != 'b')
                continue;
            so = opts_for(grp, port);
            CHECK_RC(mc_opts_set_interface(so, i->if_name), 0);
            CHECK_RC(mc_opts_set_loopback(so, 0), 0);
            snprintf(payload, sizeof payload, "via %s", i->if_name);
            rc = mc_sendto_opts(so, payload, strlen(payload));
            if (rc != (int)strlen(payload)) {
                fprintf(stderr, "  send via %s: %d %s\n", i->if_name, rc, mc_last_error());
                check_failures++;
            }
            mc_opts_free(so);
        }
        for (;;) {
            const mc_packet *pk;
            char name[IF_NAMESIZE + 1] = "?", want[64];
            int rc = mc_listener_next(l, &pk, total < senders ? WAIT_MS : QUIET_MS);
            if (rc != 1) { CHECK_RC(rc, 0); break; }
            total++;
            if_indextoname(pk->ifindex, name);
            /* "via mcsNb" arrives on mcsNa */
            snprintf(want, sizeof want, "via %s", name);
            want[strlen(want) - 1] = 'b';
            if (name[strlen(name) - 1] != 'a' || pk->len != strlen(want) ||
                memcmp(pk->data, want, pk->len) != 0 || pk->ifindex >= 256) {
                print_packet(name, pk);
                bad++;
                continue;
            }
            got_on[pk->ifindex]++;
        }
        printf("  got %d datagrams (%d unexpected)\n", total, bad);
        CHECK(total == senders && bad == 0);
        for (int ix = 0; ix < 256; ix++) CHECK(got_on[ix] <= 1);
        /* a second group: joined on every interface again, on more sockets */
        CHECK_RC(mc_listener_add_group(l, G(9, 2), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 2);
        {
            mc_listener_counts d = counts_of(l);
            printf("  a second group: joins %llu, sockets %llu\n", (unsigned long long)d.joins,
                   (unsigned long long)d.sockets);
            CHECK(d.joins == 2 * (uint64_t)want_joins && d.leaves == 0);
            CHECK(d.sockets > c.sockets && d.sockets >= (uint64_t)(2 * want_joins + 19) / 20);
            for (i = ifs; i->if_index; i++) {
                int excluded = strncmp(i->if_name, "mcq", 3) == 0 ||
                               strncmp(i->if_name, "mcr", 3) == 0;
                CHECK(igmp_on(i->if_name, G(9, 2)) != excluded);
            }
            CHECK_RC(mc_listener_drop_group(l, grp, NULL), 0);
            d = counts_of(l);
            printf("  the first dropped: leaves %llu, sockets %llu\n",
                   (unsigned long long)d.leaves, (unsigned long long)d.sockets);
            CHECK(d.leaves == (uint64_t)want_joins && !igmp_has(grp) && igmp_has(G(9, 2)));
        }
        total = 0;
        for (i = ifs; i->if_index; i++) {
            mc_opts *so;
            if (strncmp(i->if_name, "mcs", 3) != 0 || i->if_name[strlen(i->if_name) - 1] != 'b')
                continue;
            so = opts_for(G(9, 2), port);
            CHECK_RC(mc_opts_set_interface(so, i->if_name), 0);
            CHECK_RC(mc_opts_set_loopback(so, 0), 0);
            CHECK_RC(mc_sendto_opts(so, "second", 6), 6);
            CHECK_RC(mc_opts_set_group(so, grp), 0);
            CHECK_RC(mc_sendto_opts(so, "first", 5), 5);   /* dropped: never comes */
            mc_opts_free(so);
        }
        for (;;) {
            const mc_packet *pk;
            int rc = mc_listener_next(l, &pk, total < senders ? WAIT_MS : QUIET_MS);
            if (rc != 1) { CHECK_RC(rc, 0); break; }
            total++;
            if (pk->len != 6 || memcmp(pk->data, "second", 6) != 0 || pk->group.ip[3] != 2) {
                print_packet("second group", pk);
                bad++;
            }
        }
        printf("  second group: got %d datagrams (%d unexpected)\n", total, bad);
        CHECK(total == senders && bad == 0);
        mc_listener_close(l);
        CHECK(!igmp_has(G(9, 2)));
        CHECK(!igmp_has(grp));
        mc_poller_free(p);
    }
    if_freenameindex(ifs);
}

CHECK_MAIN("groups_limits", { "limit", test_limit }, { "star", test_star })
