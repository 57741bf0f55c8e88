/* listener.c - listeners through libmulticast.so, IPv4 on lo (inside
 * tests/netns-run's namespace): a packet's fields, groups shared and kept
 * apart, truncation at the mtu, a callback's answer that stops the loop,
 * callbacks that close and create listeners, and bad input. *
 * Groups 224.1.0.x and ports 5001..5099 belong to the listener programs
 * (listener.c, listener_filter.c, listener_pull.c: run one after the other;
 * the other C programs on lo run at the same time in the same namespace).
 * Every wait is bounded: WAIT_MS for what must happen, QUIET_MS of polling
 * for what must not (wire.h, which also has the recorder and raw sender). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

/* ========================================================================= */

static void test_packet_fields(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    mc_listener_stats st;
    uint8_t payload[300];
    uint16_t sport = 0;
    const uint8_t group_ip[4] = {224, 1, 0, 1};

    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.1", 5001);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o); /* the listener copied what it needed */
    CHECK(l != NULL);
    if (!l) { mc_poller_free(p); return; }
    CHECK(mc_listener_fd(l) >= 0);
    CHECK(mc_listener_recv_buffer(l) > 0);
    get_stats(l, &st);
    CHECK(st.received == 0 && st.delivered == 0 && st.filtered == 0 &&
          st.truncated == 0 && st.kernel_drops == 0);

    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + 1);
    int s = raw_sender(&sport);
    raw_send(s, "224.1.0.1", 5001, payload, sizeof payload);
    CHECK(wait_for(p, &r.count, 1));
    CHECK(r.count == 1);
    CHECK(r.last.len == sizeof payload);
    CHECK(r.last.size == sizeof payload);
    CHECK(memcmp(r.last_data, payload, sizeof payload) == 0);
    CHECK(r.last.from.family == AF_INET);
    CHECK(r.last.from.port == sport);
    CHECK(memcmp(r.last.from.ip, LOOPBACK_IP, 4) == 0);
    CHECK(r.last.group.family == AF_INET);
    CHECK(r.last.group.port == 5001);
    CHECK(memcmp(r.last.group.ip, group_ip, 4) == 0);
    CHECK(r.last.group.scope_id == 0);
    CHECK(r.last.ifindex == if_nametoindex("lo"));
    CHECK(r.last.ifindex == 1);
    close(s);

    /* sent by the library: from 127.0.0.1, some port */
    SEND("second", "224.1.0.1", 5001);
    SEND("third", "224.1.0.1", 5001);
    CHECK(wait_for(p, &r.count, 3));
    CHECK(r.count == 3);
    CHECK(strcmp(r.text[1], "second") == 0);
    CHECK(strcmp(r.text[2], "third") == 0);
    CHECK(r.last.len == 5 && r.last.size == 5);
    CHECK(r.last.from.family == AF_INET && r.last.from.port != 0);
    CHECK(memcmp(r.last.from.ip, LOOPBACK_IP, 4) == 0);
    CHECK(r.last.group.port == 5001 && memcmp(r.last.group.ip, group_ip, 4) == 0);
    CHECK(r.last.ifindex == 1);

    /* a zero-length datagram is a packet too */
    CHECK_RC(mc_sendto(NULL, 0, "224.1.0.1", 5001, -1), 0);
    CHECK(wait_for(p, &r.count, 4));
    CHECK(r.last.len == 0 && r.last.size == 0);

    get_stats(l, &st);
    CHECK(st.received == 4);
    CHECK(st.delivered == 4);
    CHECK(st.filtered == 0 && st.truncated == 0 && st.kernel_drops == 0);
    mc_listener_close(l);
    mc_poller_free(p);
}

