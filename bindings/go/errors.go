package multicast

// #include <multicast.h>
import "C"

import (
	"fmt"
	"runtime"
	"syscall"
)

// Error is a libmulticast failure: Code is the library's negative code (an
// MC_E* value, or -errno for an operating-system failure) and Msg the
// detailed message mc_last_error() gave on the thread that failed (what was
// attempted, on which value, and why).
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "multicast: " + Strerror(e.Code)
	}
	return "multicast: " + e.Msg
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrAddress) holds for any address error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the syscall.Errno of an operating-system failure (so that
// errors.Is(err, syscall.EADDRINUSE) and errors.Is(err, fs.ErrPermission)
// work), nil for the library's own codes.
func (e *Error) Unwrap() error {
	if e.Code < 0 && e.Code > -1000 { // the MC_E* codes are -1001 and below
		return syscall.Errno(-e.Code)
	}
	return nil
}

func sentinel(code C.int) *Error {
	return &Error{Code: int(code), Msg: Strerror(int(code))}
}

// Sentinels for errors.Is, one per library code (mc_strerror gives the text).
var (
	ErrInvalid  = sentinel(C.MC_EINVAL)    // a NULL/closed handle, or an out-of-range number
	ErrAddress  = sentinel(C.MC_EADDRESS)  // not a multicast/usable address or interface
	ErrRegex    = sentinel(C.MC_EREGEX)    // a bad filter pattern
	ErrNotFound = sentinel(C.MC_ENOTFOUND) // fd not registered, or group/source pair not held
	ErrExist    = sentinel(C.MC_EEXIST)    // fd already registered, or group/source pair already held
	ErrBusy     = sentinel(C.MC_EBUSY)     // a reentrant call that is not allowed
	ErrClosed   = sentinel(C.MC_ECLOSED)   // the object is closed
	ErrPanic    = sentinel(C.MC_EPANIC)    // an internal bug caught by the library
)

// Strerror returns the library's description of a code (mc_strerror).
func Strerror(code int) string {
	if code < -(1<<31) || code > 1<<31-1 {
		return fmt.Sprintf("unknown code %d", code)
	}
	return C.GoString(C.mc_strerror(C.int(code)))
}

// Version returns the library's version, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.mc_version())
}

// lastError turns a negative result into an *Error with this thread's
// mc_last_error(). The caller must hold the OS thread locked since the C
// call that failed.
func lastError(rc C.int) error {
	msg := C.GoString(C.mc_last_error())
	if msg == "" {
		msg = Strerror(int(rc))
	}
	return &Error{Code: int(rc), Msg: msg}
}

// call runs f, one C call that may fail, on a locked OS thread, and reads
// mc_last_error() on that same thread before unlocking: the message is
// thread-local, and an unlocked goroutine may move to another thread
// between two cgo calls.
func call(f func() C.int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := f()
	if rc < 0 {
		return int(rc), lastError(rc)
	}
	return int(rc), nil
}

// goError is an error detected on the Go side, with the library's code.
func goError(code C.int, format string, args ...any) error {
	return &Error{Code: int(code), Msg: fmt.Sprintf(format, args...)}
}

func closedError(what string) error {
	return goError(C.MC_ECLOSED, "%s: closed", what)
}
