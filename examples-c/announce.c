/* announce.c - a SAP-style announcer (RFC 2974) on a timer, and a listener on
   the same group that prints the announcements it receives.

   A periodic announcement is what SAP, SSDP, mDNS and heartbeats are made of:
   here a timer on the default poller (mc_timer_new) sends one every
   INTERVAL_MS milliseconds (mc_sendto_opts), the first at once; a listener on
   the same poller prints each with its sender (mc_addr_format) and, after
   COUNT of them, stops the loop. A one-shot timer (interval 0) bounds the run
   to ten seconds.
     tests/netns-run ./announce [COUNT [INTERVAL_MS]]     (default 3, 1000) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <multicast.h>

#define SAP_GROUP "224.2.127.254" /* SAP's IPv4 global-scope group */
#define SAP_PORT 9875
#define SAP_HEADER 8              /* version etc., auth length, msg id hash, source */
static const char payload_type[] = "application/sdp"; /* with its NUL */

struct run {
    mc_opts *opts;      /* the group, port and TTL: for the sends */
    mc_timer *announcer;
    long count;         /* announcements to receive */
    long sent, received;
    int failed, timed_out;
};

/* One announcement: SAP header, payload type, SDP (its i= line numbers it). */
static size_t make_announcement(unsigned char *buf, size_t size, long n) {
    size_t at = SAP_HEADER + sizeof payload_type;
    int len;
    buf[0] = 0x20;                 /* V=1, IPv4 source, announcement, no encryption */
    buf[1] = 0;                    /* no authentication data */
    buf[2] = 0x4c, buf[3] = 0x4d;  /* message id hash: fixed for this session */
    buf[4] = 127, buf[5] = 0, buf[6] = 0, buf[7] = 1; /* originating source */
    memcpy(buf + SAP_HEADER, payload_type, sizeof payload_type);
    len = snprintf((char *)buf + at, size - at,
                   "v=0\r\no=- 19533 1 IN IP4 127.0.0.1\r\ns=libmulticast demo\r\n"
                   "i=announcement %ld\r\nc=IN IP4 239.255.42.42/1\r\nt=0 0\r\n"
                   "m=audio 5004 RTP/AVP 0\r\n", n);
    return at + (size_t)len;
}

/* mc_timer_fn: runs every INTERVAL_MS from the poller's dispatch. */
static void announce(void *user_data, mc_timer *t) {
    struct run *run = user_data;
    unsigned char buf[512];
    size_t len = make_announcement(buf, sizeof buf, run->sent + 1);
    (void)t;
    if (mc_sendto_opts(run->opts, buf, len) < 0) {
        fprintf(stderr, "announce: %s\n", mc_last_error());
        run->failed = 1;
        mc_stop(NULL);
        return;
    }
    run->sent++;
}

/* mc_timer_fn of the one-shot timer: the run took too long. */
static void give_up(void *user_data, mc_timer *t) {
    struct run *run = user_data;
    (void)t;
    run->timed_out = 1;
    mc_stop(NULL);
}

/* The value of the SDP line "X=..." of the `len` bytes at sdp, into out. */
static void sdp_field(const char *sdp, size_t len, char x, char *out, size_t size) {
    size_t i, end;
    snprintf(out, size, "?");
    for (i = 0; i + 2 <= len; i++) {
        if ((i == 0 || sdp[i - 1] == '\n') && sdp[i] == x && sdp[i + 1] == '=') {
            for (end = i + 2; end < len && sdp[end] != '\r' && sdp[end] != '\n'; end++) {
            }
            snprintf(out, size, "%.*s", (int)(end - i - 2), sdp + i + 2);
            return;
        }
    }
}

/* mc_packet_fn: prints an announcement; non-zero (the listener closes) after COUNT. */
static int on_packet(void *user_data, const mc_packet *p) {
    struct run *run = user_data;
    char from[MC_ADDR_STRLEN], name[64], info[64];
    size_t at = SAP_HEADER + sizeof payload_type;
    const char *sdp = (const char *)p->data + at;
    if (p->len < at || (p->data[0] >> 5) != 1 || p->data[0] & 0x04 ||
        memcmp(p->data + SAP_HEADER, payload_type, sizeof payload_type) != 0)
        return 0; /* not a SAP announcement of SDP */
    if (mc_addr_format(&p->from, from, sizeof from) < 0) snprintf(from, sizeof from, "?");
    sdp_field(sdp, p->len - at, 's', name, sizeof name);
    sdp_field(sdp, p->len - at, 'i', info, sizeof info);
    run->received++;
    printf("received %ld/%ld from %s: \"%s\", %s\n", run->received, run->count, from, name,
           info);
    fflush(stdout);
    if (run->received < run->count) return 0;
    mc_timer_close(run->announcer); /* no more announcements */
    mc_stop(NULL);
    return 1;
}

int main(int argc, char **argv) {
    struct run run = {0};
    long interval = argc > 2 ? atol(argv[2]) : 1000;
    mc_listener *listener;
    mc_timer *deadline = NULL;
    int rc;

    run.count = argc > 1 ? atol(argv[1]) : 3;
    if (run.count < 1 || interval < 1) {
        fprintf(stderr, "usage: announce [COUNT [INTERVAL_MS]]\n");
        return 2;
    }
    run.opts = mc_opts_new();
    if (!run.opts) { rc = MC_EINVAL; goto fail; }
    if ((rc = mc_opts_set_group(run.opts, SAP_GROUP)) < 0) goto fail;
    if ((rc = mc_opts_set_port(run.opts, SAP_PORT)) < 0) goto fail;
    if ((rc = mc_opts_set_ttl(run.opts, MC_TTL_SUBNET)) < 0) goto fail;

    /* listen first, so that the first announcement finds the group joined */
    rc = mc_listener_new(NULL, run.opts, on_packet, &run, &listener);
    if (rc < 0) goto fail;
    /* NULL poller: the default one; delay 0: at the next poll, then every interval */
    rc = mc_timer_new(NULL, 0, (uint32_t)interval, announce, &run, &run.announcer);
    if (rc < 0) goto fail;
    rc = mc_timer_new(NULL, 10000, 0, give_up, &run, &deadline);
    if (rc < 0) goto fail;
    printf("announcing on %s:%d every %ld ms\n", SAP_GROUP, SAP_PORT, interval);
    fflush(stdout);

    /* runs the listener and both timers until mc_stop */
    rc = mc_loop(NULL, -1, 0);
    if (rc < 0) goto fail;
    mc_timer_close(deadline);
    mc_timer_close(run.announcer); /* no-op if on_packet closed it */
    mc_listener_close(listener);   /* no-op if it closed itself */
    mc_opts_free(run.opts);
    printf("sent %ld, received %ld of %ld%s\n", run.sent, run.received, run.count,
           run.timed_out ? ": timed out" : "");
    return run.received == run.count && !run.failed ? 0 : 1;
fail:
    fprintf(stderr, "announce: %s (%s)\n", mc_last_error(), mc_strerror(rc));
    mc_opts_free(run.opts);
    return 1;
}
