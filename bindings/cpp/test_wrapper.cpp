// test_wrapper.cpp - the edge cases of multicast.hpp's ownership, meant to run under
// valgrind: objects closing themselves (handler true, Next::done, close/reset inside
// their own callbacks), a Poller destroyed inside one of its callbacks, exceptions from
// callbacks, the default poller and the blocking listen(), fd registrations, timers
// (closed inside their own function, outliving their Poller, freeing it, moved).
// Exits 0 only if every check passed. Run inside tests/netns-run only.
#include "multicast.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

static int failures = 0;
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::cerr << "FAILED: " #cond " (" __FILE__ ":" << __LINE__ << ")\n";     \
            ++failures;                                                               \
        }                                                                             \
    } while (0)

using multicast::Listener;
using multicast::Multicaster;
using multicast::Next;
using multicast::Options;
using multicast::Packet;
using multicast::Poller;

static const std::uint16_t base_port = 42520;

static Options opts_for(std::uint16_t port) {
    Options o;
    o.port(port).ttl(multicast::ttl::host);
    return o;
}

template <class Cond>
static bool poll_until(Poller& p, Cond cond, int ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!cond() && std::chrono::steady_clock::now() < deadline) p.poll(50);
    return cond();
}

static void default_poller_and_listen() {
    const std::uint16_t port = base_port;
    Poller def = Poller::default_poller();
    CHECK(def.is_default() && def.get() == nullptr);
    {
        // A multicaster on the default poller feeds the blocking listen(), which runs it.
        Multicaster m(def, opts_for(port), std::vector<std::string>{"one", "two", "three", "four"});
        std::vector<std::string> got;
        std::size_t n = multicast::listen([&](const Packet& p) { got.push_back(p.str()); }, multicast::default_group,
                                          port, multicast::default_mtu, 3);
        CHECK(n == 3);
        CHECK(got == (std::vector<std::string>{"one", "two", "three"}));
        CHECK(!m.is_open());
    }
    {
        Multicaster m(def, opts_for(port), std::vector<std::string>{"boom"});
        bool caught = false;
        try {
            multicast::listen([](const Packet&) -> bool { throw std::logic_error("from listen"); },
                              multicast::default_group, port);
        } catch (const std::logic_error&) {
            caught = true;
        }
        CHECK(caught);
    }
    {
        // A pull listener on the default poller, mtu 4: truncated.
        Listener l(def, opts_for(port).mtu(4));
        multicast::sendto("0123456789", multicast::default_group, port, multicast::ttl::host);
        auto p = l.next(2000);
        CHECK(p && p->data() == "0123" && p->size() == 10 && p->truncated());
        CHECK(l.stats().truncated == 1);
    }
    Poller moved = std::move(def);  // moving a default handle is harmless
    CHECK(moved.is_default() && !def);
}

static void multicaster_self_close_wait_resume_throw() {
    const std::uint16_t port = base_port + 1;
    Poller p;
    Listener l(p, opts_for(port));

    // The source destroys its own wrapper, then answers a packet: the answer is ignored.
    std::optional<Multicaster> self;
    int calls = 0;
    self.emplace(p, opts_for(port), [&]() -> Next {
        ++calls;
        self.reset();
        return "ignored";
    });
    poll_until(p, [&] { return calls > 0; });
    CHECK(calls == 1 && !self);
    CHECK(!l.next(100));

    // Next::wait() and resume().
    std::vector<std::string> queue;
    Multicaster m(p, opts_for(port), [&]() -> Next {
        if (queue.empty()) return Next::wait();
        std::string s = queue.front();
        queue.erase(queue.begin());
        return s;
    });
    p.poll(50);
    queue = {"late", "later"};
    m.resume();
    std::vector<std::string> got;
    while (got.size() < 2) {
        auto pk = l.next(2000);
        if (!pk) break;
        got.push_back(pk->str());
    }
    CHECK(got == (std::vector<std::string>{"late", "later"}));
    CHECK(m.send("direct") == 6);
    auto pk = l.next(2000);
    CHECK(pk && pk->data() == "direct");

    // An exception in a source comes out of poll(); the multicaster waits.
    Multicaster bad(p, opts_for(port), []() -> Next { throw std::runtime_error("from next"); });
    bool caught = false;
    try {
        poll_until(p, [] { return false; }, 1000);
    } catch (const std::runtime_error& e) {
        caught = std::string(e.what()) == "from next";
    }
    CHECK(caught);
    CHECK(bad.is_open());

    // Move construction and assignment keep the C object and its state.
    Multicaster moved(std::move(m));
    CHECK(moved.is_open() && !m.is_open());
    m = std::move(moved);
    CHECK(m.is_open());
}

