// multicast.hpp - header-only C++17 RAII wrapper of libmulticast (multicast.h).
//
//   #include "multicast.hpp"        // link with -lmulticast
//
//   multicast::Poller poller;                                  // or Poller::default_poller()
//   multicast::Options opts;  opts.port(4242);
//   multicast::Listener l(poller, opts, [](const multicast::Packet& p) {
//       std::cout << p.data() << " from " << p.from().to_string() << "\n";
//       return false;                                          // true: stop (closes it)
//   });
//   multicast::Multicaster m(poller, opts, std::vector<std::string>{"a", "b"});
//   poller.poll(100);
//
// Needs C++17 (-std=c++17 or later). Before C++17 the compiler stops with two errors: the
// #error "multicast.hpp needs C++17 or later (-std=c++17); ...", then (GCC's wording)
//   fatal error: multicast.hpp: see the error above: No such file or directory
// That second one is the guard's way to stop at once (it includes a file that does not
// exist, on purpose): nothing is missing from the install; compile with -std=c++17.
//
// 0.3: multicast::Timer t(poller, 100ms, 1s, [] { ... }) (set, stop, close);
// l.block_source(group, source), unblock_source; opts.send_from("192.0.2.1", 5000);
// multicast::format(const mc_addr&) (mc_addr_format), also Address::to_string().
//
// Ownership. Poller owns an mc_poller (move-only); Poller::default_poller() is a
// non-owning handle on the library's process-wide poller. Listener, Multicaster and Timer own
// their C object and close it when destroyed or close()d, unless the library already
// closed it: a handler returning true, a source returning Next::done(), or the owning
// Poller being destroyed (that closes all its objects). Their callbacks live in a heap
// object that stays alive as long as the C object can call them, so a wrapper may be
// destroyed or closed from inside any callback, its own included, and may outlive its
// Poller (it is then closed). A Poller may be destroyed inside one of its callbacks too.
//
// Errors. Failures throw multicast::error (a std::system_error): code() is the library's
// negative code in multicast::category() (message: mc_strerror; -errno codes compare equal
// to std::errc values), what() is "<C call>: <mc_last_error()'s detail>", the call named
// once (not "mc_poll: mc_poll: ..." when the detail already starts with it). Most calls
// also have a noexcept overload taking a std::error_code&. An exception thrown by a callback never
// crosses the C library: it is caught, the poller is stopped, and it is rethrown from the
// Poller::poll/loop, Listener::next or multicast::listen call that dispatched it.
//
// Durations. Poller::poll and Listener::next take an int in milliseconds as in C (0: don't
// wait, -1: forever) or any std::chrono::duration (integer or floating-point count);
// Poller::loop takes its timeout and interval both as ints or both as durations; Timer's
// delay and interval are durations. A duration is rounded UP to whole milliseconds, so
// poll(1us) waits up to 1 ms, never "don't wait" (zero stays 0). A negative duration
// (there is no duration for "forever": pass the int -1) or one above INT_MAX ms
// (2147483647 ms, about 24.8 days) is not clamped: the call throws
// multicast::error with code MC_EINVAL (== std::errc::invalid_argument) before waiting,
// naming the value and the limit, e.g. poll(std::chrono::hours(600)) throws "mc_poll:
// timeout 2160000000 ms: outside 0..2147483647 ms (to wait forever, pass the int -1)"; the
// std::error_code& overloads (poll, next, Timer::set) set that code instead (mc_last_error()
// is not set then).
//
// Threads: like the C library, a poller and its objects are used from one thread at a
// time; sendto() and stop() are safe from any thread.
#ifndef MULTICAST_HPP
#define MULTICAST_HPP

// One clear error, not a page of them, before C++17 (std::string_view, std::optional,
// inline variables): the fatal include after #error stops the compiler at once.
#if !defined(__cplusplus) || __cplusplus < 201703L
#error "multicast.hpp needs C++17 or later (-std=c++17); from C or older C++, use multicast.h"
#include <multicast.hpp: see the error above>
#endif

#include <multicast.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace multicast {

// ---------------------------------------------------------------------------------------
// Errors

/// The library's own error codes (the -errno codes are not listed: they compare equal to
/// std::errc values through std::error_condition).
enum class errc {
    invalid = MC_EINVAL,
    address = MC_EADDRESS,
    regex = MC_EREGEX,
    not_found = MC_ENOTFOUND,
    exists = MC_EEXIST,
    busy = MC_EBUSY,
    closed = MC_ECLOSED,
    panic = MC_EPANIC,
};

namespace detail {
class category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "multicast"; }
    std::string message(int code) const override { return mc_strerror(code); }
    std::error_condition default_error_condition(int code) const noexcept override {
        if (code < 0 && code > -1000) return std::error_condition(-code, std::generic_category());
        if (code == MC_EINVAL) return std::make_error_condition(std::errc::invalid_argument);
        return std::error_condition(code, *this);
    }
};
}  // namespace detail

/// The category of the library's codes: value() is the negative code a C call returned.
inline const std::error_category& category() noexcept {
    static const detail::category_impl c;
    return c;
}

inline std::error_code make_error_code(errc e) noexcept {
    return std::error_code(static_cast<int>(e), category());
}

/// A std::error_code for a negative code returned by the C API.
inline std::error_code code_of(int rc) noexcept { return std::error_code(rc, category()); }

/// The last failure on this thread, with detail (mc_last_error()).
inline std::string last_error() { return mc_last_error(); }

/// The library's version, "MAJOR.MINOR.PATCH".
inline std::string version() { return mc_version(); }

