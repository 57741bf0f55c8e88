/* listener.c - listeners, filters, pull mode and mc_listen through
 * libmulticast.so, IPv4 on lo (inside tests/netns-run's namespace).
 *
 * Groups 224.1.0.x and ports 5001..5099 belong to this program (the other C
 * programs on lo run at the same time in the same namespace).
 * Every wait is bounded: WAIT_MS for what must happen, QUIET_MS of polling
 * for what must not. */
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

static const uint8_t LOOPBACK_IP[4] = {127, 0, 0, 1};

/* Sends a text with mc_sendto (default ttl) and checks the byte count. */
#define SEND(text, group, port)                                                \
    CHECK_RC(mc_sendto((text), strlen(text), (group), (port), -1), (int)strlen(text))

static void get_stats(mc_listener *l, mc_listener_stats *st) {
    memset(st, 0xab, sizeof *st);
    CHECK_RC(mc_listener_get_stats(l, st), 0);
}

/* --- a recorder for on_packet ---------------------------------------------- */

#define REC_MAX 64
#define REC_TEXT 32

struct rec {
    int count;          /* on_packet calls */
    int stop_at;        /* answer non-zero at this call (0: never) */
    mc_packet last;     /* the last packet (its data pointer cleared) */
    uint8_t last_data[2048];
    char text[REC_MAX][REC_TEXT]; /* the packets as strings */
};

static int record(void *ud, const mc_packet *p) {
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
    return r->stop_at != 0 && r->count == r->stop_at;
}

static int accept_all(void *ud, const mc_packet *p) {
    (void)ud;
    (void)p;
    return 1;
}

/* --- raw sender: a plain socket, so the sender's port is known ------------ */

static int raw_sender(uint16_t *port) {
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

static void raw_send(int s, const char *group, uint16_t port, const void *data, size_t len) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    CHECK(inet_pton(AF_INET, group, &a.sin_addr) == 1);
    CHECK(sendto(s, data, len, 0, (struct sockaddr *)&a, sizeof a) == (ssize_t)len);
}

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

/* --- filters ------------------------------------------------------------- */

struct fctx {
    int calls;
    int close_at;       /* close `l` at this call (0: never) */
    mc_listener *l;
    uint16_t port_seen;
    char want;          /* accept packets starting with this byte */
};

static int filter_first_byte(void *ud, const mc_packet *p) {
    struct fctx *f = ud;
    f->calls++;
    f->port_seen = p->group.port;
    if (f->close_at && f->calls == f->close_at) mc_listener_close(f->l);
    return p->len > 0 && p->data[0] == (uint8_t)f->want;
}

static void test_filter_callback(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    struct fctx f;
    mc_listener_stats st;

    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    f.want = 'A';
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.11", 5011);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o);
    CHECK_RC(mc_listener_set_filter(l, filter_first_byte, &f), 0);
    SEND("A1", "224.1.0.11", 5011);
    SEND("B1", "224.1.0.11", 5011);
    SEND("A2", "224.1.0.11", 5011);
    SEND("B2", "224.1.0.11", 5011);
    SEND("A3", "224.1.0.11", 5011);
    CHECK(wait_for(p, &f.calls, 5));
    quiet(p, 30);
    CHECK(f.calls == 5);
    CHECK(f.port_seen == 5011);
    CHECK(r.count == 3);
    CHECK(strcmp(r.text[0], "A1") == 0 && strcmp(r.text[1], "A2") == 0 &&
          strcmp(r.text[2], "A3") == 0);
    get_stats(l, &st);
    CHECK(st.received == 5);
    CHECK(st.delivered == 3);
    CHECK(st.filtered == 2);
    mc_poller_free(p);
}

/* A filter closing its own listener: on_packet never sees that packet. */
static void test_filter_closes_listener(void) {
    mc_poller *p;
    struct rec r;
    struct fctx f;

    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    f.want = 'A';
    f.close_at = 2;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.12", 5012);
    CHECK_RC(mc_listener_new(p, o, record, &r, &f.l), 0);
    mc_opts_free(o);
    CHECK_RC(mc_listener_set_filter(f.l, filter_first_byte, &f), 0);
    SEND("A1", "224.1.0.12", 5012);
    SEND("A2", "224.1.0.12", 5012); /* the filter closes the listener on this one */
    SEND("A3", "224.1.0.12", 5012);
    CHECK(wait_for(p, &f.calls, 2));
    quiet(p, 50);
    CHECK(f.calls == 2);
    CHECK(r.count == 1 && strcmp(r.text[0], "A1") == 0);
    CHECK_RC(mc_poll(p, 0), 0); /* nothing registered */
    mc_poller_free(p);
}

