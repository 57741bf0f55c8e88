package multicast

// #include <multicast.h>
import "C"

import (
	"sync"
	"sync/atomic"
	"time"
)

// Poller is an epoll-based event loop serving its listeners and
// multicasters. A nil *Poller is the process-wide default poller.
type Poller struct {
	mu        sync.Mutex // guards c and closed: Stop may race Close
	c         *C.mc_poller
	closed    bool
	isDefault bool

	running int32 // Poll, Loop or a pull Next in progress (atomic)
	looping int32 // Loop or a pull Next in progress: a callback panic stops it (atomic)

	objMu sync.Mutex
	objs  map[releaser]struct{}

	panicMu  sync.Mutex
	panicked bool
	panicVal any
}

// releaser is a listener or multicaster: release forgets its C object
// (closed by the library) and deletes its cgo.Handle.
type releaser interface{ release() }

var defaultPoller = &Poller{isDefault: true}

// NewPoller creates a poller. Close it when done: that also closes its
// listeners and multicasters.
func NewPoller() (*Poller, error) {
	var c *C.mc_poller
	if _, err := call(func() C.int { return C.mc_poller_new(&c) }); err != nil {
		return nil, err
	}
	return &Poller{c: c}, nil
}

// resolve maps nil to the default poller.
func (p *Poller) resolve() *Poller {
	if p == nil {
		return defaultPoller
	}
	return p
}

// ptr is the C poller (NULL for the default one), or ErrClosed.
func (p *Poller) ptr(what string) (*C.mc_poller, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, closedError(what + ": poller")
	}
	return p.c, nil
}

// Close frees the poller, closing its listeners and multicasters; their Go
// values then report ErrClosed. Closing the default (nil) poller, or a
// closed one, does nothing. ErrBusy while the poller is polling (for
// example from one of its own callbacks).
func (p *Poller) Close() error {
	if p == nil || p.isDefault {
		return nil
	}
	if atomic.LoadInt32(&p.running) > 0 {
		return goError(C.MC_EBUSY, "Poller.Close: the poller is polling (called from its own callback?)")
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	C.mc_poller_free(p.c)
	p.c = nil
	p.closed = true
	p.mu.Unlock()

	p.objMu.Lock()
	objs := p.objs
	p.objs = nil
	p.objMu.Unlock()
	for o := range objs {
		o.release()
	}
	return nil
}

// Fd returns the poller's epoll fd (readable when Poll would dispatch), to
// nest the poller in another event loop. The poller owns it.
func (p *Poller) Fd() (int, error) {
	p = p.resolve()
	c, err := p.ptr("Poller.Fd")
	if err != nil {
		return -1, err
	}
	return call(func() C.int { return C.mc_poller_fd(c) })
}

// Poll waits up to timeout (0: don't wait; negative, e.g. Forever: no
// limit) for events and dispatches them; it returns the number of ready
// registrations dispatched (a listener that read ten packets counts once).
// Stop makes it return at once.
func (p *Poller) Poll(timeout time.Duration) (int, error) {
	p = p.resolve()
	c, err := p.ptr("Poller.Poll")
	if err != nil {
		return 0, err
	}
	defer p.rethrow()
	defer p.enter(false)()
	return call(func() C.int { return C.mc_poll(c, cTimeout(timeout)) })
}

// Loop polls repeatedly (each poll waits up to timeout; negative: until an
// event), sleeping interval between polls, until Stop is called or nothing
// is registered on the poller any more.
func (p *Poller) Loop(timeout, interval time.Duration) error {
	p = p.resolve()
	c, err := p.ptr("Poller.Loop")
	if err != nil {
		return err
	}
	if interval < 0 {
		interval = 0
	}
	defer p.rethrow()
	defer p.enter(true)()
	_, err = call(func() C.int { return C.mc_loop(c, cTimeout(timeout), cTimeout(interval)) })
	return err
}

// Stop wakes a blocked Poll, Loop or pull-mode Next of this poller, which
// returns promptly; a Stop made while nothing polls ends the next one at
// once. Safe from any goroutine.
func (p *Poller) Stop() {
	p = p.resolve()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		C.mc_stop(p.c)
	}
}

// enter marks the poller as running (and, for loop, as ended by a callback
// panic); the returned func undoes it.
func (p *Poller) enter(loop bool) func() {
	atomic.AddInt32(&p.running, 1)
	if loop {
		atomic.AddInt32(&p.looping, 1)
	}
	return func() {
		if loop {
			atomic.AddInt32(&p.looping, -1)
		}
		atomic.AddInt32(&p.running, -1)
	}
}

// capture keeps the first panic of a callback (recovered at the C
// boundary) for rethrow, and ends a running Loop or Next.
func (p *Poller) capture(v any) {
	p.panicMu.Lock()
	if !p.panicked {
		p.panicked, p.panicVal = true, v
	}
	p.panicMu.Unlock()
	if atomic.LoadInt32(&p.looping) > 0 {
		C.mc_stop(p.c) // on the polling goroutine, so p.c is alive
	}
}

// rethrow re-raises a panic captured during the C call that just returned.
func (p *Poller) rethrow() {
	p.panicMu.Lock()
	v, ok := p.panicVal, p.panicked
	p.panicked, p.panicVal = false, nil
	p.panicMu.Unlock()
	if ok {
		panic(v)
	}
}

func (p *Poller) track(o releaser) {
	p.objMu.Lock()
	if p.objs == nil {
		p.objs = make(map[releaser]struct{})
	}
	p.objs[o] = struct{}{}
	p.objMu.Unlock()
}

func (p *Poller) forget(o releaser) {
	p.objMu.Lock()
	delete(p.objs, o)
	p.objMu.Unlock()
}
