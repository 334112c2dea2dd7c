//! The link state machine, pure: no I/O, no clock of its own (`now` is an argument), so
//! every rule of the contract is a unit test here.
//!
//! States: `uploading` → `available` → (`consumed` | `expired` | `revoked`). The first
//! terminal state wins: a consumed share revoked later still *reads* consumed on its link,
//! but the revocation is recorded (`revoked_at`) and stops its live tickets at once; that is
//! the "a revoked share stops serving at once, ticket or not" rule. An `available` share past
//! its expiry is `expired` even before the sweeper writes it down.
//!
//! Order of checks on a link: invisible while uploading (`not_found`), then the address
//! binding (an address outside `allow_ips` learns nothing more), then gone-ness.

use std::net::IpAddr;

use ipnet::IpNet;
use share_proto::relay::{CreateShare, GoneReason, ShareState};

use crate::store::{ShareRecord, TicketRecord};

/// Why a request is refused, in the policy's terms; the API maps each to an error code and
/// the audit stream to a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No such link, share or ticket (or not visible yet).
    NotFound,
    /// Ended: why and when (Unix ms).
    Gone(GoneReason, i64),
    /// The client address is outside the share's `allow_ips`.
    IpNotAllowed,
    /// Above a ceiling.
    Policy(String),
    /// Declared size above `--max-size`.
    TooLarge(String),
    /// Malformed.
    BadRequest(String),
}

impl Denial {
    /// The audit `reason` for this denial.
    pub fn reason(&self) -> &'static str {
        match self {
            Denial::NotFound => "not_found",
            Denial::Gone(r, _) => r.as_str(),
            Denial::IpNotAllowed => "ip_not_allowed",
            Denial::Policy(_) => "policy",
            Denial::TooLarge(_) => "too_large",
            Denial::BadRequest(_) => "bad_request",
        }
    }
}

/// The relay's ceilings, as the policy needs them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest share in bytes.
    pub max_size: u64,
    /// Expiry when none is asked for, ms.
    pub default_expiry_ms: i64,
    /// Longest expiry, ms.
    pub max_expiry_ms: i64,
    /// Highest download limit.
    pub max_downloads: u32,
}

/// A validated `POST /api/v1/shares`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePlan {
    /// Declared size.
    pub size: u64,
    /// Absolute expiry, Unix ms.
    pub expires_at: i64,
    /// Download limit.
    pub max_downloads: u32,
    /// Normalised address binding.
    pub allow_ips: Vec<IpNet>,
}

/// Checks a create request against the ceilings: too large is `too_large`, expiry or
/// downloads above the ceilings are `policy` (never clamped), nonsense is `bad_request`.
pub fn plan_create(req: &CreateShare, limits: &Limits, now: i64) -> Result<CreatePlan, Denial> {
    if req.size > limits.max_size {
        return Err(Denial::TooLarge(format!(
            "the share is {} bytes; this relay accepts at most {} bytes",
            req.size, limits.max_size
        )));
    }
    let min = share_proto::relay::AGE_HEADER.len() as u64;
    if req.size < min {
        return Err(Denial::BadRequest(format!(
            "size must be at least {min} bytes (an age file starts with its header line)"
        )));
    }
    let expiry_ms = match req.expires_in {
        None => limits.default_expiry_ms,
        Some(0) => {
            return Err(Denial::BadRequest(
                "expires_in must be at least 1 second".into(),
            ));
        }
        Some(secs) => {
            let ms = i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000);
            if ms > limits.max_expiry_ms {
                return Err(Denial::Policy(format!(
                    "expires_in is {secs} s; this relay allows at most {} s",
                    limits.max_expiry_ms / 1000
                )));
            }
            ms
        }
    };
    let max_downloads = match req.max_downloads {
        None => 1,
        Some(0) => {
            return Err(Denial::BadRequest(
                "max_downloads must be at least 1".into(),
            ));
        }
        Some(n) if n > limits.max_downloads => {
            return Err(Denial::Policy(format!(
                "max_downloads is {n}; this relay allows at most {}",
                limits.max_downloads
            )));
        }
        Some(n) => n,
    };
    let allow_ips = parse_allow_ips(req.allow_ips.as_deref().unwrap_or_default())?;
    Ok(CreatePlan {
        size: req.size,
        expires_at: now.saturating_add(expiry_ms),
        max_downloads,
        allow_ips,
    })
}

