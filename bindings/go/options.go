package multicast

// #include <stdlib.h>
// #include <multicast.h>
import "C"

import (
	"math"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// Library defaults and suggested TTLs (MC_DEFAULT_*, MC_TTL_*).
const (
	DefaultGroup      = C.MC_DEFAULT_GROUP
	DefaultPort       = C.MC_DEFAULT_PORT
	DefaultTTL        = C.MC_DEFAULT_TTL
	DefaultMTU        = C.MC_DEFAULT_MTU
	TTLHost           = C.MC_TTL_HOST
	TTLSubnet         = C.MC_TTL_SUBNET
	TTLSite           = C.MC_TTL_SITE
	TTLRegion         = C.MC_TTL_REGION
	TTLContinent      = C.MC_TTL_CONTINENT
	TTLUnrestricted   = C.MC_TTL_UNRESTRICTED
	DefaultRecvBuffer = 4 << 20
)

// Forever, as a timeout, waits without limit.
const Forever time.Duration = -1

// Options configure a Listener, a Multicaster or SendOpts. The zero value
// means the library's defaults everywhere (group 224.0.42.42, port 4242,
// TTL 1, MTU 4096, the system's interface, loopback on, any source, a 4 MiB
// receive buffer); the pointer fields tell "unset" from a meaningful zero.
type Options struct {
	// Group is an IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal; "" = DefaultGroup.
	Group string
	// Port is the UDP port; 0 = DefaultPort.
	Port uint16
	// TTL (IPv6: hop limit), 0..255; nil = DefaultTTL. Int(TTLHost) keeps
	// packets on this host.
	TTL *int
	// MTU is the bytes read per packet, 1..65535 (longer datagrams are
	// truncated and reported); 0 = DefaultMTU.
	MTU int
	// Interface is a name ("eth0"), an index ("3") or an address of the
	// interface; "*" = every multicast interface (listeners only);
	// "" = the system's choice.
	Interface string
	// Loopback delivers sent packets to this host's listeners; nil = on.
	Loopback *bool
	// Source makes a listener source-specific (SSM): a unicast address of
	// the group's family; "" = any source.
	Source string
	// RecvBuffer is a listener's SO_RCVBUF request in bytes; 0 =
	// DefaultRecvBuffer, negative = the kernel's default.
	RecvBuffer int
	// SendFrom makes senders (multicasters, SendOpts) bind their socket to
	// this unicast address of this host, of the group's family
	// ("192.0.2.1", "fe80::1%eth0"); receivers see it as Packet.From. With
	// no Interface, datagrams leave by the interface that holds it. "" =
	// any address. An address the host does not have fails when the opts
	// are used, with syscall.EADDRNOTAVAIL.
	SendFrom string
	// SendFromPort is the source port of senders; 0 = an ephemeral one.
	SendFromPort uint16
}

// Int returns a pointer to v, for Options.TTL.
func Int(v int) *int { return &v }

// Bool returns a pointer to v, for Options.Loopback.
func Bool(v bool) *bool { return &v }

// cString copies s for C; a NUL byte inside s is an error of the given
// code (C would silently cut the string there). Free the result with C.free.
func cString(what, s string, code C.int) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, goError(code, "%s %q: contains a NUL byte", what, s)
	}
	return C.CString(s), nil
}

// toC builds the mc_opts of o; the caller frees it with C.mc_opts_free.
// Must run with the OS thread locked (it reads mc_last_error).
func (o *Options) toC() (*C.mc_opts, error) {
	c := C.mc_opts_new()
	if c == nil {
		return nil, goError(C.MC_EINVAL, "mc_opts_new failed")
	}
	ok := false
	defer func() {
		if !ok {
			C.mc_opts_free(c)
		}
	}()
	setStr := func(what, s string, code C.int, set func(*C.char) C.int) error {
		cs, err := cString(what, s, code)
		if err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(cs))
		if rc := set(cs); rc < 0 {
			return lastError(rc)
		}
		return nil
	}
	check := func(rc C.int) error {
		if rc < 0 {
			return lastError(rc)
		}
		return nil
	}
	if o.Group != "" {
		if err := setStr("group", o.Group, C.MC_EADDRESS, func(s *C.char) C.int {
			return C.mc_opts_set_group(c, s)
		}); err != nil {
			return nil, err
		}
	}
	if o.Port != 0 {
		if err := check(C.mc_opts_set_port(c, C.uint16_t(o.Port))); err != nil {
			return nil, err
		}
	}
	if o.TTL != nil {
		ttl := *o.TTL
		if ttl < math.MinInt32 || ttl > math.MaxInt32 {
			return nil, goError(C.MC_EINVAL, "ttl %d: must be 0..255", ttl)
		}
		if err := check(C.mc_opts_set_ttl(c, C.int(ttl))); err != nil {
			return nil, err
		}
	}
	if o.MTU != 0 {
		if o.MTU < 0 {
			return nil, goError(C.MC_EINVAL, "mtu %d: must be 1..65535", o.MTU)
		}
		if err := check(C.mc_opts_set_mtu(c, C.size_t(o.MTU))); err != nil {
			return nil, err
		}
	}
	if o.Interface != "" {
		if err := setStr("interface", o.Interface, C.MC_EADDRESS, func(s *C.char) C.int {
			return C.mc_opts_set_interface(c, s)
		}); err != nil {
			return nil, err
		}
	}
	if o.Loopback != nil {
		on := C.int(0)
		if *o.Loopback {
			on = 1
		}
		if err := check(C.mc_opts_set_loopback(c, on)); err != nil {
			return nil, err
		}
	}
	if o.Source != "" {
		if err := setStr("source", o.Source, C.MC_EADDRESS, func(s *C.char) C.int {
			return C.mc_opts_set_source(c, s)
		}); err != nil {
			return nil, err
		}
	}
	if o.RecvBuffer != 0 {
		n := o.RecvBuffer
		if n < 0 {
			n = 0 // the kernel's default
		}
		if err := check(C.mc_opts_set_recv_buffer(c, C.size_t(n))); err != nil {
			return nil, err
		}
	}
	if o.SendFrom != "" || o.SendFromPort != 0 {
		var addr *C.char // NULL: any address
		if o.SendFrom != "" {
			cs, err := cString("send-from address", o.SendFrom, C.MC_EADDRESS)
			if err != nil {
				return nil, err
			}
			defer C.free(unsafe.Pointer(cs))
			addr = cs
		}
		if err := check(C.mc_opts_set_send_from(c, addr, C.uint16_t(o.SendFromPort))); err != nil {
			return nil, err
		}
	}
	ok = true
	return c, nil
}

// withOpts builds o's mc_opts and runs f with it on one locked OS thread;
// a negative result of f is an *Error with mc_last_error's message.
func withOpts(o *Options, f func(*C.mc_opts) C.int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := o.toC()
	if err != nil {
		return 0, err
	}
	defer C.mc_opts_free(c)
	rc := f(c)
	if rc < 0 {
		return int(rc), lastError(rc)
	}
	return int(rc), nil
}

// cTimeout converts a timeout to milliseconds for C: negative = forever
// (-1); a positive duration below a millisecond rounds up (never "don't wait").
func cTimeout(d time.Duration) C.int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return C.int(ms)
}
