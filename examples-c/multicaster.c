/* multicaster.c - a multicaster fed from an array of packets (the seed's
   iterable Multicaster subclass), and a listener on the same poller that
   prints them as they arrive.

   Whenever the multicaster's socket is writable the poller asks next_packet()
   for the next packet; MC_NEXT_DONE at the end of the array closes and frees
   the multicaster. The listener quits (returns non-zero) after the last one.
   The poll loop is bounded: at most five seconds.
     tests/netns-run ./multicaster */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <multicast.h>

static const char *const packets[] = {
    "packet 1: hello",
    "packet 2: from an array",
    "packet 3: sent by a multicaster",
    "packet 4: in order",
    "packet 5: the last one",
};
#define NPACKETS (sizeof packets / sizeof *packets)

struct feed { size_t next; };          /* the multicaster's position */
struct seen { size_t count; int done; }; /* what the listener got */

/* mc_next_fn: the data must stay valid until next_packet is called again;
   string literals always are. */
static int next_packet(void *user_data, const uint8_t **data, size_t *len) {
    struct feed *feed = user_data;
    if (feed->next == NPACKETS) return MC_NEXT_DONE;
    *data = (const uint8_t *)packets[feed->next];
    *len = strlen(packets[feed->next]);
    feed->next++;
    return MC_NEXT_PACKET;
}

static int on_packet(void *user_data, const mc_packet *p) {
    struct seen *seen = user_data;
    seen->count++;
    printf("received %zu/%zu: %.*s\n", seen->count, (size_t)NPACKETS, (int)p->len,
           (const char *)p->data);
    fflush(stdout);
    if (seen->count == NPACKETS) {
        seen->done = 1;
        return 1; /* stop: the listener closes and frees itself */
    }
    return 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    mc_poller *poller = NULL;
    mc_listener *listener;
    mc_multicaster *multicaster;
    mc_opts *opts = NULL;
    struct feed feed = {0};
    struct seen seen = {0, 0};
    long long deadline;
    int rc;

    rc = mc_poller_new(&poller);
    if (rc < 0) goto fail;
    /* the seed's Multicaster(ip='224.0.42.42', port=4242, ttl=1), spelled out */
    opts = mc_opts_new();
    if (!opts) { rc = MC_EINVAL; goto fail; }
    if ((rc = mc_opts_set_group(opts, MC_DEFAULT_GROUP)) < 0) goto fail;
    if ((rc = mc_opts_set_port(opts, MC_DEFAULT_PORT)) < 0) goto fail;
    if ((rc = mc_opts_set_ttl(opts, MC_TTL_SUBNET)) < 0) goto fail;

    /* listen first, so that no packet is sent before the group is joined */
    rc = mc_listener_new(poller, opts, on_packet, &seen, &listener);
    if (rc < 0) goto fail;
    rc = mc_multicaster_new(poller, opts, next_packet, &feed, &multicaster);
    if (rc < 0) goto fail;
    mc_opts_free(opts); /* both copied what they need */
    opts = NULL;

    deadline = now_ms() + 5000;
    while (!seen.done && now_ms() < deadline) {
        rc = mc_poll(poller, 100);
        if (rc < 0) goto fail;
    }
    printf("sent %zu, received %zu of %zu\n", feed.next, seen.count, (size_t)NPACKETS);
    mc_poller_free(poller); /* closes whatever is still open */
    return seen.done ? 0 : 1;
fail:
    fprintf(stderr, "multicaster: %s (%s)\n", mc_last_error(), mc_strerror(rc));
    mc_opts_free(opts);
    mc_poller_free(poller);
    return 1;
}
