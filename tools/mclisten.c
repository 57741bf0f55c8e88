/* mclisten - join multicast groups, print the datagrams that arrive, and count
   them: a monitor for mcsend's test streams, iperf2's, or anyone's.

     mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]
              [-m MTU] [-q] [-j] [-t] [-T] [-I SECONDS] [-d SECONDS] [-H FORMAT]
              GROUP PORT

   GROUP is one group or a comma-separated list: G, G+N (the N groups from G
   on: 239.1.1.1+3 is .1 .2 .3), SOURCE@G (source-specific), SOURCE@G+N.

   One line per datagram on standard output (not with -q):

     14:02:11.493021 127.0.0.1:48213 -> 239.1.2.3:5000 lo 11 bytes: hello world

   the kernel's time of arrival (local time), the sender, the group:port, the
   interface, [with -t "ttl N", with -T "rx SECONDS.NANOSECONDS"], the size
   ("N bytes, truncated to M" when longer than the MTU) and the payload, as text
   with the bytes that are not printable ASCII escaped (\n, \t, \\, \xNN), or
   in hex with -x. A datagram that starts with mcsend's test header (-p) shows
   "[stream S seq N delay D ms]" and what went wrong before it (lost, late,
   duplicate); the payload after the header follows, without its zero padding.

   Per flow (group, sender, stream) it counts datagrams, bytes, rate, and with a
   test header (mcsend -p; iperf2's with -H iperf) lost, duplicated and
   reordered datagrams, the one-way delay and the jitter (RFC 3550). -I prints
   those every SECONDS; a summary comes at the end (COUNT datagrams, -d, -w,
   SIGINT, SIGTERM): on standard error, or standard output with -q or -j. With
   -j every line on standard output is a JSON object (see mclisten(1)).

   Once joined it says "mclisten: listening on ..." on standard error.
   Exit status: 0 done, nothing lost; 1 no datagram within TIMEOUT_MS (or fewer
   than COUNT), or a failure; 2 bad usage or a bad argument; 3 datagrams were
   lost (gaps in the test header's sequence numbers, or drops by the kernel).
   Try it inside a private network namespace: tests/netns-run. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
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


#define MAX_GROUPS 1024
#define MAX_FLOWS 1024
#define SLOTS 4096          /* hash slots for the flows (a power of two) */
#define WINDOW 8192         /* sequence numbers remembered per flow (a multiple of 64) */
#define HDR_LEN 24

static const char usage_line[] =
    "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]\n"
    "                [-m MTU] [-q] [-j] [-t] [-T] [-I SECONDS] [-d SECONDS] [-H FORMAT]\n"
    "                GROUP PORT\n";

static const char usage_text[] =
    "Join the multicast GROUP(s) at PORT, print one line per datagram (time, sender,\n"
    "group:port, interface, size, payload) and count them per flow: rate, and with a\n"
    "test header (mcsend -p, or iperf2's with -H iperf) loss, duplicates, reordering,\n"
    "delay and jitter.\n"
    "\n"
    "  GROUP          a group (IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal), or a list:\n"
    "                 G1,G2,...; G+N is the N groups from G on; SOURCE@G is\n"
    "                 source-specific; G%IFACE sets the interface (ff02:: needs one)\n"
    "  PORT           1..65535\n"
    "  -i IFACE       join on this interface: a name (eth0), an index, or one of its\n"
    "                 addresses; \"*\" joins on every interface that is up with the\n"
    "                 MULTICAST flag (default: the system's choice)\n"
    "  -s SOURCE      source-specific multicast: only datagrams from SOURCE (for the\n"
    "                 groups that do not name their own)\n"
    "  -f REGEX       print only datagrams whose bytes match REGEX at their start\n"
    "                 (Rust regex syntax; ${ip}, ${port}, ${mtu} are this listener's)\n"
    "  -n COUNT       exit after COUNT datagrams (default: never)\n"
    "  -x             print the payload in hex instead of escaped text\n"
    "  -w TIMEOUT_MS  exit when TIMEOUT_MS milliseconds pass without a datagram\n"
    "  -d SECONDS     exit after SECONDS (decimals allowed)\n"
    "  -m MTU         bytes read per datagram, 1..65535 (default 4096); longer ones\n"
    "                 are truncated and reported as such\n"
    "  -q             quiet: no line per datagram; the summaries on standard output\n"
    "  -j             JSON: every line on standard output is one JSON object\n"
    "  -t             a column with the received TTL / hop limit (\"ttl N\")\n"
    "  -T             a column with the kernel's receive time (\"rx SECONDS.NS\")\n"
    "  -I SECONDS     print the figures of every flow every SECONDS\n"
    "  -H FORMAT      test header: \"mc\" (default: mcsend -p's, recognized by its\n"
    "                 magic), \"iperf\" (iperf2's UDP header too), \"none\"\n"
    "  -h, --help     show this help\n"
    "\n"
    "Says \"mclisten: listening on ...\" on standard error once joined; a summary\n"
    "at the end on standard error (standard output with -q or -j). Exit status:\n"
    "0 done, nothing lost; 1 timeout with nothing (or fewer than COUNT) or failure;\n"
    "2 bad usage or argument; 3 datagrams were lost.\n";

