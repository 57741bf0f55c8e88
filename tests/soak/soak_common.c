/* soak_common.c - the groups and streams, small helpers (time, the RNG, /proc readers,
 * the socketpair), the datagram's checksum and payload (see soak.h). */
#include "soak.h"

struct group grp[NGROUPS];
const char *const stream_name[NSTREAMS] = {
    "multicaster4 (GSO)", "multicaster6 (GSO)", "multicaster6 ff02 (no GSO)", "mc_sendto4",
    "mc_sendto_many4",    "mc_sendto6",         "mc_sendto_opts6 ff02",       "control"};
const char *peer_addr4 = "192.0.2.2"; /* the sender's source (SSM) */

/* ------------------------------------------------------------------------------------ */
/* Small helpers                                                                        */

int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
int64_t now_ms(void) { return now_ns() / 1000000; }

uint64_t rng_state = 88172645463325252ULL;
uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ULL;
}
int rnd_in(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

int count_fds(void) {
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d))) n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* Anonymous resident memory (RssAnon of /proc/self/status: heap, stacks, anonymous
   mappings), the part a leak grows; file-backed pages (the library's code, which becomes
   resident as rarer paths first run) are left out. */
long rss_bytes(void) {
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* A column of /proc/net/dev for one interface (of the calling process's namespace):
   col 3 = receive drop, col 11 = transmit drop (0-based after the name). */
uint64_t netdev_col(const char *ifname, int col) {
    char line[512];
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/dev", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        char *s = line;
        if (!c) continue;
        while (*s == ' ') s++;
        if ((size_t)(c - s) != strlen(ifname) || strncmp(s, ifname, strlen(ifname)) != 0) continue;
        s = c + 1;
        for (int i = 0; i <= col; i++) {
            char *end;
            unsigned long long x = strtoull(s, &end, 10);
            if (end == s) break;
            if (i == col) v = x;
            s = end;
        }
    }
    fclose(f);
    return v;
}

/* A counter of /proc/net/snmp ("Udp", "RcvbufErrors") or /proc/net/snmp6 ("Udp6RcvbufErrors"). */
uint64_t snmp(const char *proto, const char *name) {
    char head[2048], vals[2048];
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/snmp", "r");
    if (!f) return 0;
    while (fgets(head, sizeof head, f) && fgets(vals, sizeof vals, f)) {
        size_t pl = strlen(proto);
        if (strncmp(head, proto, pl) != 0 || head[pl] != ':') continue;
        char *hs = head + pl + 1, *vs = vals + pl + 1, *hsave, *vsave;
        char *h = strtok_r(hs, " \n", &hsave), *x = strtok_r(vs, " \n", &vsave);
        while (h && x) {
            if (strcmp(h, name) == 0) v = strtoull(x, NULL, 10);
            h = strtok_r(NULL, " \n", &hsave);
            x = strtok_r(NULL, " \n", &vsave);
        }
        break;
    }
    fclose(f);
    return v;
}
uint64_t snmp6(const char *name) {
    char key[128];
    unsigned long long x;
    uint64_t v = 0;
    FILE *f = fopen("/proc/net/snmp6", "r");
    if (!f) return 0;
    while (fscanf(f, "%127s %llu", key, &x) == 2)
        if (strcmp(key, name) == 0) v = x;
    fclose(f);
    return v;
}

/* Reads and writes on the socketpair, whole messages, EINTR retried. */
int msg_send(int fd, const void *m, size_t len) {
    for (;;) {
        ssize_t n = send(fd, m, len, MSG_NOSIGNAL);
        if (n == (ssize_t)len) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}
int msg_recv(int fd, void *m, size_t len) {
    for (;;) {
        ssize_t n = recv(fd, m, len, 0);
        if (n == (ssize_t)len) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* ------------------------------------------------------------------------------------ */
/* The datagram                                                                         */

uint32_t hdr_sum(const struct hdr *h) {
    uint32_t s = 2166136261u;
    uint32_t w[6] = {h->magic, (uint32_t)h->stream | (uint32_t)h->phase << 8 |
                                   (uint32_t)h->group << 16 | (uint32_t)h->pad << 24,
                     h->epoch, h->seq, h->len, h->arg};
    for (int i = 0; i < 6; i++) s = (s ^ w[i]) * 16777619u;
    return s;
}

uint8_t payload_byte(const struct hdr *h, size_t i) {
    return (uint8_t)(h->seq * 131u + (uint32_t)i * 7u + h->stream * 17u + h->group);
}
