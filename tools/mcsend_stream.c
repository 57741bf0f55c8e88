/* mcsend_stream.c - what mcsend sends, and when: the payload (fixed, or the
   lines of standard input in a ring that every group reads at its own pace),
   the datagrams built from it (test header, number, padding), the schedule
   of -r/-b, and each group's next() for its multicaster. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mcsend.h"

/* Item `k` (0-based); NULL when there is none (yet): *eof tells which. */
static const struct item *get_item(struct gen *g, unsigned long long k, int *eof) {
    *eof = 0;
    if (!g->lines) return &g->fixed;
    while (k >= g->ring_base + g->ring_len) {
        ssize_t n;
        struct item *it;
        if (g->eof || g->ring_len == RING) {
            *eof = g->eof;
            return NULL;
        }
        n = getline(&g->line, &g->line_cap, stdin);
        if (n < 0) {
            if (ferror(stdin)) g->read_error = errno ? errno : EIO;
            g->eof = 1;
            continue;
        }
        if (n > 0 && g->line[n - 1] == '\n') n--;
        if (n > 0 && g->line[n - 1] == '\r') n--;
        it = &g->ring[(g->ring_base + g->ring_len) % RING];
        it->data = malloc((size_t)n + 1);
        if (!it->data) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        memcpy(it->data, g->line, (size_t)n);
        it->len = (size_t)n;
        g->ring_len++;
    }
    if (k < g->ring_base) return NULL; /* cannot happen: freed only when every group passed */
    return &g->ring[k % RING];
}

void free_sent_lines(struct gen *g) {
    unsigned long long low = ULLONG_MAX;
    int i;
    if (!g->lines) return;
    for (i = 0; i < g->ngroups; i++) {
        unsigned long long k = g->groups[i].n / g->count;
        if (g->groups[i].active && k < low) low = k;
    }
    while (g->ring_len > 0 && g->ring_base < low) {
        free(g->ring[g->ring_base % RING].data);
        g->ring[g->ring_base % RING].data = NULL;
        g->ring_base++;
        g->ring_len--;
    }
}

/* Builds the next datagram of `gr` from `it` into gr->buf; returns its size,
   or -1 (with a message) if it does not fit. */
static long build(struct group *gr, const struct item *it, size_t *text_at, size_t *text_len) {
    struct gen *g = gr->gen;
    size_t at = 0, size;
    char num[32];
    int k = 0;
    if (g->header) {
        test_header_put(gr->buf, g->stream, gr->n + 1, real_ns());
        at = TEST_HEADER_LEN;
    }
    if (g->number) k = snprintf(num, sizeof num, "%llu ", (unsigned long long)gr->n + 1);
    size = at + (size_t)k + it->len;
    if (size > MAX_DATAGRAM || (g->size_given && size > g->size)) {
        fprintf(stderr, "%s: datagram too long (%zu bytes%s; at most %zu)\n", prog, size,
                g->header || g->number ? " with its header" : "",
                g->size_given ? g->size : (size_t)MAX_DATAGRAM);
        return -1;
    }
    memcpy(gr->buf + at, num, (size_t)k);
    memcpy(gr->buf + at + (size_t)k, it->data, it->len);
    *text_at = at;
    *text_len = (size_t)k + it->len;
    if (g->size_given && g->size > size) {
        memset(gr->buf + size, 0, g->size - size);
        size = g->size;
    }
    return (long)size;
}

/* When the next datagram of `gr` (of `size` bytes) is due, monotonic ns. */
static long long due_time(const struct group *gr, size_t size) {
    const struct gen *g = gr->gen;
    int j = (int)(gr - g->groups);
    if (g->pps > 0)
        return g->t0 + (long long)(((double)gr->n * g->ngroups + j) * 1e9 / g->pps);
    if (g->bps > 0)
        return g->t0 + (long long)(((double)gr->bits_due * g->ngroups +
                                    (double)j * 8.0 * (double)size) * 1e9 / g->bps);
    return 0;
}