/* Sends the texts, then `marker` (which the filter accepts), and polls until
   the marker arrived: every earlier packet has then been through the filter. */
static void send_then_marker(mc_poller *p, struct rec *r, const char *group, uint16_t port,
                             const char *const *texts, size_t n, const char *marker) {
    int want = r->count + 1;
    for (size_t i = 0; i < n; i++) SEND(texts[i], group, port);
    SEND(marker, group, port);
    long end = now_ms() + WAIT_MS;
    while (now_ms() < end) {
        int seen = 0;
        for (int i = 0; i < r->count && i < REC_MAX; i++)
            if (strcmp(r->text[i], marker) == 0) seen = 1;
        if (seen && r->count >= want) break;
        mc_poll(p, 20);
    }
    quiet(p, 20);
}

static void test_filter_regex(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    mc_listener_stats st;

    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.13", 5013);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o);

    /* bytes: \xff at the start only */
    CHECK_RC(mc_listener_set_filter_regex(l, "(?-u)\\xff"), 0);
    const char *bytes_in[] = {"\xff" "abc", "a\xff", "\xfe\xff", "\xff"};
    send_then_marker(p, &r, "224.1.0.13", 5013, bytes_in, 4, "\xff" "end");
    CHECK(r.count == 3);
    CHECK(strcmp(r.text[0], "\xff" "abc") == 0);
    CHECK(strcmp(r.text[1], "\xff") == 0);
    CHECK(strcmp(r.text[2], "\xff" "end") == 0);
    get_stats(l, &st);
    CHECK(st.received == 5 && st.delivered == 3 && st.filtered == 2);

    /* an alternation is anchored as a whole */
    CHECK_RC(mc_listener_set_filter_regex(l, "ab|cd"), 0);
    const char *alt_in[] = {"xab", "cd1", "xcd", "ab2"};
    send_then_marker(p, &r, "224.1.0.13", 5013, alt_in, 4, "ab-end");
    CHECK(r.count == 6);
    CHECK(strcmp(r.text[3], "cd1") == 0);
    CHECK(strcmp(r.text[4], "ab2") == 0);
    CHECK(strcmp(r.text[5], "ab-end") == 0);
    get_stats(l, &st);
    CHECK(st.received == 10 && st.delivered == 6 && st.filtered == 4);
    mc_poller_free(p);
}

/* ${ip}, ${port} and ${mtu} are replaced by escaped literals. */
static void test_filter_template(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    mc_listener_stats st;

    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.14", 5014);
    CHECK_RC(mc_opts_set_mtu(o, 1400), 0);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o);
    CHECK_RC(mc_listener_set_filter_regex(l, "${ip}:${port}/${mtu}"), 0);
    const char *in[] = {
        "224.1.0.14:5014/1400 one", /* accepted */
        "224x1x0x14:5014/1400",     /* the dots are literal dots */
        "224.1.0.14:5015/1400",     /* another port */
        "224.1.0.14:5014/1500",     /* another mtu */
        " 224.1.0.14:5014/1400",    /* not at the start */
        "${ip}:${port}/${mtu}",     /* the template itself */
    };
    send_then_marker(p, &r, "224.1.0.14", 5014, in, 6, "224.1.0.14:5014/1400 end");
    CHECK(r.count == 2);
    CHECK(strcmp(r.text[0], "224.1.0.14:5014/1400 one") == 0);
    CHECK(strcmp(r.text[1], "224.1.0.14:5014/1400 end") == 0);
    get_stats(l, &st);
    CHECK(st.received == 7 && st.delivered == 2 && st.filtered == 5);
    mc_poller_free(p);
}