/// A failed call: code() is in multicast::category(), what() is "<call>: <detail>".
class error : public std::system_error {
public:
    error(int rc, std::string message)
        : std::system_error(code_of(rc), message), message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

namespace detail {
/// Throws multicast::error for rc < 0, reading mc_last_error() at once (it is thread-local
/// and kept until the next failure).
/// what() is "<call>: <detail>", the call named once: many of the library's messages
/// already start with "<call>:" ("mc_poll: timeout_ms -2: ...").
inline int check(int rc, const char* call) {
    if (rc >= 0) return rc;
    const char* detail = mc_last_error();
    std::string msg = (detail && *detail) ? detail : mc_strerror(rc);
    const std::size_t n = std::strlen(call);
    if (msg.compare(0, n, call) != 0 || msg.size() <= n || msg[n] != ':')
        msg.insert(0, std::string(call) + ": ");
    throw error(rc, std::move(msg));
}

[[noreturn]] inline void throw_closed(const char* what) {
    throw error(MC_ECLOSED, std::string(what) + ": the object is closed");
}

/// Sets ec from rc; returns rc.
inline int to_ec(int rc, std::error_code& ec) noexcept {
    if (rc < 0)
        ec = code_of(rc);
    else
        ec.clear();
    return rc;
}

/// A std::chrono duration as the C API's whole milliseconds (the rules in the header
/// comment, "Durations"): rounded up, so a positive wait below 1 ms is 1 ms, never
/// "don't wait"; false when negative (or NaN) or above INT_MAX ms (about 24.8 days).
/// No overflow on the way: the range is checked in long double before any integer cast.
template <class Rep, class Period>
bool duration_ms(std::chrono::duration<Rep, Period> d, int& out) noexcept {
    const long double ms = std::chrono::duration<long double, std::milli>(d).count();
    if (!(ms >= 0) || ms > static_cast<long double>(INT_MAX)) return false;
    const auto up = std::chrono::ceil<std::chrono::milliseconds>(d).count();
    if (up < 0 || up > INT_MAX) return false;
    out = static_cast<int>(up);
    return true;
}

/// As duration_ms, throwing multicast::error (MC_EINVAL) "<call>: <what> <value> ms:
/// outside 0..2147483647 ms<hint>" for a duration out of range.
template <class Rep, class Period>
int duration_ms(std::chrono::duration<Rep, Period> d, const char* call, const char* what, const char* hint = "") {
    int ms = 0;
    if (duration_ms(d, ms)) return ms;
    char value[64];
    std::snprintf(value, sizeof value, "%.17Lg", std::chrono::duration<long double, std::milli>(d).count());
    throw error(MC_EINVAL, std::string(call) + ": " + what + " " + value + " ms: outside 0.." +
                               std::to_string(INT_MAX) + " ms" + hint);
}

/// The hint of a poll/loop/next timeout out of range.
inline constexpr const char* forever_hint = " (to wait forever, pass the int -1)";
}  // namespace detail

}  // namespace multicast

namespace std {
template <>
struct is_error_code_enum<multicast::errc> : true_type {};
}  // namespace std

namespace multicast {

// ---------------------------------------------------------------------------------------
// Constants

inline constexpr const char* default_group = MC_DEFAULT_GROUP;
inline constexpr std::uint16_t default_port = MC_DEFAULT_PORT;
inline constexpr int default_ttl = MC_DEFAULT_TTL;
inline constexpr std::size_t default_mtu = MC_DEFAULT_MTU;
namespace ttl {
inline constexpr int host = MC_TTL_HOST;
inline constexpr int subnet = MC_TTL_SUBNET;
inline constexpr int site = MC_TTL_SITE;
inline constexpr int region = MC_TTL_REGION;
inline constexpr int continent = MC_TTL_CONTINENT;
inline constexpr int unrestricted = MC_TTL_UNRESTRICTED;
}  // namespace ttl
/// Interest flags of Poller::register_fd / modify_fd.
namespace interest {
inline constexpr std::uint32_t read = MC_READ;
inline constexpr std::uint32_t write = MC_WRITE;
}  // namespace interest

// ---------------------------------------------------------------------------------------
// Addresses and packets

/// An address and port (a copy of mc_addr).
struct Address {
    int family = 0;             // AF_INET or AF_INET6
    std::uint16_t port = 0;     // host byte order
    std::uint32_t scope_id = 0; // IPv6 link-local scope
    std::array<std::uint8_t, 16> ip{};  // network byte order; IPv4: first 4 bytes

    Address() = default;
    explicit Address(const mc_addr& a) : family(a.family), port(a.port), scope_id(a.scope_id) {
        std::memcpy(ip.data(), a.ip, ip.size());
    }
    /// "224.0.42.42", "ff02::1%3"
    std::string ip_string() const {
        char buf[INET6_ADDRSTRLEN] = "";
        if (!inet_ntop(family, ip.data(), buf, sizeof buf)) return "?";
        std::string s(buf);
        if (family == AF_INET6 && scope_id) s += "%" + std::to_string(scope_id);
        return s;
    }
    /// The C struct again.
    mc_addr raw() const noexcept {
        mc_addr a{};
        a.family = static_cast<std::uint16_t>(family);
        a.port = port;
        a.scope_id = scope_id;
        std::memcpy(a.ip, ip.data(), ip.size());
        return a;
    }
    /// "224.0.42.42:4242", "[ff02::1%lo]:4242" (mc_addr_format: a link-local scope by its
    /// interface's name, or its index if no interface has it now).
    std::string to_string() const;
};

/// An address as text with its port, by mc_addr_format: "192.0.2.1:5000",
/// "[ff05::1]:5000", "[fe80::1%eth0]:5000". Throws multicast::error (MC_EINVAL) for a
/// family that is neither AF_INET nor AF_INET6.
inline std::string format(const mc_addr& a) {
    char buf[MC_ADDR_STRLEN];
    int n = detail::check(mc_addr_format(&a, buf, sizeof buf), "mc_addr_format");
    return std::string(buf, static_cast<std::size_t>(n));
}
inline std::string format(const Address& a) { return format(a.raw()); }
/// The same, reporting failure in ec (then "").
inline std::string format(const mc_addr& a, std::error_code& ec) noexcept {
    char buf[MC_ADDR_STRLEN];
    int n = detail::to_ec(mc_addr_format(&a, buf, sizeof buf), ec);
    try {
        return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return std::string();
    }
}

inline std::string Address::to_string() const {
    std::error_code ec;
    std::string s = format(raw(), ec);
    return ec ? "?:" + std::to_string(port) : s;
}

/// A received packet: a view on the library's mc_packet, valid only while the handler
/// runs (pull mode: until the next Listener::next or close). Copy data() to keep it.
class Packet {
public:
    explicit Packet(const mc_packet* p) noexcept : p_(p) {}
    std::string_view data() const noexcept {
        return std::string_view(reinterpret_cast<const char*>(p_->data), p_->len);
    }
    std::string str() const { return std::string(data()); }
    const std::uint8_t* bytes() const noexcept { return p_->data; }
    std::size_t len() const noexcept { return p_->len; }
    /// The datagram's real size (> len() when truncated to the mtu).
    std::size_t size() const noexcept { return p_->size; }
    bool truncated() const noexcept { return p_->size > p_->len; }
    Address from() const { return Address(p_->from); }
    Address group() const { return Address(p_->group); }
    std::uint32_t ifindex() const noexcept { return p_->ifindex; }
    const mc_packet& raw() const noexcept { return *p_; }

private:
    const mc_packet* p_;
};

// ---------------------------------------------------------------------------------------
// Options

/// Owns an mc_opts (move-only). Setters validate at once and throw on a bad value; they
/// chain, on lvalues and temporaries alike: Options().group("ff02::1").iface("lo").
class Options {
public:
    Options() : o_(mc_opts_new()) {
        if (!o_) throw std::bad_alloc();
    }
    ~Options() { mc_opts_free(o_); }
    Options(Options&& other) noexcept : o_(std::exchange(other.o_, nullptr)) {}
    Options& operator=(Options&& other) noexcept {
        if (this != &other) {
            mc_opts_free(o_);
            o_ = std::exchange(other.o_, nullptr);
        }
        return *this;
    }
    Options(const Options&) = delete;
    Options& operator=(const Options&) = delete;

