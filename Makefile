# libmulticast - build, test, demo, install, package.
#   make            release build (target/release/libmulticast.{so,a}, include/multicast.h),
#                   the tools (build/bin) and what install needs (build/native-static-libs)
#   make test       everything CI checks (fmt, clippy, cargo test incl. C tests, header, symbols);
#                   a missing optional tool skips its tests, with a summary line at the end
#   make demo       a listener and a sender inside a private network namespace
#   make bench      benchmarks (bench/run.sh; QUICK=1 for a short run)
#   make soak       MINUTES=N (default 1): traffic through faults in a private namespace (tests/soak/)
#   make fuzz       coverage-guided fuzzing, every target SECONDS=60 s (fuzz/README.md)
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib INCLUDEDIR=$(PREFIX)/include
#                   BINDIR=$(PREFIX)/bin MANDIR=$(PREFIX)/share/man CMAKEDIR=$(LIBDIR)/cmake/multicast
#                   (relative directories are taken under PREFIX: LIBDIR=lib/x86_64-linux-gnu);
#                   copies only what `make` built (no cargo, so `sudo make install` works)
#   make install-strip  the same, with the library and the tools stripped of debug symbols
#   make uninstall  removes exactly what install put there (same variables)
#   make wheel      a Python wheel bundling the library (bindings/python/build-wheel):
#                   target/wheels/libmulticast-VERSION-py3-none-linux_ARCH.whl
#   make deb        Debian packages (dpkg-buildpackage -b -us -uc), then lintian;
#                   the .debs end up in build/deb/
#
# The version comes from one place, Cargo.toml: mc_version() (CARGO_PKG_VERSION), the
# soname libmulticast.so.MAJOR (build.rs), the file libmulticast.so.MAJOR.MINOR.PATCH
# and multicast.pc's Version (here). debian/changelog must agree (make deb checks).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
CFLAGS     ?= -O2 -g
CARGO      ?= cargo
RUSTC      ?= rustc
CARGOFLAGS ?=
LDCONFIG   ?= ldconfig
STRIP      ?= strip
WARN       := -std=c99 -Wall -Wextra -Wpedantic -Werror
# The installed tools are built with the packager's CFLAGS/LDFLAGS: warnings, not errors.
TOOLWARN   := -std=c99 -Wall -Wextra

# A directory given relative (lib/x86_64-linux-gnu) lives under PREFIX.
under_prefix = $(if $(filter /%,$(1)),$(1),$(PREFIX)/$(1))
libdir       := $(call under_prefix,$(LIBDIR))
includedir   := $(call under_prefix,$(INCLUDEDIR))
bindir       := $(call under_prefix,$(BINDIR))
mandir       := $(call under_prefix,$(MANDIR))
PKGCONFIGDIR ?= $(libdir)/pkgconfig
CMAKEDIR     ?= $(libdir)/cmake/multicast
cmakedir     := $(call under_prefix,$(CMAKEDIR))
# In multicast.pc, directories under the prefix are written ${prefix}/...
pc_dir = $(if $(filter $(PREFIX)/%,$(1)),$${prefix}/$(patsubst $(PREFIX)/%,%,$(1)),$(1))

# [package] version of Cargo.toml: the one place the version is written.
VERSION := $(shell awk -F'"' '/^\[/ { p = ($$0 == "[package]") } p && /^version *=/ { print $$2; exit }' Cargo.toml)
ifeq ($(VERSION),)
$(error cannot read the [package] version from Cargo.toml)
endif
NUMS    := $(subst ., ,$(firstword $(subst -, ,$(subst +, ,$(VERSION)))))
MAJOR   := $(word 1,$(NUMS))
MINOR   := $(word 2,$(NUMS))
PATCH   := $(word 3,$(NUMS))
SONAME  := libmulticast.so.$(MAJOR)
REALNAME := libmulticast.so.$(MAJOR).$(MINOR).$(PATCH)
REL     := target/release
BUILD   := build