/* Three listeners of one group: two on one poller, one on another. */
static void test_shared_group(void) {
    mc_poller *p1, *p2;
    mc_listener *la = NULL, *lb = NULL, *lc = NULL;
    struct rec ra, rb, rc;
    const int n = 20;
    char buf[16];

    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    memset(&rc, 0, sizeof rc);
    CHECK_RC(mc_poller_new(&p1), 0);
    CHECK_RC(mc_poller_new(&p2), 0);
    mc_opts *o = opts_for("224.1.0.2", 5002);
    CHECK_RC(mc_listener_new(p1, o, record, &ra, &la), 0);
    CHECK_RC(mc_listener_new(p1, o, record, &rb, &lb), 0);
    CHECK_RC(mc_listener_new(p2, o, record, &rc, &lc), 0);
    mc_opts_free(o);

    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "s%02d", i);
        SEND(buf, "224.1.0.2", 5002);
    }
    long end = now_ms() + WAIT_MS;
    while ((ra.count < n || rb.count < n || rc.count < n) && now_ms() < end) {
        mc_poll(p1, 10);
        mc_poll(p2, 10);
    }
    quiet(p1, 20);
    quiet(p2, 20);
    CHECK(ra.count == n);
    CHECK(rb.count == n);
    CHECK(rc.count == n);
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "s%02d", i);
        CHECK(strcmp(ra.text[i], buf) == 0);
        CHECK(strcmp(rb.text[i], buf) == 0);
        CHECK(strcmp(rc.text[i], buf) == 0);
    }
    mc_poller_free(p1); /* closes la and lb */
    mc_poller_free(p2);
}

/* A listener of group A never gets group B's packets on the same port. */
static void test_group_isolation(void) {
    mc_poller *p;
    mc_listener *la = NULL, *lb = NULL;
    struct rec ra, rb;
    mc_listener_stats st;

    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.3", 5003);
    CHECK_RC(mc_listener_new(p, o, record, &ra, &la), 0);
    CHECK_RC(mc_opts_set_group(o, "224.1.0.4"), 0);
    CHECK_RC(mc_listener_new(p, o, record, &rb, &lb), 0);
    mc_opts_free(o);

    SEND("to-B", "224.1.0.4", 5003);
    SEND("to-A", "224.1.0.3", 5003);  /* after B's: once it is here, B's had its chance */
    CHECK(wait_for(p, &ra.count, 1));
    CHECK(wait_for(p, &rb.count, 1));
    quiet(p, QUIET_MS);
    CHECK(ra.count == 1);
    CHECK(strcmp(ra.text[0], "to-A") == 0);
    CHECK(rb.count == 1);
    CHECK(strcmp(rb.text[0], "to-B") == 0);
    const uint8_t a_ip[4] = {224, 1, 0, 3}, b_ip[4] = {224, 1, 0, 4};
    CHECK(memcmp(ra.last.group.ip, a_ip, 4) == 0);
    CHECK(memcmp(rb.last.group.ip, b_ip, 4) == 0);
    get_stats(la, &st);
    CHECK(st.received == 1); /* not read and dropped: never received at all */
    mc_poller_free(p);
}

static void test_truncation(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    mc_listener_stats st;
    uint8_t big[100];

    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(0xa0 + i);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.5", 5005);
    CHECK_RC(mc_opts_set_mtu(o, 16), 0);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o);

    CHECK_RC(mc_sendto(big, sizeof big, "224.1.0.5", 5005, -1), (int)sizeof big);
    CHECK(wait_for(p, &r.count, 1));
    CHECK(r.last.len == 16);
    CHECK(r.last.size == 100);
    CHECK(memcmp(r.last_data, big, 16) == 0);
    CHECK_RC(mc_sendto(big, 16, "224.1.0.5", 5005, -1), 16); /* exactly the mtu */
    CHECK(wait_for(p, &r.count, 2));
    CHECK(r.last.len == 16 && r.last.size == 16);
    CHECK_RC(mc_sendto(big, 10, "224.1.0.5", 5005, -1), 10);
    CHECK(wait_for(p, &r.count, 3));
    CHECK(r.last.len == 10 && r.last.size == 10);
    CHECK(memcmp(r.last_data, big, 10) == 0);
    get_stats(l, &st);
    CHECK(st.received == 3);
    CHECK(st.delivered == 3);
    CHECK(st.truncated == 1);
    CHECK(st.filtered == 0);
    mc_poller_free(p);
}

