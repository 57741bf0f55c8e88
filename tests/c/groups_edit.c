/* groups_edit.c - a listener's groups added and dropped inside its own
 * callbacks (on_packet, a filter; push and pull mode), and bad input to the
 * group functions, through libmulticast.so on lo.
 *
 *   groups_edit CASE
 *   CASE: callbacks errors
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

/* ------------------------------------------------- add/drop in callbacks --- */

typedef struct {
    mc_listener *l;
    uint16_t port;
    int total, bursts, bad, in_filter_adds, in_filter_drops;
    int per[8];
    int first_fd;
} cb_t;

static void drop_in_callback(cb_t *c, int y) {
    CHECK_RC(mc_listener_drop_group(c->l, G(4, y), NULL), 0);
    /* left at once: the kernel no longer lists it */
    if (igmp_has(G(4, y))) {
        fprintf(stderr, "  %s still in /proc/net/igmp right after the drop\n", G(4, y));
        check_failures++;
    }
}

static int cb_packet(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    int y = p->group.ip[3];
    c->total++;
    if (p->group.family != AF_INET || p->group.ip[2] != 4 || y < 1 || y > 7 ||
        p->group.port != c->port) {
        print_packet("unexpected", p);
        c->bad++;
        return 0;
    }
    c->per[y]++;
    if (p->len == 5 && memcmp(p->data, "add-2", 5) == 0) {
        CHECK_RC(mc_listener_add_group(c->l, G(4, 2), NULL), 0);
        CHECK(igmp_has(G(4, 2)));
        CHECK_RC(mc_listener_group_count(c->l), 2);
    } else if (p->len == 6 && memcmp(p->data, "drop-1", 6) == 0) {
        drop_in_callback(c, 1);   /* the listener's own (first) pair */
        CHECK_RC(mc_listener_group_count(c->l), 1);
    } else if (p->len > 5 && memcmp(p->data, "burst", 5) == 0) {
        /* the first of a run drops its group: the rest, read with it, never come */
        if (c->bursts++ == 0) drop_in_callback(c, y);
    }
    return 0;
}

static int cb_filter(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    if (p->len == 7 && memcmp(p->data, "f-add-3", 7) == 0) {
        CHECK_RC(mc_listener_add_group(c->l, G(4, 3), NULL), 0);
        CHECK(igmp_has(G(4, 3)));
        c->in_filter_adds++;
    } else if (p->len == 8 && memcmp(p->data, "f-drop-3", 8) == 0) {
        drop_in_callback(c, 3);
        c->in_filter_drops++;
        return 0;
    }
    return 1;
}

static int pull_filter(void *ud, const mc_packet *p) {
    cb_t *c = ud;
    if (p->len > 5 && memcmp(p->data, "burst", 5) == 0 && c->bursts++ == 0)
        drop_in_callback(c, p->group.ip[3]);
    return 1;
}

