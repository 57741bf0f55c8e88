/* multicaster_send.c - mc_multicaster_send through libmulticast.so, IPv4 on lo
 * (inside tests/netns-run's namespace): sends beside the source, the ttl and
 * interface of the opts (a plain socket with IP_RECVTTL checks the ttl), and
 * bad input to mc_multicaster_*.
 *
 * Groups 224.3.0.5, .9, ports 5405, 5409 (see multicaster.c). Every wait is
 * bounded. */
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
    test_send();
    test_bad_input();
    return check_done("multicaster_send");
}