/* on_packet answering non-zero closes the listener. */
static void test_stop_by_answer(void) {
    mc_poller *p, *pw;
    mc_listener *l = NULL, *witness = NULL;
    struct rec r, w;
    struct watchdog wd;

    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.stop_at = 1;
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_poller_new(&pw), 0);
    mc_opts *o = opts_for("224.1.0.6", 5006);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    CHECK_RC(mc_listener_new(pw, o, record, &w, &witness), 0);
    mc_opts_free(o);

    /* three packets wait in the socket before the first poll */
    SEND("k1", "224.1.0.6", 5006);
    SEND("k2", "224.1.0.6", 5006);
    SEND("k3", "224.1.0.6", 5006);
    CHECK(wait_for(pw, &w.count, 3)); /* they have arrived */
    CHECK_RC(mc_poll(p, WAIT_MS), 1);
    CHECK(r.count == 1);               /* closed after the first: no more calls */
    CHECK(strcmp(r.text[0], "k1") == 0);
    SEND("k4", "224.1.0.6", 5006);
    CHECK(wait_for(pw, &w.count, 4));
    quiet(p, 50);
    CHECK(r.count == 1);
    /* nothing is registered on p any more: mc_loop returns at once */
    watchdog_start(&wd, WAIT_MS, stop_poller, p);
    CHECK_RC(mc_loop(p, 100, 0), 0);
    CHECK(!watchdog_end(&wd));
    mc_poller_free(p);
    mc_poller_free(pw);
}

/* Closing a listener from inside another listener's callback. */
struct duo {
    mc_listener *l[2];
    int count[2];
    int closer;        /* index of the listener whose callback closed the other */
    int called_after;  /* calls of the closed one after its close */
    int stats_rc, fd_rc;
};
struct duo_member { struct duo *d; int i; };

static int duo_cb(void *ud, const mc_packet *p) {
    struct duo_member *m = ud;
    struct duo *d = m->d;
    (void)p;
    if (d->closer >= 0 && d->closer != m->i) d->called_after++;
    d->count[m->i]++;
    if (d->closer < 0) {
        mc_listener_stats st;
        d->closer = m->i;
        mc_listener_close(d->l[1 - m->i]);
        d->stats_rc = mc_listener_get_stats(d->l[1 - m->i], &st);
        d->fd_rc = mc_listener_fd(d->l[1 - m->i]);
        mc_listener_close(d->l[1 - m->i]); /* twice: no-op */
    }
    return 0;
}

static void test_close_other_in_callback(void) {
    mc_poller *p;
    struct duo d;
    struct duo_member m0, m1;

    memset(&d, 0, sizeof d);
    d.closer = -1;
    m0.d = &d; m0.i = 0;
    m1.d = &d; m1.i = 1;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.7", 5007);
    CHECK_RC(mc_listener_new(p, o, duo_cb, &m0, &d.l[0]), 0);
    CHECK_RC(mc_listener_new(p, o, duo_cb, &m1, &d.l[1]), 0);
    mc_opts_free(o);

    SEND("d1", "224.1.0.7", 5007);
    SEND("d2", "224.1.0.7", 5007);
    SEND("d3", "224.1.0.7", 5007);
    long end = now_ms() + WAIT_MS;
    while ((d.closer < 0 || d.count[d.closer] < 3) && now_ms() < end) mc_poll(p, 20);
    CHECK(d.closer >= 0);
    if (d.closer < 0) { mc_poller_free(p); return; }
    int kept = d.closer, gone = 1 - d.closer;
    CHECK(d.count[kept] == 3);
    CHECK(d.count[gone] == 0); /* closed before any of its callbacks ran */
    CHECK(d.called_after == 0);
    CHECK(d.stats_rc == MC_ECLOSED);
    CHECK(d.fd_rc == MC_ECLOSED);
    SEND("d4", "224.1.0.7", 5007);
    SEND("d5", "224.1.0.7", 5007);
    CHECK(wait_for(p, &d.count[kept], 5));
    quiet(p, 50);
    CHECK(d.count[kept] == 5);
    CHECK(d.count[gone] == 0 && d.called_after == 0);
    mc_listener_close(d.l[kept]);
    mc_poller_free(p);
}

/* Calls on a listener closed earlier in the running callback: MC_ECLOSED,
   before any other check. */
struct selfclose {
    mc_listener *l;
    int count;
    int stats_rc, stats_null_rc, fd_rc, rb_rc, filter_rc, regex_rc, badregex_rc,
        next_rc, drops_rc;
};