static const char *prog = "mclisten";

static void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s  (mclisten --help for more)\n", prog, what, arg, end);
    exit(2);
}

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

static double parse_seconds(const char *s, const char *what) {
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.001) || v > 1e7 ||
        isspace((unsigned char)s[0])) {
        fprintf(stderr, "%s: bad %s \"%s\": expected seconds, 0.001 or more\n", prog, what, s);
        exit(2);
    }
    return v;
}

/* A failed library call: the library's message, exit 2 for a bad argument
   (address, value, pattern, a pair given twice), 1 for anything else. */
static void lib_error(int code) {
    const char *msg = lib_msg();
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : mc_strerror(code));
    exit(code == MC_EADDRESS || code == MC_EINVAL || code == MC_EREGEX || code == MC_EEXIST
             ? 2
             : 1);
}

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long real_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ------------------------------------------------------------------------- */
/* Addresses */

static void ip_text(int family, const uint8_t *ip, char *out, size_t size) {
    if (!inet_ntop(family, ip, out, (socklen_t)size)) snprintf(out, size, "?");
}

/* "127.0.0.1:5000" or "[fe80::1%eth0]:5000" */
static void format_addr(const mc_addr *a, char *out, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    char scope[IF_NAMESIZE + 16] = "";
    if (a->family == AF_INET || a->family == AF_INET6) ip_text(a->family, a->ip, ip, sizeof ip);
    if (a->family == AF_INET6 && a->scope_id != 0) {
        char name[IF_NAMESIZE];
        if (if_indextoname(a->scope_id, name))
            snprintf(scope, sizeof scope, "%%%s", name);
        else
            snprintf(scope, sizeof scope, "%%%u", (unsigned)a->scope_id);
    }
    if (a->family == AF_INET6)
        snprintf(out, size, "[%s%s]:%u", ip, scope, (unsigned)a->port);
    else
        snprintf(out, size, "%s:%u", ip, (unsigned)a->port);
}

struct pair {
    char group[INET6_ADDRSTRLEN];
    const char *source;         /* NULL: any source */
};

/* Parses GROUP ("S@G+N,G,...") into pairs; the interface named by %IFACE
   goes to *iface (all must agree). Returns the number of pairs. */
static int parse_groups(char *spec, struct pair *pairs, const char **iface,
                        const char *default_source) {
    int n = 0, iface_option = *iface != NULL;
    char *el, *save = NULL;
    if (!*spec) usage_error("empty GROUP", "", "");
    for (el = strtok_r(spec, ",", &save); el; el = strtok_r(NULL, ",", &save)) {
        char *at = strchr(el, '@'), *scope, *plus;
        const char *source = default_source;
        unsigned char ip[16];
        long count = 1, i;
        int v6, rc;
        mc_opts *o;
        if (at) {
            *at = '\0';
            source = el;
            el = at + 1;
            if (!*source) usage_error("empty SOURCE in SOURCE@GROUP", "", "");
        }
        scope = strchr(el, '%');
        if (scope) *scope++ = '\0';
        plus = strchr(el, '+');
        if (!plus && scope) plus = strchr(scope, '+'); /* G%IFACE+N */
        if (plus) {
            *plus++ = '\0';
            count = parse_number(plus, 1, MAX_GROUPS, "group count (GROUP+N)");
        }
        if (scope) {
            if (*iface && strcmp(*iface, scope) != 0) {
                fprintf(stderr, "%s: interface given twice: %s%s and %%%s (one listener joins "
                                "on one interface)\n",
                        prog, iface_option ? "-i " : "%", *iface, scope);
                exit(2);
            }
            *iface = scope;
        }
        if (!*el) usage_error("empty group in GROUP", "", "");
        o = mc_opts_new();
        if (!o) lib_error(MC_EINVAL);
        if ((rc = mc_opts_set_group(o, el)) < 0) lib_error(rc);
        mc_opts_free(o);
        v6 = strchr(el, ':') != NULL;
        if (inet_pton(v6 ? AF_INET6 : AF_INET, el, ip) != 1) usage_error("bad group \"", el, "\"");
        if (n + count > MAX_GROUPS) {
            fprintf(stderr, "%s: too many groups: at most %d\n", prog, MAX_GROUPS);
            exit(2);
        }
        for (i = 0; i < count; i++) {
            if (i > 0) {
                int k;
                for (k = v6 ? 15 : 3; k >= 0 && ++ip[k] == 0; k--) {
                }
                if ((v6 && ip[0] != 0xff) || (!v6 && (ip[0] & 0xf0) != 0xe0) || k < 0) {
                    fprintf(stderr, "%s: %s+%ld leaves the multicast range\n", prog, el, count);
                    exit(2);
                }
            }
            ip_text(v6 ? AF_INET6 : AF_INET, ip, pairs[n].group, sizeof pairs[n].group);
            pairs[n].source = source;
            n++;
        }
    }
    if (n == 0) usage_error("no group in GROUP", "", "");
    return n;
}

