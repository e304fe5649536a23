//! IMDN-Message-IDs the Participating Function generates for the objects it stores (REC-1;
//! OMA CPM MS: session info, group state objects, and messages without a CPIM `imdn.Message-ID`).
//!
//! The library has no random source (STYLE.md 1): the caller provides a seed (`Config::id_seed`)
//! and the sequence follows from it deterministically. The generator is SplitMix64 (Steele, Lea,
//! Flood 2014): a 64-bit counter stepped by the golden-ratio constant and passed through a
//! bijective mixer, so its outputs do not repeat within 2^64 steps. Each ID is 32 characters of
//! `[A-Za-z0-9]` (about 190 bits), drawn without modulo bias by rejection sampling six bits at a
//! time. Uniqueness across sessions is as good as the seeds the embedder hands out.

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Length of a generated IMDN-Message-ID.
pub const ID_LEN: usize = 32;

/// Deterministic generator of IMDN-Message-IDs: the same seed gives the same sequence.
///
/// ```
/// use cpm_pf::objects::IdGenerator;
/// let mut a = IdGenerator::new(7);
/// let mut b = IdGenerator::new(7);
/// let first = a.next_id();
/// assert_eq!(first.len(), 32);
/// assert!(first.bytes().all(|c| c.is_ascii_alphanumeric()));
/// assert_eq!(first, b.next_id());
/// assert_ne!(a.next_id(), first);
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    /// A generator whose sequence is determined by `seed`.
    pub fn new(seed: u64) -> IdGenerator {
        IdGenerator { state: seed }
    }

    /// The next 64 pseudo-random bits (SplitMix64).
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next IMDN-Message-ID: [`ID_LEN`] (32) characters of `[A-Za-z0-9]`.
    pub fn next_id(&mut self) -> String {
        let mut id = String::with_capacity(ID_LEN);
        while id.len() < ID_LEN {
            let mut bits = self.next_u64();
            // Ten 6-bit draws per 64-bit word; 62 and 63 are rejected so every character is
            // equally likely.
            for _ in 0..10 {
                let v = (bits & 0x3F) as usize;
                bits >>= 6;
                if v < ALPHABET.len() && id.len() < ID_LEN {
                    id.push(char::from(ALPHABET[v]));
                }
            }
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = IdGenerator::new(0xC0FFEE);
        let mut b = IdGenerator::new(0xC0FFEE);
        for _ in 0..100 {
            assert_eq!(a.next_id(), b.next_id());
        }
    }

    #[test]
    fn different_seeds_differ() {
        let a: Vec<_> = (0..10).scan(IdGenerator::new(1), |g, _| Some(g.next_id())).collect();
        let b: Vec<_> = (0..10).scan(IdGenerator::new(2), |g, _| Some(g.next_id())).collect();
        assert!(a.iter().all(|id| !b.contains(id)));
    }

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let mut g = IdGenerator::new(0);
        let mut seen = BTreeSet::new();
        for _ in 0..10_000 {
            let id = g.next_id();
            assert_eq!(id.len(), ID_LEN);
            assert!(id.bytes().all(|c| c.is_ascii_alphanumeric()), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn all_characters_are_used() {
        // A bias or a truncated alphabet would show up here: 62 symbols over 3200 draws.
        let mut g = IdGenerator::new(42);
        let mut used = BTreeSet::new();
        for _ in 0..100 {
            used.extend(g.next_id().into_bytes());
        }
        assert_eq!(used.len(), 62);
    }

    #[test]
    fn splitmix64_reference_value() {
        // SplitMix64 with seed 0 yields 0xE220A8397B1DCDAF first (reference implementation
        // by Vigna, prng.di.unimi.it/splitmix64.c).
        assert_eq!(IdGenerator::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}
