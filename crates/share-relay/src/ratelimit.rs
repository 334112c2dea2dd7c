//! Per-address rate limiting with GCRA (the generic cell rate algorithm, a token bucket
//! without a refill timer): `N` requests per `DUR` sustained, bursts up to `N`.
//!
//! Each address keeps one "theoretical arrival time" (TAT). A request at `now` passes when
//! `TAT - now <= (N - 1) * T` (with `T = DUR / N`), and moves the TAT to `max(TAT, now) + T`;
//! otherwise it waits `TAT - now - (N - 1) * T`, reported as whole seconds rounded up in
//! `Retry-After`. The first refusal of a limited period is flagged so the audit stream gets
//! one `rate.limited` event per period, not one per refused request. Idle addresses are
//! forgotten so the table stays small.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// A refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Whole seconds until a request would pass (at least 1).
    pub retry_after: u64,
    /// Whether this is the first refusal since the address last passed.
    pub first: bool,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    tat: Instant,
    limited: bool,
}

/// The limiter.
#[derive(Debug)]
pub struct Limiter {
    interval: Duration,
    tolerance: Duration,
    cells: Mutex<HashMap<IpAddr, Cell>>,
}

impl Limiter {
    /// A limiter for `limit`.
    pub fn new(limit: RateLimit) -> Self {
        let count = limit.count.max(1);
        let interval = limit.per / count;
        Self {
            interval,
            tolerance: interval * (count - 1),
            cells: Mutex::new(HashMap::new()),
        }
    }

    /// Checks and counts one request from `ip` at `now`.
    pub fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Limited> {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if cells.len() > 100_000 {
            cells.retain(|_, c| c.tat > now);
        }
        let cell = cells.entry(ip).or_insert(Cell {
            tat: now,
            limited: false,
        });
        let tat = cell.tat.max(now);
        let ahead = tat - now;
        if ahead > self.tolerance {
            let wait = ahead - self.tolerance;
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let first = !cell.limited;
            cell.limited = true;
            return Err(Limited {
                retry_after: secs.max(1),
                first,
            });
        }
        cell.tat = tat + self.interval;
        cell.limited = false;
        Ok(())
    }

    /// Checks and counts one request from `ip` now.
    pub fn check(&self, ip: IpAddr) -> Result<(), Limited> {
        self.check_at(ip, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra() {
        let l = Limiter::new(RateLimit {
            count: 3,
            per: Duration::from_secs(60),
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(ip, t0).is_ok());
        }
        let e = l.check_at(ip, t0).unwrap_err();
        assert_eq!(
            e,
            Limited {
                retry_after: 20,
                first: true
            }
        );
        assert!(!l.check_at(ip, t0).unwrap_err().first);
        assert!(l.check_at(other, t0).is_ok());
        assert_eq!(
            l.check_at(ip, t0 + Duration::from_secs(19))
                .unwrap_err()
                .retry_after,
            1
        );
        assert!(l.check_at(ip, t0 + Duration::from_secs(20)).is_ok());
        assert!(l.check_at(ip, t0 + Duration::from_secs(20)).is_err());
    }
}
