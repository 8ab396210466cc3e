//! ISO-4217 currencies with their minor-unit exponents.

use crate::error::{Error, Result};

/// Active ISO-4217 codes (2026) with the number of minor-unit digits where it is not 2.
const TABLE: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD:3 BIF:0 BMD BND BOB BOV BRL BSD \
BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF:4 CLP:0 CNY COP COU CRC CUC CUP CVE CZK DJF:0 DKK DOP DZD EGP ERN ETB EUR \
FJD FKP GBP GEL GHS GIP GMD GNF:0 GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD:3 IRR ISK:0 JMD JOD:3 JPY:0 KES KGS KHR \
KMF:0 KPW KRW:0 KWD:3 KYD KZT LAK LBP LKR LRD LSL LYD:3 MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR \
MZN NAD NGN NIO NOK NPR NZD OMR:3 PAB PEN PGK PHP PKR PLN PYG:0 QAR RON RSD RUB RWF:0 SAR SBD SCR SDG SEK SGD SHP \
SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND:3 TOP TRY TTD TWD TZS UAH UGX:0 USD USN UYI:0 UYU UYW:4 UZS VED VES \
VND:0 VUV:0 WST XAF:0 XCD XCG XOF:0 XPF:0 YER ZAR ZMW ZWG";

/// An ISO-4217 currency code, e.g. `CNY` (2 minor digits: fen) or `JPY` (0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan renminbi, the default reporting currency.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// Parse an ISO-4217 code (upper or lower case). Unknown codes are an error.
    pub fn parse(code: &str) -> Result<Self> {
        let up = code.trim().to_ascii_uppercase();
        if up.len() == 3 && Self::lookup(&up).is_some() {
            let b = up.as_bytes();
            return Ok(Currency([b[0], b[1], b[2]]));
        }
        Err(Error::invalid("currency", code, "not an active ISO-4217 currency code"))
    }

    fn lookup(code: &str) -> Option<u32> {
        // the table read once into (code, exponent) pairs sorted by code: a binary search per
        // call (amounts are converted per event)
        static CODES: std::sync::OnceLock<Vec<([u8; 3], u8)>> = std::sync::OnceLock::new();
        let codes = CODES.get_or_init(|| {
            let mut v: Vec<([u8; 3], u8)> = TABLE
                .split(' ')
                .filter_map(|entry| {
                    let (c, e) = entry.split_once(':').unwrap_or((entry, "2"));
                    let b = c.as_bytes();
                    (b.len() == 3).then(|| ([b[0], b[1], b[2]], e.parse().unwrap_or(2)))
                })
                .collect();
            v.sort_unstable();
            v
        });
        let b: [u8; 3] = code.as_bytes().try_into().ok()?;
        codes.binary_search_by(|(c, _)| c.cmp(&b)).ok().map(|i| codes[i].1 as u32)
    }

    /// The code, e.g. `"CNY"`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of minor-unit digits (2 for CNY, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u32 {
        Self::lookup(self.code()).unwrap_or(2)
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents() {
        assert_eq!(Currency::parse("cny").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("CLF").unwrap().exponent(), 4);
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
        assert!(Currency::parse("CNYY").is_err());
        // every entry of the table is found, with its exponent
        for entry in TABLE.split(' ') {
            let (c, e) = entry.split_once(':').unwrap_or((entry, "2"));
            assert_eq!(Currency::parse(c).unwrap().exponent(), e.parse::<u32>().unwrap(), "{c}");
        }
    }
}
