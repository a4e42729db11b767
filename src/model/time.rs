//! Calendar time at the resolution the sources give (a year, a month) and the OGC
//! `datetime` filter (an instant or a closed/open interval) compared against it.

use std::fmt;

/// A calendar day as `YYYYMMDD`, ordered like the dates it stands for (only compared,
/// never subtracted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(u32);

impl Day {
    /// The day `year-month-day` (month 1–12, day 1–31; not validated against the month).
    #[must_use]
    pub fn new(year: u16, month: u8, day: u8) -> Self {
        Day(u32::from(year) * 10_000 + u32::from(month) * 100 + u32::from(day))
    }

    /// The day as the number `YYYYMMDD` (how a database column stores it).
    #[must_use]
    pub fn value(self) -> u32 {
        self.0
    }

    /// The day of a `YYYYMMDD` number (as [`Day::value`] gives it).
    #[must_use]
    pub fn from_value(value: u32) -> Self {
        Day(value)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0 / 10_000, self.0 / 100 % 100, self.0 % 100)
    }
}

/// A year and month, e.g. an approval printed `1992.04`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Year, 1000–9999.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
}

impl YearMonth {
    /// Parses `YYYY.MM` (the catalogue's form).
    #[must_use]
    pub fn parse_dotted(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('.')?;
        Self::from_parts(y, m)
    }

    /// Parses `YYYY-MM` (ISO 8601, as stored in properties).
    #[must_use]
    pub fn parse_iso(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        Self::from_parts(y, m)
    }

    fn from_parts(y: &str, m: &str) -> Option<Self> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((1000..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The whole month as a span.
    #[must_use]
    pub fn span(self) -> TimeSpan {
        let leap = self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0);
        let last = match self.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        TimeSpan {
            start: Day::new(self.year, self.month, 1),
            end: Day::new(self.year, self.month, last),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The closed span of days a feature's time covers (its approval month, or its
/// designation year when only the year is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeSpan {
    /// First day.
    pub start: Day,
    /// Last day.
    pub end: Day,
}

impl TimeSpan {
    /// The whole year.
    #[must_use]
    pub fn year(year: u16) -> Self {
        Self {
            start: Day::new(year, 1, 1),
            end: Day::new(year, 12, 31),
        }
    }

    /// The smallest span holding both.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// An OGC API `datetime` filter: an instant (`2005-06-01`, `2005-06-01T12:00:00Z`, or the
/// whole year or month `2005`, `2005-06`) or an interval `start/end` where either end may
/// be open (`..` or empty). A feature matches when its [`TimeSpan`] intersects the filter;
/// a feature without a time never matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatetimeFilter {
    /// First day included; `None` for open.
    pub start: Option<Day>,
    /// Last day included; `None` for open.
    pub end: Option<Day>,
}

impl DatetimeFilter {
    /// Parses the `datetime` parameter.
    ///
    /// # Errors
    /// A message saying what is wrong (unparseable end, start after end, both ends open).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once('/') {
            let open = |x: &str| x.is_empty() || x == "..";
            let start = if open(a) { None } else { Some(parse_endpoint(a)?.start) };
            let end = if open(b) { None } else { Some(parse_endpoint(b)?.end) };
            match (start, end) {
                (None, None) => Err(format!("'{s}': an interval needs at least one closed end")),
                (Some(a), Some(b)) if a > b => Err(format!("'{s}': the interval starts after it ends")),
                _ => Ok(Self { start, end }),
            }
        } else {
            let span = parse_endpoint(s)?;
            Ok(Self {
                start: Some(span.start),
                end: Some(span.end),
            })
        }
    }

    /// Whether a feature with time `span` matches.
    #[must_use]
    pub fn matches(&self, span: Option<TimeSpan>) -> bool {
        span.is_some_and(|t| self.start.is_none_or(|s| t.end >= s) && self.end.is_none_or(|e| t.start <= e))
    }
}

impl fmt::Display for DatetimeFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = |d: Option<Day>| d.map_or("..".to_owned(), |d| d.to_string());
        write!(f, "{}/{}", end(self.start), end(self.end))
    }
}

/// One end of a `datetime`: a year, a month, a date, or an RFC 3339 date-time (converted
/// to its UTC day, through `jiff`), as the span of days it covers.
fn parse_endpoint(s: &str) -> Result<TimeSpan, String> {
    let err = || format!("'{s}' is not a date: expected YYYY, YYYY-MM, YYYY-MM-DD or an RFC 3339 date-time");
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        let year: u16 = s.parse().map_err(|_| err())?;
        return if year >= 1000 { Ok(TimeSpan::year(year)) } else { Err(err()) };
    }
    if s.len() == 7 {
        return YearMonth::parse_iso(s).map(YearMonth::span).ok_or_else(err);
    }
    let date = if s.len() == 10 {
        s.parse::<jiff::civil::Date>().map_err(|_| err())?
    } else {
        let ts = s.parse::<jiff::Timestamp>().map_err(|_| err())?;
        ts.to_zoned(jiff::tz::TimeZone::UTC).date()
    };
    let year = u16::try_from(date.year()).ok().filter(|y| *y >= 1000).ok_or_else(err)?;
    let day = Day::new(year, date.month().unsigned_abs(), date.day().unsigned_abs());
    Ok(TimeSpan { start: day, end: day })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_intervals_parse_to_days() {
        let f = DatetimeFilter::parse("2005").unwrap();
        assert_eq!(f.to_string(), "2005-01-01/2005-12-31");
        assert_eq!(DatetimeFilter::parse("../2005-06").unwrap().to_string(), "../2005-06-30");
        assert_eq!(DatetimeFilter::parse("1992-04-15/").unwrap().to_string(), "1992-04-15/..");
        assert_eq!(
            DatetimeFilter::parse("2005-12-31T23:30:00-05:00").unwrap().to_string(),
            "2006-01-01/2006-01-01"
        );
        for bad in ["../..", "2006/2005", "20051", "2005-13", "yesterday", "2005-02-30"] {
            assert!(DatetimeFilter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_matches_when_it_intersects() {
        let april_1992 = Some(YearMonth::parse_dotted("1992.04").unwrap().span());
        assert!(DatetimeFilter::parse("../1992-04-01").unwrap().matches(april_1992));
        assert!(!DatetimeFilter::parse("../1992-03-31").unwrap().matches(april_1992));
        assert!(DatetimeFilter::parse("1992-04-30/..").unwrap().matches(april_1992));
        assert!(!DatetimeFilter::parse("1993").unwrap().matches(april_1992));
        assert!(!DatetimeFilter::parse("1992").unwrap().matches(None));
    }
}
