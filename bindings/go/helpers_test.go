package multicast

// Shared by the tests of this package: TestMain, which refuses to run outside a
// private network namespace, and the helpers that make a poller, poll, send,
// pull and check errors.
//
// These tests send and receive real multicast through libmulticast. Run
// them only inside a private network namespace: `cargo test --test go`
// (tests/go.rs) or `tests/netns-run go test ./...` from the repository.

import (
	"errors"
	"fmt"
	"os"
	"strings"
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
