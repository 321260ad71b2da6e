//! Value formats of the language: durations, RFC 3339 dates, percentages,
//! exact decimals for money.

use serde::{Serialize, Serializer};

/// An exact decimal: money in USD, and the shares of it (`alert_at`)
/// that thresholds are computed from. Read from the number's text, so
/// `0.1 + 0.1 + 0.1` is `0.3` and a $0.30 cap is not exceeded by three
/// $0.10 events. Written to JSON as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dec(pub rust_decimal::Decimal);

impl Dec {
    pub const ZERO: Dec = Dec(rust_decimal::Decimal::ZERO);
    pub const ONE: Dec = Dec(rust_decimal::Decimal::ONE);

    /// A JSON or YAML number's text (`0.30`, `5`, `1e-3`, `2.5E2`); `None`
    /// for anything else or a value outside the decimal's 28 digits.
    pub fn parse(text: &str) -> Option<Dec> {
        let t = text.trim();
        let plain = t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
        let d = if plain {
            rust_decimal::Decimal::from_str_exact(t.strip_prefix('+').unwrap_or(t)).ok()?
        } else {
            rust_decimal::Decimal::from_scientific(t).ok()?
        };
        Some(Dec(d.normalize()))
    }

    pub fn from_int(i: i64) -> Dec {
        Dec(rust_decimal::Decimal::from(i))
    }

    /// The nearest double (for CEL's `cost_usd` and JSON output).
    pub fn to_f64(self) -> f64 {
        use rust_decimal::prelude::ToPrimitive;
        self.0.to_f64().unwrap_or(0.0)
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Sum, saturating at the decimal's range (a trace cannot overflow a
    /// budget into a wrong answer: it stays at the largest value).
    pub fn saturating_add(self, other: Dec) -> Dec {
        Dec(self.0.saturating_add(other.0))
    }

    pub fn saturating_mul(self, other: Dec) -> Dec {
        Dec(self.0.saturating_mul(other.0))
    }
}

impl Dec {
    /// Rounded to `dp` decimal places (half away from zero).
    pub fn round(self, dp: u32) -> Dec {
        Dec(self
            .0
            .round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
    }
}

/// Without a precision, the shortest exact text (`0.3`, `500`); with one
/// (`{:.4}`), that many decimal places.
impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A whole amount stays an integer-valued double (`5.0`), as the
        // bundle has always written money.
        s.serialize_f64(self.to_f64())
    }
}

/// A duration, kept in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub u64);

impl Duration {
    /// `250ms`, `3s`, `5m`, `24h`, `7d`.
    pub fn parse(s: &str) -> Option<Duration> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (num, unit) = s.split_at_checked(digits)?;
        let n: u64 = num.parse().ok()?;
        let factor = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        n.checked_mul(factor).map(Duration)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// A point in time: seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since the epoch.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl Timestamp {
    /// `2026-11-30`, `2026-11-30T18:00:00Z`, `2026-11-30T18:00:00.5+02:00`.
    pub fn parse(s: &str) -> Option<Timestamp> {
        if let Some(t) = Self::parse_utc(s.as_bytes()) {
            return Some(t);
        }
        let (date, time) = match s.find(['T', 't', ' ']) {
            Some(i) => (s.get(..i)?, Some(s.get(i + 1..)?)),
            None => (s, None),
        };
        let mut parts = date.split('-');
        let y = num(parts.next()?, 4)?;
        let m = u32::try_from(num(parts.next()?, 2)?).ok()?;
        let d = u32::try_from(num(parts.next()?, 2)?).ok()?;
        if parts.next().is_some() || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        let mut secs = days_from_civil(y, m, d) * 86_400;
        if let Some(t) = time {
            let (clock, offset) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
                (c, 0)
            } else {
                let i = t.rfind(['+', '-'])?;
                let (c, o) = t.split_at(i);
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let o = o.get(1..)?;
                let (oh, om) = o.split_once(':')?;
                let (oh, om) = (num(oh, 2)?, num(om, 2)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                (c, sign * (oh * 3600 + om * 60))
            };
            let clock = clock.split('.').next()?;
            if let Some(frac) = t
                .split_once('.')
                .map(|(_, f)| f.trim_end_matches(|c: char| !c.is_ascii_digit()))
            {
                if frac.is_empty() {
                    return None;
                }
            }
            let mut hms = clock.split(':');
            let (h, mi, se) = (
                num(hms.next()?, 2)?,
                num(hms.next()?, 2)?,
                num(hms.next()?, 2)?,
            );
            if hms.next().is_some() || h > 23 || mi > 59 || se > 60 {
                return None;
            }
            secs += h * 3600 + mi * 60 + se - offset;
        }
        Some(Timestamp(secs))
    }