# The command-line tools (tools/: mcsend, mclisten, mcping) and their man pages; a tool
# whose source is missing is skipped. Tool NAME is tools/NAME.c, its parts tools/NAME_*.c
# (and tools/NAME.h), and what the tools share, tools/common.c and tools/common.h.
TOOLS      := $(patsubst tools/%.c,%,$(wildcard tools/mcsend.c tools/mclisten.c tools/mcping.c))
TOOL_BINS  := $(addprefix $(BUILD)/bin/,$(TOOLS))
ALL_TOOLS  := mcsend mclisten mcping
# mcnetns (a shell script, also the test runner tests/netns-run): run a program in a
# private network namespace; installed beside the tools, with its man page.
SCRIPTS    := mcnetns

.PHONY: all release test demo bench soak fuzz install install-strip uninstall clean examples tools deb wheel FORCE

all: release tools $(BUILD)/native-static-libs

release:
	$(CARGO) build --release --locked $(CARGOFLAGS)

$(BUILD)/lib/$(SONAME): release
	mkdir -p $(BUILD)/lib
	ln -sf ../../$(REL)/libmulticast.so $(BUILD)/lib/$(SONAME)
	ln -sf ../../$(REL)/libmulticast.so $(BUILD)/lib/libmulticast.so

$(BUILD)/demo: examples-c/demo.c $(BUILD)/lib/$(SONAME)
	$(CC) $(WARN) $(CFLAGS) -Iinclude $< -o $@ -L$(BUILD)/lib -lmulticast -Wl,-rpath,'$$ORIGIN/lib'

demo: $(BUILD)/demo
	tests/netns-run $(BUILD)/demo

bench: release
	$(if $(QUICK),QUICK="$(QUICK)" )bench/run.sh

