package multicast

/*
#include <stdint.h>
#include <multicast.h>

// The Go callback (callbacks.go); user_data carries a cgo.Handle.
extern void mcgoOnTimer(uintptr_t h);

static void mcgo_timer_fn(void *ud, mc_timer *t) {
	(void)t;
	mcgoOnTimer((uintptr_t)ud);
}
static int mcgo_timer_new(mc_poller *poller, uint32_t delay, uint32_t interval, uintptr_t h,
                          mc_timer **out) {
	return mc_timer_new(poller, delay, interval, mcgo_timer_fn, (void *)h, out);
}
*/
import "C"

import (
	"math"
	"runtime/cgo"
	"time"
)

// Timer runs a function from its poller's dispatch (mc_timer): once after a
// delay, then every interval (0: once only; the timer then stays open,
// disarmed, until Reset or Close). It uses the monotonic clock and never
// runs early; periods missed while the poller was not polled run the
// function once. An armed timer keeps Loop running; a stopped or fired
// one-shot timer does not. Like a listener, a Timer is used from the
// goroutine polling its poller.
type Timer struct {
	poller *Poller
	c      *C.mc_timer
	h      cgo.Handle
	fn     func()
	closed bool
}

// timerMs converts a delay or interval to the C API's milliseconds, rounding
// up (a positive duration below a millisecond is 1 ms, never "now"); negative
// durations and more than 2147483647 ms are ErrInvalid.
func timerMs(what string, d time.Duration) (C.uint32_t, error) {
	if d < 0 {
		return 0, goError(C.MC_EINVAL, "%s %v: must not be negative", what, d)
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	if ms > math.MaxInt32 {
		return 0, goError(C.MC_EINVAL, "%s %v: more than 2147483647 ms", what, d)
	}
	return C.uint32_t(ms), nil
}

// NewTimer arms a timer on p (nil: the default poller): fn runs delay from
// now (0: at the next poll), then every interval (0: once). Durations are
// rounded up to whole milliseconds; negative ones, or more than 2147483647
// ms, are ErrInvalid. fn may Stop, Reset or Close its own timer, and do
// anything else a callback may.
func (p *Poller) NewTimer(delay, interval time.Duration, fn func()) (*Timer, error) {
	if fn == nil {
		return nil, goError(C.MC_EINVAL, "NewTimer: fn: nil")
	}
	d, err := timerMs("NewTimer: delay", delay)
	if err != nil {
		return nil, err
	}
	i, err := timerMs("NewTimer: interval", interval)
	if err != nil {
		return nil, err
	}
	p = p.resolve()
	cp, err := p.ptr("NewTimer")
	if err != nil {
		return nil, err
	}
	t := &Timer{poller: p, fn: fn}
	t.h = cgo.NewHandle(t)
	var out *C.mc_timer
	if _, err := call(func() C.int { return C.mcgo_timer_new(cp, d, i, C.uintptr_t(t.h), &out) }); err != nil {
		t.h.Delete()
		return nil, err
	}
	t.c = out
	p.track(t)
	return t, nil
}

// release forgets the C timer (closed by Close or by the poller's Close)
// and deletes the handle. Idempotent.
func (t *Timer) release() {
	if t.closed {
		return
	}
	t.closed = true
	t.c = nil
	t.h.Delete()
	t.poller.forget(t)
}

func (t *Timer) ptr(what string) (*C.mc_timer, error) {
	if t.closed {
		return nil, closedError(what + ": timer")
	}
	return t.c, nil
}

// Reset re-arms the timer from now with a new delay and interval (as
// NewTimer takes them), also when it is stopped or has fired once, and from
// inside its own function.
func (t *Timer) Reset(delay, interval time.Duration) error {
	c, err := t.ptr("Timer.Reset")
	if err != nil {
		return err
	}
	d, err := timerMs("Timer.Reset: delay", delay)
	if err != nil {
		return err
	}
	i, err := timerMs("Timer.Reset: interval", interval)
	if err != nil {
		return err
	}
	_, err = call(func() C.int { return C.mc_timer_set(c, d, i) })
	return err
}

// Stop disarms the timer: its function does not run until Reset. The timer
// stays open.
func (t *Timer) Stop() error {
	c, err := t.ptr("Timer.Stop")
	if err != nil {
		return err
	}
	_, err = call(func() C.int { return C.mc_timer_stop(c) })
	return err
}

// Close closes and frees the timer: its function never runs again. Safe
// inside any callback, its own function's too; closing twice does nothing.
func (t *Timer) Close() error {
	if t.closed {
		return nil
	}
	C.mc_timer_close(t.c)
	t.release()
	return nil
}

// Closed reports whether the timer is closed (by Close or by its poller's
// Close); a stopped timer is not closed.
func (t *Timer) Closed() bool { return t.closed }
