package multicast

// Timers, blocked sources, send-from and FormatAddr (the 0.3 additions).
// Like every test here, these run only inside a private network namespace.

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loopFor runs p.Loop until it returns by itself, stopping it after limit
// (a watchdog, so that a timer that never disarms fails the test instead of
// hanging it); it reports whether the loop ended by itself.
func loopFor(t *testing.T, p *Poller, limit time.Duration) bool {
	t.Helper()
	done := make(chan struct{})
	stopped := make(chan bool, 1)
	go func() {
		select {
		case <-done:
			stopped <- false
		case <-time.After(limit):
			p.Stop()
			stopped <- true
		}
	}()
	err := p.Loop(Forever, 0)
	close(done)
	if err != nil {
		t.Fatalf("Loop: %v", err)
	}
	return !<-stopped
}

func TestTimerFiresStopsAndResets(t *testing.T) {
	p := newPoller(t)
	ticks := 0
	var tm *Timer
	start := time.Now() // before the timer: its expiries are due from its creation
	tm, err := p.NewTimer(0, 10*time.Millisecond, func() {
		ticks++
		if ticks == 3 {
			if err := tm.Stop(); err != nil {
				panic(err)
			}
		}
	})
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	if !loopFor(t, p, 5*time.Second) {
		t.Fatalf("Loop did not end after Stop (ticks %d)", ticks)
	}
	took := time.Since(start)
	if ticks != 3 {
		t.Fatalf("ticks = %d, want 3", ticks)
	}
	if took < 20*time.Millisecond { // 0, 10, 20 ms: never early
		t.Fatalf("three ticks 10 ms apart took %v", took)
	}
	if tm.Closed() {
		t.Fatalf("a stopped timer is closed")
	}

	// Reset a stopped timer as a one-shot: it fires once, then Loop ends.
	if err := tm.Reset(5*time.Millisecond, 0); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if !loopFor(t, p, 5*time.Second) || ticks != 4 {
		t.Fatalf("after Reset(5ms, 0): ticks = %d, want 4", ticks)
	}

	// Reset inside its own function: a one-shot that re-arms itself twice.
	again := 0
	var self *Timer
	self, err = p.NewTimer(time.Millisecond, 0, func() {
		again++
		if again < 3 {
			if err := self.Reset(time.Millisecond, 0); err != nil {
				panic(err)
			}
		}
	})
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	if !loopFor(t, p, 5*time.Second) || again != 3 {
		t.Fatalf("self-resetting timer ran %d times, want 3", again)
	}

	// Stop before it is due: it never runs.
	never, err := p.NewTimer(20*time.Millisecond, 0, func() { t.Errorf("a stopped timer ran") })
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	if err := never.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := p.Poll(60 * time.Millisecond); err != nil {
		t.Fatalf("Poll: %v", err)
	}
	for _, x := range []*Timer{tm, self, never} {
		if err := x.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestTimerClosesItselfInItsCallback(t *testing.T) {
	p := newPoller(t)
	runs := 0
	var tm *Timer
	tm, err := p.NewTimer(time.Millisecond, time.Millisecond, func() {
		runs++
		if err := tm.Close(); err != nil {
			panic(err)
		}
		if err := tm.Close(); err != nil { // twice: nothing
			panic(err)
		}
	})
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	if !loopFor(t, p, 5*time.Second) {
		t.Fatalf("Loop did not end after the timer closed itself")
	}
	if runs != 1 || !tm.Closed() {
		t.Fatalf("runs = %d, Closed = %v; want 1, true", runs, tm.Closed())
	}
	wantErr(t, tm.Stop(), ErrClosed, "Timer.Stop")
	wantErr(t, tm.Reset(time.Millisecond, 0), ErrClosed, "Timer.Reset")
}

func TestTimerClosedWithItsPoller(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatalf("NewPoller: %v", err)
	}
	tm, err := p.NewTimer(time.Hour, 0, func() {})
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !tm.Closed() {
		t.Fatalf("the timer is open after its poller's Close")
	}
	wantErr(t, tm.Stop(), ErrClosed, "Timer.Stop")
	if err := tm.Close(); err != nil {
		t.Fatalf("Close after the poller's: %v", err)
	}
	_, err = p.NewTimer(0, 0, func() {})
	wantErr(t, err, ErrClosed, "NewTimer")
}

func TestTimerOnTheDefaultPoller(t *testing.T) {
	var p *Poller
	ran := false
	tm, err := p.NewTimer(0, 0, func() { ran = true })
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	defer tm.Close()
	pollUntil(t, p, 2*time.Second, "the default poller's timer", func() bool { return ran })
}

func TestTimerPanicIsRethrown(t *testing.T) {
	p := newPoller(t)
	tm, err := p.NewTimer(0, 0, func() { panic("timer boom") })
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	defer tm.Close()
	got := func() (r any) {
		defer func() { r = recover() }()
		for i := 0; i < 20; i++ {
			if _, err := p.Poll(50 * time.Millisecond); err != nil {
				t.Errorf("Poll: %v", err)
			}
		}
		return nil
	}()
	if got != "timer boom" {
		t.Fatalf("recovered %v, want the timer's panic", got)
	}
}

func TestTimerDurations(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want uint32
	}{
		{0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2},
		{1500 * time.Microsecond, 2}, {time.Second, 1000},
		{math.MaxInt32 * time.Millisecond, math.MaxInt32},
	} {
		got, err := timerMs("d", c.d)
		if err != nil || uint32(got) != c.want {
			t.Errorf("timerMs(%v) = %d, %v; want %d", c.d, got, err, c.want)
		}
	}
	p := newPoller(t)
	_, err := p.NewTimer(-time.Millisecond, 0, func() {})
	wantErr(t, err, ErrInvalid, "negative")
	_, err = p.NewTimer(0, math.MaxInt32*time.Millisecond+1, func() {})
	wantErr(t, err, ErrInvalid, "2147483647")
	_, err = p.NewTimer(0, 0, nil)
	wantErr(t, err, ErrInvalid, "nil")
	tm, err := p.NewTimer(time.Hour, 0, func() {})
	if err != nil {
		t.Fatalf("NewTimer: %v", err)
	}
	defer tm.Close()
	wantErr(t, tm.Reset(-1, 0), ErrInvalid, "negative")
	wantErr(t, tm.Reset(0, 1<<62), ErrInvalid, "2147483647")
}