    /// The shape most traces use, `2026-11-30T18:00:00Z`, read without
    /// splitting; `None` for anything else (the general reader decides).
    fn parse_utc(s: &[u8]) -> Option<Timestamp> {
        let s: &[u8; 20] = s.try_into().ok()?;
        let [
            y0,
            y1,
            y2,
            y3,
            b'-',
            m0,
            m1,
            b'-',
            d0,
            d1,
            b'T',
            h0,
            h1,
            b':',
            i0,
            i1,
            b':',
            s0,
            s1,
            b'Z',
        ] = *s
        else {
            return None;
        };
        let mut digits = [y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, i0, i1, s0, s1].into_iter();
        let mut n = |len: usize| -> Option<i64> {
            (0..len).try_fold(0i64, |v, _| {
                let b = digits.next()?;
                b.is_ascii_digit().then(|| v * 10 + i64::from(b - b'0'))
            })
        };
        let (y, m, d, h, mi, se) = (n(4)?, n(2)?, n(2)?, n(2)?, n(2)?, n(2)?);
        let m = u32::try_from(m).ok()?;
        let d = u32::try_from(d).ok()?;
        if !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(y, m)
            || h > 23
            || mi > 59
            || se > 60
        {
            return None;
        }
        Some(Timestamp(
            days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + se,
        ))
    }

    /// RFC 3339 in UTC: `2026-11-30T18:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// The current time from the system clock.
    pub fn now() -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Timestamp(secs)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

/// `80%` or a number 0..1, as a fraction. Percent values above 100% are
/// allowed (overspend alerts); plain numbers must lie in 0..1.
pub fn parse_percent_text(s: &str) -> Option<Dec> {
    let p = s.strip_suffix('%')?.trim_end();
    // The same number syntax as elsewhere (`80`, `12.5`), never `inf`.
    if !p.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let v = Dec::parse(p)?;
    (!v.is_negative()).then(|| Dec((v.0 / rust_decimal::Decimal::ONE_HUNDRED).normalize()))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortcut for `...T..:..:..Z` agrees with the general reader
        /// (given the same instant as `+00:00`), valid or not.
        #[test]
        fn utc_shortcut_agrees(s in "[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9]Z") {
            prop_assert_eq!(Timestamp::parse(&s), Timestamp::parse(&s.replace('Z', "+00:00")));
        }
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("250ms"), Some(Duration(250)));
        assert_eq!(Duration::parse("3s"), Some(Duration(3000)));
        assert_eq!(Duration::parse("7d"), Some(Duration(604_800_000)));
        assert_eq!(Duration::parse("3"), None);
        assert_eq!(Duration::parse("3 s"), None);
        assert_eq!(Duration::parse("s"), None);
        assert_eq!(Duration::parse("1.5s"), None);
    }

    #[test]
    fn dates() {
        let t = Timestamp::parse("2026-11-30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-30T00:00:00Z");
        let t = Timestamp::parse("2026-11-30T18:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-30T16:00:00Z");
        assert!(Timestamp::parse("2026-02-29").is_none());
        assert!(Timestamp::parse("2024-02-29").is_some());
        assert!(Timestamp::parse("2026-13-01").is_none());
        assert!(Timestamp::parse("30/11/2026").is_none());
        assert!(Timestamp::parse("2026-11-30T25:00:00Z").is_none());
        assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
    }

    #[test]
    fn percents() {
        assert_eq!(parse_percent_text("80%"), Dec::parse("0.8"));
        assert_eq!(parse_percent_text("12.5%"), Dec::parse("0.125"));
        assert_eq!(parse_percent_text("80"), None);
        assert_eq!(parse_percent_text("-5%"), None);
    }
}
