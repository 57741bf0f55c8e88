/* common.c - what the command-line tools share (see common.h). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "common.h"

/* ------------------------------------------------------------------------- */
/* Messages, usage and help */

const char *lib_msg(void) {
    /* the C functions the library's messages may name, and the tool's words for them */
    const char *const names[][2] = {{"mc_opts_set_interface", iface_option},
                                    {"mc_listener_block_source", "-X"}};
    static char buf[1024];
    const char *m = mc_last_error(), *hit = NULL;
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0] && !hit; i++)
        if ((hit = strstr(m, names[i][0])) != NULL)
            snprintf(buf, sizeof buf, "%.*s%s%s", (int)(hit - m), m, names[i][1],
                     hit + strlen(names[i][0]));
    return hit ? buf : m;
}

void usage_error(const char *what, const char *arg, const char *end) {
    fprintf(stderr, "%s: %s%s%s  (%s --help for more)\n", prog, what, arg, end, prog);
    exit(2);
}

void bad_option(int opt, const char *with_value) {
    char o[2] = {(char)opt, '\0'};
    if (strchr(with_value, opt)) usage_error("option -", o, " needs a value");
    usage_error("unknown option -", o, "");
}

void show_help(const char *line, const char *text) {
    fputs(line, stdout);
    fputs(text, stdout);
    exit(0);
}

/* The next word of argv from `i` on that getopt reads as an option or a
   lone "--" (skipping the operands, and the values of options), or argc if
   none: what getopt over `optstring` sees. */
static int next_option_word(int argc, char **argv, int i, const char *optstring) {
    /* "+..." (or POSIXLY_CORRECT): getopt stops at the first operand; else
       glibc's getopt reads the options after the operands too */
    int posix = optstring[0] == '+' || getenv("POSIXLY_CORRECT") != NULL;
    for (; i < argc; i++) {
        const char *a = argv[i], *o;
        if (a[0] != '-' || a[1] == '\0') {
            if (posix) return argc; /* the first operand ends the options */
            continue;
        }
        if (a[1] == '-') return i; /* "--" or a long option */
        for (a++; *a; a++) /* a cluster of short options: "-qn5", "-n" "5" */
            if (*a != ':' && *a != '+' && (o = strchr(optstring, *a)) != NULL && o[1] == ':') {
                if (a[1] == '\0') i++; /* the value is the next word */
                break;
            }
    }
    return argc;
}

void long_options(int argc, char **argv, const char *optstring, const char *line,
                  const char *text) {
    int i;
    /* --help anywhere before "--" (even after the operands, or after an
       unknown option) shows the help */
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0) show_help(line, text);
    /* any other word that getopt would read as an option and starts with "--" */
    i = next_option_word(argc, argv, 1, optstring);
    if (i < argc && strcmp(argv[i], "--") != 0) usage_error("unknown option '", argv[i], "'");
}

/* ------------------------------------------------------------------------- */
/* Numbers, rates and times */

long parse_number(const char *s, long min, long max, const char *what) {
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: bad %s \"%s\": expected a number from %ld to %ld  (%s --help for more)\n",
                prog, what, s, min, max, prog);
        exit(2);
    }
    return v;
}

double parse_real(const char *s, double max, int suffixes, const char *what,
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
        fprintf(stderr, "%s: bad %s \"%s\": expected %s  (%s --help for more)\n", prog, what, s,
                expect, prog);
        exit(2);
    }
    return v;
}

/* "10ms", "1.5s": `ns` in the largest unit that keeps it whole (0: "0"). */
static void duration_text(long long ns, char *out, size_t size) {
    if (ns == 0) snprintf(out, size, "0");
    else if (ns % NS_PER_S == 0) snprintf(out, size, "%llds", ns / NS_PER_S);
    else if (ns % NS_PER_MS == 0) snprintf(out, size, "%lldms", ns / NS_PER_MS);
    else if (ns % NS_PER_US == 0) snprintf(out, size, "%lldus", ns / NS_PER_US);
    else snprintf(out, size, "%lldns", ns);
}