static void poller_destroyed_inside_callback() {
    const std::uint16_t port = base_port + 2;
    std::optional<Poller> p(std::in_place);
    int seen = 0;
    Listener other(*p, opts_for(port));
    Listener l(*p, opts_for(port), [&](const Packet&) {
        ++seen;
        p.reset();  // frees the C poller once this dispatch is over
    });
    multicast::sendto(std::vector<std::string>{"a", "b"}, multicast::default_group, port, multicast::ttl::host);
    for (int i = 0; i < 40 && p; i++) p->poll(50);
    CHECK(!p);
    CHECK(seen == 1);
    CHECK(!l.is_open() && !other.is_open());  // closed with their poller, not again
    std::error_code ec;
    CHECK(!other.next(0, ec) && ec == multicast::errc::closed);
}

static void fd_registrations() {
    int fds[2];
    CHECK(pipe(fds) == 0);
    Poller p;
    std::string got;
    p.register_fd(fds[0], [&](int fd) {
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        p.unregister_fd(fd);  // inside its own callback
    });
    bool exists = false;
    try {
        p.register_fd(fds[0], [](int) {});
    } catch (const multicast::error& e) {
        exists = e.code() == multicast::errc::exists;
    }
    CHECK(exists);
    CHECK(write(fds[1], "ping", 4) == 4);
    CHECK(p.poll(1000) == 1);
    CHECK(got == "ping");
    p.loop(100, 0);  // nothing registered: returns at once
    std::error_code ec;
    p.poll(0, ec);
    CHECK(!ec);
    close(fds[0]);
    close(fds[1]);
}

static void errors() {
    try {
        Options().group("10.1.2.3");
        CHECK(!"accepted");
    } catch (const multicast::error& e) {
        CHECK(e.code() == multicast::errc::address);
        CHECK(e.code().category() == multicast::category());
        CHECK(std::string(e.code().message()) == mc_strerror(MC_EADDRESS));
    }
    Poller p;
    Listener l(p, opts_for(base_port + 3), [](const Packet&) {});
    try {
        l.next(0);  // a push listener has no next
        CHECK(!"next on a push listener");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::invalid_argument);
    }
    try {
        l.set_filter_regex("(unclosed");
        CHECK(!"bad regex");
    } catch (const multicast::error& e) {
        CHECK(e.code() == multicast::errc::regex);
    }
    // -errno codes compare equal to std::errc.
    CHECK(multicast::code_of(-EADDRINUSE) == std::errc::address_in_use);
}

// what() of a failed call: "<call>: <detail>", the call named once even when the library's
// detail already starts with it (mc_poll, mc_loop, mc_listener_next, ...).
template <class F>
static std::string what_of(F&& f) {
    try {
        f();
    } catch (const multicast::error& e) {
        return e.what();
    }
    return "(no error)";
}

static bool starts_once(const std::string& what, const std::string& call) {
    return what.rfind(call + ": ", 0) == 0 && what.find(call + ": " + call) == std::string::npos;
}

static void error_messages() {
    Poller p;
    CHECK(starts_once(what_of([&] { p.poll(-2); }), "mc_poll"));
    CHECK(starts_once(what_of([&] { p.loop(-2); }), "mc_loop"));
    CHECK(starts_once(what_of([&] { p.loop(0, -1); }), "mc_loop"));
    CHECK(starts_once(what_of([&] { p.unregister_fd(12345); }), "mc_unregister"));
    Listener push(p, opts_for(base_port + 4), [](const Packet&) {});
    Listener pull(p, opts_for(base_port + 4));
    CHECK(starts_once(what_of([&] { push.next(0); }), "mc_listener_next"));
    CHECK(starts_once(what_of([&] { pull.next(-5); }), "mc_listener_next"));
    CHECK(starts_once(what_of([&] { push.block_source("239.1.1.1", "nonsense"); }), "mc_listener_block_source"));
    // Details that do not start with the call still get it in front.
    const std::string group = what_of([] { Options().group("10.1.2.3"); });
    CHECK(starts_once(group, "mc_opts_set_group") && group.find("10.1.2.3") != std::string::npos);
    CHECK(starts_once(what_of([&] { push.set_filter_regex("(unclosed"); }), "mc_listener_set_filter_regex"));
}

