// header.cpp - multicast.h compiles as C++ (extern "C") and links.
#include <multicast.h>

#include <cstdio>
#include <cstring>

int main() {
    mc_poller *p = nullptr;
    if (mc_poller_new(&p) != 0 || p == nullptr) return 1;
    mc_opts *o = mc_opts_new();
    int rc = mc_opts_set_ttl(o, MC_TTL_SITE);
    mc_opts_free(o);
    mc_poller_free(p);
    mc_addr a{};
    mc_packet pk{};
    mc_listener_stats st{};
    mc_buf b{nullptr, 0};
    (void)a; (void)pk; (void)st; (void)b;
    if (rc != 0 || std::strcmp(MC_DEFAULT_GROUP, "224.0.42.42") != 0) return 1;
    std::printf("header.cpp: %s\n", mc_version());
    return 0;
}
