package multicast

// Sending: Send to listeners in callback mode, SendMany and SendOpts.
// Like every test here, these run only inside a private network namespace.

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

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