/* A bad pattern keeps the old filter; NULL removes; each kind replaces the other. */
static void test_filter_errors_and_replace(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct rec r;
    struct fctx f;
    mc_listener_stats st;

    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.15", 5015);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    mc_opts_free(o);

    CHECK_RC(mc_listener_set_filter_regex(l, "A"), 0);
    CHECK_RC(mc_listener_set_filter_regex(l, "(unclosed"), MC_EREGEX);
    CHECK_MSG("(unclosed");
    CHECK_RC(mc_listener_set_filter_regex(l, "[z-a]"), MC_EREGEX);
    CHECK_MSG("[z-a]");
    CHECK_RC(mc_listener_set_filter_regex(l, "\xff\xfe("), MC_EREGEX); /* not UTF-8 */
    const char *b1[] = {"B1"};
    send_then_marker(p, &r, "224.1.0.15", 5015, b1, 1, "A1");
    CHECK(r.count == 1 && strcmp(r.text[0], "A1") == 0); /* "A" still filters */

    /* NULL removes the filter */
    CHECK_RC(mc_listener_set_filter_regex(l, NULL), 0);
    const char *b2[] = {"B2"};
    send_then_marker(p, &r, "224.1.0.15", 5015, b2, 1, "A2");
    CHECK(r.count == 3 && strcmp(r.text[1], "B2") == 0 && strcmp(r.text[2], "A2") == 0);

    /* a callback filter, replaced by a pattern: the callback is not called again */
    f.want = 'B';
    CHECK_RC(mc_listener_set_filter(l, filter_first_byte, &f), 0);
    const char *a3[] = {"A3"};
    send_then_marker(p, &r, "224.1.0.15", 5015, a3, 1, "B3");
    CHECK(f.calls == 2);
    CHECK(r.count == 4 && strcmp(r.text[3], "B3") == 0);
    CHECK_RC(mc_listener_set_filter_regex(l, "A"), 0);
    const char *b4[] = {"B4"};
    send_then_marker(p, &r, "224.1.0.15", 5015, b4, 1, "A4");
    CHECK(f.calls == 2);
    CHECK(r.count == 5 && strcmp(r.text[4], "A4") == 0);

    /* a pattern replaced by a callback */
    CHECK_RC(mc_listener_set_filter(l, filter_first_byte, &f), 0);
    const char *a5[] = {"A5"};
    send_then_marker(p, &r, "224.1.0.15", 5015, a5, 1, "B5");
    CHECK(f.calls == 4);
    CHECK(r.count == 6 && strcmp(r.text[5], "B5") == 0);

    /* a bad pattern leaves the callback filter in place */
    CHECK_RC(mc_listener_set_filter_regex(l, "a{2,1}"), MC_EREGEX);
    CHECK_MSG("a{2,1}");
    const char *a6[] = {"A6"};
    send_then_marker(p, &r, "224.1.0.15", 5015, a6, 1, "B6");
    CHECK(f.calls == 6);
    CHECK(r.count == 7 && strcmp(r.text[6], "B6") == 0);

    /* NULL callback removes it */
    CHECK_RC(mc_listener_set_filter(l, NULL, NULL), 0);
    const char *a7[] = {"A7"};
    send_then_marker(p, &r, "224.1.0.15", 5015, a7, 1, "B7");
    CHECK(f.calls == 6);
    CHECK(r.count == 9 && strcmp(r.text[7], "A7") == 0 && strcmp(r.text[8], "B7") == 0);

    get_stats(l, &st);
    CHECK(st.received == 14);
    CHECK(st.delivered == 9);
    CHECK(st.filtered == 5);
    mc_poller_free(p);
}

/* --- pull mode ------------------------------------------------------------ */

struct piper { int calls; int next_rc; mc_listener *l; };

static void pipe_read(void *ud, int fd) {
    struct piper *pp = ud;
    char b[16];
    if (read(fd, b, sizeof b) < 0) { /* nothing */ }
    pp->calls++;
    if (pp->l) {
        const mc_packet *pk;
        pp->next_rc = mc_listener_next(pp->l, &pk, 0);
    }
}

static void send_rescue(void *arg) {
    (void)arg;
    mc_sendto("rescue", 6, "224.1.0.20", 5020, -1);
}

