//! Money: integer minor units plus an ISO-4217 currency, parsed without float rounding.

use super::Currency;
use crate::error::{Error, Result};

/// An amount of money in integer minor units (fen for CNY) of one currency.
///
/// In JSON it reads `{"minor": 1990, "currency": "CNY", "amount": "19.90"}` (`amount`, the
/// exact decimal in major units, is written for readers and ignored when reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub struct Money {
    /// Amount in minor units (1990 = ¥19.90).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Money from minor units.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Parse a decimal amount in major units exactly: `"19.90"` CNY is 1990 fen. More decimals
    /// than the currency has are an error unless they are zeros (`"19.900"` is fine), as are
    /// negative, non-numeric and out-of-range amounts.
    ///
    /// ```
    /// use yutang::{Currency, Money};
    /// assert_eq!(Money::parse("19.90", Currency::CNY)?.minor, 1990);
    /// assert_eq!(Money::parse("1e3", Currency::CNY)?.minor, 100_000);
    /// assert!(Money::parse("-1", Currency::CNY).is_err());
    /// # Ok::<(), yutang::Error>(())
    /// ```
    pub fn parse(amount: &str, currency: Currency) -> Result<Self> {
        parse_minor(amount.trim(), currency.exponent()).map(|minor| Money { minor, currency })
    }

    /// Money from an `f64` in major units, through its shortest round-trip decimal form, so that
    /// `19.9` is 1990 fen and not 1989.
    pub fn from_f64(amount: f64, currency: Currency) -> Result<Self> {
        if !amount.is_finite() {
            return Err(Error::invalid("amount", amount.to_string(), "not a finite number"));
        }
        // Fast path: a non-negative amount with at most the currency's `e` decimals is exactly
        // `r / 10^e` for the integer `r` nearest `amount * 10^e`; below 10^14 minor units two
        // such decimals never share a double, so this agrees with the shortest representation.
        // Anything else goes through that representation.
        let scale = 10f64.powi(currency.exponent() as i32);
        if amount.is_sign_positive() && amount * scale < 1e14 {
            let r = (amount * scale).round();
            if r / scale == amount {
                return Ok(Money::new(r as i64, currency));
            }
        }
        Money::parse(&format!("{amount}"), currency)
    }

    /// The amount in major units as `f64` (for analytics at the edge).
    pub fn to_major_f64(&self) -> f64 {
        self.minor as f64 / 10f64.powi(self.currency.exponent() as i32)
    }

    /// The exact decimal string in major units (`"19.90"`).
    pub fn to_decimal_string(&self) -> String {
        let e = self.currency.exponent() as usize;
        let neg = self.minor < 0;
        let digits = self.minor.unsigned_abs().to_string();
        let s = if e == 0 {
            digits
        } else {
            let padded = format!("{:0>width$}", digits, width = e + 1);
            let (a, b) = padded.split_at(padded.len() - e);
            format!("{a}.{b}")
        };
        if neg {
            format!("-{s}")
        } else {
            s
        }
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("Money", if human { 3 } else { 2 })?;
        st.serialize_field("minor", &self.minor)?;
        st.serialize_field("currency", &self.currency)?;
        if human {
            st.serialize_field("amount", &self.to_decimal_string())?;
        }
        st.end()
    }
}

fn bad(amount: &str, reason: &str) -> Error {
    Error::invalid("amount", amount, reason)
}

