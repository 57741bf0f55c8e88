package multicast

// The C callbacks: Go functions exported to the C trampolines of
// listener.go, multicaster.go and timer.go. user_data is a cgo.Handle (an integer),
// so C never holds a Go pointer. A panic is recovered here, never unwinding
// through the library, and re-raised by the Poll/Loop/Next that ran it.
// (A file with //export may hold only declarations in its preamble.)

// #include <stdint.h>
// #include <multicast.h>
import "C"

import "runtime/cgo"

//export mcgoOnPacket
func mcgoOnPacket(h C.uintptr_t, p *C.mc_packet) (stop C.int) {
	l := cgo.Handle(h).Value().(*Listener)
	if l.closed {
		return 0
	}
	pkt := goPacket(p)
	defer func() {
		if r := recover(); r != nil {
			l.poller.capture(r)
			stop = 0
		}
	}()
	if l.handler(pkt) {
		l.release() // the library closes and frees it when we return non-zero
		return 1
	}
	return 0
}

//export mcgoFilter
func mcgoFilter(h C.uintptr_t, p *C.mc_packet) (accept C.int) {
	l := cgo.Handle(h).Value().(*Listener)
	f := l.filter
	if f == nil {
		return 1
	}
	defer func() {
		if r := recover(); r != nil {
			l.poller.capture(r)
			accept = 0
		}
	}()
	if f(goPacket(p)) {
		return 1
	}
	return 0
}

//export mcgoNext
func mcgoNext(h C.uintptr_t, data **C.uint8_t, n *C.size_t) (answer C.int) {
	m := cgo.Handle(h).Value().(*Multicaster)
	if m.closed {
		return C.MC_NEXT_WAIT
	}
	defer func() {
		if r := recover(); r != nil {
			m.poller.capture(r)
			answer = C.MC_NEXT_WAIT
		}
	}()
	b, a := m.next()
	if m.closed { // next closed its own multicaster: the answer is ignored
		return C.MC_NEXT_WAIT
	}
	switch a {
	case NextPacket:
		*data = m.stage(b)
		*n = C.size_t(len(b))
		return C.MC_NEXT_PACKET
	case NextDone:
		m.release() // the library closes and frees it when we return DONE
		return C.MC_NEXT_DONE
	default:
		return C.MC_NEXT_WAIT
	}
}

//export mcgoOnTimer
func mcgoOnTimer(h C.uintptr_t) {
	t := cgo.Handle(h).Value().(*Timer)
	if t.closed {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			t.poller.capture(r)
		}
	}()
	t.fn()
}
