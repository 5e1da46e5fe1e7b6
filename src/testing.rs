//! Helpers for the crate's unit tests.

/// A seeded stream of numbers below `n` (Knuth's MMIX linear congruential generator, its high
/// bits): the same cases on every run and machine, for tests that generate their inputs.
pub fn random(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    }
}
