//! Padmé padding of the payload, so the ciphertext's length reveals a size bucket rather
//! than the size: Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
//! Communication with PURBs", PETS 2019, §4 (<https://doi.org/10.2478/popets-2019-0056>).
//! A length L is rounded up so that only its top ⌊log2 ⌊log2 L⌋⌋ + 1 bits can be non-zero:
//! at most about 12 % more (less as L grows), and O(log log L) bits of the length leak.
//!
//! The padding is zero bytes after the tar archive's end, inside the encryption, where
//! `age -d | tar -x` ignores them (`docs/format.md`).

/// The length Padmé pads `len` to (never less than `len`).
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let exponent = 63 - u64::from(len.leading_zeros()); // ⌊log2 len⌋
    let significant = 64 - u64::from(exponent.leading_zeros()); // ⌊log2 exponent⌋ + 1
    let low_bits = exponent - significant;
    let mask = (1u64 << low_bits) - 1;
    len.checked_add(mask).map_or(len, |sum| sum & !mask)
}

/// How many zero bytes Padmé adds to `len`.
pub fn padding_for(len: u64) -> u64 {
    padme(len) - len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_papers_definition() {
        // Small lengths are not padded at all.
        for len in 0..=8 {
            assert_eq!(padme(len), len);
        }
        // 9..: E = 3, S = 2, one low bit cleared.
        assert_eq!(padme(9), 10);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(1024), 1024);
        assert_eq!(padme(1025), 1088);
        assert_eq!(padme(1_000_000), 1_015_808);
        assert_eq!(padme(95_000_000), 96_468_992);
        assert_eq!(padme(u64::MAX), u64::MAX);
    }

    #[test]
    fn padding_is_idempotent_and_bounded_by_twelve_percent() {
        let mut len = 2u64;
        while len < 1 << 40 {
            for candidate in [len, len + 1, len * 3 / 2, len * 2 - 1] {
                let padded = padme(candidate);
                assert!(padded >= candidate);
                assert_eq!(padme(padded), padded, "{candidate}");
                assert!(
                    (padded - candidate) as f64 <= 0.12 * candidate as f64 + 1.0,
                    "{candidate} -> {padded}"
                );
            }
            len *= 2;
        }
    }
}
