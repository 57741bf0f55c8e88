package multicast

// These tests send and receive real multicast through libmulticast. Run
// them only inside a private network namespace: `cargo test --test go`
// (tests/go.rs) or `tests/netns-run go test ./...` from the repository.

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getenv("MC_NETNS") != "1" {
		fmt.Fprintln(os.Stderr, "refusing to send multicast outside a private network namespace:"+
			" run `cargo test --test go` or `tests/netns-run go test ./...`")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := NewPoller()
	if err != nil {
		t.Fatalf("NewPoller: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Poller.Close: %v", err)
		}
	})
	return p
}

// pollUntil polls p until cond holds, failing after timeout.
func pollUntil(t *testing.T, p *Poller, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		if _, err := p.Poll(50 * time.Millisecond); err != nil {
			t.Fatalf("Poll: %v", err)
		}
	}
}

func mustSend(t *testing.T, data, group string, port uint16) {
	t.Helper()
	n, err := Send([]byte(data), group, port, -1)
	if err != nil {
		t.Fatalf("Send(%q): %v", data, err)
	}
	if n != len(data) {
		t.Fatalf("Send(%q) = %d bytes, want %d", data, n, len(data))
	}
}

// next pulls one packet, failing if none arrives within a second.
func next(t *testing.T, l *Listener) Packet {
	t.Helper()
	p, ok, err := l.Next(time.Second)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if !ok {
		t.Fatalf("Next: no packet within 1s")
	}
	return p
}

func expectNone(t *testing.T, l *Listener) {
	t.Helper()
	p, ok, err := l.Next(100 * time.Millisecond)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if ok {
		t.Fatalf("Next: unexpected packet %q", p.Data)
	}
}

func wantErr(t *testing.T, err error, sentinel *Error, mentions string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q (%#v) is not %v", err, err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q is not an *Error", err)
	}
	if e.Code != sentinel.Code {
		t.Fatalf("Code = %d, want %d", e.Code, sentinel.Code)
	}
	if !strings.Contains(err.Error(), mentions) {
		t.Fatalf("error %q does not mention %q", err, mentions)
	}
	return e
}

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("Version() = %q", v)
	}
	if s := Strerror(ErrAddress.Code); s == "" || s == Strerror(ErrInvalid.Code) {
		t.Fatalf("Strerror(MC_EADDRESS) = %q", s)
	}
}

func TestSendListen(t *testing.T) {
	const group, port = "239.10.0.1", 41001
	p := newPoller(t)
	var got []Packet
	l, err := Listen(p, Options{Group: group, Port: port}, func(pk Packet) bool {
		got = append(got, pk)
		return len(got) == 5 // true closes the listener
	})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	// A second listener of the same group gets every packet too.
	count := 0
	l2, err := Listen(p, Options{Group: group, Port: port}, func(Packet) bool { count++; return false })
	if err != nil {
		t.Fatalf("Listen (second): %v", err)
	}
	for i := 0; i < 5; i++ {
		mustSend(t, fmt.Sprintf("hello %d", i), group, port)
	}
	pollUntil(t, p, 5*time.Second, "5 packets", func() bool { return l.Closed() && count == 5 })

	wantGroup := netip.AddrPortFrom(netip.MustParseAddr(group), port)
	for i, pk := range got {
		if want := fmt.Sprintf("hello %d", i); string(pk.Data) != want {
			t.Errorf("packet %d = %q, want %q", i, pk.Data, want)
		}
		if pk.Size != len(pk.Data) || pk.Truncated() {
			t.Errorf("packet %d: Size %d, len %d", i, pk.Size, len(pk.Data))
		}
		if pk.From.Addr() != netip.MustParseAddr("127.0.0.1") || pk.From.Port() == 0 {
			t.Errorf("packet %d from %v, want 127.0.0.1:<port>", i, pk.From)
		}
		if pk.Group != wantGroup {
			t.Errorf("packet %d group %v, want %v", i, pk.Group, wantGroup)
		}
		if pk.Ifindex <= 0 {
			t.Errorf("packet %d: Ifindex %d", i, pk.Ifindex)
		}
	}
	// The data was copied: it survives the callback.
	if len(got) != 5 || string(got[0].Data) != "hello 0" {
		t.Fatalf("got %d packets", len(got))
	}
	// The handler's true closed the first listener.
	_, err = l.Stats()
	wantErr(t, err, ErrClosed, "closed")
	if err := l.Close(); err != nil {
		t.Fatalf("Close of a closed listener: %v", err)
	}

	st, err := l2.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Received != 5 || st.Delivered != 5 || st.Filtered != 0 || st.Truncated != 0 {
		t.Fatalf("Stats = %+v", st)
	}
	if fd, err := l2.Fd(); err != nil || fd < 0 {
		t.Fatalf("Fd = %d, %v", fd, err)
	}
	if rb, err := l2.RecvBuffer(); err != nil || rb <= 0 {
		t.Fatalf("RecvBuffer = %d, %v", rb, err)
	}
	if fd, err := p.Fd(); err != nil || fd < 0 {
		t.Fatalf("Poller.Fd = %d, %v", fd, err)
	}
}