long long parse_duration(const char *s, long long bare_ns, long long min_ns, long long max_ns,
                         const char *what) {
    static const struct { const char *name; long long ns; } units[] = {
        {"us", NS_PER_US}, {"ms", NS_PER_MS}, {"s", NS_PER_S}, {"m", 60 * NS_PER_S}};
    char *end = NULL;
    size_t i;
    long long unit = 0;
    double v = 0, ns;
    /* digits with at most one decimal point (1.5, .5, 2.): strtod reads it,
       and must stop where the digits and points do -- not at the end of an
       exponent (1e3), hex (0x10) or a second point; no sign, leading space,
       inf or nan. Then a unit, or nothing. */
    if (isdigit((unsigned char)s[0]) || s[0] == '.') {
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || end != s + strspn(s, "0123456789."))
            end = NULL; /* too large, ".", an exponent, hex, "1.2.3" */
    }
    if (end && *end == '\0') unit = bare_ns;
    for (i = 0; end && !unit && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].name) == 0) unit = units[i].ns;
    ns = v * (double)unit;
    if (!unit || ns < (double)min_ns || ns > (double)max_ns) {
        char lo[32], hi[32];
        duration_text(min_ns, lo, sizeof lo);
        duration_text(max_ns, hi, sizeof hi);
        fprintf(stderr,
                "%s: bad %s \"%s\": expected %s or a number with a unit us, ms, s or m "
                "(500ms, 1.5s), from %s to %s  (%s --help for more)\n",
                prog, what, s, bare_ns == NS_PER_MS ? "milliseconds" : "seconds", lo, hi, prog);
        exit(2);
    }
    return (long long)(ns + 0.5);
}

const char *ms_text(long long ns, char *out, size_t size) {
    snprintf(out, size, "%.10g ms", (double)ns / 1e6);
    return out;
}

static long long clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long mono_ns(void) {
    return clock_ns(CLOCK_MONOTONIC);
}

long long real_ns(void) {
    return clock_ns(CLOCK_REALTIME);
}

