/* groups.c - several groups per listener through libmulticast.so, spread
 * over more sockets past the kernel's per-socket limits (igmp_max_memberships,
 * igmp_max_msf), on lo. The listener cases run with GRO on and off.
 *
 *   groups CASE
 *   CASE: three many ssm
 *
 * Runs inside tests/netns-run's namespace (lo, route 224/4 dev lo src
 * 127.0.0.1), from tests/groups.rs. Groups 239.44.x.y and 232.44.x.y, ports 4401..4460
 * (groups.h's helpers for groups on lo). Every wait is bounded (wire.h: WAIT_MS
 * for what must come, QUIET_MS of polling for what must not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "wire.h"
#include "groups.h"

/* =============================================================== cases === */

/* A listener on 3 groups gets those (each packet with its own group), not a
   4th group on the same port (a control listener proves it arrived), never a
   unicast datagram to the port (it was queued on a socket of the listener:
   /proc/net/udp shows it). Pull mode. */
static void test_three(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4401 : 4451;
        mc_poller *p = NULL;
        mc_listener *l = NULL, *ctl = NULL;
        mc_opts *o = opts_for(G(0, 1), port);
        mc_listener_counts c;
        mc_listener_stats st;
        tally_t t, tc;
        int s;
        printf("three groups on port %u, GRO %s\n", port, onoff(gro));
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
        CHECK_RC(mc_opts_set_group(o, G(0, 4)), 0);
        CHECK_RC(mc_listener_new(p, o, NULL, NULL, &ctl), 0);
        mc_opts_free(o);
        if (!l || !ctl) { mc_poller_free(p); continue; }
        CHECK_RC(mc_listener_add_group(l, G(0, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(l, G(0, 3), NULL), 0);
        CHECK_RC(mc_listener_group_count(l), 3);
        c = counts_of(l);
        printf("  counts: joins %llu leaves %llu sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.leaves, (unsigned long long)c.sockets);
        CHECK(c.joins == 3 && c.leaves == 0 && c.sockets >= 1 && c.sockets <= 3);
        for (int g = 1; g <= 4; g++) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "g%d single", g);
            send1(G(0, g), port, prefix);
            snprintf(prefix, sizeof prefix, "g%d run", g);
            send_run(G(0, g), port, prefix, 4, -1);
        }
        /* unicast to the port: it lands on a socket of the listener (bound to
           0.0.0.0:port), which must not deliver it */
        s = bound_socket("127.0.0.1");
        plain_send(s, "127.0.0.1", port, "g1 unicast", 10, 0);
        close(s);
        {
            long q = wait_rxq(port);
            printf("  the unicast datagram is queued on a wildcard socket: %ld bytes\n",
                   q);
            CHECK(q > 0);
        }
        tally_reset(&t, 0, port);
        pull_all(l, &t, 15);
        printf("  got %d: group 1: %d, 2: %d, 3: %d, 4: %d\n", t.total, t.per[1], t.per[2],
               t.per[3], t.per[4]);
        CHECK(t.total == 15 && t.bad == 0);
        CHECK(t.per[1] == 5 && t.per[2] == 5 && t.per[3] == 5 && t.per[4] == 0);
        CHECK(t.by_src[1] == 15);
        CHECK(udp_rxq(port) == 0);  /* read (and dropped), not left behind */
        /* the control: group 4's datagrams did arrive at this host */
        tally_reset(&tc, 0, port);
        pull_all(ctl, &tc, 5);
        CHECK(tc.total == 5 && tc.per[4] == 5 && tc.bad == 0);
        st = stats_of(l);
        CHECK(st.received == 15 && st.delivered == 15 && st.filtered == 0);
        c = counts_of(l);
        printf("  GRO runs read: %llu\n", (unsigned long long)c.coalesced);
        if (gro) CHECK(c.coalesced >= 3);
        else CHECK(c.coalesced == 0);
        mc_listener_close(l);
        mc_listener_close(ctl);
        mc_poller_free(p);
    }
}

/* Sends "gY #k" and a run of 3 "gY run #k" to every group Y in `which`
   (1..n; which[Y] != 0); the number sent per group. */
static int send_round(int x, int n, const char *which, uint16_t port, int k) {
    for (int y = 1; y <= n; y++) {
        char b[32];
        if (which && !which[y]) continue;
        snprintf(b, sizeof b, "g%d #%d", y, k);
        send1(G(x, y), port, b);
        snprintf(b, sizeof b, "g%d run", y);
        send_run(G(x, y), port, b, 3, -1);
    }
    return 4;
}

/* n groups on one listener with the default sysctls (20 memberships per
   socket): at least n/20 sockets, every group delivered, each datagram once;
   then drop the second half (sockets shrink), then every other one left. */
