//! The client address: the socket peer, unless the peer is a `--trusted-proxy`, in which
//! case the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
//!
//! Walking from the right means a client cannot choose its address by sending its own
//! `X-Forwarded-For`: entries it wrote are to the left of what the trusted proxies appended.
//! A malformed entry stops the walk at the last hop that was vouched for. IPv4-mapped IPv6
//! addresses are unmapped so `allow_ips` and rate limits see one form.

use std::net::IpAddr;

use ipnet::IpNet;

/// Canonical form: IPv4-mapped IPv6 becomes IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The client address for a request from `peer` carrying these `X-Forwarded-For` values.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for raw in entries.iter().rev() {
        let raw = raw.trim();
        let Some(ip) = parse_entry(raw) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

fn parse_entry(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    // "[v6]:port" or "v4:port"
    raw.parse::<std::net::SocketAddr>()
        .ok()
        .map(|s| canonical(s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // Untrusted peer: header ignored.
        assert_eq!(
            client_ip(ip("1.2.3.4"), ["9.9.9.9"].into_iter(), &trusted),
            ip("1.2.3.4")
        );
        // Trusted peer: right-most untrusted.
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                ["6.6.6.6, 5.5.5.5, 10.0.0.2"].into_iter(),
                &trusted
            ),
            ip("5.5.5.5")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["6.6.6.6", "5.5.5.5"].into_iter(), &trusted),
            ip("5.5.5.5")
        );
        // Garbage stops the walk.
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["evil, 10.0.0.3"].into_iter(), &trusted),
            ip("10.0.0.3")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.1"), std::iter::empty(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(canonical(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(parse_entry("1.2.3.4:80"), Some(ip("1.2.3.4")));
    }
}
