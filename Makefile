# libmulticast - build, test, demo, install.
#   make            release build (target/release/libmulticast.{so,a}, include/multicast.h)
#   make test       everything CI checks (fmt, clippy, cargo test incl. C tests, header, symbols)
#   make demo       a listener and a sender inside a private network namespace
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib INCLUDEDIR=$(PREFIX)/include
#   make uninstall  removes exactly what install put there

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -std=c99 -Wall -Wextra -Wpedantic -Werror

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR   := $(word 1,$(subst ., ,$(VERSION)))
REL     := target/release
BUILD   := build

.PHONY: all release test demo install uninstall clean examples

all: release

release:
	cargo build --release --locked

$(BUILD)/lib/libmulticast.so.$(MAJOR): release
	mkdir -p $(BUILD)/lib
	ln -sf ../../$(REL)/libmulticast.so $(BUILD)/lib/libmulticast.so.$(MAJOR)
	ln -sf ../../$(REL)/libmulticast.so $(BUILD)/lib/libmulticast.so

$(BUILD)/demo: examples-c/demo.c $(BUILD)/lib/libmulticast.so.$(MAJOR)
	$(CC) $(WARN) $(CFLAGS) -Iinclude $< -o $@ -L$(BUILD)/lib -lmulticast -Wl,-rpath,'$$ORIGIN/lib'

demo: $(BUILD)/demo
	tests/netns-run $(BUILD)/demo

test:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings
	cargo test --locked
	@if [ -d .git ]; then \
	  git diff --exit-code -- include/multicast.h || \
	  { echo "include/multicast.h changed when regenerated: commit the new header"; exit 1; }; \
	fi

$(BUILD)/multicast.pc: multicast.pc.in Cargo.toml
	mkdir -p $(BUILD)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

install: release $(BUILD)/multicast.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(REL)/libmulticast.so $(DESTDIR)$(LIBDIR)/libmulticast.so.$(VERSION)
	ln -sf libmulticast.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmulticast.so.$(MAJOR)
	ln -sf libmulticast.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libmulticast.so
	install -m 0644 $(REL)/libmulticast.a $(DESTDIR)$(LIBDIR)/libmulticast.a
	install -m 0644 include/multicast.h $(DESTDIR)$(INCLUDEDIR)/multicast.h
	install -m 0644 $(BUILD)/multicast.pc $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libmulticast.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmulticast.so.$(MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libmulticast.so $(DESTDIR)$(LIBDIR)/libmulticast.a \
	      $(DESTDIR)$(INCLUDEDIR)/multicast.h $(DESTDIR)$(PKGCONFIGDIR)/multicast.pc

clean:
	cargo clean
	rm -rf $(BUILD)
