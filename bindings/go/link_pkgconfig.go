//go:build multicast_pkgconfig

package multicast

// Takes the compiler and linker flags from multicast.pc (installed by
// `make install`): go build -tags multicast_pkgconfig.

// #cgo pkg-config: multicast
import "C"