static int close_self(void *ud, const mc_packet *p) {
    struct selfclose *c = ud;
    mc_listener_stats st;
    const mc_packet *pk;
    uint64_t drops;
    (void)p;
    c->count++;
    mc_listener_close(c->l);
    c->stats_rc = mc_listener_get_stats(c->l, &st);
    c->stats_null_rc = mc_listener_get_stats(c->l, NULL);
    c->fd_rc = mc_listener_fd(c->l);
    c->rb_rc = mc_listener_recv_buffer(c->l);
    c->filter_rc = mc_listener_set_filter(c->l, accept_all, NULL);
    c->regex_rc = mc_listener_set_filter_regex(c->l, "x");
    c->badregex_rc = mc_listener_set_filter_regex(c->l, "(");
    c->next_rc = mc_listener_next(c->l, &pk, 0); /* would be MC_EINVAL if open */
    c->drops_rc = mc_listener_queue_drops(c->l, &drops);
    mc_listener_close(c->l); /* again: no-op */
    return 0;
}

static void test_close_self_in_callback(void) {
    mc_poller *p, *pw;
    struct selfclose c;
    struct rec w;
    mc_listener *witness = NULL;
    struct watchdog wd;

    memset(&c, 0, sizeof c);
    memset(&w, 0, sizeof w);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_poller_new(&pw), 0);
    mc_opts *o = opts_for("224.1.0.8", 5008);
    CHECK_RC(mc_listener_new(p, o, close_self, &c, &c.l), 0);
    CHECK_RC(mc_listener_new(pw, o, record, &w, &witness), 0);
    mc_opts_free(o);

    SEND("e1", "224.1.0.8", 5008);
    SEND("e2", "224.1.0.8", 5008);
    CHECK(wait_for(pw, &w.count, 2));
    CHECK_RC(mc_poll(p, WAIT_MS), 1);
    CHECK(c.count == 1);
    CHECK_RC(c.stats_rc, MC_ECLOSED);
    CHECK_RC(c.stats_null_rc, MC_ECLOSED);
    CHECK_RC(c.fd_rc, MC_ECLOSED);
    CHECK_RC(c.rb_rc, MC_ECLOSED);
    CHECK_RC(c.filter_rc, MC_ECLOSED);
    CHECK_RC(c.regex_rc, MC_ECLOSED);
    CHECK_RC(c.badregex_rc, MC_ECLOSED);
    CHECK_RC(c.next_rc, MC_ECLOSED);
    CHECK_RC(c.drops_rc, MC_ECLOSED);
    SEND("e3", "224.1.0.8", 5008);
    CHECK(wait_for(pw, &w.count, 3));
    quiet(p, 50);
    CHECK(c.count == 1);
    watchdog_start(&wd, WAIT_MS, stop_poller, p);
    CHECK_RC(mc_loop(p, 100, 0), 0); /* nothing registered */
    CHECK(!watchdog_end(&wd));
    mc_poller_free(p);
    mc_poller_free(pw);
}

/* Creating listeners inside a callback. */
struct creator {
    mc_poller *p;
    int count;
    int rc_other, rc_same;
    mc_listener *other, *same;
    struct rec r_other, r_same;
};

static int create_in_cb(void *ud, const mc_packet *pk) {
    struct creator *c = ud;
    (void)pk;
    c->count++;
    if (c->count == 1) {
        mc_opts *o = opts_for("224.1.0.10", 5010);
        c->rc_other = mc_listener_new(c->p, o, record, &c->r_other, &c->other);
        CHECK_RC(mc_opts_set_group(o, "224.1.0.9"), 0);
        CHECK_RC(mc_opts_set_port(o, 5009), 0);
        c->rc_same = mc_listener_new(c->p, o, record, &c->r_same, &c->same);
        mc_opts_free(o);
    }
    return 0;
}

