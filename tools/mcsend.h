/* mcsend.h - the parts of mcsend: mcsend.c reads the options, opens a
   multicaster per group, runs them and reports; mcsend_stream.c makes the
   datagrams and hands each group's over when it is due. */
#ifndef MC_TOOLS_MCSEND_H
#define MC_TOOLS_MCSEND_H

#include "common.h"

#define MAX_DATAGRAM 65507 /* the largest UDP payload over IPv4 */
#define RING 4096          /* stdin lines in hand at once */
#define AHEAD 64           /* at full speed, datagrams a group may be ahead of the slowest */

/* One group: its multicaster and what it handed over. */
struct group {
    char addr[INET6_ADDRSTRLEN];
    const char *iface;          /* NULL: the system's choice */
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

/* A payload: the fixed one, or a line of standard input. */
struct item {
    uint8_t *data;
    size_t len;
};

/* What is sent (to every group), how fast, and what went out. */
struct gen {
    struct group *groups;
    int ngroups, active;
    long port, ttl;
    int dscp;                   /* -1: not given */
    const char *from;           /* -S ADDRESS; NULL: not given */
    long from_port;             /* -S ...:PORT; 0: an ephemeral port */
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

/* The next() of every group's multicaster (user_data: its struct group): the
   datagram that is due, or MC_NEXT_WAIT (until it is due, or for good once
   the group has finished: never MC_NEXT_DONE, see mcsend.c). */
int next_fn(void *user_data, const uint8_t **data, size_t *len);

/* Frees the lines of standard input every group has sent. */
void free_sent_lines(struct gen *g);

/* The payload is the bytes of the file `path` ("-": all of standard input);
   exits 2 if it cannot be opened or does not fit in a datagram. */
void read_file(struct gen *g, const char *path);

#endif