static void many(int n, int x, int gro) {
    uint16_t port = (uint16_t)((gro ? 4402 : 4452) + (n > 100));
    mc_poller *p = NULL;
    mc_listener *l = NULL;
    mc_opts *o = opts_for(G(x, 1), port);
    mc_listener_counts c;
    uint64_t sockets_all;
    tally_t t;
    char joined[256];
    int want[256], kept, y, k;
    const long min_sockets = (n + 19) / 20;
    long t0;
    printf("%d groups on port %u, GRO %s\n", n, port, onoff(gro));
    tally_reset(&t, x, port);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_opts_set_gro(o, gro), 0);
    CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
    mc_opts_free(o);
    if (!l) { mc_poller_free(p); return; }
    t0 = now_ms();
    for (y = 2; y <= n; y++) CHECK_RC(mc_listener_add_group(l, G(x, y), NULL), 0);
    CHECK_RC(mc_listener_group_count(l), n);
    c = counts_of(l);
    sockets_all = c.sockets;
    printf("  %d groups joined in %ld ms: joins %llu, sockets %llu (at least %ld needed)\n", n,
           now_ms() - t0, (unsigned long long)c.joins, (unsigned long long)c.sockets,
           min_sockets);
    CHECK(c.joins == (uint64_t)n && c.leaves == 0);
    CHECK(c.sockets >= 2 && c.sockets >= (uint64_t)min_sockets);
    for (y = 1; y <= n; y++) {
        if (!igmp_has(G(x, y))) {
            fprintf(stderr, "  %s is not in /proc/net/igmp\n", G(x, y));
            check_failures++;
        }
    }
    memset(joined, 1, sizeof joined);
    memset(want, 0, sizeof want);
    for (k = 0; k < 2; k++) {
        send_round(x, n, NULL, port, k);
        for (y = 1; y <= n; y++) want[y] += 4;
    }
    settle(p, &t, 8 * n);

    /* drop the second half: those sockets empty and close */
    for (y = n / 2 + 1; y <= n; y++) {
        CHECK_RC(mc_listener_drop_group(l, G(x, y), NULL), 0);
        joined[y] = 0;
    }
    kept = n / 2;
    CHECK_RC(mc_listener_group_count(l), kept);
    c = counts_of(l);
    printf("  dropped %d: leaves %llu, sockets %llu -> %llu\n", n - kept,
           (unsigned long long)c.leaves, (unsigned long long)sockets_all,
           (unsigned long long)c.sockets);
    CHECK(c.joins == (uint64_t)n && c.leaves == (uint64_t)(n - kept));
    CHECK(c.sockets < sockets_all && c.sockets >= (uint64_t)((kept + 19) / 20));
    for (y = 1; y <= n; y++) {
        if (igmp_has(G(x, y)) != joined[y]) {
            fprintf(stderr, "  %s is %sin /proc/net/igmp after the drop\n", G(x, y),
                    joined[y] ? "not " : "still ");
            check_failures++;
        }
    }
    send_round(x, n, NULL, port, 2);   /* to all: the dropped ones must not come */
    for (y = 1; y <= n; y++) want[y] += joined[y] ? 4 : 0;
    settle(p, &t, 8 * n + 4 * kept);

    /* then every other group left: sockets keep memberships of both kinds */
    for (y = 2; y <= n / 2; y += 2) {
        CHECK_RC(mc_listener_drop_group(l, G(x, y), NULL), 0);
        joined[y] = 0;
        kept--;
    }
    CHECK_RC(mc_listener_group_count(l), kept);
    c = counts_of(l);
    printf("  dropped every other: %d left, leaves %llu, sockets %llu\n", kept,
           (unsigned long long)c.leaves, (unsigned long long)c.sockets);
    CHECK(c.leaves == (uint64_t)(n - kept));
    send_round(x, n, NULL, port, 3);
    for (y = 1; y <= n; y++) want[y] += joined[y] ? 4 : 0;
    settle(p, &t, 8 * n + 4 * (n / 2) + 4 * kept);
    for (y = 1; y <= n; y++) {
        if (t.per[y] != want[y]) {
            fprintf(stderr, "  group %s: %d datagrams, want %d\n", G(x, y), t.per[y], want[y]);
            check_failures++;
        }
    }
    {
        mc_listener_stats st = stats_of(l);
        CHECK(st.received == (uint64_t)t.total && st.delivered == (uint64_t)t.total);
        c = counts_of(l);
        printf("  %d datagrams, each once; GRO runs read: %llu\n", t.total,
               (unsigned long long)c.coalesced);
        if (gro) CHECK(c.coalesced > 0);
        else CHECK(c.coalesced == 0);
    }
    mc_listener_close(l);
    for (y = 1; y <= n; y++) CHECK(!igmp_has(G(x, y)));
    mc_poller_free(p);
}

static void test_many(void) {
    for (int gro = 1; gro >= 0; gro--) {
        many(40, 1, gro);
        many(200, 2, gro);
    }
}

