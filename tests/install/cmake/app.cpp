// app.cpp - a C++ program built against an *installed* libmulticast through its CMake
// package (find_package(multicast) -> multicast::multicast) and the installed wrapper
// <multicast.hpp>: listens on 239.1.2.4:4344 in pull mode, sends itself one packet and
// waits up to five seconds for it. Prints "cpp ok: VERSION, got N bytes" and exits 0.
// It sends a packet: run it only inside tests/netns-run.
#include <multicast.hpp>

#include <iostream>
#include <string>

int main() {
    try {
        multicast::Poller poller;
        multicast::Options opts;
        opts.group("239.1.2.4").port(4344).ttl(multicast::ttl::host);
        multicast::Listener listener(poller, opts);
        multicast::sendto("installed c++", "239.1.2.4", 4344, multicast::ttl::host);
        auto packet = listener.next(5000);
        if (!packet) {
            std::cerr << "app_cpp: no packet within 5 s\n";
            return 1;
        }
        if (packet->str() != "installed c++") {
            std::cerr << "app_cpp: got \"" << packet->str() << "\"\n";
            return 1;
        }
        std::cout << "cpp ok: " << multicast::version() << ", got " << packet->size() << " bytes\n";
        return 0;
    } catch (const multicast::error& e) {
        std::cerr << "app_cpp: " << e.what() << "\n";
        return 1;
    }
}
