package multicast

/*
#include <stdint.h>
#include <stdlib.h>
#include <multicast.h>

// The Go callbacks (callbacks.go); user_data carries a cgo.Handle.
extern int mcgoOnPacket(uintptr_t h, mc_packet *p);
extern int mcgoFilter(uintptr_t h, mc_packet *p);

static int mcgo_on_packet(void *ud, const mc_packet *p) {
	return mcgoOnPacket((uintptr_t)ud, (mc_packet *)p);
}
static int mcgo_filter(void *ud, const mc_packet *p) {
	return mcgoFilter((uintptr_t)ud, (mc_packet *)p);
}
static int mcgo_listener_new(mc_poller *poller, const mc_opts *opts, int pull, uintptr_t h,
                             mc_listener **out) {
	return mc_listener_new(poller, opts, pull ? NULL : mcgo_on_packet, (void *)h, out);
}
static int mcgo_listener_set_filter(mc_listener *l, int on, uintptr_t h) {
	return mc_listener_set_filter(l, on ? mcgo_filter : NULL, (void *)h);
}
*/
import "C"

import (
	"net"
	"net/netip"
	"runtime/cgo"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// Packet is a received datagram, copied out of the library's buffer.
type Packet struct {
	// Data holds the bytes read (at most the listener's MTU).
	Data []byte
	// Size is the datagram's real size; Size > len(Data) means truncated.
	Size int
	// From is the sender's address and port.
	From netip.AddrPort
	// Group is the destination group and port.
	Group netip.AddrPort
	// Ifindex is the interface it arrived on; 0 if unknown.
	Ifindex int
}

// Truncated reports whether the datagram was longer than the MTU.
func (p Packet) Truncated() bool { return p.Size > len(p.Data) }

func goAddr(a *C.mc_addr) netip.AddrPort {
	ip := *(*[16]byte)(unsafe.Pointer(&a.ip))
	var addr netip.Addr
	switch a.family {
	case syscall.AF_INET:
		addr = netip.AddrFrom4([4]byte{ip[0], ip[1], ip[2], ip[3]})
	case syscall.AF_INET6:
		addr = netip.AddrFrom16(ip)
		if a.scope_id != 0 {
			addr = addr.WithZone(strconv.FormatUint(uint64(a.scope_id), 10))
		}
	default:
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(addr, uint16(a.port))
}

// goPacket copies a C packet (valid only during the callback, or until the
// next mc_listener_next) into Go memory.
func goPacket(p *C.mc_packet) Packet {
	var data []byte
	if p.len > 0 {
		data = C.GoBytes(unsafe.Pointer(p.data), C.int(p.len))
	} else {
		data = []byte{}
	}
	return Packet{
		Data:    data,
		Size:    int(p.size),
		From:    goAddr(&p.from),
		Group:   goAddr(&p.group),
		Ifindex: int(p.ifindex),
	}
}

// Stats are a listener's counters.
type Stats struct {
	Received    uint64 // datagrams read from the socket
	Delivered   uint64 // handed to the handler or queued for Next
	Filtered    uint64 // rejected by the filter
	Truncated   uint64 // longer than the MTU (still delivered)
	KernelDrops uint64 // dropped by the kernel for want of buffer space
	QueueDrops  uint64 // pull mode: dropped because the queue was full
}

// Listener receives one group's packets on a poller.
type Listener struct {
	poller  *Poller
	c       *C.mc_listener
	h       cgo.Handle
	handler func(Packet) bool
	filter  func(Packet) bool
	closed  bool
}

// Listen joins opts' group on poller (nil: the default poller) and calls
// handler with each packet while the poller polls; handler returning true
// closes the listener. A nil handler is pull mode: packets queue for Next.
// Several listeners of one group (in one process or many) each get every
// packet.
func Listen(poller *Poller, opts Options, handler func(Packet) bool) (*Listener, error) {
	p := poller.resolve()
	cp, err := p.ptr("Listen")
	if err != nil {
		return nil, err
	}
	l := &Listener{poller: p, handler: handler}
	l.h = cgo.NewHandle(l)
	pull := C.int(0)
	if handler == nil {
		pull = 1
	}
	var out *C.mc_listener
	if _, err := withOpts(&opts, func(o *C.mc_opts) C.int {
		return C.mcgo_listener_new(cp, o, pull, C.uintptr_t(l.h), &out)
	}); err != nil {
		l.h.Delete()
		return nil, err
	}
	l.c = out
	p.track(l)
	return l, nil
}

// release forgets the C listener (closed by the library) and deletes the
// handle. Idempotent.
func (l *Listener) release() {
	if l.closed {
		return
	}
	l.closed = true
	l.c = nil
	l.h.Delete()
	l.poller.forget(l)
}

// Closed reports whether the listener is closed (by Close, by its handler
// returning true, or by its poller's Close).
func (l *Listener) Closed() bool { return l.closed }

// Close leaves the group and frees the listener. Safe inside any callback,
// its own handler's too; closing twice does nothing.
func (l *Listener) Close() error {
	if l.closed {
		return nil
	}
	C.mc_listener_close(l.c)
	l.release()
	return nil
}

func (l *Listener) ptr(what string) (*C.mc_listener, error) {
	if l.closed {
		return nil, closedError(what + ": listener")
	}
	return l.c, nil
}

// SetFilter sets a filter: packets for which f returns false are dropped
// (counted as Filtered) before the handler or the queue sees them. It
// replaces a regex filter; nil removes any filter.
func (l *Listener) SetFilter(f func(Packet) bool) error {
	c, err := l.ptr("Listener.SetFilter")
	if err != nil {
		return err
	}
	on := C.int(0)
	if f != nil {
		on = 1
	}
	_, err = call(func() C.int { return C.mcgo_listener_set_filter(c, on, C.uintptr_t(l.h)) })
	if err == nil {
		l.filter = f
	}
	return err
}

// SetFilterRegex accepts only packets whose bytes match pattern at their
// start (Rust regex syntax, on bytes; ${ip}, ${port} and ${mtu} stand for
// the listener's values). A bad pattern is ErrRegex with the reason, and
// the old filter stays. It replaces a SetFilter function; SetFilter(nil)
// removes any filter.
func (l *Listener) SetFilterRegex(pattern string) error {
	c, err := l.ptr("Listener.SetFilterRegex")
	if err != nil {
		return err
	}
	cs, err := cString("filter pattern", pattern, C.MC_EREGEX)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	_, err = call(func() C.int { return C.mc_listener_set_filter_regex(c, cs) })
	if err == nil {
		l.filter = nil
	}
	return err
}

// Next is pull mode (a listener made with a nil handler): it returns the
// next queued packet, waiting up to timeout (0: don't wait; negative: no
// limit) while polling the listener's poller, so other registrations are
// served too. ok is false if none arrived in time or Stop was called.
func (l *Listener) Next(timeout time.Duration) (pkt Packet, ok bool, err error) {
	c, err := l.ptr("Listener.Next")
	if err != nil {
		return Packet{}, false, err
	}
	p := l.poller
	defer p.rethrow()
	defer p.enter(true)()
	var out *C.mc_packet
	_, err = call(func() C.int {
		rc := C.mc_listener_next(c, &out, cTimeout(timeout))
		if rc == 1 && out != nil {
			pkt, ok = goPacket(out), true // valid until the next call: copy now
		}
		return rc
	})
	return pkt, ok, err
}

// sourceCall runs f with group and source as C strings on a locked thread.
func (l *Listener) sourceCall(what, group, source string, f func(c *C.mc_listener, g, s *C.char) C.int) error {
	c, err := l.ptr(what)
	if err != nil {
		return err
	}
	g, err := cString("group", group, C.MC_EADDRESS)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(g))
	s, err := cString("source", source, C.MC_EADDRESS)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(s))
	_, err = call(func() C.int { return f(c, g, s) })
	return err
}

