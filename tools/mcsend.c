/* mcsend - send datagrams to multicast groups: a text tool and a traffic generator.

     mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N] [-L] [-q] [-r PPS | -b BITRATE]
            [-s SIZE] [-d SECONDS] [-Q DSCP] [-f FILE] GROUP PORT [TEXT|-]

   GROUP is one group, or a comma-separated list of groups and ranges:
   239.1.1.1,239.1.2.1+4 is 239.1.1.1 and the 4 groups 239.1.2.1 .. 239.1.2.4.
   Every datagram goes to every group, in turn (round-robin).

   The payload is TEXT; with -f FILE the bytes of FILE (binary-safe; "-" is all
   of standard input); with "-" or no TEXT each line of standard input (without
   its newline) is one datagram -- unless -p, -s, -r, -b or -d is given without
   a payload, which sends an empty payload (a traffic generator: the test header
   of -p and zero padding up to SIZE).

     mcsend 239.1.2.3 5000 hello                      # once, TTL 1
     mcsend -i eth0 -t 4 -c 3 -N 239.1.2.3 5000 hi    # "1 hi", "2 hi", "3 hi"
     mcsend -q -p -r 1000 -s 1200 -d 10 239.1.1.1+4 5000   # 1000 datagrams/s in all
     printf 'a\nb\n' | mcsend ff02::42%eth0 5000 -    # IPv6 link-local scope

   -p puts the test header (24 bytes, network byte order) at the start of every
   datagram, so that any receiver can count loss, duplicates and reordering and
   measure the one-way delay:

     offset 0   4 bytes  magic "mct1" (6d 63 74 31)
     offset 4   4 bytes  stream id: random, one per mcsend run
     offset 8   8 bytes  sequence number: 1, 2, 3 ... per group
     offset 16  8 bytes  send time: nanoseconds since the Unix epoch (CLOCK_REALTIME)

   (Python: magic, stream, seq, ns = struct.unpack("!4sIQQ", data[:24])).

   Sending uses the library's multicasters (mc_multicaster_new): batches of
   datagrams per system call, as UDP GSO runs where the kernel supports it,
   paced by -r/-b. Prints one line per datagram sent (not with -q) and, at the
   end, what it sent: datagrams, bytes, time, achieved rate -- on standard
   error, or standard output with -q.
   Exit status: 0 all sent, 1 a send failed, 2 bad usage or a bad argument.
   Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <multicast.h>

/* The library's last message, its hints in this tool's terms (an option,
   not the C function that sets it). */
static const char *lib_msg(void) {
    static char buf[1024];
    const char *m = mc_last_error(), *hit = strstr(m, "mc_opts_set_interface");
    if (!hit) return m;
    snprintf(buf, sizeof buf, "%.*s-i IFACE%s", (int)(hit - m), m,
             hit + strlen("mc_opts_set_interface"));
    return buf;
}


#define MAX_DATAGRAM 65507 /* the largest UDP payload over IPv4 */
#define MAX_GROUPS 1024
#define HDR_LEN 24
#define RING 4096          /* stdin lines in hand at once */
#define AHEAD 64           /* at full speed, datagrams a group may be ahead of the slowest */

static const char usage_line[] =
    "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N] [-L] [-q] [-r PPS | -b BITRATE]\n"
    "              [-s SIZE] [-d SECONDS] [-Q DSCP] [-f FILE] GROUP PORT [TEXT|-]\n";