/* ------------------------------------------------------------------------- */
/* Flows: (group, sender, stream) and what was counted */

enum kind { KIND_NONE, KIND_MC, KIND_IPERF };
enum event { EV_NONE, EV_OK, EV_GAP, EV_LATE, EV_DUP, EV_FIN, EV_FIN_AGAIN };

struct figures {              /* over the whole run, or one interval */
    uint64_t packets, bytes, lost, dups, reord;
    double dmin, dmax, dsum;   /* delay, ms */
    uint64_t dn;
};

struct flow {
    int family;
    uint8_t group[16], src[16];
    uint16_t sport;
    uint32_t stream;
    enum kind kind;
    struct figures all, iv;
    uint64_t iv_lost_at;       /* lost() when the interval began */
    /* sequence numbers */
    int have_seq;
    uint64_t first, max, unique;
    uint64_t bits[WINDOW / 64];
    /* jitter (RFC 3550), ms */
    double jitter, last_transit;
    int have_transit;
    int ttl_min, ttl_max;
    long long first_rx, last_rx; /* ns since the epoch */
};

static struct flow *flows[MAX_FLOWS];
static int nflows;
static struct flow *slots[SLOTS];
static uint64_t untracked;     /* datagrams of flows beyond MAX_FLOWS */

static uint64_t lost_of(const struct flow *f) {
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

/* ------------------------------------------------------------------------- */
/* Printing */

struct state {
    mc_poller *poller;
    mc_listener *listener;
    long count;          /* 0: no limit */
    long seen;
    int hex, quiet, json, show_ttl, show_rx;
    enum kind header;    /* KIND_MC (default), KIND_IPERF, KIND_NONE */
    int done;            /* COUNT reached: the listener closed itself */
    long long last;      /* monotonic ns of the last datagram (or the start) */
    long long start;     /* monotonic ns of the start */
    long long start_real;/* ns since the epoch of the start */
    mc_listener_stats stats;
    uint64_t iv_kernel_drops;
    FILE *report;        /* where summaries go */
};

static void print_text(FILE *out, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                putc(c, out);
            else
                fprintf(out, "\\x%02x", c);
        }
    }
}

static void print_hex(FILE *out, const uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) fprintf(out, "%02x", p[i]);
}

/* A JSON string (the text here is addresses and interface names). */
static void json_str(FILE *out, const char *s) {
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(out, "\\u%04x", *s);
        else putc(*s, out);
    }
    putc('"', out);
}

/* "12.3 kbit/s" */
static void format_bits(double bps, char *out, size_t size) {
    if (bps >= 1e9) snprintf(out, size, "%.3f Gbit/s", bps / 1e9);
    else if (bps >= 1e6) snprintf(out, size, "%.3f Mbit/s", bps / 1e6);
    else if (bps >= 1e3) snprintf(out, size, "%.3f kbit/s", bps / 1e3);
    else snprintf(out, size, "%.0f bit/s", bps);
}

static const char *kind_name(enum kind k) {
    return k == KIND_MC ? "mc" : k == KIND_IPERF ? "iperf" : "none";
}

/* One flow's figures over [t0, t1] seconds since the start; `rate_span` the
   seconds the rates are taken over. */
