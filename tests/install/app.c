/* app.c - an out-of-tree program built against an *installed* libmulticast
   (tests/install_consumers.rs compiles it with `pkg-config --cflags --libs multicast`,
   once linked to libmulticast.so and once with -static to libmulticast.a).

     app EXPECTED_VERSION

   Checks that mc_version() is EXPECTED_VERSION, then listens on 239.1.2.3:4343
   (pull mode), sends itself one packet and waits up to five seconds for it.
   Prints "version V ok: got N bytes from A" and exits 0 on success.
   It sends a packet: run it only inside tests/netns-run. */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <multicast.h>

static int fail(const char *what, int rc) {
    fprintf(stderr, "app: %s: %s (%s)\n", what, mc_last_error(), mc_strerror(rc));
    return 1;
}

int main(int argc, char **argv) {
    static const char text[] = "installed";
    const mc_packet *packet = NULL;
    mc_opts *opts;
    mc_poller *poller;
    mc_listener *listener;
    char from[INET_ADDRSTRLEN] = "?";
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: app EXPECTED_VERSION\n");
        return 2;
    }
    if (strcmp(mc_version(), argv[1]) != 0) {
        fprintf(stderr, "app: mc_version() is %s, expected %s\n", mc_version(), argv[1]);
        return 1;
    }
    opts = mc_opts_new();
    if (!opts) return fail("mc_opts_new", MC_EINVAL);
    if ((rc = mc_opts_set_group(opts, "239.1.2.3")) < 0) return fail("set group", rc);
    if ((rc = mc_opts_set_port(opts, 4343)) < 0) return fail("set port", rc);
    if ((rc = mc_poller_new(&poller)) < 0) return fail("mc_poller_new", rc);
    if ((rc = mc_listener_new(poller, opts, NULL, NULL, &listener)) < 0)
        return fail("mc_listener_new", rc);
    if ((rc = mc_sendto_opts(opts, text, strlen(text))) < 0) return fail("mc_sendto_opts", rc);
    rc = mc_listener_next(listener, &packet, 5000);
    if (rc < 0) return fail("mc_listener_next", rc);
    if (rc == 0 || !packet) {
        fprintf(stderr, "app: no packet within 5 s\n");
        return 1;
    }
    if (packet->len != strlen(text) || memcmp(packet->data, text, packet->len) != 0) {
        fprintf(stderr, "app: wrong payload (%zu bytes)\n", packet->len);
        return 1;
    }
    inet_ntop(AF_INET, packet->from.ip, from, sizeof from);
    printf("version %s ok: got %zu bytes from %s\n", mc_version(), packet->len, from);
    mc_listener_close(listener);
    mc_poller_free(poller);
    mc_opts_free(opts);
    return 0;
}