/* The line of a datagram sent (not with -q). */
static void print_sent(const struct group *gr, size_t size, size_t text_at, size_t text_len) {
    const struct gen *g = gr->gen;
    int v6 = strchr(gr->addr, ':') != NULL;
    printf("sent %zu byte%s to %s%s%s:%ld (ttl %ld", size, plural(size), v6 ? "[" : "", gr->addr,
           v6 ? "]" : "", g->port, g->ttl);
    if (gr->iface) printf(", interface %s", gr->iface);
    if (g->dscp >= 0) printf(", dscp %d", g->dscp);
    fputs("): ", stdout);
    if (g->header) printf("[seq %llu] ", (unsigned long long)gr->n + 1);
    print_escaped(stdout, gr->buf + text_at, text_len);
    putchar('\n');
}

int next_fn(void *user_data, const uint8_t **data, size_t *len) {
    struct group *gr = user_data;
    struct gen *g = gr->gen;
    for (;;) {
        const struct item *it;
        long long now;
        size_t text_at = 0, text_len = 0;
        long size;
        int eof;

        if (gr->finished || interrupted || g->failed_status) goto finish;
        if (g->count && !g->lines && gr->n >= g->count) goto finish;
        it = get_item(g, g->lines ? gr->n / g->count : 0, &eof);
        if (!it) {
            if (eof) goto finish;
            gr->waiting = 1; /* the ring is full: the slowest group goes first */
            gr->due = 0;
            return MC_NEXT_WAIT;
        }
        now = mono_ns();
        if (g->deadline && now >= g->deadline) goto finish;
        if (g->pps <= 0 && g->bps <= 0 && gr->n >= g->min_n + AHEAD) {
            /* at full speed, in turn: runs of at most AHEAD per group */
            gr->waiting = 1;
            gr->due = 0;
            return MC_NEXT_WAIT;
        }
        {
            size_t est = (g->size_given ? g->size : it->len + (g->header ? TEST_HEADER_LEN : 0));
            long long due = due_time(gr, est);
            if (due > now) {
                gr->waiting = 1;
                gr->due = due;
                return MC_NEXT_WAIT;
            }
        }
        size = build(gr, it, &text_at, &text_len);
        if (size < 0) {
            g->failed_status = 2;
            g->failed_msg[0] = '\0';
            goto finish;
        }
        if (gr->n == 0) {
            /* The first datagram of a group goes at once, so that a failure
               comes back with the library's message. */
            int rc = mc_multicaster_send(gr->m, gr->buf, (size_t)size);
            if (rc < 0) {
                snprintf(g->failed_msg, sizeof g->failed_msg, "%s", lib_msg());
                g->failed_status = rc == MC_EINVAL || rc == MC_EADDRESS ? 2 : 1;
                goto finish;
            }
        }
        if (!g->quiet) print_sent(gr, (size_t)size, text_at, text_len);
        if (g->packets == 0) g->first_ns = now;
        g->last_ns = now;
        if (gr->n == 0) {
            gr->n++, gr->bytes += (size_t)size, gr->bits_due += (uint64_t)size * 8;
            g->packets++, g->bytes += (size_t)size;
            continue;
        }
        gr->n++, gr->bytes += (size_t)size, gr->bits_due += (uint64_t)size * 8;
        g->packets++, g->bytes += (size_t)size;
        *data = gr->buf;
        *len = (size_t)size;
        return MC_NEXT_PACKET;
    }
finish:
    /* never MC_NEXT_DONE: the multicaster stays open until everything handed
       over went out, so that its counts can be read (main closes it) */
    gr->finished = 1;
    gr->waiting = 1;
    gr->due = 0;
    return MC_NEXT_WAIT;
}

void read_file(struct gen *g, const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 4096, n = 0;
    uint8_t *buf;
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
        exit(2);
    }
    buf = malloc(cap);
    for (;;) {
        size_t r;
        if (!buf) {
            fprintf(stderr, "%s: out of memory\n", prog);
            exit(1);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
        if (n > MAX_DATAGRAM) {
            fprintf(stderr, "%s: %s holds more than %d bytes: too long for one datagram\n",
                    prog, strcmp(path, "-") == 0 ? "standard input" : path, MAX_DATAGRAM);
            exit(2);
        }
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: reading %s: %s\n", prog, path, strerror(errno));
        exit(1);
    }
    if (f != stdin) fclose(f);
    g->fixed.data = buf;
    g->fixed.len = n;
}
