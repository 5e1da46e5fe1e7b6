//! Confidence intervals for the holdout comparison: Wilson's score interval for one proportion and
//! Newcombe's hybrid score interval (his method 10, 1998) for the difference of two independent
//! proportions. Both stay inside [0, 1] / [-1, 1] and behave at small counts, where the textbook
//! normal ("Wald") interval claims certainty that is not there.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `x` successes out of `n`; `None` when `n` is 0.
pub fn wilson(x: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = x as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The difference p1 − p2 of two proportions with Newcombe's hybrid score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Difference {
    /// Whether the interval is consistent with "no effect".
    pub fn includes_zero(&self) -> bool {
        self.low <= 0.0 && self.high >= 0.0
    }
}

/// Newcombe (1998), method 10: the Wilson limits of each proportion combined by the square-root rule.
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<Difference> {
    let (l1, u1) = wilson(x1, n1, z)?;
    let (l2, u2) = wilson(x2, n2, z)?;
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some(Difference {
        value: d,
        low,
        high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.00005
    }

    /// Newcombe, Statistics in Medicine 17 (1998) 873–890, table II, example (a): 56/70 vs 48/80.
    #[test]
    fn newcombe_1998_example_a() {
        let d = newcombe(56, 70, 48, 80, Z95).unwrap();
        assert!(close(d.value, 0.2), "{d:?}");
        assert!(close(d.low, 0.0524), "{d:?}");
        assert!(close(d.high, 0.3339), "{d:?}");
        assert!(!d.includes_zero());
    }

    /// Newcombe (1998) table II, example (d): 0/10 vs 0/20 → −0.1611 to 0.2775.
    #[test]
    fn newcombe_1998_zero_counts() {
        let d = newcombe(0, 10, 0, 20, Z95).unwrap();
        assert!(close(d.value, 0.0));
        assert!(close(d.low, -0.1611), "{d:?}");
        assert!(close(d.high, 0.2775), "{d:?}");
        assert!(d.includes_zero());
    }

    /// Newcombe (1998), Statistics in Medicine 17, 857–872, table I: 81/263 → 0.2553 to 0.3662.
    #[test]
    fn wilson_single_proportion() {
        let (l, u) = wilson(81, 263, Z95).unwrap();
        assert!(close(l, 0.2553), "{l}");
        assert!(close(u, 0.3662), "{u}");
        assert_eq!(wilson(0, 0, Z95), None);
        let (l, u) = wilson(0, 10, Z95).unwrap();
        assert_eq!(l, 0.0);
        assert!(close(u, 0.2775), "{u}");
    }
}