int ms_until(long long wake, long long now) {
    long long ms;
    if (wake == LLONG_MAX) return -1;
    if (wake <= now) return 0;
    ms = (wake - now + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* ------------------------------------------------------------------------- */
/* Network byte order */

void put_be16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

void put_be64(uint8_t *p, uint64_t v) {
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

unsigned get_be16(const uint8_t *p) {
    return (unsigned)p[0] << 8 | p[1];
}

uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t get_be64(const uint8_t *p) {
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* ------------------------------------------------------------------------- */
/* The test header */

void test_header_put(uint8_t *p, uint32_t stream, uint64_t seq, long long send_ns) {
    memcpy(p, TEST_HEADER_MAGIC, 4);
    put_be32(p + 4, stream);
    put_be64(p + 8, seq);
    put_be64(p + 16, (uint64_t)send_ns);
}

int test_header_get(const uint8_t *p, size_t len, uint32_t *stream, uint64_t *seq,
                    long long *send_ns) {
    if (len < TEST_HEADER_LEN || memcmp(p, TEST_HEADER_MAGIC, 4) != 0) return 0;
    *stream = get_be32(p + 4);
    *seq = get_be64(p + 8);
    *send_ns = (long long)get_be64(p + 16);
    return 1;
}

/* ------------------------------------------------------------------------- */
/* Group lists */

/* Adds `count` groups from the address `text` to out[*n...]; exits 2 if one is
   not a multicast group. */
static void add_range(struct group_entry *out, int *n, const char *text, long count,
                      const char *source, const char *iface, const struct group_rules *r) {
    unsigned char ip[16];
    int v6, rc, i;
    mc_opts *o = mc_opts_new();
    /* not a group: the library says why */
    if (!o) r->refused(0);
    if ((rc = mc_opts_set_group(o, text)) < 0) r->refused(rc);
    mc_opts_free(o);
    v6 = strchr(text, ':') != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, text, ip) != 1) {
        if (r->bad_group_is_usage) usage_error("bad group \"", text, "\"");
        fprintf(stderr, "%s: bad group \"%s\"\n", prog, text);
        exit(2);
    }
    if (*n + count > MAX_GROUPS) {
        fprintf(stderr, "%s: too many groups: at most %d  (%s --help for more)\n", prog, MAX_GROUPS,
                prog);
        exit(2);
    }
    for (i = 0; i < count; i++) {
        struct group_entry *g = &out[(*n)++];
        if (i > 0) { /* the next address */
            int k;
            for (k = v6 ? 15 : 3; k >= 0 && ++ip[k] == 0; k--) {
            }
            if ((v6 && ip[0] != 0xff) || (!v6 && (ip[0] & 0xf0) != 0xe0) || k < 0) {
                fprintf(stderr, "%s: %s+%ld leaves the multicast range  (%s --help for more)\n",
                        prog, text, count, prog);
                exit(2);
            }
        }
        ip_text(v6 ? AF_INET6 : AF_INET, ip, g->addr, sizeof g->addr);
        g->source = source;
        g->iface = iface;
    }
}

/* Exits 2 if the list `spec` has an empty element: ",,", or a comma at its
   start or end. */
static void no_empty_element(const char *spec) {
    const char *what = NULL;
    if (spec[0] == ',') what = "\": an empty element (a comma at the start)";
    else if (strstr(spec, ",,")) what = "\": an empty element (two commas in a row)";
    else if (spec[strlen(spec) - 1] == ',') what = "\": an empty element (a comma at the end)";
    if (what) usage_error("bad GROUP \"", spec, what);
}

int parse_group_list(char *spec, struct group_entry *out, const char **iface,
                     const struct group_rules *r) {
    int n = 0, from_option = *iface != NULL;
    char *el, *next;
    if (!*spec) usage_error("empty GROUP", "", "");
    no_empty_element(spec);
    for (el = spec; el; el = next) {
        char *at, *scope, *plus;
        const char *source = r->sources ? r->default_source : NULL, *gi = *iface;
        long count = 1;
        if ((next = strchr(el, ',')) != NULL) *next++ = '\0';
        at = r->sources ? strchr(el, '@') : NULL;
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
                fprintf(stderr, "%s: interface given twice: %s%s and %%%s%s  (%s --help for more)\n",
                        prog, from_option ? "-i " : "%", *iface, scope, r->iface_note, prog);
                exit(2);
            }
            gi = scope;
            if (r->one_interface) *iface = scope;
        }
        if (!*el) {
            if (r->quote_spec) usage_error("empty group in \"", spec, "\"");
            usage_error("empty group in GROUP", "", "");
        }
        add_range(out, &n, el, count, source, gi, r);
    }
    if (n == 0) usage_error("no group in GROUP", "", "");
    return n;
}

/* ------------------------------------------------------------------------- */
/* Formatting */

const char *plural(unsigned long long n) {
    return n == 1 ? "" : "s";
}

void format_bits(double bps, char *out, size_t size) {
    if (bps >= 1e9) snprintf(out, size, "%.3f Gbit/s", bps / 1e9);
    else if (bps >= 1e6) snprintf(out, size, "%.3f Mbit/s", bps / 1e6);
    else if (bps >= 1e3) snprintf(out, size, "%.3f kbit/s", bps / 1e3);
    else snprintf(out, size, "%.0f bit/s", bps);
}

void print_escaped(FILE *out, const uint8_t *p, size_t n) {
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

void ip_text(int family, const uint8_t *ip, char *out, size_t size) {
    if (!inet_ntop(family, ip, out, (socklen_t)size)) snprintf(out, size, "?");
}

/* ------------------------------------------------------------------------- */
/* Signals */

volatile sig_atomic_t interrupted;
static mc_poller *signal_poller;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
    mc_stop(signal_poller); /* async-signal-safe: one write(2) */
}

void catch_signals(mc_poller *p, int on) {
    struct sigaction sa;
    signal_poller = p;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
