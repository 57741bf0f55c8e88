// Package multicast is the Go binding of libmulticast, asynchronous multicast
// UDP for Linux (libmulticast.so, include/multicast.h).
//
// A Poller is an epoll event loop; Listeners (receiving a group's packets)
// and Multicasters (sending packets whenever their socket has room) live on
// a poller and are served while it polls (Poll, Loop, or a pull-mode
// Listener.Next). A nil *Poller is the process-wide default poller: it is
// created on first use and never freed, so (*Poller)(nil).Close is a no-op.
//
//	l, err := multicast.Listen(nil, multicast.Options{Group: "239.1.2.3", Port: 5000},
//		func(p multicast.Packet) bool {
//			fmt.Printf("%d bytes from %v\n", len(p.Data), p.From)
//			return false // true closes the listener
//		})
//	...
//	var p *multicast.Poller // the default poller
//	err = p.Loop(multicast.Forever, 0)
//
// Sending needs no poller: Send, SendMany and SendOpts send now and may be
// called from any goroutine.
//
// # Goroutines
//
// Like the C library, a poller and its listeners and multicasters must be
// used from one goroutine at a time (the goroutine polling it, and the
// callbacks it runs). Poller.Stop, Send, SendMany, SendOpts and Version are
// safe from any goroutine. Callbacks (handlers, filters, a multicaster's
// next function) run on the goroutine that polls, inside the C call; they
// may close listeners and multicasters (their own too), create new ones,
// send and call Stop, but must not Poll, Loop or Close their own poller
// (ErrBusy). A panic in a callback is recovered at the C boundary (it never
// unwinds through the library), ends a running Loop or Next, and is
// re-raised by the Poll, Loop or Next call that ran the callback. Callbacks
// must not call runtime.Goexit (so no t.FailNow / t.Fatal inside them).
//
// # Errors
//
// Every failure is an *Error carrying the library's code and the detailed,
// per-thread message of mc_last_error(). errors.Is matches the sentinels
// (ErrInvalid, ErrAddress, ErrRegex, ...) by code, and operating-system
// failures unwrap to their syscall.Errno (errors.Is(err, syscall.EADDRINUSE)).
package multicast
