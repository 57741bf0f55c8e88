/* multicaster.c - mc_multicaster_* through libmulticast.so, IPv4 on lo
 * (inside tests/netns-run's namespace). A library listener on the same
 * poller receives what the multicaster sends; a plain socket with
 * IP_RECVTTL checks the ttl.
 *
 * Groups 224.3.0.x and ports 5401..5499 belong to this program (the other C
 * programs on lo run at the same time in the same namespace).
 * Every wait is bounded. */
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

/* ========================================================================= */

/* Packets from an array, then MC_NEXT_DONE. */
#define ARRAY_N 50
static char array_items[ARRAY_N][16];

struct array_src {
    int i, n;
    int calls;
    int done;         /* MC_NEXT_DONE answered */
    int after_done;   /* calls after that */
};

static int next_from_array(void *ud, const uint8_t **data, size_t *len) {
    struct array_src *s = ud;
    s->calls++;
    if (s->done) { s->after_done++; return MC_NEXT_DONE; }
    if (s->i >= s->n) { s->done = 1; return MC_NEXT_DONE; }
    *data = (const uint8_t *)array_items[s->i];
    *len = strlen(array_items[s->i]);
    s->i++;
    return MC_NEXT_PACKET;
}

static void test_array_then_done(void) {
    mc_poller *p;
    mc_multicaster *m = NULL;
    mc_listener *l = NULL;
    struct array_src s;
    struct rec r;
    const uint8_t group_ip[4] = {224, 3, 0, 1};

    for (int i = 0; i < ARRAY_N; i++)
        snprintf(array_items[i], sizeof array_items[i], "a%0*d", 1 + i % 5, i);
    memset(&s, 0, sizeof s);
    s.n = ARRAY_N;
    memset(&r, 0, sizeof r);
    r.stop_at = ARRAY_N; /* the listener closes itself after the last */
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.1", 5401);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_from_array, &s, &m), 0);
    mc_opts_free(o);
    CHECK(m != NULL);
    CHECK(s.calls == 0); /* never from inside mc_multicaster_new */

    /* the multicaster closes itself at DONE, the listener after the last
       packet: then nothing is registered and the loop ends */
    LOOP_ENDS(p);
    CHECK(r.count == ARRAY_N);
    for (int i = 0; i < ARRAY_N && i < r.count; i++) {
        if (strcmp(r.text[i], array_items[i]) != 0) {
            fprintf(stderr, "packet %d: got \"%s\", want \"%s\"\n", i, r.text[i], array_items[i]);
            CHECK(0);
            break;
        }
    }
    CHECK(s.done);
    CHECK(s.calls == ARRAY_N + 1);
    CHECK(s.after_done == 0);
    CHECK(r.last.group.family == AF_INET && r.last.group.port == 5401);
    CHECK(memcmp(r.last.group.ip, group_ip, 4) == 0);
    CHECK(r.last.ifindex == 1);
    mc_poller_free(p);
}

/* MC_NEXT_WAIT: no more asking until mc_multicaster_resume. The packet is
   built in one buffer that each call overwrites. */
struct wait_src {
    int i, n, wait_at;
    int calls;
    int waiting;               /* answered WAIT, not resumed yet */
    int calls_while_waiting;
    int done;
    char buf[16];
};

static int next_with_wait(void *ud, const uint8_t **data, size_t *len) {
    struct wait_src *s = ud;
    s->calls++;
    if (s->waiting) s->calls_while_waiting++;
    if (s->i == s->wait_at && !s->waiting) {
        s->waiting = 1;
        s->wait_at = -1;
        return MC_NEXT_WAIT;
    }
    if (s->i >= s->n) { s->done = 1; return MC_NEXT_DONE; }
    snprintf(s->buf, sizeof s->buf, "w%02d", s->i++);
    *data = (const uint8_t *)s->buf;
    *len = strlen(s->buf);
    return MC_NEXT_PACKET;
}

