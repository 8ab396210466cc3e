//! The two journeys that ship as examples (and as exact tests in Rust, Python and Kotlin).

use super::Journey;

/// The coffee-chain coupon ladder, as JSON.
///
/// On registration: if no order within 30 days, a coupon at 85 % of price by app push; if
/// still no order 7 days later, 43 %; 7 days later, 28 %; then stop. Any order ends that
/// ladder (a goal: converted) and starts the post-purchase ladder: 7 days after each order, if
/// no newer order came (a newer order ends the instance and starts a new one), one coupon whose
/// price level is set by the number of orders so far: after the 1st order 43 %, after the 2nd
/// 58 %, from the 3rd on 95 %. A customer who refused app push gets the coupons by SMS.
pub const COFFEE_COUPON_LADDER: &str = r#"{
  "version": 1,
  "id": "coffee_coupon_ladder",
  "name": "Coffee chain: registration and post-purchase coupon ladders",
  "seed": 2024,
  "triggers": [
    {"event": "register", "start": "welcome_wait"},
    {"event": "order", "start": "after_order_wait"}
  ],
  "reentry": {"policy": "after_exit"},
  "goals": [{"event": "order"}],
  "blocked": "defer",
  "fallback_channels": ["sms"],
  "steps": [
    {"id": "welcome_wait", "type": "wait", "min": "30d"},
    {"id": "coupon_85", "type": "send", "channel": "app", "template": "coupon", "offer_id": "welcome_85", "offer": 0.85},
    {"id": "wait_7d_a", "type": "wait", "min": "7d"},
    {"id": "coupon_43", "type": "send", "channel": "app", "template": "coupon", "offer_id": "welcome_43", "offer": 0.43},
    {"id": "wait_7d_b", "type": "wait", "min": "7d"},
    {"id": "coupon_28", "type": "send", "channel": "app", "template": "coupon", "offer_id": "welcome_28", "offer": 0.28, "next": "end"},
    {"id": "after_order_wait", "type": "wait", "min": "7d"},
    {"id": "by_order_count", "type": "branch",
     "cases": [
       {"when": {"count": {"event": "order", "at_least": 3}}, "goto": "repeat_95"},
       {"when": {"count": {"event": "order", "at_least": 2}}, "goto": "second_58"}
     ],
     "otherwise": "first_43"},
    {"id": "first_43", "type": "send", "channel": "app", "template": "coupon", "offer_id": "after_1st_43", "offer": 0.43, "next": "end"},
    {"id": "second_58", "type": "send", "channel": "app", "template": "coupon", "offer_id": "after_2nd_58", "offer": 0.58, "next": "end"},
    {"id": "repeat_95", "type": "send", "channel": "app", "template": "coupon", "offer_id": "after_3rd_95", "offer": 0.95, "next": "end"}
  ]
}"#;

/// The renewal reminders, as JSON.
///
/// For a subscription expiring at E: an SMS at E − 7 days at 10:00 local time; if not renewed,
/// a second SMS 5–7 days later (a deterministic per-customer draw in whole minutes); then, only
/// for the high-value tier, a staff phone-call task 2 days later. Renewal (a
/// `subscription_start` event for the same subscription id) ends the instance at once as
/// converted, and starts a new one for the new expiry.
pub const RENEWAL_REMINDERS: &str = r#"{
  "version": 1,
  "id": "renewal_reminders",
  "name": "Subscription renewal reminders",
  "seed": 7,
  "triggers": [{"event": "subscription_start"}],
  "instance_key": "subscription",
  "reentry": {"policy": "after_exit"},
  "goals": [{"event": "subscription_start", "same_key": true}],
  "blocked": "defer",
  "steps": [
    {"id": "until_e_minus_7d", "type": "wait_until", "anchor": "subscription_expires", "offset": "-7d", "at_local": "10:00"},
    {"id": "first_sms", "type": "send", "channel": "sms", "template": "renewal_first"},
    {"id": "wait_5_to_7d", "type": "wait", "min": "5d", "max": "7d"},
    {"id": "second_sms", "type": "send", "channel": "sms", "template": "renewal_second"},
    {"id": "by_tier", "type": "branch", "cases": [{"when": {"tier": "high"}, "goto": "wait_2d"}], "otherwise": "end"},
    {"id": "wait_2d", "type": "wait", "min": "2d"},
    {"id": "staff_call", "type": "send", "channel": "phone_call", "template": "staff_call_task"}
  ]
}"#;

/// The coffee-chain coupon ladder ([`COFFEE_COUPON_LADDER`]).
pub fn coffee_coupon_ladder() -> Journey {
    Journey::from_json(COFFEE_COUPON_LADDER).unwrap_or_else(|e| unreachable!("the example is valid: {e}"))
}

/// The renewal reminders ([`RENEWAL_REMINDERS`]).
pub fn renewal_reminders() -> Journey {
    Journey::from_json(RENEWAL_REMINDERS).unwrap_or_else(|e| unreachable!("the example is valid: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn examples_load_and_round_trip() {
        for j in [super::coffee_coupon_ladder(), super::renewal_reminders()] {
            let back = super::Journey::from_json(&j.to_json()).unwrap();
            assert_eq!(back, j);
        }
    }
}
