// example.cpp - libmulticast from C++ through multicast.hpp: a listener lambda, a
// multicaster fed from a std::vector<std::string>, pull mode, filters, sendto, errors,
// timers, blocked sources, send-from and address formatting.
// Exits 0 only if every packet arrived as expected.
//
//   c++ -std=c++17 -Wall -Wextra -Werror -I include example.cpp -lmulticast
//   tests/netns-run ./example [port]          (never on a real network)
#include "multicast.hpp"

#include <chrono>
#include <cstdlib>
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

static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return "[" + s + "]";
}

int main(int argc, char** argv) {
    const std::string group = multicast::default_group;
    const std::uint16_t port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 42421);
    try {
        std::cout << "libmulticast " << multicast::version() << ", group " << group << ":" << port << "\n";
        multicast::Poller poller;
        multicast::Options opts;
        opts.group(group).port(port).ttl(multicast::ttl::host);
        const std::vector<std::string> packets{"alpha", "beta", "gamma", "delta"};

        // 1. A listener lambda; returning true stops it (the library closes it).
        std::vector<std::string> pushed;
        multicast::Listener push(poller, opts, [&](const multicast::Packet& p) {
            pushed.push_back(p.str());
            std::cout << "push:   " << p.data() << " (" << p.size() << " bytes from " << p.from().to_string()
                      << " to " << p.group().to_string() << ")\n";
            return pushed.size() == packets.size();
        });

        // 2. A filtered listener that destroys its own wrapper from inside its handler.
        std::vector<std::string> filtered;
        std::optional<multicast::Listener> once;
        once.emplace(poller, opts, [&](const multicast::Packet& p) {
            filtered.push_back(p.str());
            std::cout << "filter: " << p.data() << "\n";
            once.reset();  // closes the listener; the handler's state lives until it returns
        });
        once->set_filter([](const multicast::Packet& p) { return p.data().find('m') != std::string_view::npos; });

        // 3. Pull mode, with and without a regex filter.
        multicast::Listener pull(poller, opts);
        multicast::Listener pull_re(poller, opts);
        pull_re.set_filter_regex("(alpha|delta)$");

        // 4. A multicaster from a std::vector<std::string>: done after the last one.
        multicast::Multicaster caster(poller, opts, packets);

        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while ((push || caster || once) && std::chrono::steady_clock::now() < deadline) poller.poll(100);
        CHECK(!caster.is_open());  // Next::done(): closed by the library
        CHECK(!push.is_open());    // handler returned true: closed by the library
        CHECK(!once.has_value());
        CHECK(pushed == packets);
        CHECK(filtered == std::vector<std::string>{"gamma"});

        // 5. The send functions: one packet, several, and by Options.
        CHECK(multicast::sendto("epsilon", group, port, multicast::ttl::host) == 7);
        CHECK(multicast::sendto(std::vector<std::string>{"zeta", "eta"}, group, port, multicast::ttl::host) == 2);
        CHECK(multicast::sendto(opts, "theta") == 5);

        std::vector<std::string> pulled;
        while (pulled.size() < 8) {
            auto p = pull.next(2000);
            if (!p) break;
            pulled.push_back(p->str());
        }
        std::cout << "pulled: " << join(pulled) << "\n";
        CHECK(pulled == (std::vector<std::string>{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}));
        CHECK(!pull.next(0));
        const mc_listener_stats st = pull.stats();
        CHECK(st.received == 8 && st.delivered == 8 && st.filtered == 0);

        std::vector<std::string> matched;
        while (auto p = pull_re.next(0)) matched.push_back(p->str());
        std::cout << "regex:  " << join(matched) << " (filtered " << pull_re.stats().filtered << ")\n";
        CHECK(matched == (std::vector<std::string>{"alpha", "delta"}));
        CHECK(pull_re.stats().filtered == 6);

        // 6. Errors: exceptions with the library's code and detail, or std::error_code.
        try {
            multicast::Options().group("10.1.2.3");
            CHECK(!"a unicast group was accepted");
        } catch (const multicast::error& e) {
            std::cout << "error:  " << e.what() << "\n";
            CHECK(e.code() == multicast::errc::address);
            CHECK(std::string(e.what()).find("10.1.2.3") != std::string::npos);
        }
        std::error_code ec;
        multicast::sendto("x", "not-an-address", port, 1, ec);
        std::cout << "ec:     " << ec.message() << "\n";
        CHECK(ec == multicast::errc::address);
        try {
            multicast::Options().port(0);
            CHECK(!"port 0 was accepted");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::invalid_argument);  // MC_EINVAL maps to EINVAL
        }

        // 7. An exception thrown in a callback comes out of poll(), not through C.
        pull.close();
        pull_re.close();
        {
            multicast::Listener thrower(poller, opts, [](const multicast::Packet&) -> bool {
                throw std::runtime_error("thrown in a handler");
            });
            multicast::sendto("omega", group, port, multicast::ttl::host);
            bool caught = false;
            try {
                for (int i = 0; i < 20 && !caught; i++) poller.poll(100);
            } catch (const std::runtime_error& e) {
                caught = std::string(e.what()) == "thrown in a handler";
            }
            CHECK(caught);
            CHECK(thrower.is_open());
        }

        // 8. A listener that outlives its poller is closed with it, and not twice.
        {
            multicast::Listener orphan;
            {
                multicast::Poller p2;
                orphan = multicast::Listener(p2, opts, [](const auto&) {});
                CHECK(orphan.is_open());
            }
            CHECK(!orphan.is_open());
        }

        // 9. Timers: a periodic one that stops itself after three ticks (a stopped timer no
        //    longer keeps loop() running), re-armed as a one-shot; one that destroys its own
        //    wrapper inside its function; durations out of range.
        {
            using std::chrono::milliseconds;
            multicast::Poller tp;
            int ticks = 0;
            multicast::Timer tick;
            const auto t0 = std::chrono::steady_clock::now();  // before: expiries count from here
            tick = multicast::Timer(tp, milliseconds(0), milliseconds(10), [&] {
                if (++ticks == 3) tick.stop();
            });
            tp.loop();
            const auto took = std::chrono::steady_clock::now() - t0;
            std::cout << "timer:  " << ticks << " ticks in "
                      << std::chrono::duration_cast<milliseconds>(took).count() << " ms\n";
            CHECK(ticks == 3);
            CHECK(took >= milliseconds(20));  // never early: 0, 10, 20 ms
            CHECK(tick.is_open());
            tick.set(milliseconds(5));  // once, then disarmed
            tp.loop();
            CHECK(ticks == 4);

            int self_ticks = 0;
            std::optional<multicast::Timer> self;
            self.emplace(tp, milliseconds(1), milliseconds(1), [&] {
                ++self_ticks;
                self.reset();  // closes it; fn never runs again
            });
            tp.loop();
            CHECK(self_ticks == 1 && !self.has_value());

            try {
                multicast::Timer bad(tp, milliseconds(-1), milliseconds(0), [] {});
                CHECK(!"a negative delay was accepted");
            } catch (const multicast::error& e) {
                CHECK(e.code() == multicast::errc::invalid);
            }
            std::error_code tec;
            tick.set(milliseconds(0), milliseconds(-1), tec);
            CHECK(tec == multicast::errc::invalid);
            tick.close();
            tick.stop(tec);
            CHECK(tec == multicast::errc::closed);
            tick.set(milliseconds(1), milliseconds(0), tec);
            CHECK(tec == multicast::errc::closed);
        }

        // 10. Send-from and blocked sources: the listener ignores 127.0.0.2 while it is
        //     blocked, and hears it again once unblocked; format() names the sender.
        {
            const std::uint16_t bport = static_cast<std::uint16_t>(port + 1);
            multicast::Options lopts;
            lopts.group(group).port(bport);
            multicast::Listener bl(poller, lopts);
            multicast::Options from2;
            from2.group(group).port(bport).ttl(multicast::ttl::host).send_from("127.0.0.2", 42999);
            multicast::Options from1;
            from1.group(group).port(bport).ttl(multicast::ttl::host).send_from("127.0.0.1");

            bl.block_source(group, "127.0.0.2");
            std::error_code bec;
            bl.block_source(group, "127.0.0.2", bec);
            CHECK(bec == multicast::errc::exists);
            bl.block_source("224.0.42.99", "127.0.0.2", bec);
            CHECK(bec == multicast::errc::not_found);

            multicast::sendto(from2, "blocked");
            multicast::sendto(from1, "open");
            std::vector<std::string> got;
            while (auto p = bl.next(got.empty() ? 2000 : 200)) {
                got.push_back(p->str() + "@" + multicast::format(p->raw().from));
                CHECK(p->from().to_string() == multicast::format(p->raw().from));
            }
            std::cout << "blocked: " << join(got) << "\n";
            CHECK(got.size() == 1 && got[0].rfind("open@127.0.0.1:", 0) == 0);

            bl.unblock_source(group, "127.0.0.2");
            bl.unblock_source(group, "127.0.0.2", bec);
            CHECK(bec == multicast::errc::not_found);
            multicast::sendto(from2, "again");
            got.clear();
            while (auto p = bl.next(got.empty() ? 2000 : 200)) got.push_back(p->str() + "@" + p->from().to_string());
            std::cout << "unblocked: " << join(got) << "\n";
            CHECK(got == std::vector<std::string>{"again@127.0.0.2:42999"});

            try {
                multicast::Options().send_from("224.0.0.1");
                CHECK(!"a multicast send-from address was accepted");
            } catch (const multicast::error& e) {
                CHECK(e.code() == multicast::errc::address);
            }
        }

        // 11. mc_addr_format: IPv4, IPv6 in brackets, a family it does not know.
        {
            mc_addr a{};
            a.family = AF_INET6;
            a.port = 5000;
            a.ip[0] = 0xff;
            a.ip[1] = 0x05;
            a.ip[15] = 1;
            CHECK(multicast::format(a) == "[ff05::1]:5000");
            a.family = AF_INET;
            a.ip[0] = 192, a.ip[1] = 0, a.ip[2] = 2, a.ip[3] = 1;
            CHECK(multicast::format(a) == "192.0.2.1:5000");
            CHECK(multicast::format(multicast::Address(a)) == "192.0.2.1:5000");
            a.family = 0;
            std::error_code fec;
            CHECK(multicast::format(a, fec).empty() && fec == multicast::errc::invalid);
        }
    } catch (const std::exception& e) {
        std::cerr << "example: " << e.what() << "\n";
        return 1;
    }
    std::cout << (failures ? "FAILED" : "OK: all packets arrived as expected") << "\n";
    return failures ? 1 : 0;
}