static void test_callbacks(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4405 : 4455;
        mc_poller *p = NULL;
        mc_opts *o = opts_for(G(4, 1), port);
        mc_listener_counts k;
        cb_t c;
        int want;
        printf("add/drop inside on_packet and a filter, port %u, GRO %s\n", port, onoff(gro));
        memset(&c, 0, sizeof c);
        c.port = port;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, cb_packet, &c, &c.l), 0);
        mc_opts_free(o);
        if (!c.l) { mc_poller_free(p); continue; }
        c.first_fd = mc_listener_fd(c.l);
        CHECK(c.first_fd >= 0);
        CHECK_RC(mc_listener_set_filter(c.l, cb_filter, &c), 0);
        CHECK(!igmp_has(G(4, 2)) && !igmp_has(G(4, 3)));

        send1(G(4, 1), port, "add-2");             /* on_packet adds group 2 */
        CHECK(wait_for(p, &c.total, 1));
        send1(G(4, 2), port, "hello-2");
        CHECK(wait_for(p, &c.total, 2));
        CHECK(c.per[2] == 1);
        send1(G(4, 2), port, "f-add-3");           /* the filter adds group 3 */
        CHECK(wait_for(p, &c.total, 3));
        CHECK(c.in_filter_adds == 1);
        CHECK_RC(mc_listener_group_count(c.l), 3);
        send1(G(4, 3), port, "hello-3");
        CHECK(wait_for(p, &c.total, 4));
        CHECK(c.per[3] == 1);
        send1(G(4, 3), port, "f-drop-3");          /* the filter drops group 3 (and the packet) */
        want = c.total;
        {
            long end = now_ms() + WAIT_MS;
            while (!c.in_filter_drops && now_ms() < end) mc_poll(p, 20);
        }
        CHECK(c.in_filter_drops == 1);
        send1(G(4, 3), port, "after-drop-3");
        send1(G(4, 2), port, "drop-1");            /* on_packet drops group 1 */
        CHECK(wait_for(p, &c.total, want + 1));
        send1(G(4, 1), port, "after-drop-1");
        quiet(p, QUIET_MS);
        CHECK(c.total == want + 1 && c.per[1] == 1 && c.per[3] == 1);
        CHECK_RC(mc_listener_group_count(c.l), 1);

        /* a run of 5 to group 2: the first packet drops it */
        send_run(G(4, 2), port, "burst", 5, -1);
        CHECK(wait_for(p, &c.total, want + 2));
        quiet(p, QUIET_MS);
        CHECK(c.bursts == 1);
        CHECK(c.total == want + 2);
        CHECK_RC(mc_listener_group_count(c.l), 0);
        /* a listener with no group stays open, on its first socket */
        CHECK_RC(mc_listener_fd(c.l), c.first_fd);
        k = counts_of(c.l);
        printf("  joins %llu leaves %llu sockets %llu GRO runs %llu\n",
               (unsigned long long)k.joins, (unsigned long long)k.leaves,
               (unsigned long long)k.sockets, (unsigned long long)k.coalesced);
        CHECK(k.joins == 3 && k.leaves == 3 && k.sockets >= 1);
        CHECK(!igmp_has(G(4, 1)) && !igmp_has(G(4, 2)) && !igmp_has(G(4, 3)));

        /* pull mode: a filter drops the group on a run's first datagram; the
           rest of the run is not queued */
        {
            mc_listener *pl = NULL;
            mc_opts *po = opts_for(G(4, 5), port);
            const mc_packet *pk;
            cb_t pc;
            int n = 0, rc;
            memset(&pc, 0, sizeof pc);
            pc.port = port;
            CHECK_RC(mc_opts_set_gro(po, gro), 0);
            CHECK_RC(mc_listener_new(p, po, NULL, NULL, &pl), 0);
            mc_opts_free(po);
            pc.l = pl;
            CHECK_RC(mc_listener_set_filter(pl, pull_filter, &pc), 0);
            send_run(G(4, 5), port, "burst", 5, -1);
            while ((rc = mc_listener_next(pl, &pk, n ? QUIET_MS : WAIT_MS)) == 1) n++;
            CHECK_RC(rc, 0);
            CHECK(n == 1 && pc.bursts == 1);
            CHECK_RC(mc_listener_group_count(pl), 0);
            CHECK(!igmp_has(G(4, 5)));
            mc_listener_close(pl);
        }

        /* and takes its first group back */
        CHECK_RC(mc_listener_add_group(c.l, G(4, 1), NULL), 0);
        CHECK(igmp_has(G(4, 1)));
        send1(G(4, 1), port, "back-1");
        CHECK(wait_for(p, &c.total, want + 3));
        CHECK(c.per[1] == 2);
        CHECK(c.bad == 0);
        mc_listener_close(c.l);
        CHECK(!igmp_has(G(4, 1)));
        mc_poller_free(p);
    }
}

/* ------------------------------------------------------------ bad input --- */

