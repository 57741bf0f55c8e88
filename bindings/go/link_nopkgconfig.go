//go:build multicast_nopkgconfig

package multicast

// With -tags multicast_nopkgconfig: links -lmulticast found on the compiler's search
// path, or where CGO_CFLAGS (-I...) and CGO_LDFLAGS (-L...) say (a source checkout).

// #cgo LDFLAGS: -lmulticast
import "C"
