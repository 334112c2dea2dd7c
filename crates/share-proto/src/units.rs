//! Human units on the command line and in configuration: sizes (`5G`, `100M`, `64k`, plain
//! bytes) and durations (`90s`, `30m`, `24h`, `7d`).
//!
//! Size suffixes are powers of 1000, as in `share send --part-size`: `k` (or `K`) is 10³,
//! `M` 10⁶, `G` 10⁹, `T` 10¹². Durations need a unit (`s`, `m`, `h`, `d`): a bare number is
//! refused rather than guessed, and zero is refused because no link or window may last no
//! time at all. Both parsers reject overflow, signs, fractions and whitespace inside the
//! value, with a message that names the input and shows an accepted form.

use std::fmt;
use std::time::Duration;

/// Why a size or duration could not be parsed; its `Display` is a complete, user-facing
/// sentence naming the rejected input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    message: String,
}

impl UnitError {
    fn new(message: String) -> Self {
        Self { message }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UnitError {}

/// Splits `"123xy"` into `("123", "xy")`.
fn split_number(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// Parses a size in bytes: digits, optionally followed by `k`/`K`, `M`, `G` or `T`
/// (powers of 1000). `"5G"` is 5,000,000,000; `"1500"` is 1500 bytes.
pub fn parse_size(input: &str) -> Result<u64, UnitError> {
    let s = input.trim();
    let (digits, suffix) = split_number(s);
    if digits.is_empty() {
        return Err(UnitError::new(format!(
            "invalid size `{input}`: expected a whole number of bytes, optionally with k, M, G or T (e.g. 500M, 5G)"
        )));
    }
    let multiplier: u64 = match suffix {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        _ => {
            return Err(UnitError::new(format!(
                "invalid size `{input}`: unknown unit `{suffix}`; use k, M, G or T (powers of 1000), e.g. 500M, 5G"
            )));
        }
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| UnitError::new(format!("invalid size `{input}`: the number is too large")))?;
    value
        .checked_mul(multiplier)
        .ok_or_else(|| UnitError::new(format!("invalid size `{input}`: the number is too large")))
}

/// Parses a duration: digits followed by `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"24h"`,
/// `"7d"`). The result is at least one second.
pub fn parse_duration(input: &str) -> Result<Duration, UnitError> {
    let s = input.trim();
    let (digits, suffix) = split_number(s);
    if digits.is_empty() {
        return Err(UnitError::new(format!(
            "invalid duration `{input}`: expected a whole number with a unit s, m, h or d (e.g. 90s, 30m, 24h, 7d)"
        )));
    }
    let unit: u64 = match suffix {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "" => {
            return Err(UnitError::new(format!(
                "invalid duration `{input}`: missing unit; add s, m, h or d (e.g. {input}s or {input}m)"
            )));
        }
        _ => {
            return Err(UnitError::new(format!(
                "invalid duration `{input}`: unknown unit `{suffix}`; use s, m, h or d (e.g. 90s, 30m, 24h, 7d)"
            )));
        }
    };
    let value: u64 = digits.parse().map_err(|_| {
        UnitError::new(format!(
            "invalid duration `{input}`: the number is too large"
        ))
    })?;
    if value == 0 {
        return Err(UnitError::new(format!(
            "invalid duration `{input}`: must be at least 1s"
        )));
    }
    let secs = value.checked_mul(unit).ok_or_else(|| {
        UnitError::new(format!(
            "invalid duration `{input}`: the number is too large"
        ))
    })?;
    Ok(Duration::from_secs(secs))
}

/// Formats whole seconds in the largest unit that divides them exactly, so that
/// `format_duration(parse_duration(x)?)` reads like what a user would type (`7d`, `90s`).
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    for (unit, name) in [(86_400, "d"), (3_600, "h"), (60, "m")] {
        if secs >= unit && secs.is_multiple_of(unit) {
            return format!("{}{name}", secs / unit);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("64k"), Ok(64_000));
        assert_eq!(parse_size("64K"), Ok(64_000));
        assert_eq!(parse_size("100M"), Ok(100_000_000));
        assert_eq!(parse_size("5G"), Ok(5_000_000_000));
        assert_eq!(parse_size("2T"), Ok(2_000_000_000_000));
        for bad in [
            "",
            "G",
            "5g",
            "5 G",
            "-1",
            "1.5G",
            "5GB",
            "99999999999999999999",
            "18446744073709551615G",
        ] {
            let err = parse_size(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid size"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        for bad in [
            "",
            "s",
            "0s",
            "10",
            "1.5h",
            "3w",
            "-3s",
            "99999999999999999999d",
        ] {
            let err = parse_duration(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid duration"), "{bad}: {err}");
        }
        assert!(
            parse_duration("10")
                .unwrap_err()
                .to_string()
                .contains("missing unit")
        );
    }

    #[test]
    fn format_round_trips() {
        for s in ["7d", "90s", "30m", "1s", "25h"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }
}
