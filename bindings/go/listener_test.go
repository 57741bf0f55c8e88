package multicast

// Listeners: pull mode (Next), filters (regex and Go), truncated packets.
// Like every test here, these run only inside a private network namespace.

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

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