/* 12 sources of one SSM group (igmp_max_msf: 10 per socket): each source's
   datagrams once, a 13th source (not joined) never, though an any-source
   socket of the same group:port (the control) gets its datagrams. Sources
   127.0.0.2..13 send from plain sockets bound to them: two datagrams and one
   GSO send of three segments each. */
static void test_ssm(void) {
    for (int gro = 1; gro >= 0; gro--) {
        const char *grp = "232.44.0.1";
        uint16_t port = gro ? 4404 : 4454;
        mc_poller *p = NULL;
        mc_listener *l = NULL;
        mc_opts *o = opts_for(grp, port);
        mc_listener_counts c;
        tally_t t;
        int socks[16], ctl, z, ctl_other = 0, ctl_total = 0, round;
        char src[32];
        printf("SSM %s:%u from 12 sources, GRO %s\n", grp, port, onoff(gro));
        tally_reset(&t, 0, port);
        t.ssm = 1;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        mc_opts_free(o);
        if (!l) { mc_poller_free(p); continue; }
        for (z = 2; z <= 14; z++) {
            snprintf(src, sizeof src, "127.0.0.%d", z);
            socks[z] = bound_socket(src);
        }
        /* a datagram queued before more sources join is delivered all the same */
        plain_send(socks[2], grp, port, "g1 s2 early", 11, 0);
        for (z = 3; z <= 13; z++) {
            snprintf(src, sizeof src, "127.0.0.%d", z);
            CHECK_RC(mc_listener_add_group(l, grp, src), 0);
        }
        CHECK_RC(mc_listener_group_count(l), 12);
        c = counts_of(l);
        printf("  12 sources: joins %llu, sockets %llu\n", (unsigned long long)c.joins,
               (unsigned long long)c.sockets);
        CHECK(c.joins == 12 && c.sockets >= 2);
        ctl = raw_receiver(grp, port, 1 << 20);
        for (round = 0; round < 2; round++) {
            int last = round == 0 ? 13 : 11;   /* round 1: 12 and 13 were dropped */
            for (z = 2; z <= 14; z++) {
                char b[96];
                snprintf(b, sizeof b, "g1 s%d #0", z);
                plain_send(socks[z], grp, port, b, strlen(b), 0);
                snprintf(b, sizeof b, "g1 s%d #1", z);
                plain_send(socks[z], grp, port, b, strlen(b), 0);
                /* three segments of 16 bytes in one send */
                for (int i = 0; i < 3; i++) {
                    char seg[17];
                    int len = snprintf(seg, sizeof seg, "g1 s%d gso #%d", z, i);
                    memset(seg + len, '.', (size_t)(16 - len));
                    memcpy(b + 16 * i, seg, 16);
                }
                plain_send(socks[z], grp, port, b, 48, 16);
            }
            settle(p, &t, round == 0 ? 12 * 5 + 1 : 12 * 5 + 1 + 10 * 5);
            for (z = 2; z <= 14; z++) {
                int w = z > last ? (z == 14 ? 0 : 5) : (round == 0 ? 5 : 10);
                if (z == 2) w++;
                if (t.by_src[z] != w) {
                    fprintf(stderr, "  source 127.0.0.%d: %d datagrams, want %d\n", z,
                            t.by_src[z], w);
                    check_failures++;
                }
            }
            /* the control got everything, the 13th source's too */
            for (;;) {
                char buf[128];
                int ttl;
                int wait = ctl_total < 13 * 5 * (round + 1) ? WAIT_MS : 0;
                ssize_t r = raw_recv(ctl, buf, sizeof buf, &ttl, NULL, wait);
                if (r < 0) break;
                ctl_total++;
                if (r >= 6 && memcmp(buf, "g1 s14", 6) == 0) ctl_other++;
            }
            printf("  round %d: the listener got %d; the any-source control %d "
                   "(%d from 127.0.0.14)\n",
                   round, t.total, ctl_total, ctl_other);
            CHECK(ctl_other == 5 * (round + 1));
            if (round == 0) {
                uint64_t before = counts_of(l).sockets;
                CHECK_RC(mc_listener_drop_group(l, grp, "127.0.0.13"), 0);
                CHECK_RC(mc_listener_drop_group(l, grp, "127.0.0.12"), 0);
                CHECK_RC(mc_listener_group_count(l), 10);
                c = counts_of(l);
                printf("  dropped 2 sources: leaves %llu, sockets %llu -> %llu\n",
                       (unsigned long long)c.leaves, (unsigned long long)before,
                       (unsigned long long)c.sockets);
                CHECK(c.leaves == 2 && c.sockets <= before);
            }
        }
        c = counts_of(l);
        if (gro) CHECK(c.coalesced > 0);
        else CHECK(c.coalesced == 0);
        for (z = 2; z <= 14; z++) close(socks[z]);
        close(ctl);
        mc_listener_close(l);
        mc_poller_free(p);
    }
}

CHECK_MAIN("groups", { "three", test_three }, { "many", test_many }, { "ssm", test_ssm })
