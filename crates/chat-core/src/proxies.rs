//! Which proxies may say who the client is. By default none: the client address is the
//! peer the host saw, whatever headers arrive. A deployment behind a reverse proxy lists
//! the proxy's addresses (setting `trusted_proxies`), and the client is then the rightmost
//! `X-Forwarded-For` hop that is not one of them: every hop to its right was added by a
//! proxy we trust, every hop to its left could have been written by the client.

use std::net::IpAddr;

use crate::{Error, Result};

/// One address or CIDR range (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl AddressRange {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `x::/n`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Config(format!(
                "trusted_proxies: {text:?} is not an address or a CIDR range"
            ))
        };
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| bad())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return Err(bad());
        }
        Ok(AddressRange { network, prefix })
    }

    /// Whether `ip` lies in the range (an IPv4-mapped IPv6 address counts as its IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        let keep = |width: u32| -> u128 {
            match u32::from(self.prefix) {
                0 => 0,
                p => u128::MAX << (width - p.min(width)),
            }
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = keep(32) as u32;
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = keep(128);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `ip`, with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket
/// reports for an IPv4 peer) as the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies trusted to report the client's address; empty = none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<AddressRange>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and ranges; empty = trust none.
    pub fn parse(list: &str) -> Result<Self> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(AddressRange::parse)
            .collect::<Result<Vec<_>>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// The client behind `peer` (the address the host saw): `peer` itself unless it is a
    /// trusted proxy; then the rightmost hop of `forwarded_for` (every `X-Forwarded-For`
    /// value, in order, joined with commas) that is not trusted. A hop that does not parse
    /// ends the walk at the last good one: nothing left of garbage is believed.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: &str) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for
            .rsplit(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn ranges_contain_what_their_prefix_covers() {
        let lan = AddressRange::parse("10.0.0.0/8").unwrap_or_else(|e| panic!("{e}"));
        assert!(lan.contains(ip("10.200.3.4")));
        assert!(!lan.contains(ip("11.0.0.1")));
        assert!(
            lan.contains(ip("::ffff:10.1.1.1")),
            "IPv4-mapped counts as IPv4"
        );
        let one = AddressRange::parse("127.0.0.1").unwrap_or_else(|e| panic!("{e}"));
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6 = AddressRange::parse("fd00::/8").unwrap_or_else(|e| panic!("{e}"));
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all = AddressRange::parse("0.0.0.0/0").unwrap_or_else(|e| panic!("{e}"));
        assert!(all.contains(ip("203.0.113.1")) && !all.contains(ip("2001:db8::1")));
        for bad in ["10.0.0.0/33", "fd00::/129", "nope", "10.0.0.0/x", ""] {
            assert!(AddressRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn with_no_trusted_proxy_the_peer_is_the_client() {
        let none = TrustedProxies::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            none.client_of(ip("198.51.100.1"), "203.0.113.9"),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies =
            TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap_or_else(|e| panic!("{e}"));
        // The client forged the first hop; our proxies appended the rest.
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), "6.6.6.6, 203.0.113.9, 10.0.0.5"),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), ""),
            ip("127.0.0.1"),
            "no header: the proxy"
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), "10.0.0.7, 10.0.0.5"),
            ip("10.0.0.7"),
            "every hop trusted: the leftmost"
        );
        assert_eq!(
            proxies.client_of(ip("127.0.0.1"), "203.0.113.9, garbage, 10.0.0.5"),
            ip("10.0.0.5"),
            "nothing left of garbage is believed"
        );
        assert_eq!(
            proxies.client_of(ip("198.51.100.1"), "203.0.113.9"),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
    }
}