# The soak (tests/soak/*.c): GSO and plain senders, IPv4 and IPv6, several groups, through
# interface, MTU, group, listener/multicaster/poller and signal faults, inside a private
# namespace with a veth pair, for MINUTES minutes; checked all the time, one summary line.
MINUTES ?= 1
$(BUILD)/soak: $(wildcard tests/soak/*.c) tests/soak/soak.h include/multicast.h $(BUILD)/lib/$(SONAME)
	$(CC) $(WARN) $(CFLAGS) -Iinclude $(filter %.c,$^) -o $@ -L$(BUILD)/lib -lmulticast -Wl,-rpath,'$$ORIGIN/lib'

soak: $(BUILD)/soak
	tests/netns-run tests/netns-veth $(BUILD)/soak --minutes $(MINUTES)

# libFuzzer targets of the parsers of outside input (fuzz/run.sh): each SECONDS seconds
# in a private network namespace, the corpus minimized after; fails if one crashes.
fuzz:
	fuzz/run.sh $(or $(SECONDS),60)

# tests/suite: prerequisites first (a missing required tool fails before the build; a
# missing optional one is named, and its tests are skipped), then fmt, clippy, every test
# binary (cargo test --no-fail-fast: one failure never hides the rest) and the header
# check, and at the end one summary: what failed, what was skipped and why.
SKIP_FILE := target/mc-skips.txt
test:
	@tests/suite $(SKIP_FILE)

# mcsend, mclisten and mcping, linked to the freshly built library (no rpath: installed,
# they find libmulticast.so.$(MAJOR) in LIBDIR; in the tree, run them with LD_LIBRARY_PATH).
tools: $(TOOL_BINS)

# tools/NAME.c with its parts tools/NAME_*.c and tools/common.c (headers: rebuild only).
.SECONDEXPANSION:
$(BUILD)/bin/%: tools/%.c $$(wildcard tools/$$*_*.c) tools/common.c $$(wildcard tools/$$*.h) \
                tools/common.h include/multicast.h $(BUILD)/lib/$(SONAME)
	mkdir -p $(BUILD)/bin
	$(CC) $(TOOLWARN) $(CPPFLAGS) $(CFLAGS) -Iinclude $(filter %.c,$^) -o $@ $(LDFLAGS) \
	    -L$(BUILD)/lib -lmulticast

# Libs.private of multicast.pc: what `rustc --print native-static-libs` says libmulticast.a
# needs, asked of a staticlib wrapping the rlib just built (same crate graph, no
# recompilation; falls back to a plain std staticlib if that rlib does not fit this rustc).
# -lgcc_s is left out: it exists only as a shared library, so it would break `cc -static`,
# and every C compiler driver links an unwinder itself (libgcc_s as needed, or libgcc_eh
# when static).
$(BUILD)/native-static-libs: release FORCE
	@mkdir -p $(BUILD)/nsl
	@libs=$$(echo 'extern crate multicast;' | $(RUSTC) --edition 2021 --crate-type staticlib \
	    --crate-name mc_native_libs --print native-static-libs -C opt-level=0 \
	    --extern multicast=$(REL)/libmulticast.rlib -L dependency=$(REL)/deps \
	    -o $(BUILD)/nsl/libnsl.a - 2>&1 | sed -n 's/^note: native-static-libs: //p'); \
	if [ -z "$$libs" ]; then \
	  libs=$$(echo 'pub fn f() {}' | $(RUSTC) --crate-type staticlib --crate-name mc_native_libs \
	      --print native-static-libs -o $(BUILD)/nsl/libnsl.a - 2>&1 \
	      | sed -n 's/^note: native-static-libs: //p'); \
	fi; \
	rm -rf $(BUILD)/nsl; \
	[ -n "$$libs" ] || { echo "rustc --print native-static-libs said nothing" >&2; exit 1; }; \
	out=; for l in $$libs; do [ "$$l" = -lgcc_s ] || out="$$out $$l"; done; \
	echo "native-static-libs:$$out"; \
	echo $$out > $@

# What install copies: all of it made by `make` (install runs neither cargo nor rustc, which
# sudo's PATH lacks).
BUILT := $(REL)/libmulticast.so $(REL)/libmulticast.a $(BUILD)/native-static-libs $(TOOL_BINS)

# The CMake package: multicastConfig.cmake finds its prefix relative to itself when CMAKEDIR
# lies under PREFIX (a DESTDIR tree or a moved prefix works), else uses the absolute paths.
cmake_dir = $(if $(filter $(PREFIX)/%,$(1)),$${_multicast_prefix}/$(patsubst $(PREFIX)/%,%,$(1)),$(1))
empty :=
space := $(empty) $(empty)
cmake_up  = $(subst $(space),/,$(patsubst %,..,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(cmakedir)))))
cmake_prefix = $(if $(filter $(PREFIX)/%,$(cmakedir)),get_filename_component(_multicast_prefix "$${CMAKE_CURRENT_LIST_DIR}/$(cmake_up)" ABSOLUTE),set(_multicast_prefix "$(PREFIX)"))

# The library's reference pages (generated by scripts/man3 from the header, committed):
# a page per family, libmulticast.3, and a one-line ".so" link page per function and type.
MAN3 := $(wildcard man/man3/*.3)

install:
	@for f in $(BUILT); do [ -e "$$f" ] || { \
	  echo "make install: $$f is missing: run make first (install only copies what make built)" >&2; \
	  exit 1; }; done
	@newer=$$(find Cargo.toml Cargo.lock build.rs src include -newer $(REL)/libmulticast.so \
	    -type f 2>/dev/null | head -n 3); \
	for t in $(TOOLS); do \
	  for f in tools/$$t.c tools/$$t.h tools/$${t}_*.c tools/common.c tools/common.h; do \
	    if [ -e $$f ] && [ $$f -nt $(BUILD)/bin/$$t ]; then \
	      case " $$newer " in *" $$f "*) ;; *) newer="$$newer $$f";; esac; fi; done; done; \
	if [ -n "$$newer" ]; then \
	  echo "make install: changed since the last build:" $$newer "- run make first" >&2; exit 1; fi
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(cmakedir)
	install -m 0644 $(REL)/libmulticast.so $(DESTDIR)$(libdir)/$(REALNAME)
	ln -sfn $(REALNAME) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(libdir)/libmulticast.so
	install -m 0644 $(REL)/libmulticast.a $(DESTDIR)$(libdir)/libmulticast.a
	install -m 0644 include/multicast.h $(DESTDIR)$(includedir)/multicast.h
	install -m 0644 bindings/cpp/multicast.hpp $(DESTDIR)$(includedir)/multicast.hpp
	@echo "writing $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc"
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(libdir))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(includedir))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e "s|@LIBS_PRIVATE@|$$(cat $(BUILD)/native-static-libs)|" multicast.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc
	@chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc
	@echo "writing $(DESTDIR)$(cmakedir)/multicastConfig.cmake, multicastConfigVersion.cmake"
	@libs=; for l in $$(cat $(BUILD)/native-static-libs); do \
	  case $$l in -l*) l=$${l#-l};; esac; libs="$${libs:+$$libs;}$$l"; done; \
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@COMPUTE_PREFIX@|$(cmake_prefix)|' \
	    -e 's|@CMAKEDIR@|$(cmakedir)|g' -e 's|@LIBDIR@|$(call cmake_dir,$(libdir))|g' \
	    -e 's|@INCLUDEDIR@|$(call cmake_dir,$(includedir))|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@MAJOR@|$(MAJOR)|g' -e "s|@STATIC_LIBS@|$$libs|g" cmake/multicastConfig.cmake.in \
	    > $(DESTDIR)$(cmakedir)/multicastConfig.cmake
	@ptr=$$(echo __SIZEOF_POINTER__ | $(CC) -E -P - | tr -d ' '); \
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' -e "s|@SIZEOF_VOID_P@|$$ptr|g" \
	    cmake/multicastConfigVersion.cmake.in > $(DESTDIR)$(cmakedir)/multicastConfigVersion.cmake
	@chmod 0644 $(DESTDIR)$(cmakedir)/multicastConfig.cmake \
	    $(DESTDIR)$(cmakedir)/multicastConfigVersion.cmake
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1
ifneq ($(TOOLS),)
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(bindir)/
	install -m 0644 $(addprefix man/,$(addsuffix .1,$(TOOLS))) $(DESTDIR)$(mandir)/man1/
endif
	install -m 0755 $(addprefix tools/,$(SCRIPTS)) $(DESTDIR)$(bindir)/
	install -m 0644 $(addprefix man/,$(addsuffix .1,$(SCRIPTS))) $(DESTDIR)$(mandir)/man1/
	install -d $(DESTDIR)$(mandir)/man3
	install -m 0644 $(MAN3) $(DESTDIR)$(mandir)/man3/
ifneq ($(INSTALL_STRIP),)
	$(STRIP) --strip-unneeded $(DESTDIR)$(libdir)/$(REALNAME) \
	    $(addprefix $(DESTDIR)$(bindir)/,$(TOOLS))
	$(STRIP) --strip-debug $(DESTDIR)$(libdir)/libmulticast.a
endif
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG) || true; fi
	@if [ -z "$(DESTDIR)" ] && ! $(LDCONFIG) -p 2>/dev/null | grep -qF '=> $(libdir)/$(SONAME)'; then \
	  echo "note: the dynamic loader does not search $(libdir): programs (mcsend, mclisten, yours)"; \
	  echo "      fail with \"$(SONAME): cannot open shared object file\" until you either"; \
	  echo "      echo $(libdir) | sudo tee /etc/ld.so.conf.d/multicast.conf && sudo ldconfig"; \
	  echo "      or run them with LD_LIBRARY_PATH=$(libdir) (see README.md, Install and link)"; \
	fi

# The same files, stripped: no debug symbols in the library, the tools or libmulticast.a.
install-strip:
	$(MAKE) install INSTALL_STRIP=1

uninstall:
	rm -f $(DESTDIR)$(libdir)/$(REALNAME) $(DESTDIR)$(libdir)/$(SONAME) \
	      $(DESTDIR)$(libdir)/libmulticast.so $(DESTDIR)$(libdir)/libmulticast.a \
	      $(DESTDIR)$(includedir)/multicast.h $(DESTDIR)$(includedir)/multicast.hpp \
	      $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc \
	      $(DESTDIR)$(cmakedir)/multicastConfig.cmake \
	      $(DESTDIR)$(cmakedir)/multicastConfigVersion.cmake \
	      $(addprefix $(DESTDIR)$(bindir)/,$(ALL_TOOLS) $(SCRIPTS)) \
	      $(addprefix $(DESTDIR)$(mandir)/man1/,$(addsuffix .1,$(ALL_TOOLS) $(SCRIPTS))) \
	      $(addprefix $(DESTDIR)$(mandir)/man3/,$(notdir $(MAN3)))
	@rmdir $(DESTDIR)$(cmakedir) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG) || true; fi

# The Python binding with the library inside it: installs where no libmulticast is.
wheel: release
	$(or $(PYTHON),python3) bindings/python/build-wheel --lib $(REL)/libmulticast.so --out target/wheels

# Debian packages: libmulticast$(MAJOR), libmulticast-dev, multicast-tools (see debian/).
# dpkg-buildpackage writes into the parent directory; the results are moved to build/deb/.
# The build is offline (vendored ~/.cargo registry) and runs no tests.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_OUT  = libmulticast_$(VERSION)_$(DEB_ARCH).changes libmulticast_$(VERSION)_$(DEB_ARCH).buildinfo \
           libmulticast$(MAJOR)_$(VERSION)_$(DEB_ARCH).deb libmulticast$(MAJOR)-dbgsym_$(VERSION)_$(DEB_ARCH).deb \
           libmulticast-dev_$(VERSION)_$(DEB_ARCH).deb multicast-tools_$(VERSION)_$(DEB_ARCH).deb \
           multicast-tools-dbgsym_$(VERSION)_$(DEB_ARCH).deb
# Debian's cargo and rustc (>= MSRV) are build dependencies; where they are not installed
# but the cargo on PATH (rustup's) is recent enough (Debian 12), -d skips the check
# (debian/README.source). Afterwards the CMake consumer (tests/install/cmake) is built
# against the packages' contents, unpacked into build/deb/root (and run in a private
# network namespace).
MSRV := $(shell awk -F'"' '/^\[/ { p = ($$0 == "[package]") } p && /^rust-version *=/ { print $$2; exit }' Cargo.toml)
DEB_ROOT = $(BUILD)/deb/root
deb:
	@flags=; if ! dpkg-checkbuilddeps >/dev/null 2>&1; then \
	  dpkg-checkbuilddeps -d 'debhelper-compat (= 13)' || exit 1; \
	  have=$$($(CARGO) --version 2>/dev/null | awk '{ print $$2 }'); \
	  if [ -n "$$have" ] && [ "$$(printf '%s\n%s\n' $(MSRV) "$$have" | sort -V | head -n1)" = $(MSRV) ]; then \
	    echo "make deb: Debian's cargo/rustc (>= $(MSRV)) are not installed; building with cargo $$have from PATH (dpkg-buildpackage -d)"; \
	    flags=-d; \
	  else dpkg-checkbuilddeps; exit 1; fi; \
	fi; \
	echo "dpkg-buildpackage -b -us -uc $$flags"; dpkg-buildpackage -b -us -uc $$flags
	mkdir -p $(BUILD)/deb
	cd .. && for f in $(DEB_OUT); do if [ -e "$$f" ]; then mv -f "$$f" $(CURDIR)/$(BUILD)/deb/; fi; done
	debian/rules clean
	lintian --fail-on error --info $(BUILD)/deb/libmulticast_$(VERSION)_$(DEB_ARCH).changes
	@ls -l $(BUILD)/deb/*.deb
	rm -rf $(DEB_ROOT) $(BUILD)/deb/cmake
	for p in libmulticast$(MAJOR) libmulticast-dev; do \
	  dpkg-deb -x $(BUILD)/deb/$${p}_$(VERSION)_$(DEB_ARCH).deb $(DEB_ROOT); done
	@if command -v cmake >/dev/null 2>&1; then \
	  set -e; \
	  cmake -S tests/install/cmake -B $(BUILD)/deb/cmake -DCMAKE_PREFIX_PATH=$(CURDIR)/$(DEB_ROOT)/usr \
	      -DMULTICAST_MIN_VERSION=$(MAJOR).$(MINOR) >/dev/null; \
	  cmake --build $(BUILD)/deb/cmake >/dev/null; \
	  tests/netns-run sh -c '$(BUILD)/deb/cmake/app_c $(VERSION) && $(BUILD)/deb/cmake/app_cpp'; \
	  echo "make deb: the CMake consumer builds and runs against the packages"; \
	else echo "make deb: SKIPPED the CMake consumer check: cmake not found (install cmake)"; fi

clean:
	cargo clean
	rm -rf $(BUILD)
