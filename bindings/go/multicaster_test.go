package multicast

// Multicasters: packets in order until NextDone, NextWait and Resume.
// Like every test here, these run only inside a private network namespace.

import (
	"fmt"
	"testing"
	"time"
)

func TestMulticasterInOrder(t *testing.T) {
	const group, port, total = "239.10.0.3", 41003, 200
	p := newPoller(t)
	var got []string
	l, err := Listen(p, Options{Group: group, Port: port}, func(pk Packet) bool {
		got = append(got, string(pk.Data))
		return len(got) == total
	})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	i := 0
	buf := make([]byte, 0, 64)
	m, err := NewMulticaster(p, Options{Group: group, Port: port}, func() ([]byte, NextAnswer) {
		if i == total {
			return nil, NextDone
		}
		buf = append(buf[:0], fmt.Sprintf("seq %04d", i)...) // reused: the binding copies it
		i++
		return buf, NextPacket
	})
	if err != nil {
		t.Fatalf("NewMulticaster: %v", err)
	}
	watchdog := time.AfterFunc(10*time.Second, p.Stop)
	defer watchdog.Stop()
	// Loop ends when nothing is registered: the multicaster closed itself
	// (NextDone) and the listener closed on its last packet.
	if err := p.Loop(Forever, 0); err != nil {
		t.Fatalf("Loop: %v", err)
	}
	if len(got) != total {
		t.Fatalf("received %d packets, want %d", len(got), total)
	}
	for k, s := range got {
		if want := fmt.Sprintf("seq %04d", k); s != want {
			t.Fatalf("packet %d = %q, want %q (out of order)", k, s, want)
		}
	}
	if !m.Closed() || !l.Closed() {
		t.Fatalf("closed: multicaster %v, listener %v", m.Closed(), l.Closed())
	}
	_, err = m.Send([]byte("x"))
	wantErr(t, err, ErrClosed, "closed")
}

func TestMulticasterWaitResume(t *testing.T) {
	const group, port = "239.10.0.4", 41004
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	i, waited := 0, false
	m, err := NewMulticaster(p, Options{Group: group, Port: port}, func() ([]byte, NextAnswer) {
		switch {
		case i == 3 && !waited:
			waited = true
			return nil, NextWait
		case i == 6:
			return nil, NextDone
		}
		i++
		return []byte(fmt.Sprint("m", i)), NextPacket
	})
	if err != nil {
		t.Fatalf("NewMulticaster: %v", err)
	}
	for _, want := range []string{"m1", "m2", "m3"} {
		if pk := next(t, l); string(pk.Data) != want {
			t.Fatalf("got %q, want %q", pk.Data, want)
		}
	}
	expectNone(t, l) // waiting: not asked again
	if !waited || m.Closed() {
		t.Fatalf("waited %v, closed %v", waited, m.Closed())
	}
	if n, err := m.Send([]byte("direct")); err != nil || n != 6 {
		t.Fatalf("Multicaster.Send = %d, %v", n, err)
	}
	if pk := next(t, l); string(pk.Data) != "direct" {
		t.Fatalf("got %q, want direct", pk.Data)
	}
	if err := m.Resume(); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	for _, want := range []string{"m4", "m5", "m6"} {
		if pk := next(t, l); string(pk.Data) != want {
			t.Fatalf("got %q, want %q", pk.Data, want)
		}
	}
	pollUntil(t, p, 2*time.Second, "the multicaster to finish", m.Closed)
}