// Durations: rounded up to whole ms; negative or above INT_MAX ms is MC_EINVAL before any
// wait, naming the value and the limit (never a wrapped int: 4294967295 ms was -1 =
// forever, 4294967296 ms was 0 = don't wait).
static void durations() {
    using namespace std::chrono;
    Poller p;
    // An armed timer makes a wrapped "forever" (or any wait) return at once instead of hanging.
    int fired = 0;
    multicast::Timer t(p, milliseconds(0), milliseconds(1), [&] { ++fired; });
    auto invalid = [](auto&& f, const std::string& call, const std::string& value) {
        try {
            f();
        } catch (const multicast::error& e) {
            const std::string w = e.what();
            const bool ok = e.code() == std::errc::invalid_argument && starts_once(w, call) &&
                            w.find(value) != std::string::npos && w.find("2147483647") != std::string::npos;
            if (!ok) std::cerr << "unexpected message: " << w << "\n";
            return ok;
        }
        std::cerr << call << " " << value << ": no error\n";
        return false;
    };
    CHECK(invalid([&] { p.poll(hours(600)); }, "mc_poll", "2160000000 ms"));
    CHECK(invalid([&] { p.poll(milliseconds(4294967296LL)); }, "mc_poll", "4294967296 ms"));
    CHECK(invalid([&] { p.poll(milliseconds(4294967295LL)); }, "mc_poll", "4294967295 ms"));
    CHECK(invalid([&] { p.poll(milliseconds(2147483648LL)); }, "mc_poll", "2147483648 ms"));
    CHECK(invalid([&] { p.poll(milliseconds(-5)); }, "mc_poll", "-5 ms"));
    CHECK(invalid([&] { p.poll(hours::max()); }, "mc_poll", " ms"));
    CHECK(invalid([&] { p.poll(duration<double>(-0.25)); }, "mc_poll", "-250 ms"));
    CHECK(invalid([&] { p.loop(hours(600)); }, "mc_loop", "2160000000 ms"));
    CHECK(invalid([&] { p.loop(milliseconds(0), milliseconds(4294967296LL)); }, "mc_loop", "4294967296 ms"));
    CHECK(invalid([&] { p.loop(milliseconds(0), microseconds(-1)); }, "mc_loop", "-0.001 ms"));
    Listener pull(p, opts_for(base_port + 5));
    CHECK(invalid([&] { pull.next(hours(600)); }, "mc_listener_next", "2160000000 ms"));
    // A queued packet: a wrapped "forever" (4294967295 ms as -1) would return it at once.
    multicast::sendto("queued", multicast::default_group, base_port + 5, multicast::ttl::host);
    CHECK(invalid([&] { pull.next(milliseconds(4294967295LL)); }, "mc_listener_next", "4294967295 ms"));
    CHECK(pull.next(1000));  // still queued: the invalid call did not take it
    CHECK(invalid([&] { (void)multicast::Timer(p, hours(600), milliseconds(0), [] {}); }, "mc_timer_new", "2160000000"));
    CHECK(invalid([&] { t.set(milliseconds(0), milliseconds(-1)); }, "mc_timer_set", "-1 ms"));
    CHECK(t.is_open());
    // The error_code overloads: the same check, no throw.
    std::error_code ec;
    CHECK(p.poll(hours(600), ec) < 0 && ec == std::errc::invalid_argument);
    CHECK(!pull.next(milliseconds(-1), ec) && ec == std::errc::invalid_argument);
    t.set(hours(600), milliseconds(0), ec);
    CHECK(ec == std::errc::invalid_argument);
    // In range: the largest wait is accepted (not waited here), sub-ms waits round up.
    CHECK(multicast::detail::duration_ms(milliseconds(2147483647), "x", "y") == 2147483647);
    CHECK(multicast::detail::duration_ms(hours(596), "x", "y") == 2145600000);
    CHECK(multicast::detail::duration_ms(microseconds(1), "x", "y") == 1);
    CHECK(multicast::detail::duration_ms(nanoseconds(1000001), "x", "y") == 2);
    CHECK(multicast::detail::duration_ms(duration<double, std::milli>(0.5), "x", "y") == 1);
    CHECK(multicast::detail::duration_ms(seconds(0), "x", "y") == 0);
    auto t0 = steady_clock::now();
    CHECK(p.poll(microseconds(1)) >= 0);  // the timer's every-1-ms firing, or a 1 ms wait
    CHECK(steady_clock::now() - t0 < seconds(2));
    t.stop();
    p.poll(0);
    t0 = steady_clock::now();
    CHECK(p.poll(microseconds(1)) == 0);  // nothing ready: waits 1 ms, not 0
    CHECK(steady_clock::now() - t0 >= microseconds(900));
    CHECK(pull.next(microseconds(1)) == std::nullopt);
    CHECK(pull.next(milliseconds(1), ec) == std::nullopt && !ec);
    // The message shows the value as given, not rounded into the limit.
    CHECK(invalid([&] { p.poll(nanoseconds(2147483647000001LL)); }, "mc_poll", "2147483647.000001 ms"));
    // Still compiles as with milliseconds parameters: {} for "no interval", and a type that
    // converts to milliseconds.
    multicast::Timer once(p, milliseconds(0), {}, [] {});
    once.set(hours(1), {}, ec);
    CHECK(!ec);
    struct TenMs {
        operator milliseconds() const { return milliseconds(10); }
    };
    CHECK(p.poll(TenMs{}) >= 0 && !pull.next(TenMs{}));
}