/// Parses CIDRs or bare addresses (a bare address is a single-address network).
pub fn parse_allow_ips(list: &[String]) -> Result<Vec<IpNet>, Denial> {
    if list.len() > 64 {
        return Err(Denial::BadRequest(
            "allow_ips lists at most 64 entries".into(),
        ));
    }
    list.iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<IpNet>()
                .map(|n| n.trunc())
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Denial::BadRequest(format!("allow_ips: `{s}` is not an address or CIDR"))
                })
        })
        .collect()
}

/// Whether `ip` may use a share bound to `allow` (empty: anyone).
pub fn ip_allowed(allow: &[IpNet], ip: IpAddr) -> bool {
    allow.is_empty() || allow.iter().any(|n| n.contains(&ip))
}

/// The state a share is in at `now` (an `available` share past its expiry is `expired`).
pub fn effective_state(share: &ShareRecord, now: i64) -> ShareState {
    match share.state {
        ShareState::Available if share.expires_at <= now => ShareState::Expired,
        s => s,
    }
}

/// Why and since when a share is gone, if it is.
pub fn gone(share: &ShareRecord, now: i64) -> Option<(GoneReason, i64)> {
    let ended = share.ended_at.unwrap_or(share.expires_at);
    match effective_state(share, now) {
        ShareState::Uploading | ShareState::Available => None,
        ShareState::Consumed => Some((GoneReason::Consumed, ended)),
        ShareState::Expired => Some((GoneReason::Expired, share.expires_at.min(ended))),
        ShareState::Revoked => Some((GoneReason::Revoked, share.revoked_at.unwrap_or(ended))),
    }
}

/// May `ip` view or claim this link now?
pub fn link_access(share: &ShareRecord, ip: IpAddr, now: i64) -> Result<(), Denial> {
    if share.state == ShareState::Uploading {
        return Err(Denial::NotFound);
    }
    if !ip_allowed(&share.allow_ips, ip) {
        return Err(Denial::IpNotAllowed);
    }
    match gone(share, now) {
        Some((reason, at)) => Err(Denial::Gone(reason, at)),
        None => Ok(()),
    }
}

