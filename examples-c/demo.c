/* demo.c - a listener and a multicaster on one poller: the multicaster sends
   five packets, the listener prints each and quits after the fifth.
   Run it inside a private namespace: make demo (tests/netns-run ./demo). */
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include <multicast.h>

static const char *packets[] = {"hello", "from", "libmulticast", "over", "multicast"};

struct feed { size_t next; };

/* The multicaster asks for packets whenever its socket is writable. */
static int next_packet(void *user_data, const uint8_t **data, size_t *len) {
    struct feed *f = user_data;
    if (f->next == sizeof packets / sizeof *packets) return MC_NEXT_DONE;
    *data = (const uint8_t *)packets[f->next];
    *len = strlen(packets[f->next]);
    f->next++;
    return MC_NEXT_PACKET;
}

/* Called for every packet; returning non-zero closes the listener. */
static int on_packet(void *user_data, const mc_packet *p) {
    int *count = user_data;
    char from[MC_ADDR_STRLEN], group[MC_ADDR_STRLEN], ifname[IF_NAMESIZE] = "?";
    mc_addr_format(&p->from, from, sizeof from);
    mc_addr_format(&p->group, group, sizeof group);
    if_indextoname(p->ifindex, ifname);
    printf("packet %d: %.*s  (%zu bytes from %s to %s on %s)\n", ++*count, (int)p->len,
           (const char *)p->data, p->size, from, group, ifname);
    return *count == 5;
}

int main(void) {
    mc_poller *poller;
    mc_listener *listener;
    mc_multicaster *sender;
    struct feed feed = {0};
    int count = 0;

    if (mc_poller_new(&poller) < 0) goto fail;
    if (mc_listener_new(poller, NULL, on_packet, &count, &listener) < 0) goto fail;
    if (mc_multicaster_new(poller, NULL, next_packet, &feed, &sender) < 0) goto fail;
    printf("libmulticast %s: listening on %s:%d, sending 5 packets\n", mc_version(),
           MC_DEFAULT_GROUP, MC_DEFAULT_PORT);
    /* runs until nothing is registered: the multicaster closes itself when
       done, the listener when it has seen five packets */
    if (mc_loop(poller, 1000, 0) < 0) goto fail;
    mc_poller_free(poller);
    printf("received %d of 5\n", count);
    return count == 5 ? 0 : 1;
fail:
    fprintf(stderr, "demo: %s\n", mc_last_error());
    return 1;
}
