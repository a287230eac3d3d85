//! Which addresses a webhook may be sent to (api.md §6, "Safety"): the public internet
//! only, unless the server runs with `PURRLIST_WEBHOOK_ALLOW_PRIVATE=true`. Refused:
//! unspecified, loopback, private (RFC 1918), shared/CGNAT (100.64/10, where some clouds
//! keep metadata), link-local (169.254/16: the cloud metadata address 169.254.169.254),
//! benchmarking, documentation, multicast, broadcast and reserved ranges; in IPv6 the same,
//! unique-local (fc00::/7, where AWS's fd00:ec2::254 lives), link- and site-local, and every
//! form that carries an IPv4 address (mapped, compatible, NAT64, 6to4), judged by that address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, for the error message; `None`: it is public.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => refusal_v6(v6),
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified (0.0.0.0/8) address",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (100, 64..=127, _) => "a shared (CGNAT) address",
        (169, 254, _) => "a link-local address (cloud metadata)",
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a reserved address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=255, _, _) => "a multicast, broadcast or reserved address",
        _ => return None,
    })
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refusal_v4(v4);
    }
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    Some(match s[0] {
        0 if s[1..6] == [0; 5] => {
            // IPv4-compatible (::a.b.c.d), deprecated.
            return refusal_v4(Ipv4Addr::new(
                (s[6] >> 8) as u8,
                s[6] as u8,
                (s[7] >> 8) as u8,
                s[7] as u8,
            ));
        }
        0x64 if s[1] == 0xff9b => {
            // NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48).
            let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            return refusal_v4(v4).or(if s[2] == 1 {
                Some("a local NAT64 address")
            } else {
                None
            });
        }
        0x2002 => {
            // 6to4 carries an IPv4 address in its second and third segments.
            let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
            return refusal_v4(v4);
        }
        0x2001 if s[1] == 0 => "a Teredo address",
        0x2001 if s[1] == 0xdb8 => "a documentation address",
        0xfc00..=0xfdff => "a unique-local address",
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xff00..=0xffff => "a multicast address",
        0x0100 if s[1..4] == [0; 3] => "a discard-only address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "ff02::1",
        ] {
            let ip: IpAddr = bad.parse().expect("ip");
            assert!(refusal(ip).is_some(), "{bad} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for good in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = good.parse().expect("ip");
            assert_eq!(refusal(ip), None, "{good}");
        }
    }
}
