/* opts.c - every mc_opts_* function, good and bad input. */
#include <errno.h>
#include <stdint.h>

#include "check.h"

int main(void) {
    require_private_netns();
    mc_opts *o = mc_opts_new();
    CHECK(o != NULL);

    /* NULL opts: MC_EINVAL everywhere, never a crash */
    CHECK_RC(mc_opts_set_group(NULL, "224.1.1.1"), MC_EINVAL);
    CHECK_MSG("opts");
    CHECK_RC(mc_opts_set_port(NULL, 1), MC_EINVAL);
    CHECK_RC(mc_opts_set_ttl(NULL, 1), MC_EINVAL);
    CHECK_RC(mc_opts_set_mtu(NULL, 1), MC_EINVAL);
    CHECK_RC(mc_opts_set_interface(NULL, "lo"), MC_EINVAL);
    CHECK_RC(mc_opts_set_loopback(NULL, 1), MC_EINVAL);
    CHECK_RC(mc_opts_set_source(NULL, "10.0.0.1"), MC_EINVAL);
    CHECK_RC(mc_opts_set_recv_buffer(NULL, 1), MC_EINVAL);
    mc_opts_free(NULL);

    /* group */
    CHECK_RC(mc_opts_set_group(o, "224.0.0.1"), 0);
    CHECK_RC(mc_opts_set_group(o, "239.255.255.255"), 0);
    CHECK_RC(mc_opts_set_group(o, "ff02::1"), 0);
    CHECK_RC(mc_opts_set_group(o, "ff15::4242"), 0);
    CHECK_RC(mc_opts_set_group(o, NULL), MC_EINVAL);
    const char *bad_groups[] = {"10.1.2.3", "223.255.255.255", "240.0.0.1",
                                "255.255.255.255", "::1", "fe80::1", "garbage",
                                "", "224.0.0", "224.0.0.256", "ff02::1%lo"};
    for (size_t i = 0; i < sizeof bad_groups / sizeof *bad_groups; i++) {
        CHECK_RC(mc_opts_set_group(o, bad_groups[i]), MC_EADDRESS);
        CHECK_MSG(bad_groups[i]);
    }
    CHECK_RC(mc_opts_set_group(o, "\xff\xfe"), MC_EADDRESS);

    /* port */
    CHECK_RC(mc_opts_set_port(o, 0), MC_EINVAL);
    CHECK_MSG("port 0");
    CHECK_RC(mc_opts_set_port(o, 1), 0);
    CHECK_RC(mc_opts_set_port(o, 65535), 0);

    /* ttl */
    int ttls[] = {MC_TTL_HOST, MC_TTL_SUBNET, MC_TTL_SITE, MC_TTL_REGION,
                  MC_TTL_CONTINENT, MC_TTL_UNRESTRICTED};
    for (size_t i = 0; i < 6; i++) CHECK_RC(mc_opts_set_ttl(o, ttls[i]), 0);
    CHECK_RC(mc_opts_set_ttl(o, -1), MC_EINVAL);
    CHECK_MSG("ttl -1");
    CHECK_RC(mc_opts_set_ttl(o, 256), MC_EINVAL);
    CHECK_MSG("256");

    /* mtu */
    CHECK_RC(mc_opts_set_mtu(o, 0), MC_EINVAL);
    CHECK_MSG("mtu 0");
    CHECK_RC(mc_opts_set_mtu(o, 65536), MC_EINVAL);
    CHECK_RC(mc_opts_set_mtu(o, (size_t)-1), MC_EINVAL);
    CHECK_RC(mc_opts_set_mtu(o, 1), 0);
    CHECK_RC(mc_opts_set_mtu(o, 65535), 0);

    /* interface: name, index, address, "*", NULL */
    CHECK_RC(mc_opts_set_interface(o, "lo"), 0);
    CHECK_RC(mc_opts_set_interface(o, "1"), 0);
    CHECK_RC(mc_opts_set_interface(o, "127.0.0.1"), 0);
    CHECK_RC(mc_opts_set_interface(o, "*"), 0);
    CHECK_RC(mc_opts_set_interface(o, NULL), 0);
    const char *bad_ifaces[] = {"nosuch0", "999", "0", "192.0.2.77", "", "eth0 "};
    for (size_t i = 0; i < sizeof bad_ifaces / sizeof *bad_ifaces; i++) {
        CHECK_RC(mc_opts_set_interface(o, bad_ifaces[i]), MC_EADDRESS);
        CHECK_MSG("interface");
    }
    CHECK_RC(mc_opts_set_interface(o, "nosuch0"), MC_EADDRESS);
    CHECK_MSG("nosuch0");
    /* a name names an interface exactly: no alias label (the kernel would cut ":x"
       off), no blanks, no other case */
    const char *inexact[] = {"lo:x", "lo:0", "lo:", "lo ", " lo", "LO", "Lo"};
    for (size_t i = 0; i < sizeof inexact / sizeof *inexact; i++) {
        char quoted[16];
        CHECK_RC(mc_opts_set_interface(o, inexact[i]), MC_EADDRESS);
        snprintf(quoted, sizeof quoted, "\"%s\"", inexact[i]);
        CHECK_MSG(quoted);
    }
    CHECK_RC(mc_opts_set_interface(o, "lo:x"), MC_EADDRESS);
    CHECK_MSG("address label");

    /* loopback: any int */
    CHECK_RC(mc_opts_set_loopback(o, 0), 0);
    CHECK_RC(mc_opts_set_loopback(o, 7), 0);

    /* source */
    CHECK_RC(mc_opts_set_source(o, "10.0.0.1"), 0);
    CHECK_RC(mc_opts_set_source(o, "fd42::2"), 0);
    CHECK_RC(mc_opts_set_source(o, NULL), 0);
    const char *bad_src[] = {"224.0.0.1", "0.0.0.0", "::", "ff02::1", "x", ""};
    for (size_t i = 0; i < sizeof bad_src / sizeof *bad_src; i++) {
        CHECK_RC(mc_opts_set_source(o, bad_src[i]), MC_EADDRESS);
        CHECK_MSG("source");
    }

    /* receive buffer */
    CHECK_RC(mc_opts_set_recv_buffer(o, 0), 0);
    CHECK_RC(mc_opts_set_recv_buffer(o, 1 << 20), 0);
    CHECK_RC(mc_opts_set_recv_buffer(o, (size_t)-1), MC_EINVAL);
    CHECK_MSG("recv buffer");

    mc_opts_free(o);
    return check_done("opts");
}