static void print_row(const struct state *st, const struct flow *f, const struct figures *x,
                      uint64_t lost, double t0, double t1, double rate_span, int final) {
    FILE *out = st->report;
    char group[INET6_ADDRSTRLEN], src[INET6_ADDRSTRLEN], bits[32];
    double pps = rate_span > 0 ? (double)(final ? (x->packets > 1 ? x->packets - 1 : 0)
                                                 : x->packets) / rate_span
                               : 0;
    double bps = x->packets ? pps * 8.0 * (double)x->bytes / (double)x->packets : 0;
    ip_text(f->family, f->group, group, sizeof group);
    ip_text(f->family, f->src, src, sizeof src);
    if (st->json) {
        fprintf(out, "{\"type\":\"%s\",\"start\":%.3f,\"end\":%.3f,\"group\":",
                final ? "summary" : "interval", t0, t1);
        json_str(out, group);
        fputs(",\"source\":", out);
        json_str(out, src);
        fprintf(out, ",\"sport\":%u,\"header\":\"%s\",", (unsigned)f->sport, kind_name(f->kind));
        if (f->kind == KIND_MC) fprintf(out, "\"stream\":%u,", (unsigned)f->stream);
        else fputs("\"stream\":null,", out);
        fprintf(out, "\"packets\":%llu,\"bytes\":%llu,\"pps\":%.3f,\"bps\":%.1f,",
                (unsigned long long)x->packets, (unsigned long long)x->bytes, pps, bps);
        if (f->kind != KIND_NONE)
            fprintf(out, "\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,",
                    (unsigned long long)lost, (unsigned long long)x->dups,
                    (unsigned long long)x->reord);
        else
            fputs("\"lost\":null,\"dup\":null,\"reordered\":null,", out);
        if (x->dn)
            fprintf(out, "\"delay_ms\":{\"min\":%.6f,\"avg\":%.6f,\"max\":%.6f},\"jitter_ms\":%.6f,",
                    x->dmin, x->dsum / (double)x->dn, x->dmax, f->jitter);
        else
            fputs("\"delay_ms\":null,\"jitter_ms\":null,", out);
        if (f->ttl_max >= 0) fprintf(out, "\"ttl\":{\"min\":%d,\"max\":%d}}\n", f->ttl_min, f->ttl_max);
        else fputs("\"ttl\":null}\n", out);
        return;
    }
    format_bits(bps, bits, sizeof bits);
    fprintf(out, "[%7.2f-%7.2f s] %s <- %s", t0, t1, group, src);
    if (f->kind == KIND_MC) fprintf(out, " stream %08x", (unsigned)f->stream);
    if (f->kind == KIND_IPERF) fprintf(out, " iperf port %u", (unsigned)f->sport);
    fprintf(out, ": %llu pkt, %.1f pps, %s", (unsigned long long)x->packets, pps, bits);
    if (f->kind != KIND_NONE) {
        uint64_t expected = x->packets - x->dups + lost;
        fprintf(out, ", lost %llu (%.2f%%), dup %llu, reord %llu", (unsigned long long)lost,
                expected ? 100.0 * (double)lost / (double)expected : 0.0,
                (unsigned long long)x->dups, (unsigned long long)x->reord);
    }
    if (x->dn)
        fprintf(out, ", delay %.3f/%.3f/%.3f ms, jitter %.3f ms", x->dmin,
                x->dsum / (double)x->dn, x->dmax, f->jitter);
    if (f->ttl_max >= 0) {
        if (f->ttl_min == f->ttl_max) fprintf(out, ", ttl %d", f->ttl_max);
        else fprintf(out, ", ttl %d-%d", f->ttl_min, f->ttl_max);
    }
    fputc('\n', out);
}

static void print_total(const struct state *st, double t0, double t1, uint64_t packets,
                        uint64_t bytes, uint64_t lost, uint64_t dups, uint64_t reord,
                        uint64_t kdrops, int final, int status) {
    FILE *out = st->report;
    double span = t1 - t0;
    /* the final rate is over the time between the first and last arrival */
    double pps = span > 0 ? (double)(final ? (packets > 1 ? packets - 1 : 0) : packets) / span : 0;
    char bits[32];
    format_bits(packets ? pps * 8.0 * (double)bytes / (double)packets : 0, bits, sizeof bits);
    if (st->json) {
        fprintf(out,
                "{\"type\":\"%s\",\"start\":%.3f,\"end\":%.3f,\"flows\":%d,\"packets\":%llu,"
                "\"bytes\":%llu,\"pps\":%.3f,\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,"
                "\"kernel_drops\":%llu",
                final ? "total" : "interval_total", t0, t1, nflows, (unsigned long long)packets,
                (unsigned long long)bytes, pps, (unsigned long long)lost, (unsigned long long)dups,
                (unsigned long long)reord, (unsigned long long)kdrops);
        if (final)
            fprintf(out,
                    ",\"received\":%llu,\"filtered\":%llu,\"truncated\":%llu,"
                    "\"untracked\":%llu,\"status\":%d",
                    (unsigned long long)st->stats.received, (unsigned long long)st->stats.filtered,
                    (unsigned long long)st->stats.truncated, (unsigned long long)untracked,
                    status);
        fputs("}\n", out);
        return;
    }
    fprintf(out, "[%7.2f-%7.2f s] total: %d flow%s, %llu pkt, %.1f pps, %s, lost %llu, dup %llu, "
                 "reord %llu, kernel drops %llu\n",
            t0, t1, nflows, nflows == 1 ? "" : "s", (unsigned long long)packets, pps, bits, (unsigned long long)lost,
            (unsigned long long)dups, (unsigned long long)reord, (unsigned long long)kdrops);
}

