//! The seed inputs of each fuzz target: valid inputs built with the
//! harnesses' own encoders, so that fuzzing starts from what the parsers
//! accept.

use super::{cmsg_encode, cmsg_msg, nl_encode, nl_message, nl_route_reply};

/// Valid inputs of each target, so that the fuzzer starts deep: what
/// fuzz/run.sh writes to an empty corpus (fuzz/corpus/NAME/seed-N).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    use crate::cmsg::Info;
    use crate::netlink::Event;
    match target {
        "cmsg" => {
            let v4 = Info {
                dst: Some("239.1.2.3".parse().unwrap()),
                ifindex: 3,
                drops: Some(9),
                timestamp_ns: 5_000_000_007,
                ttl: 31,
                gro_segment: Some(1400),
            };
            let v6 = Info {
                dst: Some("ff02::1".parse().unwrap()),
                ifindex: 4,
                ttl: 4,
                ..Info::default()
            };
            let mut short_gro = cmsg_msg(libc::SOL_UDP, libc::UDP_GRO, &1200u16.to_ne_bytes());
            short_gro.extend(cmsg_msg(libc::IPPROTO_IP, 99, &[1, 2, 3]));
            vec![cmsg_encode(&v4), cmsg_encode(&v6), short_gro]
        }
        "netlink" => {
            let events = [
                Event::Link {
                    index: 7,
                    name: Some("mc0".into()),
                    up: true,
                    multicast: true,
                },
                Event::LinkGone {
                    index: 7,
                    name: Some("mc0".into()),
                },
                Event::Address { index: 7 },
                Event::Route,
                Event::Lost,
            ];
            let seq = 1u32.to_ne_bytes();
            let err = nl_message(2, 1, &(-libc::ENETUNREACH).to_ne_bytes());
            let ack = nl_message(2, 1, &0i32.to_ne_bytes());
            vec![
                [&seq[..], &nl_encode(&events).unwrap()].concat(),
                [&seq[..], &nl_route_reply(1, 3)].concat(),
                [&seq[..], &ack, &err].concat(),
                [&seq[..], &nl_message(3, 1, &[])].concat(),
            ]
        }
        "strings" => [
            "224.0.42.42",
            " 239.1.2.3\t",
            "ff02::1",
            "FF05:0:0:0:0:0:0:4242",
            "::ffff:224.0.0.1",
            "10.0.0.1",
            "fd42::2",
            "255.255.255.255",
            "0.0.0.0",
            "[ff02::1]",
            "ff02::1%lo",
            "224.0.0.1:5000",
            "lo",
            "lo:1",
            "1",
            "0001",
            "4294967297",
            "*",
            "127.0.0.1",
            "::1",
            "eth0",
            "caf\u{e9}",
            "\u{1f600}",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([b"22\xff4.0.0.1".to_vec(), b"lo\x00x".to_vec()])
        .collect(),
        "filter" => [
            (
                &[0u8, 0, 42, 42][..],
                "to ${ip}:${port} mtu ${mtu}",
                &b"to 239.0.42.0:10794"[..],
            ),
            (
                &[1, 2, 0x42, 0x10],
                "${ip}|(?i)x[a-f]+\\d{2,}",
                b"ff02::42:1",
            ),
            (&[2, 1, 2, 3], "(?-u)\\xff[a-z]+$", b"\xffabc"),
            (&[3, 5, 1, 0], "(?x) a b c # the tag", b"abc"),
            (&[4, 0, 0, 0], "(?P<n>\\w+)\\s*=\\s*(?:[^;]*);", b"key = v;"),
            (&[0, 9, 9, 9], "a)|(b", b"b"),
        ]
        .iter()
        .map(|(h, p, d)| [*h, p.as_bytes(), &[0], d].concat())
        .collect(),
        _ => Vec::new(),
    }
}