// BlockSource makes the kernel stop delivering group's datagrams from
// source (a unicast address) to this listener, on every interface where it
// holds group, and again after every re-join. group must be one the listener
// holds any-source: ErrNotFound if it does not hold it, ErrInvalid if it
// holds it source-specific; ErrExist if source is already blocked;
// ErrAddress for a group or source that is not an address of the kind;
// syscall.ENOBUFS past the kernel's limit of sources per group and socket.
func (l *Listener) BlockSource(group, source string) error {
	return l.sourceCall("Listener.BlockSource", group, source, func(c *C.mc_listener, g, s *C.char) C.int {
		return C.mc_listener_block_source(c, g, s)
	})
}

// UnblockSource delivers source's datagrams of group again; ErrNotFound if
// it was not blocked.
func (l *Listener) UnblockSource(group, source string) error {
	return l.sourceCall("Listener.UnblockSource", group, source, func(c *C.mc_listener, g, s *C.char) C.int {
		return C.mc_listener_unblock_source(c, g, s)
	})
}

// FormatAddr writes an address and port as the library does (mc_addr_format):
// "192.0.2.1:5000", "[ff05::1]:5000", "[fe80::1%eth0]:5000", naming a
// link-local zone by its interface (a numeric zone, as Packet.From has, is
// the interface index; one that no interface has now stays a number). An
// invalid AddrPort, or a zone that is neither a number nor an interface's
// name, is ErrInvalid / ErrAddress.
func FormatAddr(ap netip.AddrPort) (string, error) {
	var a C.mc_addr
	addr := ap.Addr()
	switch {
	case addr.Is4():
		a.family = syscall.AF_INET
	case addr.Is6():
		a.family = syscall.AF_INET6
		if z := addr.Zone(); z != "" {
			if n, err := strconv.ParseUint(z, 10, 32); err == nil {
				a.scope_id = C.uint32_t(n)
			} else if ifi, err := net.InterfaceByName(z); err == nil {
				a.scope_id = C.uint32_t(ifi.Index)
			} else {
				return "", goError(C.MC_EADDRESS, "FormatAddr %v: no interface %q", ap, z)
			}
		}
	default:
		return "", goError(C.MC_EINVAL, "FormatAddr: not an address: %v", ap)
	}
	a.port = C.uint16_t(ap.Port())
	ip := addr.As16()
	if addr.Is4() {
		v4 := addr.As4()
		ip = [16]byte{}
		copy(ip[:], v4[:])
	}
	*(*[16]byte)(unsafe.Pointer(&a.ip)) = ip
	var buf [C.MC_ADDR_STRLEN]C.char
	n, err := call(func() C.int { return C.mc_addr_format(&a, &buf[0], C.size_t(len(buf))) })
	if err != nil {
		return "", err
	}
	return C.GoStringN(&buf[0], C.int(n)), nil
}