static const char usage_text[] =
    "Send TEXT (or the bytes of FILE, or each line of standard input) as datagrams\n"
    "to the multicast GROUP(s) at PORT: a text tool and a traffic generator.\n"
    "\n"
    "  GROUP        a group (IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal), or a list:\n"
    "               G1,G2,...; G+N is the N groups from G on (239.1.1.1+3 = .1 .2 .3);\n"
    "               G%IFACE sets the interface (ff02::1%eth0: link-local needs one).\n"
    "               Every datagram goes to every group, in turn.\n"
    "  PORT         1..65535\n"
    "  TEXT         the payload; \"-\" or none: each line of standard input (but with\n"
    "               -p, -s, -r, -b or -d and no TEXT or -f, the payload is empty)\n"
    "  -i IFACE     send on this interface: a name (eth0), an index, or one of its\n"
    "               addresses (default: the system's choice, by the routing table)\n"
    "  -t TTL       time to live / IPv6 hop limit, 0..255 (default 1: this subnet;\n"
    "               32 site, 64 region, 128 continent, 255 unrestricted)\n"
    "  -c COUNT     send each datagram COUNT times to each group (default 1; with -d\n"
    "               and a fixed payload: until the time is up)\n"
    "  -d SECONDS   stop after SECONDS (decimals allowed)\n"
    "  -r PPS       send PPS datagrams per second, all groups together\n"
    "  -b BITRATE   send BITRATE bits of UDP payload per second, all groups together\n"
    "               (suffix k, M, G: 10M = 10000000)\n"
    "  -s SIZE      every datagram is SIZE bytes (0..65507): header, payload, zeros\n"
    "  -p           start every datagram with the test header (magic \"mct1\", stream\n"
    "               id, sequence number, send time: see mcsend(1)), for mclisten\n"
    "  -N           number the datagrams as text: prefix each with \"N \" (1, 2, ...)\n"
    "  -f FILE      the payload is the bytes of FILE (\"-\": all of standard input)\n"
    "  -Q DSCP      DSCP of the datagrams: 0..63 or a name (ef, af11..af43, cs0..cs7,\n"
    "               be, va)\n"
    "  -L           do not loop the datagrams back to this host's listeners\n"
    "  -q           quiet: no line per datagram; the summary on standard output\n"
    "  -h, --help   show this help\n"
    "\n"
    "Prints one line per datagram sent, and at the end what it sent (datagrams, bytes,\n"
    "time, rate) on standard error (standard output with -q).\n"
    "Exit status: 0 all sent, 1 a send failed, 2 bad usage or argument.\n";

static const char *prog = "mcsend";

/* "PROG: <what><arg><end>" and the usage on stderr; exits 2. */
static void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s  (mcsend --help for more)\n", prog, what, arg, end);
    exit(2);
}

/* A whole decimal number in [min, max], or exit 2 naming what it is. */
static long parse_number(const char *s, long min, long max, const char *what) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s \"%s\": expected a number from %ld to %ld\n", prog, what,
                s, min, max);
        exit(2);
    }
    return v;
}

/* A positive decimal number (fractions allowed) with an optional k/M/G suffix
   (when `suffixes`), at most max; or exit 2. */
static double parse_real(const char *s, double max, int suffixes, const char *what,
                         const char *expect) {
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end != s && suffixes && *end) {
        if (end[1] == '\0' && (*end == 'k' || *end == 'K')) v *= 1e3, end++;
        else if (end[1] == '\0' && *end == 'M') v *= 1e6, end++;
        else if (end[1] == '\0' && (*end == 'G' || *end == 'g')) v *= 1e9, end++;
    }
    if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > max || s[0] == '-' ||
        isspace((unsigned char)s[0])) {
        fprintf(stderr, "%s: bad %s \"%s\": expected %s\n", prog, what, s, expect);
        exit(2);
    }
    return v;
}