func TestSendManyAndSendOpts(t *testing.T) {
	const group, port = "239.10.0.2", 41002
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	n, err := SendMany([][]byte{[]byte("one"), {}, []byte("three")}, group, port, TTLSubnet)
	if err != nil || n != 3 {
		t.Fatalf("SendMany = %d, %v", n, err)
	}
	n, err = SendOpts(Options{Group: group, Port: port, TTL: Int(1), Loopback: Bool(true)}, []byte("opts"))
	if err != nil || n != 4 {
		t.Fatalf("SendOpts = %d, %v", n, err)
	}
	for _, want := range []string{"one", "", "three", "opts"} {
		if pk := next(t, l); string(pk.Data) != want || pk.Size != len(want) {
			t.Fatalf("got %q (size %d), want %q", pk.Data, pk.Size, want)
		}
	}
	expectNone(t, l)
}

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

func TestPullNext(t *testing.T) {
	const group, port = "239.10.0.5", 41005
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	start := time.Now()
	if _, ok, err := l.Next(150 * time.Millisecond); ok || err != nil {
		t.Fatalf("Next on silence = %v, %v", ok, err)
	}
	if d := time.Since(start); d < 120*time.Millisecond || d > 3*time.Second {
		t.Fatalf("Next(150ms) returned after %v", d)
	}
	if _, ok, err := l.Next(0); ok || err != nil {
		t.Fatalf("Next(0) = %v, %v", ok, err)
	}
	for i := 0; i < 3; i++ {
		mustSend(t, fmt.Sprint("pull ", i), group, port)
	}
	for i := 0; i < 3; i++ {
		pk := next(t, l)
		if want := fmt.Sprint("pull ", i); string(pk.Data) != want {
			t.Fatalf("got %q, want %q", pk.Data, want)
		}
		if pk.From.Addr() != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("from %v", pk.From)
		}
	}
	// Stop from another goroutine ends a waiting Next early.
	go func() { time.Sleep(100 * time.Millisecond); p.Stop() }()
	start = time.Now()
	if _, ok, err := l.Next(10 * time.Second); ok || err != nil {
		t.Fatalf("Next after Stop = %v, %v", ok, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Stop did not end Next (%v)", d)
	}
	// Next is for pull mode only.
	h, err := Listen(p, Options{Group: group, Port: port}, func(Packet) bool { return false })
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	_, _, err = h.Next(0)
	wantErr(t, err, ErrInvalid, "callback")
}

