/* timer.c - mc_timer_* from C through the built library: never early, lateness,
   missed periods run once, one-shot timers, re-arming from inside fn, closing or
   stopping a timer (its own, or another whose expiry was fetched in the same wait),
   mc_loop with only timers, mc_poller_free closing its timers, and bad input.
   Each case is `timer CASE` (check.h's CHECK_MAIN). No sleep is a synchronisation
   here: the sleeps are the thing under test (time passing while nothing polls). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>

#include "check.h"

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* What a timer's fn saw: when it ran, how often, with which handle. */
typedef struct {
    int64_t at[64];
    int runs;
    mc_timer *seen;
    mc_timer *other;      /* another timer fn closes or stops (see below) */
    int close_self_at;    /* close its own timer on this run (0: never) */
    int close_other;      /* close `other` on its first run */
    int stop_other;       /* stop `other` on its first run */
    int rearm_once;       /* re-arm itself once (delay 5 ms, no interval) */
    int stop_at;          /* stop itself on this run (0: never) */
} record;

static void on_timer(void *user_data, mc_timer *t) {
    record *r = user_data;
    if (r->runs < 64)
        r->at[r->runs] = now_ns();
    r->runs++;
    r->seen = t;
    if (r->close_other && r->runs == 1)
        mc_timer_close(r->other);
    if (r->stop_other && r->runs == 1)
        CHECK_RC(mc_timer_stop(r->other), 0);
    if (r->rearm_once && r->runs == 1)
        CHECK_RC(mc_timer_set(t, 5, 0), 0);
    if (r->stop_at && r->runs == r->stop_at)
        CHECK_RC(mc_timer_stop(t), 0);
    if (r->close_self_at && r->runs == r->close_self_at)
        mc_timer_close(t);
}

/* Polls until `done` says so or `limit_ms` passed (a bound, not a sync). */
static void poll_until(mc_poller *p, const int *runs, int want, int limit_ms) {
    int64_t end = now_ns() + (int64_t)limit_ms * 1000000;
    while (*runs < want && now_ns() < end)
        CHECK(mc_poll(p, 50) >= 0);
}

static void test_never_early(void) {
    mc_poller *p;
    mc_timer *t;
    record r;
    int64_t t0;
    int k;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    t0 = now_ns();
    CHECK_RC(mc_timer_new(p, 30, 10, on_timer, &r, &t), 0);
    poll_until(p, &r.runs, 10, 5000);
    CHECK(r.runs >= 10);
    CHECK(r.seen == t);
    for (k = 0; k < r.runs && k < 10; k++) {
        int64_t due = t0 + (30 + 10 * (int64_t)k) * 1000000;
        /* never early (the due time counted from just before mc_timer_new) */
        CHECK(r.at[k] >= due);
        /* late by a scheduling delay, not by periods (a loose bound) */
        CHECK(r.at[k] - due < 500 * 1000000LL);
        if (r.at[k] < due)
            fprintf(stderr, "run %d early by %lld ns\n", k, (long long)(due - r.at[k]));
    }
    mc_timer_close(t);
    mc_poller_free(p);
}

static void test_missed_periods_run_once(void) {
    mc_poller *p;
    mc_timer *t;
    record r;
    int64_t after;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 50, 50, on_timer, &r, &t), 0);
    sleep_ms(530); /* 10 periods pass while nothing polls */
    CHECK(mc_poll(p, 0) == 1);
    CHECK(r.runs == 1); /* once for all of them */
    CHECK(mc_poll(p, 0) == 0); /* and not again at once (the next is due within 50 ms) */
    CHECK(r.runs == 1);
    after = now_ns();
    poll_until(p, &r.runs, 2, 2000);
    CHECK(r.runs == 2);
    /* the next period counts from the expiry that was due: one period at most, not a
       full period after the late run (a loose bound for a busy machine) */
    CHECK(r.at[1] - after < 1000 * 1000000LL);
    mc_timer_close(t);
    mc_poller_free(p);
}

static void test_one_shot_and_rearm(void) {
    mc_poller *p;
    mc_timer *t, *z;
    record r, rz;
    memset(&r, 0, sizeof r);
    memset(&rz, 0, sizeof rz);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 5, 0, on_timer, &r, &t), 0);
    /* an armed one-shot keeps mc_loop running; disarmed after its run, it does not */
    CHECK_RC(mc_loop(p, 1000, 0), 0);
    CHECK(r.runs == 1);
    /* re-armed from outside: runs once more */
    CHECK_RC(mc_timer_set(t, 0, 0), 0);
    CHECK_RC(mc_loop(p, 1000, 0), 0);
    CHECK(r.runs == 2);
    /* re-armed from inside its own fn */
    memset(&r, 0, sizeof r);
    r.rearm_once = 1;
    CHECK_RC(mc_timer_set(t, 1, 0), 0);
    CHECK_RC(mc_loop(p, 1000, 0), 0);
    CHECK(r.runs == 2);
    /* delay 0: at the next poll */
    CHECK_RC(mc_timer_new(p, 0, 0, on_timer, &rz, &z), 0);
    CHECK(mc_poll(p, 1000) == 1);
    CHECK(rz.runs == 1);
    mc_timer_close(t);
    mc_timer_close(z);
    mc_poller_free(p);
}