func TestBlockSourceWithSendFrom(t *testing.T) {
	const group, port = "224.0.42.42", 41020
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer l.Close()
	from2 := Options{Group: group, Port: port, TTL: Int(TTLHost), SendFrom: "127.0.0.2", SendFromPort: 42998}
	from1 := Options{Group: group, Port: port, TTL: Int(TTLHost), SendFrom: "127.0.0.1"}
	send := func(o Options, data string) {
		t.Helper()
		if _, err := SendOpts(o, []byte(data)); err != nil {
			t.Fatalf("SendOpts(%q from %s): %v", data, o.SendFrom, err)
		}
	}

	// Send-from alone: the listener sees the chosen address and port.
	send(from2, "before")
	if pkt := next(t, l); string(pkt.Data) != "before" ||
		pkt.From != netip.MustParseAddrPort("127.0.0.2:42998") {
		t.Fatalf("got %q from %v, want \"before\" from 127.0.0.2:42998", pkt.Data, pkt.From)
	}

	// Blocked: 127.0.0.2 is silenced, 127.0.0.1 still heard.
	if err := l.BlockSource(group, "127.0.0.2"); err != nil {
		t.Fatalf("BlockSource: %v", err)
	}
	wantErr(t, l.BlockSource(group, "127.0.0.2"), ErrExist, "127.0.0.2")
	send(from2, "blocked")
	send(from1, "open")
	if pkt := next(t, l); string(pkt.Data) != "open" || pkt.From.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("got %q from %v, want \"open\" from 127.0.0.1", pkt.Data, pkt.From)
	}
	expectNone(t, l)

	// Unblocked: heard again.
	if err := l.UnblockSource(group, "127.0.0.2"); err != nil {
		t.Fatalf("UnblockSource: %v", err)
	}
	wantErr(t, l.UnblockSource(group, "127.0.0.2"), ErrNotFound, "")
	send(from2, "again")
	if pkt := next(t, l); string(pkt.Data) != "again" || pkt.From.Addr() != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("got %q from %v, want \"again\" from 127.0.0.2", pkt.Data, pkt.From)
	}

	// Errors: a group it does not hold, a source that is no unicast address, closed.
	wantErr(t, l.BlockSource("224.0.42.99", "127.0.0.2"), ErrNotFound, "")
	wantErr(t, l.BlockSource(group, "224.1.1.1"), ErrAddress, "")
	wantErr(t, l.BlockSource(group, "127.0.0.2\x00x"), ErrAddress, "NUL")
	l.Close()
	wantErr(t, l.BlockSource(group, "127.0.0.2"), ErrClosed, "Listener.BlockSource")
	wantErr(t, l.UnblockSource(group, "127.0.0.2"), ErrClosed, "Listener.UnblockSource")
}