/// May `ip` fetch the content (or confirm completion) with this ticket now? A live ticket
/// keeps working after its share is consumed or expires (the claim was legitimate), until the
/// ticket's own expiry or completion, unless the share was revoked.
pub fn ticket_access(
    share: &ShareRecord,
    ticket: &TicketRecord,
    ip: IpAddr,
    now: i64,
) -> Result<(), Denial> {
    if ticket.completed_at.is_some() || ticket.expires_at <= now {
        return Err(Denial::NotFound);
    }
    if let Some(at) = share.revoked_at {
        return Err(Denial::Gone(GoneReason::Revoked, at));
    }
    if !ip_allowed(&share.allow_ips, ip) {
        return Err(Denial::IpNotAllowed);
    }
    if !share.content {
        return Err(Denial::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(state: ShareState) -> ShareRecord {
        ShareRecord {
            id: "s".into(),
            link_hash: "l".into(),
            manage_hash: "m".into(),
            state,
            size: 100,
            max_downloads: 1,
            remaining: 1,
            allow_ips: vec![],
            created_at: 0,
            expires_at: 10_000,
            ended_at: None,
            revoked_at: None,
            content: true,
            key_name: None,
        }
    }

    fn limits() -> Limits {
        Limits {
            max_size: 1000,
            default_expiry_ms: 5000,
            max_expiry_ms: 10_000,
            max_downloads: 5,
        }
    }

    fn req(size: u64) -> CreateShare {
        CreateShare {
            size,
            expires_in: None,
            max_downloads: None,
            allow_ips: None,
        }
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn create_ceilings() {
        let p = plan_create(&req(100), &limits(), 1).unwrap();
        assert_eq!((p.expires_at, p.max_downloads), (5001, 1));
        assert!(matches!(
            plan_create(&req(1001), &limits(), 0),
            Err(Denial::TooLarge(_))
        ));
        assert!(matches!(
            plan_create(&req(5), &limits(), 0),
            Err(Denial::BadRequest(_))
        ));
        let r = CreateShare {
            expires_in: Some(11),
            ..req(100)
        };
        assert!(matches!(
            plan_create(&r, &limits(), 0),
            Err(Denial::Policy(_))
        ));
        let r = CreateShare {
            expires_in: Some(10),
            ..req(100)
        };
        assert!(plan_create(&r, &limits(), 0).is_ok());
        let r = CreateShare {
            max_downloads: Some(6),
            ..req(100)
        };
        assert!(matches!(
            plan_create(&r, &limits(), 0),
            Err(Denial::Policy(_))
        ));
        let r = CreateShare {
            max_downloads: Some(0),
            ..req(100)
        };
        assert!(matches!(
            plan_create(&r, &limits(), 0),
            Err(Denial::BadRequest(_))
        ));
        let r = CreateShare {
            allow_ips: Some(vec!["10.1.2.3/8".into(), "::1".into()]),
            ..req(100)
        };
        let p = plan_create(&r, &limits(), 0).unwrap();
        assert_eq!(p.allow_ips[0].to_string(), "10.0.0.0/8");
        assert_eq!(p.allow_ips[1].to_string(), "::1/128");
        let r = CreateShare {
            allow_ips: Some(vec!["nope".into()]),
            ..req(100)
        };
        assert!(matches!(
            plan_create(&r, &limits(), 0),
            Err(Denial::BadRequest(_))
        ));
    }

    #[test]
    fn link_states() {
        assert_eq!(
            link_access(&share(ShareState::Uploading), IP, 0),
            Err(Denial::NotFound)
        );
        assert_eq!(link_access(&share(ShareState::Available), IP, 0), Ok(()));
        assert_eq!(
            link_access(&share(ShareState::Available), IP, 10_000),
            Err(Denial::Gone(GoneReason::Expired, 10_000))
        );
        let mut s = share(ShareState::Consumed);
        s.ended_at = Some(7);
        s.revoked_at = Some(9);
        // First terminal state wins on the link...
        assert_eq!(
            link_access(&s, IP, 0),
            Err(Denial::Gone(GoneReason::Consumed, 7))
        );
        // ...but the revocation stops tickets.
        let t = TicketRecord {
            hash: "t".into(),
            share_id: "s".into(),
            created_at: 0,
            expires_at: 100,
            completed_at: None,
        };
        assert_eq!(
            ticket_access(&s, &t, IP, 0),
            Err(Denial::Gone(GoneReason::Revoked, 9))
        );
        let mut bound = share(ShareState::Available);
        bound.allow_ips = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(link_access(&bound, IP, 0), Err(Denial::IpNotAllowed));
        assert_eq!(link_access(&bound, "10.9.9.9".parse().unwrap(), 0), Ok(()));
    }

    #[test]
    fn tickets() {
        let s = share(ShareState::Consumed);
        let mut t = TicketRecord {
            hash: "t".into(),
            share_id: "s".into(),
            created_at: 0,
            expires_at: 100,
            completed_at: None,
        };
        assert_eq!(ticket_access(&s, &t, IP, 50), Ok(()));
        assert_eq!(ticket_access(&s, &t, IP, 100), Err(Denial::NotFound));
        t.completed_at = Some(60);
        assert_eq!(ticket_access(&s, &t, IP, 70), Err(Denial::NotFound));
    }
}