static void test_errors(void) {
    for (int gro = 1; gro >= 0; gro--) {
        uint16_t port = gro ? 4406 : 4456;
        const char *ssm = "232.44.5.1";
        mc_poller *p = NULL;
        mc_listener *l = NULL, *s = NULL;
        mc_opts *o = opts_for(G(5, 1), port);
        mc_listener_counts c, c0, cs0;
        tally_t t, ts;
        int src3;
        printf("bad input, port %u, GRO %s\n", port, onoff(gro));
        tally_reset(&t, 5, port);
        tally_reset(&ts, 5, port);
        ts.ssm = 1;
        CHECK_RC(mc_poller_new(&p), 0);
        CHECK_RC(mc_opts_set_gro(o, gro), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &t, &l), 0);
        CHECK_RC(mc_opts_set_group(o, ssm), 0);
        CHECK_RC(mc_opts_set_source(o, "127.0.0.2"), 0);
        CHECK_RC(mc_listener_new(p, o, on_tally, &ts, &s), 0);
        mc_opts_free(o);
        if (!l || !s) { mc_poller_free(p); continue; }
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.3"), 0);
        c0 = counts_of(l);
        cs0 = counts_of(s);

        /* a pair already joined */
        CHECK_RC(mc_listener_add_group(l, G(5, 1), NULL), MC_EEXIST);
        CHECK_MSG("239.44.5.1");
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), MC_EEXIST);
        CHECK_MSG("239.44.5.2");
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.3"), MC_EEXIST);
        CHECK_MSG("127.0.0.3");
        printf("  EEXIST: %s\n", mc_last_error());
        /* one group any-source and source-specific */
        CHECK_RC(mc_listener_add_group(l, G(5, 2), "127.0.0.4"), MC_EINVAL);
        CHECK_MSG("239.44.5.2");
        printf("  ASM+SSM: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(s, ssm, NULL), MC_EINVAL);
        CHECK_MSG(ssm);
        /* not a group, not a source, the other family */
        CHECK_RC(mc_listener_add_group(l, "not-an-ip", NULL), MC_EADDRESS);
        CHECK_MSG("not-an-ip");
        CHECK_RC(mc_listener_add_group(l, "10.1.2.3", NULL), MC_EADDRESS);
        CHECK_MSG("10.1.2.3");
        printf("  unicast group: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(l, "", NULL), MC_EADDRESS);
        CHECK_RC(mc_listener_add_group(l, "239.44.5.300", NULL), MC_EADDRESS);
        CHECK_MSG("239.44.5.300");
        CHECK_RC(mc_listener_add_group(l, "ff05::44", NULL), MC_EADDRESS);
        CHECK_MSG("ff05::44");
        printf("  other family: %s\n", mc_last_error());
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "::1"), MC_EADDRESS);
        CHECK_MSG("::1");
        CHECK_RC(mc_listener_add_group(s, ssm, "fd42::2"), MC_EADDRESS);
        CHECK_MSG("fd42::2");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "garbage-src"), MC_EADDRESS);
        CHECK_MSG("garbage-src");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "239.1.1.1"), MC_EADDRESS);
        CHECK_MSG("239.1.1.1");
        CHECK_RC(mc_listener_add_group(l, G(5, 3), "0.0.0.0"), MC_EADDRESS);
        CHECK_RC(mc_listener_add_group(l, G(5, 3), ""), MC_EADDRESS);
        /* dropping what is not joined */
        CHECK_RC(mc_listener_drop_group(l, G(5, 9), NULL), MC_ENOTFOUND);
        CHECK_MSG("239.44.5.9");
        printf("  drop unknown: %s\n", mc_last_error());
        CHECK_RC(mc_listener_drop_group(l, G(5, 1), "127.0.0.2"), MC_ENOTFOUND);
        CHECK_RC(mc_listener_drop_group(s, ssm, "127.0.0.9"), MC_ENOTFOUND);
        CHECK_MSG("127.0.0.9");
        CHECK_RC(mc_listener_drop_group(s, ssm, NULL), MC_ENOTFOUND);
        CHECK_RC(mc_listener_drop_group(l, "junk", NULL), MC_EADDRESS);
        CHECK_MSG("junk");
        CHECK_RC(mc_listener_drop_group(l, G(5, 2), "junk-src"), MC_EADDRESS);
        CHECK_MSG("junk-src");
        CHECK_RC(mc_listener_drop_group(l, "ff05::44", NULL), MC_EADDRESS);
        CHECK_RC(mc_listener_drop_group(l, "10.1.2.3", NULL), MC_EADDRESS);
        /* NULL and never-a-handle */
        CHECK_RC(mc_listener_add_group(NULL, G(5, 3), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_drop_group(NULL, G(5, 1), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count(NULL), MC_EINVAL);
        CHECK_RC(mc_listener_get_counts(NULL, &c), MC_EINVAL);
        CHECK_RC(mc_listener_get_counts(l, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group(l, NULL, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group(l, NULL, "127.0.0.2"), MC_EINVAL);
        CHECK_RC(mc_listener_drop_group(l, NULL, NULL), MC_EINVAL);
        CHECK_RC(mc_listener_add_group((mc_listener *)&c, G(5, 3), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count((mc_listener *)&c), MC_EINVAL);

        /* nothing changed: counts, and delivery (each once, no other source) */
        CHECK_RC(mc_listener_group_count(l), 2);
        CHECK_RC(mc_listener_group_count(s), 2);
        c = counts_of(l);
        CHECK(c.joins == c0.joins && c.leaves == c0.leaves && c.sockets == c0.sockets);
        c = counts_of(s);
        CHECK(c.joins == cs0.joins && c.leaves == cs0.leaves && c.sockets == cs0.sockets);
        CHECK(!igmp_has(G(5, 3)));
        send1(G(5, 1), port, "g1 a");
        send1(G(5, 2), port, "g2 a");
        send1(G(5, 3), port, "g3 a");
        src3 = bound_socket("127.0.0.4");
        plain_send(src3, ssm, port, "g1 s4 x", 7, 0);
        close(src3);
        src3 = bound_socket("127.0.0.3");
        plain_send(src3, ssm, port, "g1 s3 x", 7, 0);
        close(src3);
        send1(ssm, port, "g1 s1 from 127.0.0.1");
        CHECK(wait_for(p, &t.total, 2) && wait_for(p, &ts.total, 1));
        quiet(p, QUIET_MS);
        CHECK(t.total == 2 && t.per[1] == 1 && t.per[2] == 1 && t.bad == 0);
        CHECK(ts.total == 1 && ts.by_src[3] == 1 && ts.bad == 0);

        /* once dropped, the group may come back as the other kind */
        CHECK_RC(mc_listener_drop_group(l, G(5, 2), NULL), 0);
        CHECK_RC(mc_listener_add_group(l, G(5, 2), "127.0.0.4"), 0);
        CHECK_RC(mc_listener_add_group(l, G(5, 2), NULL), MC_EINVAL);
        CHECK_RC(mc_listener_group_count(l), 2);
        src3 = bound_socket("127.0.0.4");
        plain_send(src3, G(5, 2), port, "g2 from 4", 9, 0);
        close(src3);
        send1(G(5, 2), port, "g2 from 1");   /* not that source */
        CHECK(wait_for(p, &t.total, 3));
        quiet(p, QUIET_MS);
        CHECK(t.total == 3 && t.per[2] == 2 && t.by_src[4] == 1);

        /* closed handles: ECLOSED, forever */
        mc_listener_close(l);
        CHECK_RC(mc_listener_add_group(l, G(5, 3), NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_add_group(l, "not-an-ip", NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_drop_group(l, G(5, 1), NULL), MC_ECLOSED);
        CHECK_RC(mc_listener_group_count(l), MC_ECLOSED);
        CHECK_RC(mc_listener_get_counts(l, &c), MC_ECLOSED);
        mc_listener_close(l);
        CHECK_RC(mc_listener_group_count(l), MC_ECLOSED);
        CHECK(!igmp_has(G(5, 1)) && !igmp_has(G(5, 2)));
        mc_poller_free(p);   /* closes s */
        CHECK_RC(mc_listener_add_group(s, ssm, "127.0.0.5"), MC_ECLOSED);
        CHECK_RC(mc_listener_drop_group(s, ssm, "127.0.0.2"), MC_ECLOSED);
        CHECK_RC(mc_listener_group_count(s), MC_ECLOSED);
        CHECK_RC(mc_listener_get_counts(s, &c), MC_ECLOSED);
    }
}

CHECK_MAIN("groups_edit", { "callbacks", test_callbacks }, { "errors", test_errors })
