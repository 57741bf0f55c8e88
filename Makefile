# libmulticast - build, test, demo, install, package.
#   make            release build (target/release/libmulticast.{so,a}, include/multicast.h)
#   make test       everything CI checks (fmt, clippy, cargo test incl. C tests, header, symbols)
#   make demo       a listener and a sender inside a private network namespace
#   make bench      benchmarks (bench/run.sh; QUICK=1 for a short run)
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib INCLUDEDIR=$(PREFIX)/include
#                   BINDIR=$(PREFIX)/bin MANDIR=$(PREFIX)/share/man
#                   (relative directories are taken under PREFIX: LIBDIR=lib/x86_64-linux-gnu)
#   make uninstall  removes exactly what install put there (same variables)
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

# The command-line tools (examples-c/mcsend.c, examples-c/mclisten.c) and their man pages;
# a tool whose source is missing is skipped.
TOOLS      := $(patsubst examples-c/%.c,%,$(wildcard examples-c/mcsend.c examples-c/mclisten.c))
TOOL_BINS  := $(addprefix $(BUILD)/bin/,$(TOOLS))
ALL_TOOLS  := mcsend mclisten

.PHONY: all release test demo bench install uninstall clean examples tools deb FORCE

all: release

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

test:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings
	cargo test --locked
	@if [ -d .git ]; then \
	  git diff --exit-code -- include/multicast.h || \
	  { echo "include/multicast.h changed when regenerated: commit the new header"; exit 1; }; \
	fi

# mcsend and mclisten, linked to the freshly built library (no rpath: installed, they
# find libmulticast.so.$(MAJOR) in LIBDIR; in the tree, run them with LD_LIBRARY_PATH).
tools: $(TOOL_BINS)

$(BUILD)/bin/%: examples-c/%.c include/multicast.h $(BUILD)/lib/$(SONAME)
	mkdir -p $(BUILD)/bin
	$(CC) $(TOOLWARN) $(CPPFLAGS) $(CFLAGS) -Iinclude $< -o $@ $(LDFLAGS) -L$(BUILD)/lib -lmulticast

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

# Regenerated on every install: PREFIX and LIBDIR may differ from the last time.
$(BUILD)/multicast.pc: multicast.pc.in $(BUILD)/native-static-libs FORCE
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(libdir))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(includedir))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e "s|@LIBS_PRIVATE@|$$(cat $(BUILD)/native-static-libs)|" $< > $@

install: release $(BUILD)/multicast.pc $(TOOL_BINS)
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 $(REL)/libmulticast.so $(DESTDIR)$(libdir)/$(REALNAME)
	ln -sfn $(REALNAME) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(libdir)/libmulticast.so
	install -m 0644 $(REL)/libmulticast.a $(DESTDIR)$(libdir)/libmulticast.a
	install -m 0644 include/multicast.h $(DESTDIR)$(includedir)/multicast.h
	install -m 0644 $(BUILD)/multicast.pc $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc
ifneq ($(TOOLS),)
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(bindir)/
	install -m 0644 $(addprefix man/,$(addsuffix .1,$(TOOLS))) $(DESTDIR)$(mandir)/man1/
endif
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG) || true; fi

uninstall:
	rm -f $(DESTDIR)$(libdir)/$(REALNAME) $(DESTDIR)$(libdir)/$(SONAME) \
	      $(DESTDIR)$(libdir)/libmulticast.so $(DESTDIR)$(libdir)/libmulticast.a \
	      $(DESTDIR)$(includedir)/multicast.h $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc \
	      $(addprefix $(DESTDIR)$(bindir)/,$(ALL_TOOLS)) \
	      $(addprefix $(DESTDIR)$(mandir)/man1/,$(addsuffix .1,$(ALL_TOOLS)))
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG) || true; fi

# Debian packages: libmulticast$(MAJOR), libmulticast-dev, multicast-tools (see debian/).
# dpkg-buildpackage writes into the parent directory; the results are moved to build/deb/.
# The build is offline (vendored ~/.cargo registry) and runs no tests.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_OUT  = libmulticast_$(VERSION)_$(DEB_ARCH).changes libmulticast_$(VERSION)_$(DEB_ARCH).buildinfo \
           libmulticast$(MAJOR)_$(VERSION)_$(DEB_ARCH).deb libmulticast$(MAJOR)-dbgsym_$(VERSION)_$(DEB_ARCH).deb \
           libmulticast-dev_$(VERSION)_$(DEB_ARCH).deb multicast-tools_$(VERSION)_$(DEB_ARCH).deb \
           multicast-tools-dbgsym_$(VERSION)_$(DEB_ARCH).deb
deb:
	dpkg-buildpackage -b -us -uc
	mkdir -p $(BUILD)/deb
	cd .. && for f in $(DEB_OUT); do if [ -e "$$f" ]; then mv -f "$$f" $(CURDIR)/$(BUILD)/deb/; fi; done
	debian/rules clean
	lintian --fail-on error --info $(BUILD)/deb/libmulticast_$(VERSION)_$(DEB_ARCH).changes
	@ls -l $(BUILD)/deb/*.deb

clean:
	cargo clean
	rm -rf $(BUILD)