static void test_loop_with_only_timers(void) {
    mc_poller *p;
    mc_timer *t;
    record r;
    memset(&r, 0, sizeof r);
    r.stop_at = 5; /* the fifth run stops it: nothing is armed, mc_loop returns */
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 1, 2, on_timer, &r, &t), 0);
    CHECK_RC(mc_loop(p, -1, 0), 0);
    CHECK(r.runs == 5);
    /* stopped, it stays open and can be set again */
    r.stop_at = 0;
    r.close_self_at = 8; /* closed by its own fn on its 8th run: never runs again */
    CHECK_RC(mc_timer_set(t, 1, 1), 0);
    CHECK_RC(mc_loop(p, -1, 0), 0);
    CHECK(r.runs == 8);
    CHECK_RC(mc_timer_set(t, 1, 1), MC_ECLOSED);
    /* what can close a timer: no callback answers for it (mc_timer_fn returns void) */
    CHECK_MSG("mc_timer_set: the timer is closed (by the program or by mc_poller_free)");
    CHECK_RC(mc_timer_stop(t), MC_ECLOSED);
    mc_timer_close(t); /* closed already: no-op */
    mc_poller_free(p);
}

/* Two timers due together, fetched in one wait: whichever runs first closes (or
   stops) the other, which must then not run for the expiry already fetched. */
static void same_wait(int close) {
    mc_poller *p;
    mc_timer *a, *b;
    record ra, rb;
    memset(&ra, 0, sizeof ra);
    memset(&rb, 0, sizeof rb);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 5, 0, on_timer, &ra, &a), 0);
    CHECK_RC(mc_timer_new(p, 5, 0, on_timer, &rb, &b), 0);
    ra.other = b;
    rb.other = a;
    ra.close_other = rb.close_other = close;
    ra.stop_other = rb.stop_other = !close;
    sleep_ms(30); /* both expire before the wait */
    CHECK(mc_poll(p, 0) == 1);
    CHECK(ra.runs + rb.runs == 1);
    CHECK(mc_poll(p, 20) == 0);
    CHECK(ra.runs + rb.runs == 1);
    if (close) {
        mc_timer *gone = ra.runs ? b : a;
        CHECK_RC(mc_timer_set(gone, 1, 0), MC_ECLOSED);
        mc_timer_close(ra.runs ? a : b);
    } else {
        /* stopped, then set again: it runs */
        mc_timer *stopped = ra.runs ? b : a;
        CHECK_RC(mc_timer_set(stopped, 1, 0), 0);
        CHECK_RC(mc_loop(p, 1000, 0), 0);
        CHECK(ra.runs == 1 && rb.runs == 1);
        mc_timer_close(a);
        mc_timer_close(b);
    }
    mc_poller_free(p);
}

static void test_close_other_in_same_wait(void) { same_wait(1); }
static void test_stop_other_in_same_wait(void) { same_wait(0); }

static void test_poller_free_closes_timers(void) {
    mc_poller *p;
    mc_timer *armed, *disarmed;
    record r;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 1000, 1000, on_timer, &r, &armed), 0);
    CHECK_RC(mc_timer_new(p, 1000, 0, on_timer, &r, &disarmed), 0);
    CHECK_RC(mc_timer_stop(disarmed), 0);
    mc_poller_free(p);
    CHECK_RC(mc_timer_set(armed, 1, 0), MC_ECLOSED);
    CHECK_RC(mc_timer_set(disarmed, 1, 0), MC_ECLOSED);
    CHECK_RC(mc_timer_stop(armed), MC_ECLOSED);
    mc_timer_close(armed);
    mc_timer_close(disarmed);
    CHECK(r.runs == 0);
}

static void test_bad_input(void) {
    mc_poller *p;
    mc_timer *t = (mc_timer *)1;
    mc_listener *l;
    record r;
    memset(&r, 0, sizeof r);
    CHECK_RC(mc_poller_new(&p), 0);
    CHECK_RC(mc_timer_new(p, 1, 1, NULL, &r, &t), MC_EINVAL);
    CHECK(t == NULL);
    CHECK_MSG("fn");
    CHECK_RC(mc_timer_new(p, 1, 1, on_timer, &r, NULL), MC_EINVAL);
    CHECK_RC(mc_timer_new(p, 2147483648u, 1, on_timer, &r, &t), MC_EINVAL);
    CHECK_MSG("2147483648");
    CHECK_RC(mc_timer_new(p, 1, 4294967295u, on_timer, &r, &t), MC_EINVAL);
    CHECK_MSG("4294967295");
    CHECK_RC(mc_timer_new(p, 2147483647u, 2147483647u, on_timer, &r, &t), 0);
    CHECK_RC(mc_timer_set(t, 2147483648u, 0), MC_EINVAL);
    CHECK_RC(mc_timer_set(t, 5, 0), 0); /* the failed set changed nothing */
    CHECK_RC(mc_timer_set(NULL, 1, 1), MC_EINVAL);
    CHECK_RC(mc_timer_stop(NULL), MC_EINVAL);
    mc_timer_close(NULL);
    /* a listener's handle is not a timer's */
    CHECK_RC(mc_listener_new(p, NULL, NULL, NULL, &l), 0);
    CHECK_RC(mc_timer_set((mc_timer *)l, 1, 1), MC_EINVAL);
    CHECK_MSG("not a timer");
    mc_timer_close((mc_timer *)l); /* not a timer handle: no-op */
    CHECK_RC(mc_listener_fd(l) >= 0 ? 0 : -1, 0);
    mc_listener_close(l);
    mc_timer_close(t);
    CHECK(r.runs == 0);
    mc_poller_free(p);
}

CHECK_MAIN("timer", {"never-early", test_never_early},
           {"missed", test_missed_periods_run_once}, {"one-shot", test_one_shot_and_rearm},
           {"loop", test_loop_with_only_timers}, {"close-other", test_close_other_in_same_wait},
           {"stop-other", test_stop_other_in_same_wait},
           {"poller-free", test_poller_free_closes_timers}, {"bad-input", test_bad_input})
