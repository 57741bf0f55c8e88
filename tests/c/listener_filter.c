/* listener_filter.c - a listener's filters through libmulticast.so, IPv4 on
 * lo: a filter callback, one that closes its listener, regex filters and
 * their templates, errors and replacement. *
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

int main(void) {
    require_private_netns();
    test_filter_callback();
    test_filter_closes_listener();
    test_filter_regex();
    test_filter_template();
    test_filter_errors_and_replace();
    return check_done("listener_filter");
}
