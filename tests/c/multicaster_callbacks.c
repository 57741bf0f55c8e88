/* multicaster_callbacks.c - a multicaster closed or resumed from callbacks,
 * through libmulticast.so, IPv4 on lo (inside tests/netns-run's namespace):
 * mc_multicaster_close inside its own next, from a listener's callback, and
 * flow control with MC_NEXT_WAIT and a resume from a listener's callback. A
 * library listener on the same poller receives what the multicaster sends.
 *
 * Groups 224.3.0.3, .4, .6, ports 5403..5423 (see multicaster.c). Every wait
 * is bounded. */
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

int main(void) {
    require_private_netns();
    test_close_inside_next();
    test_close_from_listener();
    test_flow_control();
    return check_done("multicaster_callbacks");
}
