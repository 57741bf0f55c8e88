package multicast

// #include <stdlib.h>
// #include <multicast.h>
import "C"

import (
	"math"
	"unsafe"
)

// bytesPtr points C at b for the duration of one call (C keeps no copy).
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// sendArgs converts Send's group and ttl; free the group with C.free.
func sendArgs(group string, ttl int) (*C.char, C.int, error) {
	if ttl > math.MaxInt32 {
		return nil, 0, goError(C.MC_EINVAL, "ttl %d: must be 0..255", ttl)
	}
	if ttl < 0 {
		ttl = -1
	}
	if group == "" {
		return nil, C.int(ttl), nil
	}
	g, err := cString("group", group, C.MC_EADDRESS)
	return g, C.int(ttl), err
}

// Send sends data now to group:port with ttl and returns the bytes sent:
// group "" = DefaultGroup, port 0 = DefaultPort, ttl < 0 = DefaultTTL.
// Safe from any goroutine; fast when called repeatedly.
func Send(data []byte, group string, port uint16, ttl int) (int, error) {
	g, t, err := sendArgs(group, ttl)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(g))
	return call(func() C.int {
		return C.mc_sendto(bytesPtr(data), C.size_t(len(data)), g, C.uint16_t(port), t)
	})
}

// SendMany sends all packets, in order, to group:port with ttl (defaults as
// for Send), batched; it returns the number sent (fewer than len(packets)
// only if the OS refused midway). Every packet is checked before any is
// sent. Safe from any goroutine.
func SendMany(packets [][]byte, group string, port uint16, ttl int) (int, error) {
	g, t, err := sendArgs(group, ttl)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(g))
	// C may not hold Go pointers inside C memory: copy the packets into one
	// C block described by a C array of mc_buf.
	total := 1
	for _, p := range packets {
		total += len(p)
	}
	n := len(packets)
	if n == 0 {
		n = 1
	}
	block := C.malloc(C.size_t(total))
	bufs := (*C.mc_buf)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.mc_buf{}))))
	if block == nil || bufs == nil {
		C.free(block)
		C.free(unsafe.Pointer(bufs))
		panic("multicast: out of C memory")
	}
	defer C.free(block)
	defer C.free(unsafe.Pointer(bufs))
	arr := unsafe.Slice(bufs, n)
	off := 0
	for i, p := range packets {
		dst := unsafe.Add(block, off)
		copy(unsafe.Slice((*byte)(dst), len(p)), p)
		arr[i].data = dst
		arr[i].len = C.size_t(len(p))
		off += len(p)
	}
	return call(func() C.int {
		return C.mc_sendto_many(bufs, C.size_t(len(packets)), g, C.uint16_t(port), t)
	})
}

// SendOpts sends data now as opts say (group, port, TTL, interface,
// loopback) and returns the bytes sent. Safe from any goroutine.
func SendOpts(opts Options, data []byte) (int, error) {
	return withOpts(&opts, func(o *C.mc_opts) C.int {
		return C.mc_sendto_opts(o, bytesPtr(data), C.size_t(len(data)))
	})
}