static void test_wait_and_resume(void) {
    mc_poller *p;
    mc_multicaster *m = NULL;
    mc_listener *l = NULL;
    struct wait_src s;
    struct rec r;
    char want[16];

    memset(&s, 0, sizeof s);
    s.n = 10;
    s.wait_at = 5;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.2", 5402);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_with_wait, &s, &m), 0);
    mc_opts_free(o);
    if (!m) { mc_poller_free(p); return; }

    CHECK_RC(mc_multicaster_resume(m), 0); /* not waiting: a no-op */
    CHECK(s.calls == 0);                   /* and next is not called from it */

    CHECK(wait_for(p, &r.count, 5));
    CHECK(s.waiting);
    CHECK(s.calls == 6); /* five packets and the WAIT */
    uint64_t sent = 99, failed = 99;
    CHECK_RC(mc_multicaster_get_counts(m, &sent, &failed), 0);
    CHECK(sent == 5 && failed == 0);
    quiet(p, QUIET_MS);  /* writable all along, yet not asked */
    CHECK(s.calls == 6);
    CHECK(s.calls_while_waiting == 0);
    CHECK(r.count == 5);

    s.waiting = 0;
    CHECK_RC(mc_multicaster_resume(m), 0);
    CHECK(s.calls == 6);                   /* asked only from the dispatch */
    CHECK_RC(mc_multicaster_resume(m), 0); /* no longer waiting: no-op */
    CHECK(wait_for(p, &r.count, 10));
    CHECK(wait_for(p, &s.done, 1));
    CHECK(s.calls == 12); /* 6, five more packets and the DONE */
    CHECK(s.calls_while_waiting == 0);
    CHECK(r.count == 10);
    for (int i = 0; i < 10 && i < r.count; i++) {
        snprintf(want, sizeof want, "w%02d", i);
        CHECK(strcmp(r.text[i], want) == 0);
    }
    mc_listener_close(l);
    CHECK_RC(mc_poll(p, 0), 0); /* the multicaster freed itself: nothing left */
    mc_poller_free(p);
}

/* Answers that count as MC_NEXT_WAIT: PACKET with NULL data and len > 0,
   and unknown numbers. PACKET with NULL data and len 0 sends an empty one. */
struct odd_src { int calls; int waiting; int calls_while_waiting; int done; };

static int next_odd(void *ud, const uint8_t **data, size_t *len) {
    struct odd_src *s = ud;
    s->calls++;
    if (s->waiting) s->calls_while_waiting++;
    switch (s->calls) {
    case 1: *data = NULL; *len = 5; s->waiting = 1; return MC_NEXT_PACKET;
    case 2: s->waiting = 1; return 42;
    case 3: *data = NULL; *len = 0; return MC_NEXT_PACKET;
    default: s->done = 1; return MC_NEXT_DONE;
    }
}

static void test_odd_answers(void) {
    mc_poller *p;
    mc_multicaster *m = NULL;
    mc_listener *l = NULL;
    struct odd_src s;
    struct rec r;

    memset(&s, 0, sizeof s);
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.7", 5407);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_odd, &s, &m), 0);
    mc_opts_free(o);
    if (!m) { mc_poller_free(p); return; }

    CHECK(wait_for(p, &s.calls, 1));
    quiet(p, 50);
    CHECK(s.calls == 1); /* NULL data with len 5: waiting */
    s.waiting = 0;
    CHECK_RC(mc_multicaster_resume(m), 0);
    CHECK(wait_for(p, &s.calls, 2));
    quiet(p, 50);
    CHECK(s.calls == 2); /* 42: waiting */
    s.waiting = 0;
    CHECK_RC(mc_multicaster_resume(m), 0);
    CHECK(wait_for(p, &s.done, 1));
    CHECK(wait_for(p, &r.count, 1));
    quiet(p, 50);
    CHECK(s.calls == 4 && s.calls_while_waiting == 0);
    CHECK(r.count == 1);
    CHECK(r.last.len == 0 && r.last.size == 0);
    mc_poller_free(p);
}

/* mc_multicaster_close inside next: the answer is ignored, no more calls. */
struct closing_src {
    mc_multicaster *m;
    int calls, close_at, answer;
    int send_rc, resume_rc, counts_rc;
    char buf[16];
};