// Stats returns the listener's counters.
func (l *Listener) Stats() (Stats, error) {
	c, err := l.ptr("Listener.Stats")
	if err != nil {
		return Stats{}, err
	}
	var s C.mc_listener_stats
	var drops C.uint64_t
	if _, err := call(func() C.int { return C.mc_listener_get_stats(c, &s) }); err != nil {
		return Stats{}, err
	}
	if _, err := call(func() C.int { return C.mc_listener_queue_drops(c, &drops) }); err != nil {
		return Stats{}, err
	}
	return Stats{
		Received:    uint64(s.received),
		Delivered:   uint64(s.delivered),
		Filtered:    uint64(s.filtered),
		Truncated:   uint64(s.truncated),
		KernelDrops: uint64(s.kernel_drops),
		QueueDrops:  uint64(drops),
	}, nil
}

// Fd returns the listener's socket (owned by the listener: do not close it).
func (l *Listener) Fd() (int, error) {
	c, err := l.ptr("Listener.Fd")
	if err != nil {
		return -1, err
	}
	return call(func() C.int { return C.mc_listener_fd(c) })
}

// RecvBuffer returns the receive buffer the kernel granted (SO_RCVBUF as
// getsockopt reports it: the kernel doubles the request and may clamp it).
func (l *Listener) RecvBuffer() (int, error) {
	c, err := l.ptr("Listener.RecvBuffer")
	if err != nil {
		return -1, err
	}
	return call(func() C.int { return C.mc_listener_recv_buffer(c) })
}
