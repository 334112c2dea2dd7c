//! Where the index of a multi-part share may send the receiver. The index is not
//! authenticated (anyone who controls the host can rewrite it), so its part links are
//! requests the host asks the receiver to make, often from a CI runner inside a private
//! network. They are followed only when they stay where the index itself came from:
//!
//! - on the index's own origin (scheme, host and port of the link or of the final URL it
//!   was served from), or on a host of the same download family (for tfLink, `tmpfile.link`
//!   and its subdomains such as `d.tmpfile.link`);
//! - never from https down to http;
//! - never to a loopback, link-local, private or otherwise internal address, unless the
//!   index itself was served from such an address (a relay or a stand-in on the local
//!   network, the tests on 127.0.0.1). Names are checked as they resolve, so a public name
//!   that later resolves to an internal address is refused too (behind a proxy, which
//!   resolves names itself, only addresses written as numbers can be checked);
//! - with the same rule for every redirect hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use crate::transport::network::is_web_url;

/// Hosts that form one download family: a part on any of them may be listed by an index
/// served from any other.
const FAMILIES: &[&str] = &["tmpfile.link"];

/// The rule for one index's part links.
#[derive(Debug, Clone)]
pub struct PartRule {
    origins: Vec<url::Origin>,
    https: bool,
    family: Option<&'static str>,
    allow_internal: bool,
}

impl PartRule {
    /// The rule for an index fetched from `link`, finally served from `served_from`
    /// (after redirects) by the peer `peer`.
    pub fn for_index(link: &Url, served_from: &Url, peer: Option<IpAddr>) -> PartRule {
        let https = link.scheme() == "https" || served_from.scheme() == "https";
        let family = FAMILIES
            .iter()
            .copied()
            .find(|family| [link, served_from].iter().any(|url| in_family(url, family)));
        let literal_internal = [link, served_from]
            .iter()
            .any(|url| host_ip(url).is_some_and(is_internal));
        PartRule {
            origins: vec![link.origin(), served_from.origin()],
            https,
            family,
            allow_internal: literal_internal || peer.is_some_and(is_internal),
        }
    }

    /// Whether internal addresses may be reached (the index came from one).
    pub fn allows_internal(&self) -> bool {
        self.allow_internal
    }

    /// Why `url` may not be requested for this index, or `None` when it may.
    pub fn problem_with(&self, url: &Url) -> Option<&'static str> {
        if !is_web_url(url) {
            return Some("it is not an http(s) link");
        }
        if self.https && url.scheme() == "http" {
            return Some("it would go from https down to plain http");
        }
        let same_origin = self.origins.contains(&url.origin());
        let same_family = self.family.is_some_and(|family| in_family(url, family));
        if !same_origin && !same_family {
            return Some("it is on another host than the index");
        }
        if !self.allow_internal && host_ip(url).is_some_and(is_internal) {
            return Some("it points to an internal network address");
        }
        None
    }
}

fn in_family(url: &Url, family: &str) -> bool {
    url.host_str().is_some_and(|host| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        host == family || host.ends_with(&format!(".{family}"))
    })
}

fn host_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

/// Whether an address belongs to this machine or a private network rather than the
/// public internet: loopback, private (RFC 1918), shared (RFC 6598), link-local,
/// unspecified, benchmarking, reserved, multicast and broadcast addresses, IPv6 unique
/// and site-local addresses, and IPv6 forms that embed such an IPv4 address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_internal_v4(ip),
        IpAddr::V6(ip) => is_internal_v6(ip),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, _, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking, RFC 2544
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:a.b.c.d::)
        || (segments[..6] == [0; 6] && is_internal_v4(embedded_v4(segments[6], segments[7])))
        || (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            && is_internal_v4(embedded_v4(segments[6], segments[7])))
        || (segments[0] == 0x2002 && is_internal_v4(embedded_v4(segments[1], segments[2])))
}

/// A resolver that drops internal addresses, so that a public name cannot be made to
/// lead into the receiver's network.
#[derive(Debug, Clone, Default)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| !is_internal(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(format!(
                    "{host} resolves only to internal network addresses, which a share index may not point to"
                )
                .into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The environment variables that name a proxy for the HTTP client, as for curl.
pub const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether requests would go through a proxy from the environment (which then resolves
/// names itself).
pub fn proxy_configured() -> bool {
    PROXY_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// The resolver for part downloads under `rule`, if names need checking.
pub fn resolver_for(rule: &PartRule) -> Option<Arc<PublicOnlyResolver>> {
    (!rule.allows_internal() && !proxy_configured()).then(|| Arc::new(PublicOnlyResolver))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn parts_stay_on_the_index_origin_or_family() {
        let link = url("https://d.tmpfile.link/public/2026/u/share-index.json");
        let rule = PartRule::for_index(&link, &link, Some("93.184.216.34".parse().unwrap()));
        assert_eq!(
            rule.problem_with(&url("https://d.tmpfile.link/public/x/share.age")),
            None
        );
        assert_eq!(rule.problem_with(&url("https://tmpfile.link/x")), None);
        assert!(rule.problem_with(&url("http://d.tmpfile.link/x")).is_some());
        assert!(rule.problem_with(&url("https://evil.example/x")).is_some());
        assert!(
            rule.problem_with(&url("https://tmpfile.link.evil.example/x"))
                .is_some()
        );
        assert!(rule.problem_with(&url("https://127.0.0.1/x")).is_some());
        assert!(rule.problem_with(&url("https://[::1]/x")).is_some());
        assert!(
            rule.problem_with(&url("https://169.254.169.254/latest"))
                .is_some()
        );
    }

    #[test]
    fn an_index_from_an_internal_address_may_list_parts_there() {
        let link = url("http://127.0.0.1:4000/public/share-index.json");
        let rule = PartRule::for_index(&link, &link, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            rule.problem_with(&url("http://127.0.0.1:4000/p/share.age")),
            None
        );
        assert!(rule.problem_with(&url("http://127.0.0.1:4001/p")).is_some());
        assert!(rule.problem_with(&url("http://localhost:4000/p")).is_some());
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "::127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "8.8.8.8",
            "203.0.114.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