static int next_closing(void *ud, const uint8_t **data, size_t *len) {
    struct closing_src *c = ud;
    c->calls++;
    if (c->calls == c->close_at) {
        mc_multicaster_close(c->m);
        c->send_rc = mc_multicaster_send(c->m, "x", 1);
        c->resume_rc = mc_multicaster_resume(c->m);
        c->counts_rc = mc_multicaster_get_counts(c->m, NULL, NULL);
        mc_multicaster_close(c->m); /* twice: no-op */
        *data = (const uint8_t *)"must-not-send";
        *len = 13;
        return c->answer;
    }
    if (c->calls > c->close_at) return MC_NEXT_WAIT; /* must not happen */
    snprintf(c->buf, sizeof c->buf, "c%d", c->calls);
    *data = (const uint8_t *)c->buf;
    *len = strlen(c->buf);
    return MC_NEXT_PACKET;
}

static void test_close_inside_next(void) {
    const int answers[] = {MC_NEXT_PACKET, MC_NEXT_DONE, MC_NEXT_WAIT};
    for (int a = 0; a < 3; a++) {
        mc_poller *p;
        mc_listener *l = NULL;
        struct closing_src c;
        struct rec r;

        memset(&c, 0, sizeof c);
        c.close_at = 3;
        c.answer = answers[a];
        memset(&r, 0, sizeof r);
        CHECK_RC(mc_poller_new(&p), 0);
        mc_opts *o = opts_for("224.3.0.3", (uint16_t)(5403 + 10 * a));
        CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
        CHECK_RC(mc_multicaster_new(p, o, next_closing, &c, &c.m), 0);
        mc_opts_free(o);
        CHECK(wait_for(p, &r.count, 2));
        quiet(p, QUIET_MS);
        CHECK(c.calls == 3);
        CHECK(r.count == 2);
        CHECK(strcmp(r.text[0], "c1") == 0 && strcmp(r.text[1], "c2") == 0);
        for (int i = 0; i < r.count && i < REC_MAX; i++)
            CHECK(strcmp(r.text[i], "must-not-send") != 0); /* the answer was ignored */
        CHECK_RC(c.send_rc, MC_ECLOSED);
        CHECK_RC(c.resume_rc, MC_ECLOSED);
        CHECK_RC(c.counts_rc, MC_ECLOSED);
        mc_listener_close(l);
        LOOP_ENDS(p); /* the multicaster is unregistered too */
        mc_poller_free(p);
    }
}

/* Closing a multicaster from another object's callback (a listener's). */
struct endless_src { int calls; int n; char buf[16]; };

static int next_endless(void *ud, const uint8_t **data, size_t *len) {
    struct endless_src *s = ud;
    s->calls++;
    snprintf(s->buf, sizeof s->buf, "e%d", s->n++);
    *data = (const uint8_t *)s->buf;
    *len = strlen(s->buf);
    return MC_NEXT_PACKET;
}

struct close_ctx { mc_multicaster *m; struct endless_src *s; int calls_at_close; };

static void close_multicaster(void *arg) {
    struct close_ctx *c = arg;
    if (c->m) {
        mc_multicaster_close(c->m);
        c->calls_at_close = c->s->calls;
        c->m = NULL;
    }
}

static void test_close_from_listener(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct endless_src s;
    struct close_ctx cc;
    struct rec r;

    memset(&s, 0, sizeof s);
    memset(&r, 0, sizeof r);
    memset(&cc, 0, sizeof cc);
    cc.s = &s;
    r.also = close_multicaster;
    r.also_arg = &cc;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.4", 5404);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_endless, &s, &cc.m), 0);
    mc_opts_free(o);
    CHECK(wait_for(p, &r.count, 1));
    CHECK(cc.m == NULL);
    quiet(p, QUIET_MS);
    CHECK(s.calls == cc.calls_at_close); /* never asked again */
    CHECK(r.count <= s.n);
    /* every packet that did arrive came in order */
    for (int i = 0; i < r.count && i < REC_MAX; i++) {
        char want[16];
        snprintf(want, sizeof want, "e%d", i);
        if (strcmp(r.text[i], want) != 0) { CHECK(strcmp(r.text[i], want) == 0); break; }
    }
    mc_listener_close(l);
    LOOP_ENDS(p);
    mc_poller_free(p);
}

