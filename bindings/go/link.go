//go:build !multicast_pkgconfig

package multicast

// Links against libmulticast found on the compiler's search path, or where
// CGO_LDFLAGS (-L...) says. Build with -tags multicast_pkgconfig to take the
// flags from pkg-config instead (link_pkgconfig.go).

// #cgo LDFLAGS: -lmulticast
import "C"
