package multicast

// Version and Strerror; the errors: sentinels, -errno, per-thread messages.
// Like every test here, these run only inside a private network namespace.

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestVersion(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("Version() = %q", v)
	}
	if s := Strerror(ErrAddress.Code); s == "" || s == Strerror(ErrInvalid.Code) {
		t.Fatalf("Strerror(MC_EADDRESS) = %q", s)
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
