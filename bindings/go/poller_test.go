package multicast

// Pollers: reentrancy, Close, Stop from another goroutine, the default poller
// and a panic in a callback.
// Like every test here, these run only inside a private network namespace.

import (
	"os"
	"testing"
	"time"
)

func TestReentrancy(t *testing.T) {
	const group, port = "239.10.0.9", 41009
	p := newPoller(t)
	var pollErr, closeErr error
	calls := 0
	var l *Listener
	l, err := Listen(p, Options{Group: group, Port: port}, func(Packet) bool {
		calls++
		_, pollErr = p.Poll(0) // not from inside its own callback
		closeErr = p.Close()   // nor Close
		l.Close()              // closing itself is fine
		return false
	})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	mustSend(t, "a", group, port)
	mustSend(t, "b", group, port)
	pollUntil(t, p, 2*time.Second, "the handler", func() bool { return calls > 0 })
	p.Poll(100 * time.Millisecond)
	wantErr(t, pollErr, ErrBusy, "")
	wantErr(t, closeErr, ErrBusy, "Close")
	if calls != 1 || !l.Closed() {
		t.Fatalf("handler ran %d times, closed %v", calls, l.Closed())
	}
	_, err = l.Stats()
	wantErr(t, err, ErrClosed, "closed")
}

func TestPollerClose(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(p, Options{Group: "239.10.0.10", Port: 41010}, func(Packet) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMulticaster(p, Options{Group: "239.10.0.10", Port: 41010}, func() ([]byte, NextAnswer) { return nil, NextWait })
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !l.Closed() || !m.Closed() {
		t.Fatalf("after Poller.Close: listener closed %v, multicaster closed %v", l.Closed(), m.Closed())
	}
	wantErr(t, m.Resume(), ErrClosed, "closed")
	_, err = p.Poll(0)
	wantErr(t, err, ErrClosed, "closed")
	_, err = Listen(p, Options{}, nil)
	wantErr(t, err, ErrClosed, "closed")
	p.Stop() // harmless
	if err := p.Close(); err != nil || l.Close() != nil || m.Close() != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestStopFromAnotherGoroutine(t *testing.T) {
	p := newPoller(t)
	// Something registered, so that Loop does not end on its own.
	if _, err := Listen(p, Options{Group: "239.10.0.11", Port: 41011}, func(Packet) bool { return false }); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(10*time.Second, func() { os.Exit(3) })
	defer watchdog.Stop()
	go func() {
		time.Sleep(200 * time.Millisecond)
		p.Stop()
	}()
	start := time.Now()
	if err := p.Loop(Forever, 0); err != nil {
		t.Fatalf("Loop: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Loop returned after %v, want about 200ms", d)
	}
	// A Stop made while nothing polls ends the next Loop at once.
	p.Stop()
	start = time.Now()
	if err := p.Loop(Forever, 0); err != nil {
		t.Fatalf("Loop: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a pending Stop did not end Loop (%v)", d)
	}
}

func TestDefaultPoller(t *testing.T) {
	const group, port = "239.10.0.12", 41012
	var p *Poller // nil: the default poller
	got := ""
	l, err := Listen(nil, Options{Group: group, Port: port}, func(pk Packet) bool {
		got = string(pk.Data)
		return true
	})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	mustSend(t, "via default", group, port)
	pollUntil(t, p, 2*time.Second, "a packet on the default poller", l.Closed)
	if got != "via default" {
		t.Fatalf("got %q", got)
	}
	if fd, err := p.Fd(); err != nil || fd < 0 {
		t.Fatalf("Fd = %d, %v", fd, err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close of the default poller: %v", err)
	}
	// Still usable: pull mode on the default poller, ended by Stop.
	pl, err := Listen(nil, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer pl.Close()
	mustSend(t, "pulled", group, port)
	if pk := next(t, pl); string(pk.Data) != "pulled" {
		t.Fatalf("got %q", pk.Data)
	}
	go func() { time.Sleep(100 * time.Millisecond); p.Stop() }()
	if _, ok, err := pl.Next(10 * time.Second); ok || err != nil {
		t.Fatalf("Next after Stop = %v, %v", ok, err)
	}
}

func TestPanicInCallback(t *testing.T) {
	const group, port = "239.10.0.13", 41013
	p := newPoller(t)
	calls := 0
	l, err := Listen(p, Options{Group: group, Port: port}, func(Packet) bool {
		calls++
		if calls == 1 {
			panic("boom")
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, "1", group, port)
	watchdog := time.AfterFunc(10*time.Second, func() { os.Exit(3) })
	defer watchdog.Stop()
	recovered := func() (r any) {
		defer func() { r = recover() }()
		p.Loop(Forever, 0) // the panic ends the loop and is re-raised here
		return nil
	}()
	if recovered != "boom" {
		t.Fatalf("recovered %v, want boom", recovered)
	}
	// The listener survived and the poller still works.
	mustSend(t, "2", group, port)
	pollUntil(t, p, 2*time.Second, "the second packet", func() bool { return calls == 2 })
	if l.Closed() {
		t.Fatal("listener closed by a panic")
	}
}
