/* The C API for Zig: build.zig translates this header (addTranslateC) into the module
   "multicast" that example.zig imports; multicast.h is found through pkg-config. */
#include <multicast.h>