/* Flow control with WAIT and resume from the listener's callback, inside
   one mc_loop: no packet lost, all in order. */
#define FLOW_N 300
#define FLOW_WINDOW 32

struct flow {
    mc_multicaster *m;
    int given, calls, done, waiting, resumes;
    int *received;
    char buf[16];
};

static int next_flow(void *ud, const uint8_t **data, size_t *len) {
    struct flow *f = ud;
    f->calls++;
    if (f->given >= FLOW_N) { f->done = 1; return MC_NEXT_DONE; }
    if (f->given - *f->received >= FLOW_WINDOW) { f->waiting = 1; return MC_NEXT_WAIT; }
    snprintf(f->buf, sizeof f->buf, "f%03d", f->given++);
    *data = (const uint8_t *)f->buf;
    *len = strlen(f->buf);
    return MC_NEXT_PACKET;
}

static void flow_resume(void *arg) {
    struct flow *f = arg;
    if (f->waiting && !f->done) {
        f->waiting = 0;
        f->resumes++;
        CHECK_RC(mc_multicaster_resume(f->m), 0);
    }
}

static void test_flow_control(void) {
    mc_poller *p;
    mc_listener *l = NULL;
    struct flow f;
    struct rec *r = calloc(1, sizeof *r);
    char want[16];

    memset(&f, 0, sizeof f);
    f.received = &r->count;
    r->stop_at = FLOW_N;
    r->also = flow_resume;
    r->also_arg = &f;
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.6", 5406);
    CHECK_RC(mc_listener_new(p, o, record, r, &l), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_flow, &f, &f.m), 0);
    mc_opts_free(o);
    LOOP_ENDS(p);
    CHECK(r->count == FLOW_N);
    CHECK(f.done);
    CHECK(f.resumes > 0);
    for (int i = 0; i < FLOW_N && i < r->count; i++) {
        snprintf(want, sizeof want, "f%03d", i);
        if (strcmp(r->text[i], want) != 0) {
            fprintf(stderr, "flow packet %d: got \"%s\"\n", i, r->text[i]);
            CHECK(0);
            break;
        }
    }
    mc_poller_free(p);
    free(r);
}

/* mc_multicaster_send, the ttl and interface of opts. */
static int next_always_wait(void *ud, const uint8_t **data, size_t *len) {
    int *calls = ud;
    (void)data;
    (void)len;
    (*calls)++;
    return MC_NEXT_WAIT;
}