    /// IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal.
    Options& group(const std::string& g) & { return set(mc_opts_set_group(o_, g.c_str()), "mc_opts_set_group"); }
    Options&& group(const std::string& g) && { return std::move(group(g)); }
    Options& port(std::uint16_t p) & { return set(mc_opts_set_port(o_, p), "mc_opts_set_port"); }
    Options&& port(std::uint16_t p) && { return std::move(port(p)); }
    Options& ttl(int t) & { return set(mc_opts_set_ttl(o_, t), "mc_opts_set_ttl"); }
    Options&& ttl(int t) && { return std::move(ttl(t)); }
    Options& mtu(std::size_t m) & { return set(mc_opts_set_mtu(o_, m), "mc_opts_set_mtu"); }
    Options&& mtu(std::size_t m) && { return std::move(mtu(m)); }
    /// Interface name ("eth0"), index ("3"), address, or "*" (listeners: every interface).
    Options& iface(const std::string& i) & { return set(mc_opts_set_interface(o_, i.c_str()), "mc_opts_set_interface"); }
    Options&& iface(const std::string& i) && { return std::move(iface(i)); }
    /// Back to the system's choice of interface.
    Options& default_iface() & { return set(mc_opts_set_interface(o_, nullptr), "mc_opts_set_interface"); }
    Options&& default_iface() && { return std::move(default_iface()); }
    Options& loopback(bool on) & { return set(mc_opts_set_loopback(o_, on ? 1 : 0), "mc_opts_set_loopback"); }
    Options&& loopback(bool on) && { return std::move(loopback(on)); }
    /// Source-specific multicast: only this unicast source's packets.
    Options& source(const std::string& s) & { return set(mc_opts_set_source(o_, s.c_str()), "mc_opts_set_source"); }
    Options&& source(const std::string& s) && { return std::move(source(s)); }
    Options& any_source() & { return set(mc_opts_set_source(o_, nullptr), "mc_opts_set_source"); }
    Options&& any_source() && { return std::move(any_source()); }
    /// Senders (multicasters, sendto(opts, ...)) bind to address:port: a unicast address
    /// of this host of the group's family ("192.0.2.1", "fe80::1%eth0"), port 0 for an
    /// ephemeral one. Receivers see it as Packet::from().
    Options& send_from(const std::string& address, std::uint16_t port = 0) & {
        return set(mc_opts_set_send_from(o_, address.c_str(), port), "mc_opts_set_send_from");
    }
    Options&& send_from(const std::string& address, std::uint16_t port = 0) && {
        return std::move(send_from(address, port));
    }
    /// Any address (the default), with port (0: ephemeral).
    Options& send_from_any(std::uint16_t port = 0) & {
        return set(mc_opts_set_send_from(o_, nullptr, port), "mc_opts_set_send_from");
    }
    Options&& send_from_any(std::uint16_t port = 0) && { return std::move(send_from_any(port)); }
    Options& recv_buffer(std::size_t bytes) & { return set(mc_opts_set_recv_buffer(o_, bytes), "mc_opts_set_recv_buffer"); }
    Options&& recv_buffer(std::size_t bytes) && { return std::move(recv_buffer(bytes)); }

    const mc_opts* get() const noexcept { return o_; }
    mc_opts* get() noexcept { return o_; }

private:
    Options& set(int rc, const char* call) {
        detail::check(rc, call);
        return *this;
    }
    mc_opts* o_;
};

// ---------------------------------------------------------------------------------------
// Internals: the heap state that C user_data points at

namespace detail {

/// A C object (listener, multicaster) alive on a poller: dead() when the poller was freed
/// (which closed it), close() to close it now.
struct Object {
    virtual ~Object() = default;
    virtual void dead() noexcept = 0;
    virtual void close() noexcept = 0;
};

struct IoState;

/// What the wrappers know of one mc_poller: the states of its live objects (kept here as
/// long as the C objects may call them), the first exception a callback threw, and how
/// deep in its callbacks the thread is (a Poller destroyed in a callback frees the C
/// poller only when the dispatch is over).
struct Core {
    mc_poller* handle = nullptr;  // nullptr: the default poller (when is_default)
    bool is_default = false;
    bool freed = false;
    bool free_pending = false;
    int depth = 0;
    std::exception_ptr pending;
    std::vector<std::shared_ptr<Object>> live;
    std::unordered_map<int, std::shared_ptr<IoState>> io;