/* DSCP: 0..63 or a name. */
static int parse_dscp(const char *s) {
    static const struct { const char *name; int v; } names[] = {
        {"be", 0},    {"cs0", 0},   {"cs1", 8},   {"cs2", 16},  {"cs3", 24},  {"cs4", 32},
        {"cs5", 40},  {"cs6", 48},  {"cs7", 56},  {"af11", 10}, {"af12", 12}, {"af13", 14},
        {"af21", 18}, {"af22", 20}, {"af23", 22}, {"af31", 26}, {"af32", 28}, {"af33", 30},
        {"af41", 34}, {"af42", 36}, {"af43", 38}, {"ef", 46},   {"va", 44}};
    size_t i;
    char low[8];
    for (i = 0; s[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    if (strlen(s) < sizeof low)
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(low, names[i].name) == 0) return names[i].v;
    if (isdigit((unsigned char)s[0])) return (int)parse_number(s, 0, 63, "DSCP");
    fprintf(stderr, "%s: bad DSCP \"%s\": expected 0..63 or ef, af11..af43, cs0..cs7, be, va\n",
            prog, s);
    exit(2);
}

static long long now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v) {
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* ------------------------------------------------------------------------- */
/* Groups: "G1,G2+N,G3%eth0" */

struct group {
    char addr[INET6_ADDRSTRLEN];
    char *iface;                /* NULL: the system's choice */
    struct gen *gen;
    mc_multicaster *m;
    mc_opts *opts;
    uint64_t n;                 /* datagrams handed over (the first sent directly) */
    uint64_t bytes;
    uint64_t bits_due;          /* -b: payload bits handed over, for the schedule */
    int active;                 /* not finished */
    int finished;               /* nothing more to hand over (may still flush) */
    int waiting;                /* answered MC_NEXT_WAIT */
    long long due;              /* monotonic ns the next datagram is due (when waiting) */
    uint8_t *buf;
};

/* Adds `count` groups from `text` (one address) to the list; exits 2 on error. */
static void add_range(struct group *groups, int *n, const char *text, long count,
                      char *iface) {
    unsigned char ip[16];
    int v6 = strchr(text, ':') != NULL, i, rc;
    mc_opts *o = mc_opts_new();
    /* not a group: the library says why */
    if (!o || (rc = mc_opts_set_group(o, text)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, o ? lib_msg() : "out of memory");
        exit(2);
    }
    mc_opts_free(o);
    if (inet_pton(v6 ? AF_INET6 : AF_INET, text, ip) != 1) {
        fprintf(stderr, "%s: bad group \"%s\"\n", prog, text);
        exit(2);
    }
    if (*n + count > MAX_GROUPS) {
        fprintf(stderr, "%s: too many groups: at most %d\n", prog, MAX_GROUPS);
        exit(2);
    }
    for (i = 0; i < count; i++) {
        struct group *g = &groups[(*n)++];
        if (i > 0) { /* the next address */
            int k;
            for (k = v6 ? 15 : 3; k >= 0 && ++ip[k] == 0; k--) {
            }
            if ((v6 && ip[0] != 0xff) || (!v6 && (ip[0] & 0xf0) != 0xe0) || k < 0) {
                fprintf(stderr, "%s: %s+%ld leaves the multicast range\n", prog, text, count);
                exit(2);
            }
        }
        inet_ntop(v6 ? AF_INET6 : AF_INET, ip, g->addr, sizeof g->addr);
        g->iface = iface;
    }
}

/* Parses GROUP (a list) into groups; the default interface is `iface`. Returns the count. */
static int parse_groups(char *spec, struct group *groups, char *iface) {
    int n = 0;
    char *el, *save = NULL;
    if (!*spec) usage_error("empty GROUP", "", "");
    for (el = strtok_r(spec, ",", &save); el; el = strtok_r(NULL, ",", &save)) {
        char *scope = strchr(el, '%'), *plus;
        char *gi = iface;
        long count = 1;
        if (scope) *scope++ = '\0';
        plus = strchr(el, '+');
        if (!plus && scope) plus = strchr(scope, '+'); /* G%IFACE+N */
        if (plus) {
            *plus++ = '\0';
            count = parse_number(plus, 1, MAX_GROUPS, "group count (GROUP+N)");
        }
        if (scope) {
            if (iface && strcmp(iface, scope) != 0) {
                fprintf(stderr, "%s: interface given twice: -i %s and %%%s\n", prog, iface,
                        scope);
                exit(2);
            }
            gi = scope;
        }
        if (!*el) usage_error("empty group in \"", spec, "\"");
        add_range(groups, &n, el, count, gi);
    }
    if (n == 0) usage_error("no group in GROUP", "", "");
    return n;
}

/* ------------------------------------------------------------------------- */
/* What is sent */

struct item {
    uint8_t *data;
    size_t len;
};

struct gen {
    struct group *groups;
    int ngroups, active;
    long port, ttl;
    int dscp;                   /* -1: not given */
    unsigned long long count;   /* per item and group; 0: no limit */
    int header, number, quiet;
    size_t size;                /* 0: the payload's own size */
    int size_given;
    double pps, bps;            /* 0: as fast as it goes */
    long long t0;               /* monotonic ns of the start */
    long long deadline;         /* monotonic ns; 0: none */
    long long first_ns, last_ns;/* monotonic ns of the first and last hand-over */
    uint32_t stream;
    /* payload: a fixed item, or lines of stdin in a ring */
    int lines;
    struct item fixed;
    struct item ring[RING];
    unsigned long long ring_base, ring_len;
    int eof;
    char *line;
    size_t line_cap;
    int read_error;
    /* totals */
    unsigned long long packets, bytes;
    uint64_t min_n;             /* the fewest datagrams an unfinished group handed over */
    int failed_status;          /* a direct send failed: 1 or 2 */
    char failed_msg[512];
};

static volatile sig_atomic_t interrupted;
static mc_poller *signal_poller;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    mc_stop(signal_poller);
}

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