static void test_send(void) {
    mc_poller *p;
    mc_multicaster *m = NULL, *m2 = NULL;
    mc_listener *l = NULL;
    struct rec r;
    int calls = 0, calls2 = 0, ttl, s;
    char buf[64];
    static char big[65508];

    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.5", 5405);
    CHECK_RC(mc_listener_new(p, o, record, &r, &l), 0);
    s = raw_receiver("224.3.0.5", 5405, 0);
    CHECK_RC(mc_opts_set_ttl(o, 6), 0);
    CHECK_RC(mc_opts_set_interface(o, "lo"), 0);
    CHECK_RC(mc_multicaster_new(p, o, next_always_wait, &calls, &m), 0);
    mc_opts_free(o);
    if (!m) { mc_poller_free(p); close(s); return; }

    CHECK_RC(mc_multicaster_send(m, "direct", 6), 6); /* before any poll */
    CHECK(calls == 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 6 && memcmp(buf, "direct", 6) == 0);
    CHECK(ttl == 6);
    CHECK(wait_for(p, &r.count, 1));
    CHECK(strcmp(r.text[0], "direct") == 0);
    CHECK(r.last.group.port == 5405 && r.last.ifindex == 1);
    CHECK(calls == 1); /* asked once, answered WAIT */
    CHECK_RC(mc_multicaster_send(m, "s1", 2), 2);
    CHECK_RC(mc_multicaster_send(m, "s2", 2), 2);
    CHECK_RC(mc_multicaster_send(m, NULL, 0), 0);
    CHECK(wait_for(p, &r.count, 4));
    CHECK(strcmp(r.text[1], "s1") == 0 && strcmp(r.text[2], "s2") == 0);
    CHECK(r.last.len == 0);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 2 && ttl == 6);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 2 && ttl == 6);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 0);

    /* bad input */
    CHECK_RC(mc_multicaster_send(NULL, "x", 1), MC_EINVAL);
    CHECK_RC(mc_multicaster_send(m, NULL, 3), MC_EINVAL);
    CHECK_RC(mc_multicaster_send(m, big, sizeof big), -EMSGSIZE);
    CHECK_MSG("224.3.0.5");
    CHECK_RC(mc_multicaster_send(m, "ok", 2), 2); /* still works */
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK(calls == 1);

    /* options left at their defaults: ttl 1 */
    o = opts_for("224.3.0.5", 5405);
    CHECK_RC(mc_multicaster_new(p, o, next_always_wait, &calls2, &m2), 0);
    mc_opts_free(o);
    if (m2) CHECK_RC(mc_multicaster_send(m2, "t1", 2), 2);
    CHECK(raw_recv(s, buf, sizeof buf, &ttl, NULL, WAIT_MS) == 2 && memcmp(buf, "t1", 2) == 0);
    CHECK(ttl == 1);

    mc_poller_free(p); /* closes the listener and both multicasters */
    close(s);
}

/* On the default poller. */
static void test_default_poller(void) {
    mc_multicaster *m = NULL;
    mc_listener *l = NULL;
    struct array_src s;
    struct rec r;

    for (int i = 0; i < 3; i++) snprintf(array_items[i], sizeof array_items[i], "d%d", i);
    memset(&s, 0, sizeof s);
    s.n = 3;
    memset(&r, 0, sizeof r);
    r.stop_at = 3;
    mc_opts *o = opts_for("224.3.0.8", 5408);
    CHECK_RC(mc_listener_new(NULL, o, record, &r, &l), 0);
    CHECK_RC(mc_multicaster_new(NULL, o, next_from_array, &s, &m), 0);
    mc_opts_free(o);
    LOOP_ENDS(NULL);
    CHECK(r.count == 3);
    CHECK(strcmp(r.text[0], "d0") == 0 && strcmp(r.text[2], "d2") == 0);
    CHECK(s.done && s.calls == 4);
}

static void test_bad_input(void) {
    mc_poller *p;
    mc_multicaster *m = (mc_multicaster *)&p;
    int calls = 0;

    CHECK_RC(mc_poller_new(&p), 0);
    mc_opts *o = opts_for("224.3.0.9", 5409);
    CHECK_RC(mc_multicaster_new(p, o, NULL, NULL, &m), MC_EINVAL);
    CHECK(m == NULL);
    CHECK_MSG("next");
    CHECK_RC(mc_multicaster_new(p, o, next_always_wait, &calls, NULL), MC_EINVAL);
    CHECK_MSG("out");
    CHECK_RC(mc_opts_set_interface(o, "*"), 0);
    m = (mc_multicaster *)&p;
    CHECK_RC(mc_multicaster_new(p, o, next_always_wait, &calls, &m), MC_EINVAL);
    CHECK(m == NULL);
    CHECK_MSG("*");
    mc_opts_free(o);
    CHECK_RC(mc_multicaster_resume(NULL), MC_EINVAL);
    CHECK_RC(mc_multicaster_send(NULL, NULL, 0), MC_EINVAL);
    mc_multicaster_close(NULL); /* no-op */
    CHECK_RC(mc_poll(p, 0), 0); /* nothing was left registered */
    CHECK(calls == 0);
    mc_poller_free(p);
}

int main(void) {
    require_private_netns();
    test_array_then_done();
    test_wait_and_resume();
    test_odd_answers();
    test_close_inside_next();
    test_close_from_listener();
    test_flow_control();
    test_send();
    test_default_poller();
    test_bad_input();
    return check_done("multicaster");
}