static void test_create_in_callback(void) {
    struct creator c;
    mc_listener *l = NULL;

    memset(&c, 0, sizeof c);
    c.rc_other = c.rc_same = 1;
    CHECK_RC(mc_poller_new(&c.p), 0);
    mc_opts *o = opts_for("224.1.0.9", 5009);
    CHECK_RC(mc_listener_new(c.p, o, create_in_cb, &c, &l), 0);
    mc_opts_free(o);
    SEND("c1", "224.1.0.9", 5009);
    CHECK(wait_for(c.p, &c.count, 1));
    CHECK_RC(c.rc_other, 0);
    CHECK_RC(c.rc_same, 0);
    CHECK(c.other != NULL && c.same != NULL);
    SEND("o1", "224.1.0.10", 5010);
    SEND("c2", "224.1.0.9", 5009);
    CHECK(wait_for(c.p, &c.r_other.count, 1));
    CHECK(wait_for(c.p, &c.r_same.count, 1));
    CHECK(wait_for(c.p, &c.count, 2));
    quiet(c.p, 30);
    CHECK(c.r_other.count == 1 && strcmp(c.r_other.text[0], "o1") == 0);
    CHECK(c.r_same.count == 1 && strcmp(c.r_same.text[0], "c2") == 0);
    CHECK(c.count == 2);
    mc_poller_free(c.p); /* closes all three */
}

/* --- bad input ------------------------------------------------------------ */

static void test_bad_input(void) {
    mc_poller *p;
    mc_listener *l = NULL, *bad = (mc_listener *)&p;
    mc_listener_stats st;
    const mc_packet *pk;
    uint64_t drops = 99;
    struct rec r;

    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.40", 5040);

    CHECK_RC(mc_listener_new(p, o, record, &r, NULL), MC_EINVAL);
    CHECK_MSG("out");
    /* a source of the other family: MC_EADDRESS, *out NULL */
    CHECK_RC(mc_opts_set_source(o, "fd42::2"), 0);
    CHECK_RC(mc_listener_new(p, o, record, &r, &bad), MC_EADDRESS);
    CHECK(bad == NULL);
    CHECK_RC(mc_opts_set_source(o, NULL), 0);
    CHECK_RC(mc_poll(p, 0), 0); /* nothing was left registered */

    CHECK_RC(mc_listener_set_filter(NULL, accept_all, NULL), MC_EINVAL);
    CHECK_MSG("listener");
    CHECK_RC(mc_listener_set_filter_regex(NULL, "x"), MC_EINVAL);
    CHECK_RC(mc_listener_set_filter_regex(NULL, NULL), MC_EINVAL);
    CHECK_RC(mc_listener_next(NULL, &pk, 0), MC_EINVAL);
    CHECK_RC(mc_listener_fd(NULL), MC_EINVAL);
    CHECK_RC(mc_listener_get_stats(NULL, &st), MC_EINVAL);
    CHECK_RC(mc_listener_recv_buffer(NULL), MC_EINVAL);
    CHECK_RC(mc_listener_queue_drops(NULL, &drops), MC_EINVAL);
    mc_listener_close(NULL); /* no-op */

    /* pull listener: NULL out pointers */
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
    mc_opts_free(o);
    CHECK_RC(mc_listener_next(l, NULL, 0), MC_EINVAL);
    CHECK_MSG("out");
    CHECK_RC(mc_listener_get_stats(l, NULL), MC_EINVAL);
    CHECK_RC(mc_listener_queue_drops(l, NULL), MC_EINVAL);
    CHECK_RC(mc_listener_queue_drops(l, &drops), 0);
    CHECK(drops == 0);
    CHECK_RC(mc_listener_set_filter_regex(l, "("), MC_EREGEX);

    /* the failed calls changed nothing: it still receives, unfiltered */
    SEND("still", "224.1.0.40", 5040);
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    if (pk) CHECK(pk->len == 5 && memcmp(pk->data, "still", 5) == 0);
    get_stats(l, &st);
    CHECK(st.received == 1 && st.delivered == 1 && st.filtered == 0);
    mc_listener_close(l);
    mc_poller_free(p);
}

int main(void) {
    require_private_netns();
    test_packet_fields();
    test_shared_group();
    test_group_isolation();
    test_truncation();
    test_stop_by_answer();
    test_close_other_in_callback();
    test_close_self_in_callback();
    test_create_in_callback();
    test_bad_input();
    return check_done("listener");
}
