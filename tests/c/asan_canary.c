/* asan_canary.c - proves that tests/asan.rs would see a memory error of the
 * library: it makes one on purpose, inside libmulticast's Rust code.
 *   asan_canary uaf    writes through options already freed (mc_opts_set_port
 *                      after mc_opts_free): AddressSanitizer must report a
 *                      heap-use-after-free in the library's src/opts.rs
 *   asan_canary leak   drops 100 options without freeing them: LeakSanitizer
 *                      must report them, allocated in mc_opts_new
 *   asan_canary        frees what it made: no report, exit 0 */
#include <stdio.h>
#include <string.h>

#include "multicast.h"

/* volatile: the compiler keeps every store, so no stale copy of a pointer
   stays in a register for LeakSanitizer to find. */
static mc_opts *volatile sink;

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "uaf") == 0) {
        sink = mc_opts_new();
        mc_opts_free(sink);
        /* must not return: ASan stops the program inside this call */
        printf("mc_opts_set_port after free returned %d\n", mc_opts_set_port(sink, 5));
        return 0;
    }
    if (strcmp(mode, "leak") == 0) {
        for (int i = 0; i < 100; i++) sink = mc_opts_new();
        sink = NULL;
        printf("asan_canary: leaked 100 mc_opts\n");
        return 0;
    }
    for (int i = 0; i < 100; i++) {
        sink = mc_opts_new();
        if (!sink || mc_opts_set_port(sink, 5) != 0) return 1;
        mc_opts_free(sink);
    }
    printf("asan_canary: clean\n");
    return 0;
}