func TestFilters(t *testing.T) {
	const group, port = "239.10.0.6", 41006
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	if err := l.SetFilterRegex("keep"); err != nil {
		t.Fatalf("SetFilterRegex: %v", err)
	}
	for _, s := range []string{"drop 1", "keep 2", "xkeep 3", "keep 4"} {
		mustSend(t, s, group, port)
	}
	for _, want := range []string{"keep 2", "keep 4"} { // matched at the start only
		if pk := next(t, l); string(pk.Data) != want {
			t.Fatalf("got %q, want %q", pk.Data, want)
		}
	}
	expectNone(t, l)
	st, err := l.Stats()
	if err != nil || st.Received != 4 || st.Delivered != 2 || st.Filtered != 2 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}

	// ${port} stands for the listener's port.
	if err := l.SetFilterRegex(`to \$?${port}\b`); err != nil {
		t.Fatalf("SetFilterRegex: %v", err)
	}
	mustSend(t, "to 1 no", group, port)
	mustSend(t, fmt.Sprintf("to %d yes", port), group, port)
	if pk := next(t, l); string(pk.Data) != fmt.Sprintf("to %d yes", port) {
		t.Fatalf("got %q", pk.Data)
	}

	// A bad pattern is ErrRegex naming it; the old filter stays.
	err = l.SetFilterRegex("(unclosed")
	wantErr(t, err, ErrRegex, "(unclosed")
	mustSend(t, "to 1 still no", group, port)
	mustSend(t, fmt.Sprintf("to %d still yes", port), group, port)
	if pk := next(t, l); !strings.HasSuffix(string(pk.Data), "still yes") {
		t.Fatalf("got %q", pk.Data)
	}

	// A Go filter replaces the regex.
	var seen []string
	if err := l.SetFilter(func(pk Packet) bool {
		seen = append(seen, string(pk.Data))
		return bytes.HasSuffix(pk.Data, []byte("!"))
	}); err != nil {
		t.Fatalf("SetFilter: %v", err)
	}
	mustSend(t, "plain", group, port)
	mustSend(t, "bang!", group, port)
	if pk := next(t, l); string(pk.Data) != "bang!" {
		t.Fatalf("got %q", pk.Data)
	}
	if len(seen) != 2 || seen[0] != "plain" {
		t.Fatalf("filter saw %q", seen)
	}
	// nil removes it.
	if err := l.SetFilter(nil); err != nil {
		t.Fatalf("SetFilter(nil): %v", err)
	}
	mustSend(t, "anything", group, port)
	if pk := next(t, l); string(pk.Data) != "anything" {
		t.Fatalf("got %q", pk.Data)
	}
}

func TestTruncated(t *testing.T) {
	const group, port = "239.10.0.7", 41007
	p := newPoller(t)
	l, err := Listen(p, Options{Group: group, Port: port, MTU: 8}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	mustSend(t, "0123456789abcdefghij", group, port)
	pk := next(t, l)
	if string(pk.Data) != "01234567" || pk.Size != 20 || !pk.Truncated() {
		t.Fatalf("got %q size %d", pk.Data, pk.Size)
	}
	if st, err := l.Stats(); err != nil || st.Truncated != 1 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
}

func TestErrors(t *testing.T) {
	p := newPoller(t)
	_, err := Listen(p, Options{Group: "10.1.2.3", Port: 41008}, func(Packet) bool { return false })
	e := wantErr(t, err, ErrAddress, "10.1.2.3")
	if errors.Is(err, ErrInvalid) || e.Unwrap() != nil {
		t.Fatalf("%v matches more than ErrAddress", err)
	}
	_, err = Send([]byte("x"), "not-a-group", 41008, -1)
	wantErr(t, err, ErrAddress, "not-a-group")
	_, err = NewMulticaster(p, Options{Group: "ff02::zz"}, func() ([]byte, NextAnswer) { return nil, NextDone })
	wantErr(t, err, ErrAddress, "ff02::zz")
	_, err = Listen(p, Options{Group: "239.10.0.8", Interface: "nosuchif0"}, nil)
	wantErr(t, err, ErrAddress, "nosuchif0")
	_, err = Listen(p, Options{Group: "239.10.0.8", Source: "239.1.1.1"}, nil)
	wantErr(t, err, ErrAddress, "239.1.1.1")
	_, err = Listen(p, Options{Group: "239.10.0.8\x00junk"}, nil)
	wantErr(t, err, ErrAddress, "NUL")
	_, err = Listen(p, Options{MTU: 70000}, nil)
	wantErr(t, err, ErrInvalid, "70000")
	_, err = SendOpts(Options{TTL: Int(300)}, []byte("x"))
	wantErr(t, err, ErrInvalid, "300")
	_, err = Send([]byte("x"), "239.10.0.8", 41008, 256)
	wantErr(t, err, ErrInvalid, "256")
	_, err = SendOpts(Options{Group: "239.10.0.8", Interface: "*"}, []byte("x"))
	wantErr(t, err, ErrInvalid, "*")

	// An operating-system failure carries -errno and unwraps to it.
	_, err = Send(make([]byte, 70000), "239.10.0.8", 41008, -1)
	if err == nil || !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("oversized Send: %v, want EMSGSIZE", err)
	}
	if e := err.(*Error); e.Code != -int(syscall.EMSGSIZE) {
		t.Fatalf("Code = %d", e.Code)
	}

	// mc_last_error is per thread: concurrent failures each get their own message.
	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				bad := fmt.Sprintf("bad-%d-%d", g, i)
				_, err := Send(nil, bad, 1, -1)
				if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
					errs <- fmt.Errorf("Send to %s: %v", bad, err)
					return
				}
				runtime.Gosched()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

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
