//! Calendar dates in the `YYYY-MM-DD` form Synthea writes, and the times a row window
//! compares: such dates (midnight UTC) or RFC 3339 date-times.

/// Milliseconds in a day.
const MS_PER_DAY: i64 = 86_400_000;

/// Parses a time as milliseconds since the Unix epoch (negative before 1970): either a
/// `YYYY-MM-DD` date, read as midnight UTC, or an RFC 3339 date-time such as
/// `2015-03-01T10:00:00Z`, `2015-03-01T10:00:00.250+01:00` (`T`/`t`, `Z`/`z`, fractions
/// of a second truncated to the millisecond, a leap second `:60` counted as the next
/// second). Anything else, an empty field included, is `None`.
pub(crate) fn timestamp_ms(s: &[u8]) -> Option<i64> {
    let date = Date::parse(s.get(..10)?)?;
    let days_ms = date.to_days() * MS_PER_DAY;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(days_ms);
    }
    let [sep, h0, h1, b':', m0, m1, b':', s0, s1, rest @ ..] = rest else {
        return None;
    };
    if !matches!(sep, b'T' | b't') {
        return None;
    }
    let (hour, minute, second) = (two(*h0, *h1)?, two(*m0, *m1)?, two(*s0, *s1)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (millis, rest) = match rest {
        [b'.', fraction @ ..] => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let millis = fraction[..digits.min(3)]
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(3)
                .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
            (millis, &fraction[digits..])
        }
        _ => (0, rest),
    };
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let (oh, om) = (two(*oh0, *oh1)?, two(*om0, *om1)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    Some(days_ms + (hour * 3600 + minute * 60 + second) * 1000 + millis - offset_minutes * 60_000)
}

/// Two ASCII digits as a number.
fn two(a: u8, b: u8) -> Option<i64> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
}

/// A proleptic Gregorian calendar date, packed as `yyyymmdd` so that the integer
/// order is the date order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Date(u32);

impl Date {
    /// Parses exactly `YYYY-MM-DD` (ten ASCII bytes, a real calendar day).
    pub(crate) fn parse(s: &[u8]) -> Option<Self> {
        let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *s else {
            return None;
        };
        let digits = |ds: &[u8]| -> Option<u32> {
            ds.iter().try_fold(0u32, |acc, &d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
        };
        let year = digits(&[y0, y1, y2, y3])?;
        let month = digits(&[m0, m1])?;
        let day = digits(&[d0, d1])?;
        Self::from_ymd(year, month, day)
    }

    /// The date for a year, month and day, if it is a real calendar day.
    pub(crate) fn from_ymd(year: u32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self(year * 10_000 + month * 100 + day))
    }

    pub(crate) fn year(self) -> u32 {
        self.0 / 10_000
    }

    pub(crate) fn month(self) -> u32 {
        self.0 / 100 % 100
    }

    pub(crate) fn day(self) -> u32 {
        self.0 % 100
    }

    /// Age in completed years on `at`, or `None` if `at` is before `self`.
    ///
    /// Someone born on 29 February turns a year older on 1 March in common years.
    pub(crate) fn age_on(self, at: Self) -> Option<u32> {
        if at < self {
            return None;
        }
        let had_birthday = at.0 % 10_000 >= self.0 % 10_000;
        Some(at.year() - self.year() - u32::from(!had_birthday))
    }

    /// Days since 1970-01-01 (negative before).
    pub(crate) fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (m, d) = (i64::from(self.month()), i64::from(self.day()));
        let y = i64::from(self.year()) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01, for years 0 to 9999.
    pub(crate) fn from_days(days: i64) -> Option<Self> {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        if !(0..=9999).contains(&y) {
            return None;
        }
        Self::from_ymd(
            u32::try_from(y).ok()?,
            u32::try_from(m).ok()?,
            u32::try_from(d).ok()?,
        )
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn parses_only_real_days() {
        assert_eq!(d("2020-02-29").to_string(), "2020-02-29");
        for bad in [
            "2019-02-29",
            "1900-02-29",
            "2020-13-01",
            "2020-00-10",
            "2020-04-31",
            "2020-4-01",
            "2020-04-01T00:00",
            "20200401",
            "",
            "abcd-ef-gh",
        ] {
            assert_eq!(Date::parse(bad.as_bytes()), None, "{bad}");
        }
        assert!(Date::parse(b"2000-02-29").is_some());
    }

    #[test]
    fn age_counts_completed_years() {
        assert_eq!(d("1989-05-25").age_on(d("2007-05-24")), Some(17));
        assert_eq!(d("1989-05-25").age_on(d("2007-05-25")), Some(18));
        assert_eq!(d("2000-02-29").age_on(d("2001-02-28")), Some(0));
        assert_eq!(d("2000-02-29").age_on(d("2001-03-01")), Some(1));
        assert_eq!(d("2000-01-01").age_on(d("2000-01-01")), Some(0));
        assert_eq!(d("2000-01-02").age_on(d("2000-01-01")), None);
    }

    fn ms(s: &str) -> Option<i64> {
        timestamp_ms(s.as_bytes())
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(ms("1970-01-01"), Some(0));
        assert_eq!(ms("2015-01-01"), Some(1_420_070_400_000));
        assert_eq!(ms("1969-12-31"), Some(-MS_PER_DAY));
    }

    #[test]
    fn rfc3339_date_times_parse_with_offsets_and_fractions() {
        let base = 1_425_204_000_000; // 2015-03-01T10:00:00Z
        assert_eq!(ms("2015-03-01T10:00:00Z"), Some(base));
        assert_eq!(ms("2015-03-01t10:00:00z"), Some(base));
        assert_eq!(ms("2015-03-01T11:00:00+01:00"), Some(base));
        assert_eq!(ms("2015-03-01T09:30:00-00:30"), Some(base));
        assert_eq!(ms("2015-03-01T10:00:00.25Z"), Some(base + 250));
        assert_eq!(ms("2015-03-01T10:00:00.123999Z"), Some(base + 123));
        assert_eq!(ms("2015-03-01T09:59:60Z"), Some(base));
    }

    #[test]
    fn malformed_times_do_not_parse() {
        for bad in [
            "",
            "2015-03-01 10:00:00Z",
            "2015-03-01T10:00:00",
            "2015-03-01T10:00Z",
            "2015-03-01T24:00:00Z",
            "2015-03-01T10:60:00Z",
            "2015-03-01T10:00:61Z",
            "2015-03-01T10:00:00.Z",
            "2015-03-01T10:00:00+01",
            "2015-03-01T10:00:00+24:00",
            "2015-02-30T10:00:00Z",
            "2015-03-01T10:00:00Zjunk",
            "2015-03-01junk",
            "1425204000000",
        ] {
            assert_eq!(ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_round_trip() {
        assert_eq!(d("1970-01-01").to_days(), 0);
        assert_eq!(d("2000-03-01").to_days(), 11_017);
        assert_eq!(d("1920-01-01").to_days(), -18_263);
        for days in (-40_000..40_000).step_by(37) {
            assert_eq!(Date::from_days(days).unwrap().to_days(), days);
        }
    }
}
