/* mcping.h - the parts of mcping: mcping.c reads the options and holds what
   client and server share of the ssmping protocol; mcping_client.c asks a
   server for replies and counts them; mcping_server.c answers (ssmpingd). */
#ifndef MC_TOOLS_MCPING_H
#define MC_TOOLS_MCPING_H

#include "common.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define SSM_GROUP4 "232.43.211.234"
#define SSM_GROUP6 "ff3e::4321:1234"
#define SSMPING_PORT 4321
#define SERVER_TTL 64

/* message types and TLV types of the ssmping protocol */
#define MSG_REQUEST 'Q'
#define MSG_REPLY 'A'
#define TLV_PID 1
#define TLV_SEQ 2
#define TLV_TIMESTAMP 3
#define TLV_GROUP 4
#define TLV_RQVER 5
#define TLV_VER 6
#define TLV_REPLYSIZE 7
#define TLV_PAD 8

#define MAX_MSG 65507
#define SEEN 1024 /* replies remembered per path, for duplicates */

/* Appends a TLV (type, length, value; NULL value: zeros) at p; returns the new end. */
uint8_t *tlv(uint8_t *p, unsigned type, unsigned len, const void *value);

/* "192.0.2.1" or "fd42::1" (with %scope for link-local) into out; returns out. */
const char *addr_text(const struct sockaddr *sa, char *out, size_t size);

/* The port of an AF_INET or AF_INET6 address. */
unsigned sa_port(const struct sockaddr_storage *ss);

/* Receives one datagram on `fd` without waiting (recvmsg, MSG_DONTWAIT) into
   *iov, its sender into *from and its ancillary data into `control`; *mh is
   what recvmsg filled (a reply can reuse it). Returns recvmsg's result. */
ssize_t recv_datagram(int fd, struct msghdr *mh, struct iovec *iov,
                      struct sockaddr_storage *from, void *control, size_t control_len);

/* The client: requests to HOST (port `port`) every `interval` ns, `count`
   of them (0: until interrupted), then `wait_end` ns for the replies;
   prints them and a summary. `asm_group` (-g), if not NULL, is a multicast
   address (mcping.c checked it). Returns the exit status; exits 2 (a usage
   error) if HOST is not a unicast address or -g's family is not HOST's. */
int run_client(int family, const char *host, const char *iface, long count,
               long long interval, long long wait_end, unsigned size, const char *asm_group,
               long port, int quiet, int version);

/* The server (-s): answers requests on `port` (family AF_UNSPEC: IPv4 and
   IPv6), until `count` were answered (0: no limit), `timeout` ns passed
   without one (-1: never) or a signal. Returns the exit status. */
int run_server(int family, long port, long count, long long timeout, int quiet);

#endif