    void add(std::shared_ptr<Object> o) { live.push_back(std::move(o)); }
    void remove(const Object* o) noexcept {
        auto it = std::find_if(live.begin(), live.end(),
                               [o](const std::shared_ptr<Object>& x) { return x.get() == o; });
        if (it != live.end()) live.erase(it);
    }
    /// A callback threw: keep the first exception, stop the poller.
    void fail(std::exception_ptr e) noexcept {
        if (!pending) pending = std::move(e);
        mc_stop(handle);
    }
    void free_now() noexcept {
        if (freed || is_default) return;
        mc_poller_free(handle);
        freed = true;
        free_pending = false;
        handle = nullptr;
        auto objects = std::move(live);
        live.clear();
        for (auto& o : objects) o->dead();
        io.clear();
    }
    /// The owner lets go of the C poller. Inside one of its callbacks, the library would
    /// ignore mc_poller_free: its objects are closed and its fds unregistered now (no
    /// callback of theirs runs again), and the poller is freed after the dispatch.
    void release() noexcept {
        if (is_default || freed) return;
        if (depth > 0) {
            free_pending = true;
            auto objects = std::move(live);
            live.clear();
            for (auto& o : objects) o->close();
            for (auto& entry : io) mc_unregister(handle, entry.first);
            io.clear();  // running callbacks hold their own reference
            mc_stop(handle);
        } else {
            free_now();
        }
    }
    /// After a poll/loop/next/listen returned: finish a deferred free, rethrow what a
    /// callback threw.
    void after_dispatch() {
        if (free_pending && depth == 0) free_now();
        if (pending) std::rethrow_exception(std::exchange(pending, nullptr));
    }
    bool usable() const noexcept { return is_default || !(freed || free_pending); }
};

struct Depth {
    explicit Depth(Core& c) noexcept : c_(c) { ++c_.depth; }
    ~Depth() { --c_.depth; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;

private:
    Core& c_;
};

inline const std::shared_ptr<Core>& default_core() {
    // Deliberately leaked: the C default poller lives until the process exits, and
    // wrappers destroyed during static destruction may still look at it.
    static auto* core = new std::shared_ptr<Core>([] {
        auto c = std::make_shared<Core>();
        c->is_default = true;
        return c;
    }());
    return *core;
}

struct IoState : std::enable_shared_from_this<IoState> {
    std::shared_ptr<Core> core;
    std::function<void(int)> on_read, on_write;

    static void read_cb(void* ud, int fd) noexcept { call(ud, fd, &IoState::on_read); }
    static void write_cb(void* ud, int fd) noexcept { call(ud, fd, &IoState::on_write); }
    static void call(void* ud, int fd, std::function<void(int)> IoState::*which) noexcept {
        auto* s = static_cast<IoState*>(ud);
        auto keep = s->shared_from_this();  // survives an unregister inside the callback
        auto core = s->core;
        Depth d(*core);
        try {
            (s->*which)(fd);
        } catch (...) {
            core->fail(std::current_exception());
        }
    }
};

using Handler = std::function<bool(const Packet&)>;

/// Wraps a callable taking const Packet& and returning void or something
/// convertible to bool.
template <class F>
Handler make_handler(F&& f) {
    using R = std::invoke_result_t<std::decay_t<F>&, const Packet&>;
    if constexpr (std::is_void_v<R>) {
        return [f = std::forward<F>(f)](const Packet& p) mutable {
            f(p);
            return false;
        };
    } else {
        return [f = std::forward<F>(f)](const Packet& p) mutable { return static_cast<bool>(f(p)); };
    }
}

struct ListenerState : Object, std::enable_shared_from_this<ListenerState> {
    std::shared_ptr<Core> core;
    mc_listener* handle = nullptr;
    Handler on_packet;  // empty: pull mode
    Handler filter;

    void dead() noexcept override { handle = nullptr; }
    void close() noexcept override {
        if (handle) mc_listener_close(std::exchange(handle, nullptr));
    }

    static int packet_cb(void* ud, const mc_packet* p) noexcept {
        auto* s = static_cast<ListenerState*>(ud);
        auto keep = s->shared_from_this();  // survives a close inside the handler
        auto core = s->core;
        Depth d(*core);
        bool stop = false;
        try {
            stop = s->on_packet(Packet(p));
        } catch (...) {
            core->fail(std::current_exception());
            return 0;
        }
        if (!s->handle) return 0;  // closed inside the handler: nothing more to say
        if (stop) {                // the library closes and frees it now
            s->handle = nullptr;
            core->remove(s);
            return 1;
        }
        return 0;
    }

    static int filter_cb(void* ud, const mc_packet* p) noexcept {
        auto* s = static_cast<ListenerState*>(ud);
        auto keep = s->shared_from_this();
        auto core = s->core;
        Depth d(*core);
        try {
            return s->filter(Packet(p)) ? 1 : 0;
        } catch (...) {
            core->fail(std::current_exception());
            return 0;
        }
    }
};

}  // namespace detail

/// The answer of a Multicaster's source: a packet (from a string), done() or wait().
class Next {
public:
    enum class Kind { packet, done, wait };
    Next(std::string packet) : kind_(Kind::packet), data_(std::move(packet)) {}  // NOLINT
    Next(const char* packet) : kind_(Kind::packet), data_(packet) {}             // NOLINT
    Next(std::string_view packet) : kind_(Kind::packet), data_(packet) {}        // NOLINT
    /// Finished: the multicaster closes and frees itself.
    static Next done() { return Next(Kind::done); }
    /// Nothing now: not asked again until Multicaster::resume().
    static Next wait() { return Next(Kind::wait); }
    Kind kind() const noexcept { return kind_; }
    std::string& data() noexcept { return data_; }

private:
    explicit Next(Kind k) : kind_(k) {}
    Kind kind_;
    std::string data_;
};

namespace detail {
struct MulticasterState : Object, std::enable_shared_from_this<MulticasterState> {
    std::shared_ptr<Core> core;
    mc_multicaster* handle = nullptr;
    std::function<Next()> source;
    std::string current;  // the packet in hand: valid until next is called again

    void dead() noexcept override { handle = nullptr; }
    void close() noexcept override {
        if (handle) mc_multicaster_close(std::exchange(handle, nullptr));
    }

