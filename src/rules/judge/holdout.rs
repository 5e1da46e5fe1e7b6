//! Holdout: a deterministic control group, recorded but never sent.

use super::{fail, pass, pass_with};
use crate::model::Cart;
use crate::rules::{Ctx, Verdict};
use sha2::{Digest, Sha256};

/// Deterministic: the same cart is in or out of the control group on every run and machine.
pub fn holdout_bucket(salt: &str, cart_id: &str) -> u32 {
    let digest = Sha256::digest(format!("{salt}:{cart_id}").as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (n % 10_000) as u32
}

pub(crate) fn holdout(cart: &Cart, ctx: &Ctx<'_>) -> Verdict {
    let pct = ctx.rules.holdout_percent;
    if pct == 0 {
        return pass("no holdout group");
    }
    let bucket = holdout_bucket(&ctx.rules.holdout_salt, &cart.cart_id);
    if bucket < pct * 100 {
        fail(format!(
            "in the {pct}% control group (bucket {bucket}/10000)"
        ))
    } else {
        pass_with(ctx, || format!("not in the {pct}% control group"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reason;
    use crate::rules::testing::{World, cart};

    #[test]
    fn the_bucket_boundary_decides_and_zero_percent_holds_out_nobody() {
        let w = World::new(
            "2026-11-22T12:00:00Z",
            "holdout_percent = 10\nholdout_salt = \"s\"",
        );
        let ids: Vec<String> = (0..400).map(|i| format!("c{i}")).collect();
        let out = ids
            .iter()
            .filter(|id| !w.passes(Reason::Holdout, &cart(id)))
            .count();
        let by_bucket = ids
            .iter()
            .filter(|id| holdout_bucket("s", id) < 1000)
            .count();
        assert_eq!(out, by_bucket);
        assert!((20..60).contains(&out), "{out} of 400");
        let none = World::new("2026-11-22T12:00:00Z", "");
        assert!(ids.iter().all(|id| none.passes(Reason::Holdout, &cart(id))));
    }
}