static void test_pull_mode(void) {
    mc_poller *p;
    mc_listener *l = NULL, *lc = NULL;
    struct rec rc;
    const mc_packet *pk;
    mc_packet dummy;
    mc_listener_stats st;
    struct watchdog wd;
    const uint8_t group_ip[4] = {224, 1, 0, 20};

    memset(&rc, 0, sizeof rc);
    memset(&dummy, 0, sizeof dummy);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.1.0.20", 5020);
    CHECK_RC(mc_listener_new(p, o, NULL, NULL, &l), 0);
    CHECK_RC(mc_listener_new(p, o, record, &rc, &lc), 0);
    mc_opts_free(o);
    if (!l) { mc_poller_free(p); return; }

    /* nothing sent: 0 and *out NULL, after about the timeout */
    pk = &dummy;
    long t0 = now_ms();
    CHECK_RC(mc_listener_next(l, &pk, 100), 0);
    long dt = now_ms() - t0;
    CHECK(pk == NULL);
    CHECK(dt >= 80 && dt < WAIT_MS);
    pk = &dummy;
    CHECK_RC(mc_listener_next(l, &pk, 0), 0);
    CHECK(pk == NULL);

    /* a listener with a callback is not for pulling */
    CHECK_RC(mc_listener_next(lc, &pk, 0), MC_EINVAL);

    SEND("p1", "224.1.0.20", 5020);
    SEND("p22", "224.1.0.20", 5020);
    pk = NULL;
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    CHECK(pk != NULL);
    if (pk) {
        CHECK(pk->len == 2 && pk->size == 2 && memcmp(pk->data, "p1", 2) == 0);
        CHECK(pk->from.family == AF_INET && memcmp(pk->from.ip, LOOPBACK_IP, 4) == 0);
        CHECK(pk->from.port != 0);
        CHECK(pk->group.family == AF_INET && pk->group.port == 5020);
        CHECK(memcmp(pk->group.ip, group_ip, 4) == 0);
        CHECK(pk->ifindex == 1);
    }
    /* the packet stays valid while the poller reads more, until the next call */
    SEND("p333", "224.1.0.20", 5020);
    CHECK(wait_for(p, &rc.count, 3)); /* the callback listener saw all three */
    quiet(p, 20);
    if (pk) CHECK(pk->len == 2 && memcmp(pk->data, "p1", 2) == 0);
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    if (pk) CHECK(pk->len == 3 && memcmp(pk->data, "p22", 3) == 0);
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    if (pk) CHECK(pk->len == 4 && memcmp(pk->data, "p333", 4) == 0);
    CHECK_RC(mc_listener_next(l, &pk, 0), 0);
    CHECK(pk == NULL);
    get_stats(l, &st);
    CHECK(st.received == 3 && st.delivered == 3 && st.filtered == 0);

    /* a filter applies in pull mode too */
    CHECK_RC(mc_listener_set_filter_regex(l, "keep"), 0);
    SEND("drop1", "224.1.0.20", 5020);
    SEND("keep1", "224.1.0.20", 5020);
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    if (pk) CHECK(pk->len == 5 && memcmp(pk->data, "keep1", 5) == 0);
    get_stats(l, &st);
    CHECK(st.received == 5 && st.delivered == 4 && st.filtered == 1);
    CHECK_RC(mc_listener_set_filter_regex(l, NULL), 0);

    /* while waiting, the poller serves its other registrations */
    struct piper pp;
    int fds[2];
    memset(&pp, 0, sizeof pp);
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(p, fds[0], 0, pipe_read, NULL, &pp), 0);
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_listener_next(l, &pk, 100), 0);
    CHECK(pp.calls == 1);

    /* from inside a callback of the same poller, with nothing queued: MC_EBUSY */
    pp.l = l;
    pp.next_rc = 12345;
    CHECK(write(fds[1], "x", 1) == 1);
    CHECK_RC(mc_poll(p, WAIT_MS), 1);
    CHECK(pp.calls == 2);
    CHECK_RC(pp.next_rc, MC_EBUSY);
    CHECK_RC(mc_unregister(p, fds[0]), 0);
    close(fds[0]);
    close(fds[1]);

    /* a stop made before the call ends a wait-forever next at once with 0 */
    mc_stop(p);
    watchdog_start(&wd, WAIT_MS, send_rescue, NULL);
    pk = &dummy;
    CHECK_RC(mc_listener_next(l, &pk, -1), 0);
    CHECK(pk == NULL);
    CHECK(!watchdog_end(&wd));

    mc_listener_close(l);
    mc_listener_close(lc);
    CHECK_RC(mc_poll(p, 0), 0);
    mc_poller_free(p);

    /* pull mode on the default poller */
    o = opts_for("224.1.0.21", 5021);
    l = NULL;
    CHECK_RC(mc_listener_new(NULL, o, NULL, NULL, &l), 0);
    mc_opts_free(o);
    SEND("dflt", "224.1.0.21", 5021);
    CHECK_RC(mc_listener_next(l, &pk, WAIT_MS), 1);
    if (pk) CHECK(pk->len == 4 && memcmp(pk->data, "dflt", 4) == 0);
    mc_listener_close(l);
}

/* --- mc_listen ------------------------------------------------------------ */

struct listen_ctx {
    const char *group;
    uint16_t port;
    int nsend;           /* packets the kick sends */
    int stop_on;         /* handler answers non-zero on this call (0: never) */
    int calls;
    int busy_rc;
    size_t len[16], size[16];
    char text[16][REC_TEXT];
};

static int listen_handler(void *ud, const mc_packet *p) {
    struct listen_ctx *c = ud;
    if (c->calls < 16) {
        size_t n = p->len < REC_TEXT - 1 ? p->len : REC_TEXT - 1;
        if (n) memcpy(c->text[c->calls], p->data, n);
        c->text[c->calls][n] = '\0';
        c->len[c->calls] = p->len;
        c->size[c->calls] = p->size;
    }
    c->calls++;
    return c->stop_on != 0 && c->calls == c->stop_on;
}