/* The figures of the interval that ends now; starts the next one. */
static void print_interval(struct state *st, double t0, double t1) {
    uint64_t packets = 0, bytes = 0, lost = 0, dups = 0, reord = 0, kd;
    mc_listener_stats s;
    int i;
    if (!st->done && mc_listener_get_stats(st->listener, &s) == 0) st->stats = s;
    kd = st->stats.kernel_drops - st->iv_kernel_drops;
    st->iv_kernel_drops = st->stats.kernel_drops;
    for (i = 0; i < nflows; i++) {
        struct flow *f = flows[i];
        uint64_t now_lost = lost_of(f);
        uint64_t l = now_lost > f->iv_lost_at ? now_lost - f->iv_lost_at : 0;
        print_row(st, f, &f->iv, l, t0, t1, t1 - t0, 0);
        packets += f->iv.packets, bytes += f->iv.bytes, lost += l;
        dups += f->iv.dups, reord += f->iv.reord;
        memset(&f->iv, 0, sizeof f->iv);
        f->iv.dmin = 1e300;
        f->iv_lost_at = now_lost;
    }
    print_total(st, t0, t1, packets, bytes, lost, dups, reord, kd, 0, 0);
    fflush(st->report);
}

/* ------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;
static mc_poller *signal_poller;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    mc_stop(signal_poller); /* async-signal-safe: one write(2) */
}