    static int next_cb(void* ud, const std::uint8_t** data, std::size_t* len) noexcept {
        auto* s = static_cast<MulticasterState*>(ud);
        auto keep = s->shared_from_this();
        auto core = s->core;
        Depth d(*core);
        try {
            Next n = s->source();
            if (!s->handle) return MC_NEXT_DONE;  // closed inside: the answer is ignored
            switch (n.kind()) {
            case Next::Kind::done:  // the library closes and frees it now
                s->handle = nullptr;
                core->remove(s);
                return MC_NEXT_DONE;
            case Next::Kind::wait:
                return MC_NEXT_WAIT;
            case Next::Kind::packet:
                s->current = std::move(n.data());
                *data = reinterpret_cast<const std::uint8_t*>(s->current.data());
                *len = s->current.size();
                return MC_NEXT_PACKET;
            }
        } catch (...) {
            core->fail(std::current_exception());
        }
        return MC_NEXT_WAIT;
    }
};
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Poller

/// An epoll loop (mc_poller). Owning and move-only, or, from default_poller(), a
/// non-owning handle on the process-wide default poller (never freed).
class Poller {
public:
    Poller() {
        mc_poller* p = nullptr;
        detail::check(mc_poller_new(&p), "mc_poller_new");
        core_ = std::make_shared<detail::Core>();
        core_->handle = p;
    }
    /// The process-wide default poller (the C API's NULL poller).
    static Poller default_poller() { return Poller(detail::default_core()); }

    ~Poller() { reset(); }
    Poller(Poller&& other) noexcept = default;
    Poller& operator=(Poller&& other) noexcept {
        if (this != &other) {
            reset();
            core_ = std::move(other.core_);
        }
        return *this;
    }
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    /// Frees the C poller now, closing its listeners and multicasters. Inside one of its
    /// own callbacks, they are closed at once and the C poller is freed as soon as the
    /// running poll returns.
    void reset() noexcept {
        if (core_) core_->release();
        core_.reset();
    }

    /// One wait (ms; 0: don't wait, -1: forever) and dispatch: the number dispatched.
    /// A duration (any std::chrono unit) is rounded up to whole ms; negative or above
    /// INT_MAX ms is multicast::error (MC_EINVAL) before waiting ("Durations", top).
    int poll(int timeout_ms = 0) {
        auto core = live("multicast::Poller::poll");
        int rc = mc_poll(core->handle, timeout_ms);
        core->after_dispatch();
        return detail::check(rc, "mc_poll");
    }
    template <class Rep, class Period>
    int poll(std::chrono::duration<Rep, Period> timeout) {
        return poll(detail::duration_ms(timeout, "mc_poll", "timeout", detail::forever_hint));
    }
    /// Also takes what converts to milliseconds (not a template: conversions apply).
    int poll(std::chrono::milliseconds timeout) { return poll<>(timeout); }
    template <class Rep, class Period>
    int poll(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
        int ms = 0;
        return detail::duration_ms(timeout, ms) ? poll(ms, ec) : detail::to_ec(MC_EINVAL, ec);
    }
    int poll(int timeout_ms, std::error_code& ec) noexcept {
        if (!core_ || !core_->usable()) return detail::to_ec(MC_EINVAL, ec);
        auto core = core_;
        int rc = mc_poll(core->handle, timeout_ms);
        if (core->free_pending && core->depth == 0) core->free_now();
        return detail::to_ec(rc, ec);  // an exception thrown by a callback waits for poll()
    }
    /// Polls until stop() or until nothing is registered: each poll waits up to timeout_ms
    /// (-1: until an event), with interval_ms of sleep between polls. Durations as poll's.
    void loop(int timeout_ms = -1, int interval_ms = 0) {
        auto core = live("multicast::Poller::loop");
        int rc = mc_loop(core->handle, timeout_ms, interval_ms);
        core->after_dispatch();
        detail::check(rc, "mc_loop");
    }
    template <class Rep, class Period>
    void loop(std::chrono::duration<Rep, Period> timeout) {
        loop(detail::duration_ms(timeout, "mc_loop", "timeout", detail::forever_hint), 0);
    }
    template <class Rep1, class Period1, class Rep2, class Period2>
    void loop(std::chrono::duration<Rep1, Period1> timeout, std::chrono::duration<Rep2, Period2> interval) {
        const int t = detail::duration_ms(timeout, "mc_loop", "timeout", detail::forever_hint);
        loop(t, detail::duration_ms(interval, "mc_loop", "interval"));
    }
    /// Wakes a blocked poll/loop (any thread, signal handlers too).
    void stop() const noexcept {
        if (core_ && core_->usable()) mc_stop(core_->handle);
    }
    /// The epoll fd, to nest this poller in another event loop.
    int fd() const { return detail::check(mc_poller_fd(live("multicast::Poller::fd")->handle), "mc_poller_fd"); }

    /// Watches fd: on_read for readable/errors/hang-ups, on_write for writable; flags may
    /// add read/write interest without a callback. The fd stays the caller's.
    void register_fd(int fd, std::function<void(int)> on_read,
                     std::function<void(int)> on_write = nullptr, std::uint32_t flags = 0) {
        auto core = live("multicast::Poller::register_fd");
        auto s = std::make_shared<detail::IoState>();
        s->core = core;
        s->on_read = std::move(on_read);
        s->on_write = std::move(on_write);
        detail::check(mc_register(core->handle, fd, flags, s->on_read ? &detail::IoState::read_cb : nullptr,
                                  s->on_write ? &detail::IoState::write_cb : nullptr, s.get()),
                      "mc_register");
        core->io[fd] = std::move(s);
    }
    void modify_fd(int fd, std::uint32_t flags) {
        detail::check(mc_modify(live("multicast::Poller::modify_fd")->handle, fd, flags), "mc_modify");
    }
    void unregister_fd(int fd) {
        auto core = live("multicast::Poller::unregister_fd");
        detail::check(mc_unregister(core->handle, fd), "mc_unregister");
        core->io.erase(fd);  // the running callback keeps its own reference
    }

    bool is_default() const noexcept { return core_ && core_->is_default; }
    explicit operator bool() const noexcept { return core_ && core_->usable(); }
    /// The C handle (NULL for the default poller).
    mc_poller* get() const noexcept { return core_ ? core_->handle : nullptr; }

    /// Internal: the shared state of this poller (throws if reset or moved from).
    const std::shared_ptr<detail::Core>& live(const char* what) const {
        if (!core_ || !core_->usable()) detail::throw_closed(what);
        return core_;
    }

private:
    explicit Poller(std::shared_ptr<detail::Core> core) : core_(std::move(core)) {}
    std::shared_ptr<detail::Core> core_;
};

// ---------------------------------------------------------------------------------------
// Listener

/// A multicast listener (mc_listener). With a handler, it is called for every packet on
/// poll (returning true stops: the library closes the listener); without one it is in
/// pull mode and next() returns the packets. Move-only; closes on destruction.
class Listener {
public:
    Listener() = default;