/* Registered on the default poller: runs once mc_listen polls, i.e. after
   its listener exists; sends the packets. */
static void listen_kick(void *ud, int fd) {
    struct listen_ctx *c = ud;
    char b[8], text[32];
    if (read(fd, b, sizeof b) < 0) { /* nothing */ }
    CHECK_RC(mc_unregister(NULL, fd), 0);
    c->busy_rc = mc_listen(listen_handler, c, c->group, c->port, 0, 1);
    for (int i = 0; i < c->nsend; i++) {
        snprintf(text, sizeof text, "L%d-%d", c->port, i);
        CHECK_RC(mc_sendto(text, strlen(text), c->group, c->port, -1), (int)strlen(text));
    }
}

static int run_listen(struct listen_ctx *c, size_t mtu, size_t limit) {
    int fds[2];
    struct watchdog wd;
    CHECK(pipe(fds) == 0);
    CHECK_RC(mc_register(NULL, fds[0], 0, listen_kick, NULL, c), 0);
    CHECK(write(fds[1], "k", 1) == 1);
    watchdog_start(&wd, WAIT_MS, stop_poller, NULL);
    int rc = mc_listen(listen_handler, c, c->group, c->port, mtu, limit);
    CHECK(!watchdog_end(&wd));
    mc_unregister(NULL, fds[0]); /* in case the kick never ran */
    close(fds[0]);
    close(fds[1]);
    return rc;
}

static void test_listen(void) {
    struct listen_ctx c;
    char want[32];
    struct watchdog wd;

    /* limit: exactly `limit` handled, then it stops */
    memset(&c, 0, sizeof c);
    c.group = "224.1.0.30";
    c.port = 5030;
    c.nsend = 8;
    c.busy_rc = 1;
    CHECK_RC(run_listen(&c, 0, 5), 5);
    CHECK(c.calls == 5);
    CHECK_RC(c.busy_rc, MC_EBUSY); /* mc_listen inside a default-poller callback */
    for (int i = 0; i < 5 && i < c.calls; i++) {
        snprintf(want, sizeof want, "L5030-%d", i);
        CHECK(strcmp(c.text[i], want) == 0);
    }
    /* its listener is gone: the rest is never handled, nothing stays registered */
    quiet(NULL, 50);
    CHECK(c.calls == 5);
    watchdog_start(&wd, WAIT_MS, stop_poller, NULL);
    CHECK_RC(mc_loop(NULL, 100, 0), 0);
    CHECK(!watchdog_end(&wd));

    /* the handler's non-zero answer counts that packet; mtu applies */
    memset(&c, 0, sizeof c);
    c.group = "224.1.0.31";
    c.port = 5031;
    c.nsend = 6;
    c.stop_on = 3;
    CHECK_RC(run_listen(&c, 4, 0), 3);
    CHECK(c.calls == 3);
    CHECK(strcmp(c.text[0], "L503") == 0); /* "L5031-0" cut to the mtu */
    CHECK(c.len[2] == 4 && c.size[2] == 7);
    quiet(NULL, 50);
    CHECK(c.calls == 3);

    /* non-zero at once, with a limit too */
    memset(&c, 0, sizeof c);
    c.group = "224.1.0.32";
    c.port = 5032;
    c.nsend = 3;
    c.stop_on = 1;
    CHECK_RC(run_listen(&c, 0, 10), 1);
    CHECK(c.calls == 1);

    /* bad input: nothing listens, nothing polls */
    watchdog_start(&wd, WAIT_MS, stop_poller, NULL);
    CHECK_RC(mc_listen(NULL, NULL, "224.1.0.33", 5033, 0, 1), MC_EINVAL);
    CHECK_MSG("handler");
    CHECK_RC(mc_listen(listen_handler, &c, "10.0.0.1", 5033, 0, 1), MC_EADDRESS);
    CHECK_MSG("10.0.0.1");
    CHECK_RC(mc_listen(listen_handler, &c, "garbage", 5033, 0, 1), MC_EADDRESS);
    CHECK_MSG("garbage");
    CHECK_RC(mc_listen(listen_handler, &c, "224.1.0.33", 5033, 70000, 1), MC_EINVAL);
    CHECK_MSG("70000");
    CHECK(!watchdog_end(&wd));
    CHECK(c.calls == 1);
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
    test_filter_callback();
    test_filter_closes_listener();
    test_filter_regex();
    test_filter_template();
    test_filter_errors_and_replace();
    test_pull_mode();
    test_listen();
    test_bad_input();
    return check_done("listener");
}