static void timers() {
    using std::chrono::milliseconds;
    // A Timer that outlives its Poller is closed with it, and not closed twice.
    {
        multicast::Timer orphan;
        {
            Poller p;
            orphan = multicast::Timer(p, milliseconds(1000), milliseconds(0), [] {});
            CHECK(orphan.is_open());
        }
        CHECK(!orphan.is_open());
        try {
            orphan.stop();
            CHECK(!"stop() on a closed timer");
        } catch (const multicast::error& e) {
            CHECK(e.code() == multicast::errc::closed);
        }
    }
    // The Poller destroyed inside a timer's function; the timer wrapper later.
    {
        std::optional<Poller> p;
        p.emplace();
        int runs = 0;
        multicast::Timer t(*p, milliseconds(0), milliseconds(1), [&] {
            ++runs;
            p.reset();
        });
        Poller& ref = *p;
        ref.poll(1000);
        CHECK(runs == 1 && !p.has_value() && !t.is_open());
    }
    // Moved, then destroyed inside its own function through the moved-to object; an
    // exception from the function comes out of poll() and the timer goes on.
    {
        Poller p;
        int runs = 0;
        std::optional<multicast::Timer> holder;
        multicast::Timer t(p, milliseconds(0), milliseconds(1), [&] {
            if (++runs == 2) holder.reset();
        });
        holder.emplace(std::move(t));
        CHECK(!t.is_open() && holder->is_open());
        CHECK(poll_until(p, [&] { return !holder.has_value(); }));
        CHECK(runs == 2);

        int thrown = 0;
        multicast::Timer thrower(p, milliseconds(0), milliseconds(1), [&] {
            if (++thrown == 1) throw std::runtime_error("from a timer");
        });
        bool caught = false;
        try {
            for (int i = 0; i < 20 && !caught; i++) p.poll(100);
        } catch (const std::runtime_error& e) {
            caught = std::string(e.what()) == "from a timer";
        }
        CHECK(caught);
        CHECK(poll_until(p, [&] { return thrown >= 2; }));
    }
}

int main() {
    try {
        default_poller_and_listen();
        multicaster_self_close_wait_resume_throw();
        poller_destroyed_inside_callback();
        fd_registrations();
        errors();
        error_messages();
        durations();
        timers();
    } catch (const std::exception& e) {
        std::cerr << "test_wrapper: " << e.what() << "\n";
        return 1;
    }
    std::cout << (failures ? "FAILED" : "OK: multicast.hpp wrapper checks passed") << "\n";
    return failures ? 1 : 0;
}