static int on_packet(void *user_data, const mc_packet *p) {
    struct state *st = user_data;
    char from[INET6_ADDRSTRLEN + IF_NAMESIZE + 16], group[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
    char iface[IF_NAMESIZE] = "?", stamp[32] = "";
    long long rx = p->timestamp_ns ? (long long)p->timestamp_ns : real_ns();
    time_t secs = (time_t)(rx / 1000000000LL);
    struct tm tm;
    enum kind kind = KIND_NONE;
    uint32_t stream = 0;
    uint64_t seq = 0, gap = 0;
    long long tx = 0;       /* the send time of the header, ns since the epoch */
    int fin = 0;
    enum event ev = EV_NONE;
    double delay = 0;
    struct flow *f;
    size_t text_at = 0, text_len = p->len;

    /* the test header */
    if (st->header != KIND_NONE && p->len >= HDR_LEN && memcmp(p->data, "mct1", 4) == 0) {
        kind = KIND_MC;
        stream = be32(p->data + 4);
        seq = be64(p->data + 8);
        tx = (long long)be64(p->data + 16);
        text_at = HDR_LEN;
        text_len = p->len - HDR_LEN;
        while (text_len > 0 && p->data[text_at + text_len - 1] == 0) text_len--;
    } else if (st->header == KIND_IPERF && p->len >= 16) {
        /* iperf2: int32 id, uint32 tv_sec, uint32 tv_usec, int32 id2 (the
           upper half of a 64-bit id); the last datagram has a negative id */
        int64_t id = (int64_t)(((uint64_t)be32(p->data + 12) << 32) | be32(p->data));
        kind = KIND_IPERF;
        if (id < 0) {
            fin = 1;
            id = -id;
        }
        seq = (uint64_t)id;
        tx = (long long)be32(p->data + 4) * 1000000000LL + (long long)be32(p->data + 8) * 1000;
        stream = p->from.port;
    }

    f = find_flow(p, stream, kind);
    if (f) {
        f->all.packets++, f->iv.packets++;
        f->all.bytes += p->size, f->iv.bytes += p->size;
        if (!f->first_rx) f->first_rx = rx;
        f->last_rx = rx;
        if (p->ttl >= 0) {
            if (p->ttl < f->ttl_min) f->ttl_min = p->ttl;
            if (p->ttl > f->ttl_max) f->ttl_max = p->ttl;
        }
        if (kind != KIND_NONE) {
            double transit;
            ev = count_seq(f, seq, fin, &gap);
            delay = (double)(rx - tx) / 1e6;
            if (ev != EV_DUP && ev != EV_FIN_AGAIN) {
                add_delay(&f->all, delay);
                add_delay(&f->iv, delay);
                transit = delay;
                if (f->have_transit) {
                    double d = transit - f->last_transit;
                    if (d < 0) d = -d;
                    f->jitter += (d - f->jitter) / 16.0;
                }
                f->last_transit = transit;
                f->have_transit = 1;
            }
        }
    } else {
        untracked++;
    }

    if (!st->quiet) {
        FILE *out = stdout;
        format_addr(&p->from, from, sizeof from);
        format_addr(&p->group, group, sizeof group);
        if (p->ifindex == 0 || !if_indextoname(p->ifindex, iface))
            snprintf(iface, sizeof iface, "#%u", (unsigned)p->ifindex);
        if (st->json) {
            char fip[INET6_ADDRSTRLEN], gip[INET6_ADDRSTRLEN];
            ip_text(p->from.family, p->from.ip, fip, sizeof fip);
            ip_text(p->group.family, p->group.ip, gip, sizeof gip);
            fprintf(out, "{\"type\":\"packet\",\"time\":%lld.%09lld,\"from\":",
                    rx / 1000000000LL, rx % 1000000000LL);
            json_str(out, fip);
            fprintf(out, ",\"sport\":%u,\"group\":", (unsigned)p->from.port);
            json_str(out, gip);
            fprintf(out, ",\"port\":%u,\"iface\":", (unsigned)p->group.port);
            json_str(out, iface);
            fprintf(out, ",\"size\":%zu,\"len\":%zu,", p->size, p->len);
            if (p->ttl >= 0) fprintf(out, "\"ttl\":%d,", (int)p->ttl);
            else fputs("\"ttl\":null,", out);
            fprintf(out, "\"header\":\"%s\",", kind_name(kind));
            if (kind != KIND_NONE) {
                static const char *names[] = {"none", "ok", "gap", "late", "dup", "last", "last"};
                fprintf(out, "\"stream\":%u,\"seq\":%llu,\"delay_ms\":%.6f,\"event\":\"%s\","
                             "\"lost_before\":%llu,",
                        (unsigned)stream, (unsigned long long)seq, delay, names[ev],
                        (unsigned long long)gap);
            }
            fputs("\"data\":\"", out);
            print_hex(out, p->data, p->len);
            fputs("\"}\n", out);
        } else {
            if (localtime_r(&secs, &tm)) strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
            fprintf(out, "%s.%06lld %s -> %s %s", stamp, (rx % 1000000000LL) / 1000, from, group,
                    iface);
            if (st->show_ttl) fprintf(out, " ttl %d", (int)p->ttl);
            if (st->show_rx)
                fprintf(out, " rx %lld.%09lld", rx / 1000000000LL, rx % 1000000000LL);
            fprintf(out, " %zu bytes", p->size);
            if (p->size > p->len) fprintf(out, ", truncated to %zu", p->len);
            if (kind != KIND_NONE) {
                if (kind == KIND_MC)
                    fprintf(out, " [stream %08x seq %llu delay %.3f ms", (unsigned)stream,
                            (unsigned long long)seq, delay);
                else
                    fprintf(out, " [iperf seq %llu delay %.3f ms", (unsigned long long)seq, delay);
                if (ev == EV_GAP) fprintf(out, ", %llu lost before it", (unsigned long long)gap);
                if (ev == EV_LATE) fputs(", late", out);
                if (ev == EV_DUP) fputs(", duplicate", out);
                if (ev == EV_FIN || ev == EV_FIN_AGAIN) fputs(", last", out);
                putc(']', out);
            }
            fputs(": ", out);
            if (st->hex)
                print_hex(out, p->data, p->len);
            else
                print_text(out, p->data + text_at, kind == KIND_IPERF ? 0 : text_len);
            putc('\n', out);
        }
        fflush(out);
    }

    st->seen++;
    st->last = mono_ns();
    if (st->count > 0 && st->seen >= st->count) {
        /* read the counters now: returning non-zero closes and frees the listener */
        mc_listener_get_stats(st->listener, &st->stats);
        st->done = 1;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    static struct pair pairs[MAX_GROUPS];
    const char *iface = NULL, *source = NULL, *filter = NULL, *header = "mc";
    long port, timeout = -1, mtu = 0;
    double interval = 0, duration = 0;
    static struct state st;
    mc_opts *opts;
    struct sigaction sa;
    int opt, i, rc, npairs, timed_out = 0, status = 0, v6;
    long long next_iv = 0, deadline = 0, iv_start;
    uint64_t lost = 0, dups = 0, reord = 0, packets = 0, bytes = 0;
    double elapsed;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_line, stdout);
            fputs(usage_text, stdout);
            return 0;
        }
    }
    opterr = 0;
    while ((opt = getopt(argc, argv, "hi:s:f:n:xw:m:qjtTI:d:H:")) != -1) {
        switch (opt) {
        case 'h': fputs(usage_line, stdout); fputs(usage_text, stdout); return 0;
        case 'i': iface = optarg; break;
        case 's': source = optarg; break;
        case 'f': filter = optarg; break;
        case 'n': st.count = parse_number(optarg, 1, LONG_MAX, "COUNT"); break;
        case 'x': st.hex = 1; break;
        case 'w': timeout = parse_number(optarg, 0, INT_MAX, "TIMEOUT_MS"); break;
        case 'm': mtu = parse_number(optarg, 1, 65535, "MTU"); break;
        case 'q': st.quiet = 1; break;
        case 'j': st.json = 1; break;
        case 't': st.show_ttl = 1; break;
        case 'T': st.show_rx = 1; break;
        case 'I': interval = parse_seconds(optarg, "SECONDS (-I)"); break;
        case 'd': duration = parse_seconds(optarg, "SECONDS (-d)"); break;
        case 'H': header = optarg; break;
        default: {
            char o[2] = {(char)optopt, '\0'};
            if (strchr("isfnwmIdH", optopt)) usage_error("option -", o, " needs a value");
            usage_error("unknown option -", o, "");
        }
        }
    }
    if (strcmp(header, "mc") == 0) st.header = KIND_MC;
    else if (strcmp(header, "iperf") == 0) st.header = KIND_IPERF;
    else if (strcmp(header, "none") == 0) st.header = KIND_NONE;
    else usage_error("bad FORMAT \"", header, "\" (-H): expected mc, iperf or none");
    if (argc - optind < 2) usage_error("GROUP and PORT are required", "", "");
    if (argc - optind > 2) usage_error("unexpected argument \"", argv[optind + 2], "\"");
    port = parse_number(argv[optind + 1], 1, 65535, "PORT");
    npairs = parse_groups(argv[optind], pairs, &iface, source);
    v6 = strchr(pairs[0].group, ':') != NULL;
    for (i = 1; i < npairs; i++)
        if ((strchr(pairs[i].group, ':') != NULL) != v6) {
            fprintf(stderr, "%s: %s and %s: the groups of one mclisten are all IPv4 or all IPv6\n",
                    prog, pairs[0].group, pairs[i].group);
            return 2;
        }
    st.report = st.quiet || st.json ? stdout : stderr;

    opts = mc_opts_new();
    if (!opts) lib_error(MC_EINVAL);
    if ((rc = mc_opts_set_group(opts, pairs[0].group)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_port(opts, (uint16_t)port)) < 0) lib_error(rc);
    if (mtu > 0 && (rc = mc_opts_set_mtu(opts, (size_t)mtu)) < 0) lib_error(rc);
    if (iface && (rc = mc_opts_set_interface(opts, iface)) < 0) lib_error(rc);
    if (pairs[0].source && (rc = mc_opts_set_source(opts, pairs[0].source)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_timestamps(opts, 1)) < 0) lib_error(rc);
    if ((rc = mc_opts_set_recv_ttl(opts, 1)) < 0) lib_error(rc);

    if ((rc = mc_poller_new(&st.poller)) < 0) lib_error(rc);
    rc = mc_listener_new(st.poller, opts, on_packet, &st, &st.listener);
    mc_opts_free(opts);
    if (rc < 0) lib_error(rc);
    for (i = 1; i < npairs; i++)
        if ((rc = mc_listener_add_group(st.listener, pairs[i].group, pairs[i].source)) < 0)
            lib_error(rc);
    if (filter && (rc = mc_listener_set_filter_regex(st.listener, filter)) < 0) lib_error(rc);

    signal_poller = st.poller;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* "listening on G:P (...)", "G1:P, S@G2:P (...)", "G1:P, ... G1000:P (1000 groups, ...)" */
    fprintf(stderr, "%s: listening on ", prog);
    for (i = 0; i < npairs; i++) {
        if (npairs > 8 && i == 4) {
            fputs(", ...", stderr);
            i = npairs - 1;
        }
        if (i > 0) fputs(", ", stderr);
        if (pairs[i].source && npairs > 1) fprintf(stderr, "%s@", pairs[i].source);
        fprintf(stderr, "%s%s%s:%ld", v6 ? "[" : "", pairs[i].group, v6 ? "]" : "", port);
    }
    if (npairs > 1) fprintf(stderr, " (%d groups, ", npairs);
    else fputs(" (", stderr);
    fprintf(stderr, "%s%s%s%s%s)\n",
            !iface ? "the system's interface"
                   : strcmp(iface, "*") == 0 ? "every multicast interface" : "interface ",
            iface && strcmp(iface, "*") != 0 ? iface : "",
            pairs[0].source && npairs == 1 ? ", source " : "",
            pairs[0].source && npairs == 1 ? pairs[0].source : "", filter ? ", filtered" : "");
    fflush(stderr);

    st.start = st.last = iv_start = mono_ns();
    st.start_real = real_ns();
    if (interval > 0) next_iv = st.start + (long long)(interval * 1e9);
    if (duration > 0) deadline = st.start + (long long)(duration * 1e9);
    while (!st.done && !interrupted) {
        long long now = mono_ns(), wake = LLONG_MAX;
        int wait;
        if (timeout >= 0) {
            long long t = st.last + (long long)timeout * 1000000LL;
            if (t <= now) {
                timed_out = 1;
                break;
            }
            wake = t;
        }
        if (deadline) {
            if (deadline <= now) break;
            if (deadline < wake) wake = deadline;
        }
        if (next_iv) {
            if (next_iv <= now) {
                print_interval(&st, (double)(iv_start - st.start) / 1e9,
                               (double)(next_iv - st.start) / 1e9);
                iv_start = next_iv;
                next_iv += (long long)(interval * 1e9);
                continue;
            }
            if (next_iv < wake) wake = next_iv;
        }
        if (wake == LLONG_MAX) wait = -1;
        else {
            long long ms = (wake - now + 999999) / 1000000;
            wait = ms > INT_MAX ? INT_MAX : (int)ms;
        }
        rc = mc_poll(st.poller, wait);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", prog, lib_msg());
            mc_poller_free(st.poller);
            return 1;
        }
    }
    if (!st.done) mc_listener_get_stats(st.listener, &st.stats);
    elapsed = (double)(mono_ns() - st.start) / 1e9;

    /* the summary */
    for (i = 0; i < nflows; i++) {
        lost += lost_of(flows[i]);
        dups += flows[i]->all.dups;
        reord += flows[i]->all.reord;
        packets += flows[i]->all.packets;
        bytes += flows[i]->all.bytes;
    }
    if (timed_out && (st.seen == 0 || st.count > 0)) status = 1;
    else if (lost > 0 || st.stats.kernel_drops > 0) status = 3;
    if (interval > 0 && nflows > 0) { /* the part of an interval at the end, if it saw any */
        uint64_t in_iv = 0;
        for (i = 0; i < nflows; i++) in_iv += flows[i]->iv.packets;
        if (in_iv > 0) print_interval(&st, (double)(iv_start - st.start) / 1e9, elapsed);
    }
    if (nflows > 0 || st.json) {
        if (!st.json) fprintf(st.report, "--- %s summary: %d flow%s, %.2f s ---\n", prog, nflows,
                              nflows == 1 ? "" : "s", elapsed);
        for (i = 0; i < nflows; i++) {
            struct flow *f = flows[i];
            double span = (double)(f->last_rx - f->first_rx) / 1e9;
            print_row(&st, f, &f->all, lost_of(f), (double)(f->first_rx - st.start_real) / 1e9,
                      (double)(f->last_rx - st.start_real) / 1e9, span, 1);
        }
        long long first = LLONG_MAX, last = 0;
        for (i = 0; i < nflows; i++) {
            if (flows[i]->first_rx < first) first = flows[i]->first_rx;
            if (flows[i]->last_rx > last) last = flows[i]->last_rx;
        }
        if (nflows == 0) first = last = st.start_real;
        print_total(&st, (double)(first - st.start_real) / 1e9,
                    (double)(last - st.start_real) / 1e9, packets, bytes, lost, dups, reord,
                    st.stats.kernel_drops, 1, status);
    }
    fflush(st.report);
    fprintf(stderr,
            "%s: %ld datagrams%s; %llu received, %llu filtered, %llu truncated, "
            "%llu dropped by the kernel\n",
            prog, st.seen, st.quiet ? "" : " printed", (unsigned long long)st.stats.received,
            (unsigned long long)st.stats.filtered, (unsigned long long)st.stats.truncated,
            (unsigned long long)st.stats.kernel_drops);
    if (timed_out) {
        if (st.count > 0)
            fprintf(stderr, "%s: no datagram for %ld ms: got %ld of %ld\n", prog, timeout,
                    st.seen, st.count);
        else
            fprintf(stderr, "%s: no datagram for %ld ms%s\n", prog, timeout,
                    st.seen ? ": done" : "");
    }
    if (status == 3)
        fprintf(stderr, "%s: %llu datagrams lost, %llu dropped by the kernel\n", prog,
                (unsigned long long)lost, (unsigned long long)st.stats.kernel_drops);
    sa.sa_handler = SIG_DFL; /* no mc_stop on a freed poller */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    mc_poller_free(st.poller); /* closes the listener if it is still open */
    for (i = 0; i < nflows; i++) free(flows[i]);
    return status;
}
