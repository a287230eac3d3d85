//! Which address a request came from: the socket peer, or, when the peer is a proxy the
//! operator trusts (`PURRLIST_TRUSTED_PROXIES`), the client its `X-Forwarded-For` names.
//! An address a client claims is believed only as far as a trusted proxy vouches for it.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose `X-Forwarded-For` is believed: addresses and CIDR ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads a list of IPs or CIDRs (`10.0.0.0/8`, `127.0.0.1`, `::1`); the error names the
    /// entry that is neither.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(format!("{entry:?} is not an IP address or CIDR range")),
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// True when no proxy is trusted (the default): the peer is always the client.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: starting from the peer, each trusted hop's claim (the next
    /// `X-Forwarded-For` entry from the right) is believed, until a hop is not trusted or
    /// a claim cannot be read. `forwarded_for` are the header's values, in order.
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let mut client = canonical(peer);
        if self.is_empty() {
            return client;
        }
        let claims: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for claim in claims.into_iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match read_address(claim) {
                Some(ip) => client = canonical(ip),
                None => break,
            }
        }
        client
    }
}

/// An address as `X-Forwarded-For` may write it: bare, or with a port.
fn read_address(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv4 addresses mapped into IPv6 (`::ffff:1.2.3.4`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("10.0.0.1"), ["203.0.113.5"]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_vouches_for_the_next_hop_only() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8", "::1"]).expect("valid");
        // spoofed, real client, second proxy: the spoofed entry is not believed.
        let header = ["198.51.100.66, 203.0.113.5", "10.1.2.3"];
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), header), ip("203.0.113.5"));
        assert_eq!(
            proxies.client_ip(ip("::1"), ["203.0.113.5:4711"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            proxies.client_ip(ip("192.0.2.1"), ["203.0.113.5"]),
            ip("192.0.2.1")
        );
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), ["junk"]), ip("10.0.0.1"));
        assert_eq!(
            proxies.client_ip(ip("::ffff:10.0.0.1"), ["203.0.113.5"]),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn entries_that_are_not_addresses_are_refused() {
        assert!(TrustedProxies::parse(["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(["proxy.local"]).is_err());
        assert_eq!(
            TrustedProxies::parse([" ", ""]),
            Ok(TrustedProxies::default())
        );
    }
}