/// Parse a non-negative decimal (optional exponent) into minor units of `exp` digits.
fn parse_minor(s: &str, exp: u32) -> Result<i64> {
    if s.is_empty() {
        return Err(bad(s, "empty"));
    }
    if s.starts_with('-') {
        return Err(bad(s, "negative amounts are not allowed (use a refund event)"));
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let (mantissa, exp10) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = body[i + 1..].parse().map_err(|_| bad(s, "not a decimal number"))?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((a, b)) => (a, b),
        None => (mantissa, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad(s, "not a decimal number"));
    }
    // digits = int_part ++ frac_part, value = digits * 10^(exp10 - frac_len); we want value * 10^exp
    let digits: String = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let shift = exp10 as i64 - frac_part.len() as i64 + exp as i64;
    if digits.is_empty() {
        return Ok(0);
    }
    let (kept, dropped) = if shift >= 0 {
        (digits.to_string() + &"0".repeat(shift.min(40) as usize), "")
    } else {
        let cut = (-shift) as usize;
        if cut >= digits.len() {
            ("0".to_string(), digits)
        } else {
            (digits[..digits.len() - cut].to_string(), &digits[digits.len() - cut..])
        }
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(bad(s, "more decimal places than the currency has"));
    }
    if kept.len() > 19 {
        return Err(bad(s, "amount out of range"));
    }
    kept.parse::<i64>().map_err(|_| bad(s, "amount out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(s: &str) -> Result<i64> {
        Money::parse(s, Currency::CNY).map(|m| m.minor)
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(cny("19.90").unwrap(), 1990);
        assert_eq!(cny("19.9").unwrap(), 1990);
        assert_eq!(cny("0.1").unwrap(), 10);
        assert_eq!(cny("0").unwrap(), 0);
        assert_eq!(cny("19.900").unwrap(), 1990);
        assert_eq!(cny("1.5e2").unwrap(), 15000);
        assert_eq!(cny(".5").unwrap(), 50);
        assert_eq!(cny("+3").unwrap(), 300);
        assert!(cny("19.901").is_err());
        assert!(cny("-1").is_err());
        assert!(cny("abc").is_err());
        assert!(cny("").is_err());
        assert!(cny(".").is_err());
        assert!(cny("1e400").is_err());
        assert!(cny("99999999999999999999").is_err());
        assert_eq!(Money::parse("500", Currency::parse("JPY").unwrap()).unwrap().minor, 500);
        assert!(Money::parse("5.5", Currency::parse("JPY").unwrap()).is_err());
    }

    #[test]
    fn floats_round_trip() {
        assert_eq!(Money::from_f64(19.9, Currency::CNY).unwrap().minor, 1990);
        assert!(Money::from_f64(0.1 + 0.2, Currency::CNY).is_err()); // 0.30000000000000004
        assert_eq!(Money::from_f64(1e6, Currency::CNY).unwrap().minor, 100_000_000);
        assert!(Money::from_f64(f64::NAN, Currency::CNY).is_err());
    }

    #[test]
    fn decimal_string() {
        assert_eq!(Money::new(1990, Currency::CNY).to_decimal_string(), "19.90");
        assert_eq!(Money::new(5, Currency::CNY).to_decimal_string(), "0.05");
        assert_eq!(Money::new(5, Currency::parse("JPY").unwrap()).to_decimal_string(), "5");
    }

    #[test]
    fn json_form() {
        let m = Money::new(1990, Currency::CNY);
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, r#"{"minor":1990,"currency":"CNY","amount":"19.90"}"#);
        assert_eq!(serde_json::from_str::<Money>(&j).unwrap(), m);
    }

    proptest::proptest! {
        #[test]
        fn from_f64_fast_path_agrees(minor in 0i64..100_000_000_000_000, extra in -3i32..3) {
            // decimals with 0..=5 places around the currency's two
            let f = minor as f64 / 10f64.powi(2 + extra);
            let slow = Money::parse(&format!("{f}"), Currency::CNY);
            let fast = Money::from_f64(f, Currency::CNY);
            proptest::prop_assert_eq!(fast.is_ok(), slow.is_ok(), "{}", f);
            if let (Ok(a), Ok(b)) = (fast, slow) {
                proptest::prop_assert_eq!(a, b);
            }
        }

        #[test]
        fn decimal_string_round_trips(minor in 0i64..i64::MAX / 2) {
            let m = Money::new(minor, Currency::CNY);
            proptest::prop_assert_eq!(Money::parse(&m.to_decimal_string(), Currency::CNY).unwrap(), m);
        }
    }
}
