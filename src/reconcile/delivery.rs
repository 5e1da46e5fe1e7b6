//! Delivery polling: asks the gateway's status API about recent sends that have no final state and
//! says what changed. Nothing is written for a message whose state, code and price are unchanged, so
//! a second `reconcile` with nothing new leaves the ledger exactly as it was.

use crate::gateway::{DeliveryState, Gateway, GatewayError};
use crate::ledger::PendingDelivery;
use crate::model::Price;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub nudge_id: i64,
    pub state: DeliveryState,
    pub code: Option<String>,
    /// The actual price, when the provider reported one (positive).
    pub price: Option<Price>,
}

#[derive(Debug, Default)]
pub struct Polled {
    pub updates: Vec<Update>,
    /// provider id → error, for lookups that failed (reported, retried next run).
    pub errors: Vec<(String, GatewayError)>,
    /// Set when the provider refused us outright (bad credentials): polling stopped there.
    pub fatal: Option<GatewayError>,
    pub asked: usize,
}

/// Asks about each pending message in turn, `pace` apart; stops at the first fatal error.
pub fn poll(gw: &mut dyn Gateway, pending: &[PendingDelivery], pace: Option<Duration>) -> Polled {
    let mut out = Polled::default();
    for (i, p) in pending.iter().enumerate() {
        if let Some(d) = pace.filter(|_| i > 0) {
            std::thread::sleep(d);
        }
        out.asked += 1;
        match gw.status(&p.provider_id) {
            Ok(s) => {
                let price = s.price.map(|p| p.abs());
                let same = p.delivery_status.as_deref() == Some(s.state.as_str())
                    && p.delivery_code == s.code
                    && (price.is_none() || price == p.actual_cost);
                // A pending state seen for the first time is worth recording; seen again, it is not.
                if !same {
                    out.updates.push(Update {
                        nudge_id: p.nudge_id,
                        state: s.state,
                        code: s.code,
                        price,
                    });
                }
            }
            Err(e) if e.is_fatal() => {
                out.fatal = Some(e);
                break;
            }
            Err(e) => out.errors.push((p.provider_id.clone(), e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{DeliveryStatus, Receipt, Sms};
    use crate::model::Currency;
    use std::collections::HashMap;

    /// A provider whose status API answers from a map.
    struct Canned(HashMap<&'static str, Result<DeliveryStatus, GatewayError>>);

    impl Gateway for Canned {
        fn name(&self) -> &'static str {
            "canned"
        }
        fn send(&mut self, _: &Sms<'_>) -> Result<Receipt, GatewayError> {
            unreachable!("reconcile never sends")
        }
        fn has_status(&self) -> bool {
            true
        }
        fn status(&mut self, id: &str) -> Result<DeliveryStatus, GatewayError> {
            self.0
                .get(id)
                .cloned()
                .unwrap_or_else(|| Err(GatewayError::permanent("404", "no such message")))
        }
    }

    fn pending(id: i64, pid: &str, status: Option<&str>) -> PendingDelivery {
        PendingDelivery {
            nudge_id: id,
            provider_id: pid.into(),
            delivery_status: status.map(str::to_string),
            delivery_code: None,
            actual_cost: None,
        }
    }

    #[test]
    fn records_changes_only_and_stops_on_fatal() {
        let usd = Currency::parse("USD").unwrap();
        let st = |state, micros: Option<i64>| {
            Ok(DeliveryStatus {
                state,
                price: micros.map(|m| Price::new(m, usd)),
                code: None,
            })
        };
        let mut gw = Canned(HashMap::from([
            ("d", st(DeliveryState::Delivered, Some(-7900))),
            ("p", st(DeliveryState::Pending, None)),
            ("x", Err(GatewayError::fatal("20003", "bad credentials"))),
        ]));
        let list = [
            pending(1, "d", None),
            pending(2, "p", Some("pending")),
            pending(3, "missing", None),
            pending(4, "x", None),
            pending(5, "d", None),
        ];
        let out = poll(&mut gw, &list, None);
        assert_eq!(
            out.updates,
            vec![Update {
                nudge_id: 1,
                state: DeliveryState::Delivered,
                code: None,
                price: Some(Price::new(7900, usd))
            }]
        );
        assert_eq!(out.errors.len(), 1);
        assert!(out.fatal.is_some());
        assert_eq!(out.asked, 4, "stopped at the fatal error");
    }
}