    /// Push mode: f(const Packet&) returns bool (true: stop listening) or void.
    template <class F, class = std::enable_if_t<std::is_invocable_v<std::decay_t<F>&, const Packet&>>>
    Listener(const Poller& poller, const Options& opts, F&& on_packet) {
        open(poller, opts, detail::make_handler(std::forward<F>(on_packet)));
    }
    /// Pull mode: packets queue for next().
    Listener(const Poller& poller, const Options& opts) { open(poller, opts, nullptr); }

    ~Listener() { close(); }
    Listener(Listener&&) noexcept = default;
    Listener& operator=(Listener&& other) noexcept {
        if (this != &other) {
            close();
            s_ = std::move(other.s_);
        }
        return *this;
    }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    /// Leaves the group and frees the C listener; allowed inside any callback. No-op when
    /// already closed (by close(), the handler's true, or the poller's end).
    void close() noexcept {
        if (s_ && s_->handle) {
            s_->close();
            s_->core->remove(s_.get());
        }
    }
    bool is_open() const noexcept { return s_ && s_->handle; }
    explicit operator bool() const noexcept { return is_open(); }
    mc_listener* get() const noexcept { return s_ ? s_->handle : nullptr; }

    /// Pull mode: the next packet, or nullopt when none came within timeout_ms (-1:
    /// forever) or the poller was stopped. The Packet is valid until the next call.
    std::optional<Packet> next(int timeout_ms = -1) {
        mc_listener* h = handle("multicast::Listener::next");
        auto core = s_->core;
        const mc_packet* p = nullptr;
        int rc = mc_listener_next(h, &p, timeout_ms);
        core->after_dispatch();
        detail::check(rc, "mc_listener_next");
        if (rc == 0 || !s_ || !s_->handle) return std::nullopt;
        return Packet(p);
    }
    /// A duration is rounded up to whole ms; negative or above INT_MAX ms is
    /// multicast::error (MC_EINVAL) before waiting ("Durations", top).
    template <class Rep, class Period>
    std::optional<Packet> next(std::chrono::duration<Rep, Period> timeout) {
        return next(detail::duration_ms(timeout, "mc_listener_next", "timeout", detail::forever_hint));
    }
    /// Also takes what converts to milliseconds (not a template: conversions apply).
    std::optional<Packet> next(std::chrono::milliseconds timeout) { return next<>(timeout); }
    template <class Rep, class Period>
    std::optional<Packet> next(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
        int ms = 0;
        if (detail::duration_ms(timeout, ms)) return next(ms, ec);
        detail::to_ec(MC_EINVAL, ec);
        return std::nullopt;
    }
    std::optional<Packet> next(int timeout_ms, std::error_code& ec) noexcept {
        if (!is_open()) {
            detail::to_ec(MC_ECLOSED, ec);
            return std::nullopt;
        }
        auto core = s_->core;
        const mc_packet* p = nullptr;
        int rc = mc_listener_next(s_->handle, &p, timeout_ms);
        if (core->free_pending && core->depth == 0) core->free_now();
        detail::to_ec(rc, ec);
        if (rc <= 0 || !is_open()) return std::nullopt;
        return Packet(p);
    }

    /// Accept only packets for which f(const Packet&) is true (replaces any filter).
    template <class F>
    void set_filter(F&& f) {
        mc_listener* h = handle("multicast::Listener::set_filter");
        detail::Handler old = std::move(s_->filter);
        s_->filter = std::forward<F>(f);
        int rc = mc_listener_set_filter(h, &detail::ListenerState::filter_cb, s_.get());
        if (rc < 0) s_->filter = std::move(old);
        detail::check(rc, "mc_listener_set_filter");
    }
    /// Accept only packets whose start matches pattern (Rust regex syntax on bytes;
    /// ${ip}, ${port}, ${mtu} are replaced first).
    void set_filter_regex(const std::string& pattern) {
        detail::check(mc_listener_set_filter_regex(handle("multicast::Listener::set_filter_regex"),
                                                   pattern.c_str()),
                      "mc_listener_set_filter_regex");
        s_->filter = nullptr;  // the callback filter, if any, was replaced
    }
    void clear_filter() {
        detail::check(mc_listener_set_filter(handle("multicast::Listener::clear_filter"), nullptr, nullptr),
                      "mc_listener_set_filter");
        s_->filter = nullptr;
    }

    /// The kernel stops delivering group's datagrams from source (a unicast address) to
    /// this listener; group must be one it holds any-source (errc::not_found if it does not
    /// hold it, errc::invalid if source-specific, errc::exists if already blocked).
    void block_source(const std::string& group, const std::string& source) {
        detail::check(mc_listener_block_source(handle("multicast::Listener::block_source"), group.c_str(),
                                               source.c_str()),
                      "mc_listener_block_source");
    }
    void block_source(const std::string& group, const std::string& source, std::error_code& ec) noexcept {
        detail::to_ec(is_open() ? mc_listener_block_source(s_->handle, group.c_str(), source.c_str()) : MC_ECLOSED,
                      ec);
    }
    /// Delivers source's datagrams again (errc::not_found if it was not blocked).
    void unblock_source(const std::string& group, const std::string& source) {
        detail::check(mc_listener_unblock_source(handle("multicast::Listener::unblock_source"), group.c_str(),
                                                 source.c_str()),
                      "mc_listener_unblock_source");
    }
    void unblock_source(const std::string& group, const std::string& source, std::error_code& ec) noexcept {
        detail::to_ec(
            is_open() ? mc_listener_unblock_source(s_->handle, group.c_str(), source.c_str()) : MC_ECLOSED, ec);
    }