func TestSendFromErrors(t *testing.T) {
	_, err := SendOpts(Options{Port: 41021, TTL: Int(TTLHost), SendFrom: "224.0.0.1"}, []byte("x"))
	wantErr(t, err, ErrAddress, "224.0.0.1")
	_, err = SendOpts(Options{Port: 41021, TTL: Int(TTLHost), SendFrom: "192.0.2.77"}, []byte("x"))
	if !errors.Is(err, syscall.EADDRNOTAVAIL) || !strings.Contains(err.Error(), "192.0.2.77") {
		t.Fatalf("send-from an address the host does not have: %v", err)
	}
	// A port alone: any address, that source port.
	const port = 41022
	p := newPoller(t)
	l, err := Listen(p, Options{Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer l.Close()
	if _, err := SendOpts(Options{Port: port, TTL: Int(TTLHost), SendFromPort: 42997}, []byte("p")); err != nil {
		t.Fatalf("SendOpts: %v", err)
	}
	if pkt := next(t, l); pkt.From.Port() != 42997 {
		t.Fatalf("from %v, want port 42997", pkt.From)
	}
}

func TestFormatAddr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.1:5000", "192.0.2.1:5000"},
		{"[ff05::1]:5000", "[ff05::1]:5000"},
		{"[fe80::1%1]:5000", "[fe80::1%lo]:5000"},  // lo is index 1 in a network namespace
		{"[fe80::1%lo]:5000", "[fe80::1%lo]:5000"}, // a zone by name
		{"[fe80::1%999]:7", "[fe80::1%999]:7"},     // no such interface: the index
	} {
		got, err := FormatAddr(netip.MustParseAddrPort(c.in))
		if err != nil || got != c.want {
			t.Errorf("FormatAddr(%s) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	_, err := FormatAddr(netip.AddrPort{})
	wantErr(t, err, ErrInvalid, "not an address")
	_, err = FormatAddr(netip.MustParseAddrPort("[fe80::1%nosuch0]:1"))
	wantErr(t, err, ErrAddress, "nosuch0")

	// A received packet's From, as the library writes it.
	const port = 41023
	p := newPoller(t)
	l, err := Listen(p, Options{Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer l.Close()
	if _, err := SendOpts(Options{Port: port, TTL: Int(TTLHost), SendFrom: "127.0.0.2", SendFromPort: 42996}, []byte("f")); err != nil {
		t.Fatalf("SendOpts: %v", err)
	}
	pkt := next(t, l)
	if s, err := FormatAddr(pkt.From); err != nil || s != "127.0.0.2:42996" || s != pkt.From.String() {
		t.Fatalf("FormatAddr(%v) = %q, %v", pkt.From, s, err)
	}
}
