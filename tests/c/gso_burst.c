/* gso_burst.c GROUP PORT COUNT - a sender for the interop tests (tests/interop.rs):
 * COUNT text lines "gso NNNNN ...\n" of 32 bytes each (equal sizes: GSO runs)
 * with one mc_sendto_many, TTL 1; prints "sent COUNT". Not a test of its own:
 * what it sends is checked by the independent receivers (socat, Python). */
#include "check.h"

static int burst(const char *group, int port, int count) {
    static char lines[4096][40];
    static mc_buf b[4096];
    if (count < 1 || count > 4096) return 2;
    for (int i = 0; i < count; i++) {
        snprintf(lines[i], sizeof lines[i], "gso %05d abcdefghijklmnopqrstu\n", i % 100000);
        b[i].data = lines[i];
        b[i].len = 32;
    }
    int rc = mc_sendto_many(b, (size_t)count, group, (uint16_t)port, 1);
    if (rc != count) {
        fprintf(stderr, "mc_sendto_many: %d (%s)\n", rc, mc_last_error());
        return 1;
    }
    printf("sent %d\n", rc);
    return 0;
}

int main(int argc, char **argv) {
    require_private_netns();
    if (argc != 4) {
        fprintf(stderr, "usage: gso_burst GROUP PORT COUNT\n");
        return 2;
    }
    return burst(argv[1], atoi(argv[2]), atoi(argv[3]));
}
