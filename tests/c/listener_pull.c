/* listener_pull.c - reading without callbacks through libmulticast.so,
 * IPv4 on lo: pull mode (mc_listener_next) and mc_listen. *
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

int main(void) {
    require_private_netns();
    test_pull_mode();
    test_listen();
    return check_done("listener_pull");
}