/* Frees the lines every group has sent. */
static void free_sent_lines(struct gen *g) {
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

/* Prints the bytes as text, escaping what is not printable ASCII. */
static void print_text(const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        switch (p[i]) {
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (p[i] >= 0x20 && p[i] < 0x7f)
                putchar(p[i]);
            else
                printf("\\x%02x", p[i]);
        }
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
        memcpy(gr->buf, "mct1", 4);
        put_be32(gr->buf + 4, g->stream);
        put_be64(gr->buf + 8, gr->n + 1);
        put_be64(gr->buf + 16, (uint64_t)now_ns(CLOCK_REALTIME));
        at = HDR_LEN;
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

static void print_sent(const struct group *gr, size_t size, size_t text_at, size_t text_len) {
    const struct gen *g = gr->gen;
    int v6 = strchr(gr->addr, ':') != NULL;
    printf("sent %zu bytes to %s%s%s:%ld (ttl %ld", size, v6 ? "[" : "", gr->addr,
           v6 ? "]" : "", g->port, g->ttl);
    if (gr->iface) printf(", interface %s", gr->iface);
    if (g->dscp >= 0) printf(", dscp %d", g->dscp);
    fputs("): ", stdout);
    if (g->header) printf("[seq %llu] ", (unsigned long long)gr->n + 1);
    print_text(gr->buf + text_at, text_len);
    putchar('\n');
}

/* The multicaster's next(): the datagram that is due, or WAIT. */
static int next_fn(void *user_data, const uint8_t **data, size_t *len) {
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
        now = now_ns(CLOCK_MONOTONIC);
        if (g->deadline && now >= g->deadline) goto finish;
        if (g->pps <= 0 && g->bps <= 0 && gr->n >= g->min_n + AHEAD) {
            /* at full speed, in turn: runs of at most AHEAD per group */
            gr->waiting = 1;
            gr->due = 0;
            return MC_NEXT_WAIT;
        }
        {
            size_t est = (g->size_given ? g->size : it->len + (g->header ? HDR_LEN : 0));
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

/* "12.3 kbit/s" */
static void format_bits(double bps, char *out, size_t size) {
    if (bps >= 1e9) snprintf(out, size, "%.3f Gbit/s", bps / 1e9);
    else if (bps >= 1e6) snprintf(out, size, "%.3f Mbit/s", bps / 1e6);
    else if (bps >= 1e3) snprintf(out, size, "%.3f kbit/s", bps / 1e3);
    else snprintf(out, size, "%.0f bit/s", bps);
}

static void raise_fd_limit(int need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void read_file(struct gen *g, const char *path) {
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

int main(int argc, char **argv) {
    static struct group groups[MAX_GROUPS];
    static struct gen g;
    const char *text = NULL, *file = NULL;
    char *iface = NULL;
    double duration = 0;
    int opt, i, rc, loopback = 1, status = 0, count_given = 0, generator = 0;
    long long end_ns;
    mc_poller *poller;
    struct sigaction sa;

    g.ttl = MC_DEFAULT_TTL;
    g.count = 1;
    g.dscp = -1;
    g.groups = groups;
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_line, stdout);
            fputs(usage_text, stdout);
            return 0;
        }
    }
    opterr = 0;
    while ((opt = getopt(argc, argv, "hi:t:c:pNLqr:b:s:d:Q:f:")) != -1) {
        switch (opt) {
        case 'h': fputs(usage_line, stdout); fputs(usage_text, stdout); return 0;
        case 'i': iface = optarg; break;
        case 't': g.ttl = parse_number(optarg, 0, 255, "TTL"); break;
        case 'c':
            g.count = (unsigned long long)parse_number(optarg, 1, LONG_MAX, "COUNT");
            count_given = 1;
            break;
        case 'p': g.header = 1, generator = 1; break;
        case 'N': g.number = 1; break;
        case 'L': loopback = 0; break;
        case 'q': g.quiet = 1; break;
        case 'r':
            g.pps = parse_real(optarg, 1e8, 0, "PPS", "datagrams per second, above 0");
            generator = 1;
            break;
        case 'b':
            g.bps = parse_real(optarg, 1e12, 1, "BITRATE", "bits per second (k, M, G), above 0");
            generator = 1;
            break;
        case 's':
            g.size = (size_t)parse_number(optarg, 0, MAX_DATAGRAM, "SIZE");
            g.size_given = 1;
            generator = 1;
            break;
        case 'd':
            duration = parse_real(optarg, 1e7, 0, "SECONDS", "seconds, above 0");
            generator = 1;
            break;
        case 'Q': g.dscp = parse_dscp(optarg); break;
        case 'f': file = optarg; break;
        default: {
            char o[2] = {(char)optopt, '\0'};
            if (strchr("itcrbsdQf", optopt)) usage_error("option -", o, " needs a value");
            usage_error("unknown option -", o, "");
        }
        }
    }
    if (g.pps > 0 && g.bps > 0) usage_error("-r and -b both set the rate: give one", "", "");
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 3) usage_error("unexpected argument \"", argv[optind + 3], "\"");
    g.port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    if (argc - optind == 3) text = argv[optind + 2];
    if (text && file) usage_error("give TEXT or -f FILE, not both", "", "");
    g.ngroups = parse_groups(argv[optind], groups, iface);
    for (i = 0; i < g.ngroups; i++) {
        if (groups[i].iface && strcmp(groups[i].iface, "*") == 0) {
            fprintf(stderr, "%s: interface \"*\" is for listeners: a datagram goes out on "
                            "one interface\n", prog);
            return 2;
        }
    }

    /* the payload */
    if (file) {
        read_file(&g, file);
    } else if (text && strcmp(text, "-") != 0) {
        g.fixed.data = (uint8_t *)text;
        g.fixed.len = strlen(text);
    } else if (!text && generator) {
        g.fixed.data = (uint8_t *)"";
        g.fixed.len = 0;
    } else {
        g.lines = 1;
    }
    if (duration > 0 && !count_given && !g.lines) g.count = 0; /* until the time is up */
    {
        size_t fixed = (g.header ? HDR_LEN : 0) + (g.lines ? 0 : g.fixed.len) +
                       (g.number ? 21 : 0);
        if (g.size_given && !g.lines && !g.number && fixed > g.size) {
            fprintf(stderr, "%s: %zu bytes of %s do not fit in -s %zu\n", prog, fixed,
                    g.header ? "header and payload" : "payload", g.size);
            return 2;
        }
    }

    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g.stream = (uint32_t)(ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_sec);
        if (g.stream == 0) g.stream = 1;
    }
    raise_fd_limit(g.ngroups + 64);
    if ((rc = mc_poller_new(&poller)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, lib_msg());
        return 1;
    }
    for (i = 0; i < g.ngroups; i++) {
        struct group *gr = &groups[i];
        mc_opts *o = mc_opts_new();
        gr->gen = &g;
        gr->active = 1;
        gr->buf = malloc(MAX_DATAGRAM + 1);
        if (!o || !gr->buf) {
            fprintf(stderr, "%s: out of memory\n", prog);
            return 1;
        }
        gr->opts = o;
        if ((rc = mc_opts_set_group(o, gr->addr)) < 0 ||
            (rc = mc_opts_set_port(o, (uint16_t)g.port)) < 0 ||
            (rc = mc_opts_set_ttl(o, (int)g.ttl)) < 0 ||
            (rc = mc_opts_set_loopback(o, loopback)) < 0 ||
            (g.dscp >= 0 && (rc = mc_opts_set_tos(o, g.dscp << 2)) < 0) ||
            (gr->iface && (rc = mc_opts_set_interface(o, gr->iface)) < 0) ||
            (rc = mc_multicaster_new(poller, o, next_fn, gr, &gr->m)) < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            return rc == MC_EINVAL || rc == MC_EADDRESS ? 2 : 1;
        }
    }
    g.active = g.ngroups;
    if (!g.quiet) setvbuf(stdout, NULL, _IOLBF, 0);

    signal_poller = poller;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    g.t0 = now_ns(CLOCK_MONOTONIC);
    if (duration > 0) g.deadline = g.t0 + (long long)(duration * 1e9);
    while (g.active > 0) {
        long long now = now_ns(CLOCK_MONOTONIC), wake = LLONG_MAX;
        int timeout;
        free_sent_lines(&g);
        g.min_n = UINT64_MAX;
        for (i = 0; i < g.ngroups; i++)
            if (groups[i].active && !groups[i].finished && groups[i].n < g.min_n)
                g.min_n = groups[i].n;
        for (i = 0; i < g.ngroups; i++) {
            struct group *gr = &groups[i];
            uint64_t sent = 0, failed = 0;
            if (!gr->active) continue;
            if (gr->finished || interrupted || g.failed_status) {
                /* everything handed over went out (or was refused): close it */
                mc_multicaster_get_counts(gr->m, &sent, &failed);
                if (sent + failed + 1 >= gr->n || interrupted || g.failed_status) {
                    if (failed > 0 && !g.failed_status) {
                        snprintf(g.failed_msg, sizeof g.failed_msg,
                                 "%llu datagrams to %.46s refused by the system",
                                 (unsigned long long)failed, gr->addr);
                        status = 1;
                    }
                    if (gr->n > 0 && failed > 0) { /* sizes vary only with lines */
                        uint64_t lost = gr->bytes / gr->n * failed;
                        gr->bytes -= lost;
                        g.bytes -= lost;
                        g.packets -= failed;
                    }
                    mc_multicaster_close(gr->m);
                    gr->active = 0;
                    g.active--;
                    continue;
                }
                wake = now; /* flushing: look again soon */
                continue;
            }
            if (gr->waiting) {
                if (gr->due <= now) {
                    gr->waiting = 0;
                    mc_multicaster_resume(gr->m);
                } else if (gr->due < wake) {
                    wake = gr->due;
                }
            }
        }
        if (g.active == 0) break;
        if (g.deadline && g.deadline < wake) wake = g.deadline;
        if (wake == LLONG_MAX) timeout = -1;
        else if (wake <= now) timeout = 0;
        else {
            long long ms = (wake - now + 999999) / 1000000;
            timeout = ms > INT_MAX ? INT_MAX : (int)ms;
        }
        if (wake == now) timeout = 1; /* flushing: the socket has no room yet */
        rc = mc_poll(poller, timeout);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            return 1;
        }
        if (g.deadline && now_ns(CLOCK_MONOTONIC) >= g.deadline) {
            for (i = 0; i < g.ngroups; i++)
                if (groups[i].active && !groups[i].finished) {
                    groups[i].finished = 1;
                }
        }
    }
    end_ns = g.last_ns;
    sa.sa_handler = SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    mc_poller_free(poller);
    fflush(stdout);

    if (g.read_error) {
        fprintf(stderr, "%s: reading standard input: %s\n", prog, strerror(g.read_error));
        status = 1;
    }
    if (g.failed_status) {
        if (g.failed_msg[0]) fprintf(stderr, "%s: %s\n", prog, g.failed_msg);
        status = g.failed_status;
    } else if (status && g.failed_msg[0]) {
        fprintf(stderr, "%s: %s\n", prog, g.failed_msg);
    }
    {
        FILE *out = g.quiet ? stdout : stderr;
        double span = (double)(end_ns - g.first_ns) / 1e9;
        char bits[32];
        fprintf(out, "%s: sent %llu datagrams, %llu bytes, to %d group%s in %.3f s", prog,
                g.packets, g.bytes, g.ngroups, g.ngroups == 1 ? "" : "s",
                g.packets ? span : 0.0);
        if (g.packets > 1 && span > 0) {
            double pps = (double)(g.packets - 1) / span;
            format_bits(pps * 8.0 * (double)g.bytes / (double)g.packets, bits, sizeof bits);
            fprintf(out, ": %.1f datagrams/s, %s", pps, bits);
        }
        if (g.pps > 0) fprintf(out, " (asked %g/s)", g.pps);
        if (g.bps > 0) {
            format_bits(g.bps, bits, sizeof bits);
            fprintf(out, " (asked %s)", bits);
        }
        if (g.header) fprintf(out, "; stream %08x", g.stream);
        if (interrupted) fputs("; interrupted", out);
        fputc('\n', out);
    }
    for (i = 0; i < g.ngroups; i++) {
        free(groups[i].buf);
        mc_opts_free(groups[i].opts);
    }
    return status;
}
