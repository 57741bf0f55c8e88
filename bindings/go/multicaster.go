package multicast

/*
#include <stdint.h>
#include <stdlib.h>
#include <multicast.h>

// The Go callback (callbacks.go); user_data carries a cgo.Handle.
extern int mcgoNext(uintptr_t h, uint8_t **data, size_t *len);

static int mcgo_next(void *ud, const uint8_t **data, size_t *len) {
	return mcgoNext((uintptr_t)ud, (uint8_t **)data, len);
}
static int mcgo_multicaster_new(mc_poller *poller, const mc_opts *opts, uintptr_t h,
                                mc_multicaster **out) {
	return mc_multicaster_new(poller, opts, mcgo_next, (void *)h, out);
}
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// NextAnswer is what a Multicaster's next function answers.
type NextAnswer int

const (
	// NextDone: finished; the multicaster closes itself.
	NextDone NextAnswer = C.MC_NEXT_DONE
	// NextPacket: send the returned bytes.
	NextPacket NextAnswer = C.MC_NEXT_PACKET
	// NextWait: nothing now; next is not called again until Resume.
	NextWait NextAnswer = C.MC_NEXT_WAIT
)

// Multicaster sends packets to a group whenever its socket is writable,
// asking its next function for them while the poller polls.
type Multicaster struct {
	poller *Poller
	c      *C.mc_multicaster
	h      cgo.Handle
	next   func() ([]byte, NextAnswer)
	buf    unsafe.Pointer // C copy of the packet in hand (C must not hold Go memory)
	bufCap int
	closed bool
}

// NewMulticaster creates a multicaster on poller (nil: the default poller)
// sending to opts' group with its TTL, interface and loopback. Whenever the
// socket has room, the poller calls next: it returns a packet with
// NextPacket (the bytes are copied: the slice may be reused), NextDone (the
// multicaster closes itself) or NextWait (no more asking until Resume).
// next is called only while the poller polls, never from NewMulticaster.
// Packets are sent in order; when the socket is full the packet in hand is
// kept and sent first (never lost).
func NewMulticaster(poller *Poller, opts Options, next func() ([]byte, NextAnswer)) (*Multicaster, error) {
	if next == nil {
		return nil, goError(C.MC_EINVAL, "NewMulticaster: next: nil")
	}
	p := poller.resolve()
	cp, err := p.ptr("NewMulticaster")
	if err != nil {
		return nil, err
	}
	m := &Multicaster{poller: p, next: next}
	m.h = cgo.NewHandle(m)
	var out *C.mc_multicaster
	if _, err := withOpts(&opts, func(o *C.mc_opts) C.int {
		return C.mcgo_multicaster_new(cp, o, C.uintptr_t(m.h), &out)
	}); err != nil {
		m.h.Delete()
		return nil, err
	}
	m.c = out
	p.track(m)
	return m, nil
}

// stage copies b into the C buffer that stays valid until next is called
// again, as the library requires.
func (m *Multicaster) stage(b []byte) *C.uint8_t {
	if len(b) > m.bufCap || m.buf == nil {
		if m.buf != nil {
			C.free(m.buf)
		}
		n := len(b)
		if n < 2048 {
			n = 2048
		}
		m.buf = C.malloc(C.size_t(n))
		if m.buf == nil {
			panic("multicast: out of C memory")
		}
		m.bufCap = n
	}
	copy(unsafe.Slice((*byte)(m.buf), len(b)), b)
	return (*C.uint8_t)(m.buf)
}

// release forgets the C multicaster (closed by the library), deletes the
// handle and frees the staging buffer. Idempotent.
func (m *Multicaster) release() {
	if m.closed {
		return
	}
	m.closed = true
	m.c = nil
	m.h.Delete()
	if m.buf != nil {
		C.free(m.buf)
		m.buf, m.bufCap = nil, 0
	}
	m.poller.forget(m)
}

// Closed reports whether the multicaster is closed (by Close, by next
// answering NextDone, or by its poller's Close).
func (m *Multicaster) Closed() bool { return m.closed }

// Close unregisters, closes and frees the multicaster. Safe inside any
// callback, next included (its answer is then ignored); twice does nothing.
func (m *Multicaster) Close() error {
	if m.closed {
		return nil
	}
	C.mc_multicaster_close(m.c)
	m.release()
	return nil
}

func (m *Multicaster) ptr(what string) (*C.mc_multicaster, error) {
	if m.closed {
		return nil, closedError(what + ": multicaster")
	}
	return m.c, nil
}

// Resume makes the poller ask next for packets again after it answered
// NextWait. No-op if it was not waiting.
func (m *Multicaster) Resume() error {
	c, err := m.ptr("Multicaster.Resume")
	if err != nil {
		return err
	}
	_, err = call(func() C.int { return C.mc_multicaster_resume(c) })
	return err
}

// Send sends data now on the multicaster's socket (waiting up to a second
// for room) and returns the bytes sent.
func (m *Multicaster) Send(data []byte) (int, error) {
	c, err := m.ptr("Multicaster.Send")
	if err != nil {
		return 0, err
	}
	return call(func() C.int {
		return C.mc_multicaster_send(c, bytesPtr(data), C.size_t(len(data)))
	})
}
