/* mclisten_flows.c - mclisten's flows, (group, sender, stream), and what is
   counted per flow: packets, bytes, TTL, and from the test header (mcsend -p,
   or iperf2's) the sequence numbers (loss, duplicates, reordering, in a
   window of WINDOW), the one-way delay and the jitter (RFC 3550). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mclisten.h"

struct flow *flows[MAX_FLOWS];
int nflows;
uint64_t untracked;
static struct flow *slots[SLOTS];

uint64_t lost_of(const struct flow *f) {
    uint64_t span;
    if (!f->have_seq) return 0;
    span = f->max - f->first + 1;
    return span > f->unique ? span - f->unique : 0;
}

static unsigned hash_key(int family, const uint8_t *group, const uint8_t *src, uint32_t stream,
                         enum kind kind) {
    uint32_t h = 2166136261u;
    int i, n = family == AF_INET6 ? 16 : 4;
    for (i = 0; i < n; i++) h = (h ^ group[i]) * 16777619u;
    for (i = 0; i < n; i++) h = (h ^ src[i]) * 16777619u;
    h = (h ^ stream) * 16777619u;
    h = (h ^ (uint32_t)kind) * 16777619u;
    return h & (SLOTS - 1);
}

static struct flow *find_flow(const mc_packet *p, uint32_t stream, enum kind kind) {
    int n = p->group.family == AF_INET6 ? 16 : 4;
    unsigned h = hash_key(p->group.family, p->group.ip, p->from.ip, stream, kind);
    struct flow *f;
    for (;; h = (h + 1) & (SLOTS - 1)) {
        f = slots[h];
        if (!f) break;
        if (f->family == p->group.family && f->stream == stream && f->kind == kind &&
            memcmp(f->group, p->group.ip, (size_t)n) == 0 && memcmp(f->src, p->from.ip, (size_t)n) == 0)
            return f;
    }
    if (nflows == MAX_FLOWS) return NULL;
    f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->family = p->group.family;
    memcpy(f->group, p->group.ip, 16);
    memcpy(f->src, p->from.ip, 16);
    f->sport = p->from.port;
    f->stream = stream;
    f->kind = kind;
    f->ttl_min = 256;
    f->ttl_max = -1;
    f->all.dmin = f->iv.dmin = 1e300;
    slots[h] = f;
    flows[nflows++] = f;
    return f;
}

static int bit_test(const struct flow *f, uint64_t s) {
    return (f->bits[(s % WINDOW) / 64] >> (s % 64)) & 1;
}

static void bit_set(struct flow *f, uint64_t s, int on) {
    uint64_t m = (uint64_t)1 << (s % 64);
    if (on)
        f->bits[(s % WINDOW) / 64] |= m;
    else
        f->bits[(s % WINDOW) / 64] &= ~m;
}

/* Counts sequence number `s`; returns what it was, *gap the number skipped. */
static enum event count_seq(struct flow *f, uint64_t s, int fin, uint64_t *gap) {
    *gap = 0;
    if (!f->have_seq) {
        f->have_seq = 1;
        f->first = f->max = s;
        f->unique = 1;
        bit_set(f, s, 1);
        return fin ? EV_FIN : EV_OK;
    }
    if (s > f->max) {
        uint64_t d = s - f->max, k;
        if (d >= WINDOW)
            memset(f->bits, 0, sizeof f->bits);
        else
            for (k = f->max + 1; k < s; k++) bit_set(f, k, 0);
        bit_set(f, s, 1);
        f->max = s;
        f->unique++;
        *gap = d - 1;
        return fin ? EV_FIN : *gap ? EV_GAP : EV_OK;
    }
    if (f->max - s < WINDOW && bit_test(f, s)) {
        if (fin) return EV_FIN_AGAIN; /* iperf may repeat its last datagram */
        f->all.dups++, f->iv.dups++;
        return EV_DUP;
    }
    /* earlier than the newest and not seen (or too old to tell): late */
    if (f->max - s < WINDOW) bit_set(f, s, 1);
    if (s < f->first) f->first = s;
    f->unique++;
    f->all.reord++, f->iv.reord++;
    return EV_LATE;
}

static void add_delay(struct figures *x, double ms) {
    if (ms < x->dmin) x->dmin = ms;
    if (ms > x->dmax || x->dn == 0) x->dmax = ms;
    x->dsum += ms;
    x->dn++;
}

void read_arrival(enum kind header, const mc_packet *p, struct arrival *a) {
    memset(a, 0, sizeof *a);
    a->kind = KIND_NONE;
    a->ev = EV_NONE;
    a->rx = p->timestamp_ns ? (long long)p->timestamp_ns : real_ns();
    a->text_len = p->len;
    if (header != KIND_NONE && test_header_get(p->data, p->len, &a->stream, &a->seq, &a->tx)) {
        a->kind = KIND_MC;
        a->text_at = TEST_HEADER_LEN;
        a->text_len = p->len - TEST_HEADER_LEN;
        while (a->text_len > 0 && p->data[a->text_at + a->text_len - 1] == 0) a->text_len--;
    } else if (header == KIND_IPERF && p->len >= 16) {
        /* iperf2: int32 id, uint32 tv_sec, uint32 tv_usec, int32 id2 (the
           upper half of a 64-bit id); the last datagram has a negative id */
        int64_t id = (int64_t)(((uint64_t)get_be32(p->data + 12) << 32) | get_be32(p->data));
        a->kind = KIND_IPERF;
        if (id < 0) {
            a->fin = 1;
            id = -id;
        }
        a->seq = (uint64_t)id;
        a->tx = (long long)get_be32(p->data + 4) * 1000000000LL +
                (long long)get_be32(p->data + 8) * 1000;
        a->stream = p->from.port;
    }
}

void count_arrival(const mc_packet *p, struct arrival *a) {
    struct flow *f = find_flow(p, a->stream, a->kind);
    if (!f) {
        untracked++;
        return;
    }
    f->all.packets++, f->iv.packets++;
    f->all.bytes += p->size, f->iv.bytes += p->size;
    if (!f->first_rx) f->first_rx = a->rx;
    f->last_rx = a->rx;
    if (p->ttl >= 0) {
        if (p->ttl < f->ttl_min) f->ttl_min = p->ttl;
        if (p->ttl > f->ttl_max) f->ttl_max = p->ttl;
    }
    if (a->kind != KIND_NONE) {
        double transit;
        a->ev = count_seq(f, a->seq, a->fin, &a->gap);
        a->delay = (double)(a->rx - a->tx) / 1e6;
        if (a->ev != EV_DUP && a->ev != EV_FIN_AGAIN) {
            add_delay(&f->all, a->delay);
            add_delay(&f->iv, a->delay);
            transit = a->delay;
            if (f->have_transit) {
                double d = transit - f->last_transit;
                if (d < 0) d = -d;
                f->jitter += (d - f->jitter) / 16.0;
            }
            f->last_transit = transit;
            f->have_transit = 1;
        }
    }
}
