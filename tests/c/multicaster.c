/* multicaster.c - mc_multicaster_* through libmulticast.so, IPv4 on lo
 * (inside tests/netns-run's namespace): what the source's answers do (packets,
 * MC_NEXT_DONE, MC_NEXT_WAIT and mc_multicaster_resume, answers that count as
 * WAIT), on a poller of its own and on the default one. A library listener on
 * the same poller receives what the multicaster sends.
 *
 * Groups 224.3.0.x and ports 5401..5499 belong to the multicaster programs
 * (multicaster*.c; the other C programs on lo run at the same time in the same
 * namespace). Every wait is bounded. */
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

int main(void) {
    require_private_netns();
    test_array_then_done();
    test_wait_and_resume();
    test_odd_answers();
    test_default_poller();
    return check_done("multicaster");
}
