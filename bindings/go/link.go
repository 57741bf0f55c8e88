//go:build !multicast_nopkgconfig

package multicast

// The compiler and linker flags come from multicast.pc (installed by `make install`
// and by Debian's libmulticast-dev): `pkg-config --cflags --libs multicast`. For a
// prefix pkg-config does not search, set PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig.
// Without pkg-config, build with -tags multicast_nopkgconfig (link_nopkgconfig.go).

// #cgo pkg-config: multicast
import "C"