    int fd() const { return detail::check(mc_listener_fd(handle("multicast::Listener::fd")), "mc_listener_fd"); }
    mc_listener_stats stats() const {
        mc_listener_stats st{};
        detail::check(mc_listener_get_stats(handle("multicast::Listener::stats"), &st), "mc_listener_get_stats");
        return st;
    }
    std::uint64_t queue_drops() const {
        std::uint64_t n = 0;
        detail::check(mc_listener_queue_drops(handle("multicast::Listener::queue_drops"), &n),
                      "mc_listener_queue_drops");
        return n;
    }
    int recv_buffer() const {
        return detail::check(mc_listener_recv_buffer(handle("multicast::Listener::recv_buffer")),
                             "mc_listener_recv_buffer");
    }

private:
    void open(const Poller& poller, const Options& opts, detail::Handler h) {
        const auto& core = poller.live("multicast::Listener");
        auto s = std::make_shared<detail::ListenerState>();
        s->core = core;
        s->on_packet = std::move(h);
        mc_listener* l = nullptr;
        detail::check(mc_listener_new(core->handle, opts.get(),
                                      s->on_packet ? &detail::ListenerState::packet_cb : nullptr, s.get(), &l),
                      "mc_listener_new");
        s->handle = l;
        core->add(s);
        s_ = std::move(s);
    }
    mc_listener* handle(const char* what) const {
        if (!is_open()) detail::throw_closed(what);
        return s_->handle;
    }
    std::shared_ptr<detail::ListenerState> s_;
};

// ---------------------------------------------------------------------------------------
// Multicaster

/// A multicaster (mc_multicaster): whenever its socket is writable, the poller asks the
/// source for the next packet. Move-only; closes on destruction unless already done.
class Multicaster {
public:
    Multicaster() = default;

    /// source() returns Next: a packet (std::string / string_view / const char*),
    /// Next::done() or Next::wait().
    template <class F, class = std::enable_if_t<std::is_invocable_r_v<Next, std::decay_t<F>&>>>
    Multicaster(const Poller& poller, const Options& opts, F&& source) {
        open(poller, opts, std::function<Next()>(std::forward<F>(source)));
    }
    /// Sends these packets in order, then is done (the seed's iterable Multicaster).
    Multicaster(const Poller& poller, const Options& opts, std::vector<std::string> packets) {
        open(poller, opts,
             [packets = std::move(packets), i = std::size_t{0}]() mutable -> Next {
                 if (i == packets.size()) return Next::done();
                 return Next(std::move(packets[i++]));
             });
    }

    ~Multicaster() { close(); }
    Multicaster(Multicaster&&) noexcept = default;
    Multicaster& operator=(Multicaster&& other) noexcept {
        if (this != &other) {
            close();
            s_ = std::move(other.s_);
        }
        return *this;
    }
    Multicaster(const Multicaster&) = delete;
    Multicaster& operator=(const Multicaster&) = delete;

    void close() noexcept {
        if (s_ && s_->handle) {
            s_->close();
            s_->core->remove(s_.get());
        }
    }
    /// False once closed, done, or its poller is gone.
    bool is_open() const noexcept { return s_ && s_->handle; }
    explicit operator bool() const noexcept { return is_open(); }
    mc_multicaster* get() const noexcept { return s_ ? s_->handle : nullptr; }

    /// After the source answered Next::wait(): ask it again when writable.
    void resume() {
        detail::check(mc_multicaster_resume(handle("multicast::Multicaster::resume")), "mc_multicaster_resume");
    }
    /// Sends one packet now on this multicaster's socket; the bytes sent.
    int send(std::string_view packet) {
        return detail::check(
            mc_multicaster_send(handle("multicast::Multicaster::send"), packet.data(), packet.size()),
            "mc_multicaster_send");
    }

private:
    void open(const Poller& poller, const Options& opts, std::function<Next()> source) {
        const auto& core = poller.live("multicast::Multicaster");
        auto s = std::make_shared<detail::MulticasterState>();
        s->core = core;
        s->source = std::move(source);
        mc_multicaster* m = nullptr;
        detail::check(mc_multicaster_new(core->handle, opts.get(), &detail::MulticasterState::next_cb, s.get(), &m),
                      "mc_multicaster_new");
        s->handle = m;
        core->add(s);
        s_ = std::move(s);
    }
    mc_multicaster* handle(const char* what) const {
        if (!is_open()) detail::throw_closed(what);
        return s_->handle;
    }
    std::shared_ptr<detail::MulticasterState> s_;
};

// ---------------------------------------------------------------------------------------
// Timer

namespace detail {
struct TimerState : Object, std::enable_shared_from_this<TimerState> {
    std::shared_ptr<Core> core;
    mc_timer* handle = nullptr;
    std::function<void()> fn;

    void dead() noexcept override { handle = nullptr; }
    void close() noexcept override {
        if (handle) mc_timer_close(std::exchange(handle, nullptr));
    }

    static void timer_cb(void* ud, mc_timer*) noexcept {
        auto* s = static_cast<TimerState*>(ud);
        auto keep = s->shared_from_this();  // survives a close inside fn
        auto core = s->core;
        Depth d(*core);
        try {
            s->fn();
        } catch (...) {
            core->fail(std::current_exception());
        }
    }
};

/// A delay or interval as the C API's milliseconds (duration_ms: rounded up; negative or
/// above INT_MAX ms throws multicast::error, MC_EINVAL).
template <class Rep, class Period>
std::uint32_t timer_ms(std::chrono::duration<Rep, Period> d, const char* call, const char* what) {
    return static_cast<std::uint32_t>(duration_ms(d, call, what));
}
}  // namespace detail

/// A timer (mc_timer): fn() runs from its poller's dispatch delay after it is armed, then
/// every interval (0: once, then it is disarmed but stays open). Monotonic clock; periods
/// missed while the poller was not polled run fn once. An armed timer keeps
/// Poller::loop() running. Move-only; closes on destruction (fn never runs after that),
/// and may be stopped, re-armed, closed or destroyed inside fn. Closed with its poller.
class Timer {
public:
    Timer() = default;

    /// f() is any callable taking no arguments (its result is ignored). delay and interval
    /// are any std::chrono durations, rounded up to whole ms ("Durations", top).
    template <class Rep1, class Period1, class Rep2 = int, class Period2 = std::milli, class F,
              class = std::enable_if_t<std::is_invocable_v<std::decay_t<F>&>>>
    Timer(const Poller& poller, std::chrono::duration<Rep1, Period1> delay,
          std::chrono::duration<Rep2, Period2> interval, F&& f) {
        const auto& core = poller.live("multicast::Timer");
        const std::uint32_t d = detail::timer_ms(delay, "mc_timer_new", "delay");
        const std::uint32_t i = detail::timer_ms(interval, "mc_timer_new", "interval");
        auto s = std::make_shared<detail::TimerState>();
        s->core = core;
        s->fn = [f = std::forward<F>(f)]() mutable { f(); };
        mc_timer* t = nullptr;
        detail::check(mc_timer_new(core->handle, d, i, &detail::TimerState::timer_cb, s.get(), &t), "mc_timer_new");
        s->handle = t;
        core->add(s);
        s_ = std::move(s);
    }

    ~Timer() { close(); }
    Timer(Timer&&) noexcept = default;
    Timer& operator=(Timer&& other) noexcept {
        if (this != &other) {
            close();
            s_ = std::move(other.s_);
        }
        return *this;
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    /// Re-arms it from now (also inside fn, and when stopped or fired once).
    template <class Rep1, class Period1, class Rep2 = int, class Period2 = std::milli>
    void set(std::chrono::duration<Rep1, Period1> delay,
             std::chrono::duration<Rep2, Period2> interval = std::chrono::duration<Rep2, Period2>::zero()) {
        mc_timer* h = handle("multicast::Timer::set");
        const std::uint32_t d = detail::timer_ms(delay, "mc_timer_set", "delay");
        detail::check(mc_timer_set(h, d, detail::timer_ms(interval, "mc_timer_set", "interval")), "mc_timer_set");
    }
    template <class Rep1, class Period1, class Rep2 = int, class Period2 = std::milli>
    void set(std::chrono::duration<Rep1, Period1> delay, std::chrono::duration<Rep2, Period2> interval,
             std::error_code& ec) noexcept {
        if (!is_open()) {
            detail::to_ec(MC_ECLOSED, ec);
            return;
        }
        int d = 0, i = 0;
        if (!detail::duration_ms(delay, d) || !detail::duration_ms(interval, i)) {
            detail::to_ec(MC_EINVAL, ec);
            return;
        }
        detail::to_ec(mc_timer_set(s_->handle, static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(i)), ec);
    }
    /// Disarms it: fn does not run until set().
    void stop() { detail::check(mc_timer_stop(handle("multicast::Timer::stop")), "mc_timer_stop"); }
    void stop(std::error_code& ec) noexcept { detail::to_ec(is_open() ? mc_timer_stop(s_->handle) : MC_ECLOSED, ec); }
    /// Closes and frees it: fn never runs again. No-op when already closed.
    void close() noexcept {
        if (s_ && s_->handle) {
            s_->close();
            s_->core->remove(s_.get());
        }
    }
    /// False once closed or its poller is gone (a stopped timer is still open).
    bool is_open() const noexcept { return s_ && s_->handle; }
    explicit operator bool() const noexcept { return is_open(); }
    mc_timer* get() const noexcept { return s_ ? s_->handle : nullptr; }

private:
    mc_timer* handle(const char* what) const {
        if (!is_open()) detail::throw_closed(what);
        return s_->handle;
    }
    std::shared_ptr<detail::TimerState> s_;
};

// ---------------------------------------------------------------------------------------
// Sending and the blocking listen

/// Sends one packet now to group:port with ttl; the bytes sent. Thread-safe.
inline int sendto(std::string_view packet, const std::string& group = default_group,
                  std::uint16_t port = default_port, int ttl = default_ttl) {
    return detail::check(mc_sendto(packet.data(), packet.size(), group.c_str(), port, ttl), "mc_sendto");
}
/// The same, reporting failure in ec (group NULL: the default group).
inline int sendto(std::string_view packet, const char* group, std::uint16_t port, int ttl,
                  std::error_code& ec) noexcept {
    return detail::to_ec(mc_sendto(packet.data(), packet.size(), group, port, ttl), ec);
}

/// The seed's sendto(packets, ...): all packets in order (one sendmmsg batch); the
/// number sent (fewer only if the OS refused midway).
inline std::size_t sendto(const std::vector<std::string>& packets, const std::string& group = default_group,
                          std::uint16_t port = default_port, int ttl = default_ttl) {
    std::vector<mc_buf> bufs;
    bufs.reserve(packets.size());
    for (const auto& p : packets) bufs.push_back(mc_buf{p.data(), p.size()});
    return static_cast<std::size_t>(
        detail::check(mc_sendto_many(bufs.data(), bufs.size(), group.c_str(), port, ttl), "mc_sendto_many"));
}

/// Sends one packet as opts says (group, port, ttl, interface, loopback).
inline int sendto(const Options& opts, std::string_view packet) {
    return detail::check(mc_sendto_opts(opts.get(), packet.data(), packet.size()), "mc_sendto_opts");
}
inline int sendto(const Options& opts, std::string_view packet, std::error_code& ec) noexcept {
    return detail::to_ec(mc_sendto_opts(opts.get(), packet.data(), packet.size()), ec);
}

/// The seed's listen(): listens on the default poller until handler returns true or
/// limit packets were handled (0: no limit); the number handled. Blocks.
template <class F>
std::size_t listen(F&& handler, const std::string& group = default_group, std::uint16_t port = default_port,
                   std::size_t mtu = default_mtu, std::size_t limit = 0) {
    struct Ctx {
        detail::Handler h;
        std::exception_ptr error;
    } ctx{detail::make_handler(std::forward<F>(handler)), nullptr};
    auto cb = [](void* ud, const mc_packet* p) noexcept -> int {
        auto* c = static_cast<Ctx*>(ud);
        try {
            return c->h(Packet(p)) ? 1 : 0;
        } catch (...) {
            c->error = std::current_exception();
            return 1;
        }
    };
    int rc = mc_listen(cb, &ctx, group.c_str(), port, mtu, limit);
    if (ctx.error) std::rethrow_exception(ctx.error);
    detail::default_core()->after_dispatch();  // what other default-poller callbacks threw
    return static_cast<std::size_t>(detail::check(rc, "mc_listen"));
}

/// Stops the default poller's poll/loop/listen (any thread).
inline void stop() noexcept { mc_stop(nullptr); }

}  // namespace multicast

#endif  // MULTICAST_HPP
