//! ISO 8601 times in every spelling real clients send, read to the millisecond.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::clock::Timestamp;

/// An ISO 8601 time: a date alone (midnight UTC), or a date and time to the minute or second,
/// with or without a fraction, followed by `Z`, `+HH:MM`, `+HHMM`, `+HH` or nothing (UTC).
/// A space may stand for the `T`.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let date = parse_date(text.get(..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(to_timestamp(date, Time::MIDNIGHT, UtcOffset::UTC));
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let (clock, offset) = split_offset(rest)?;
    Some(to_timestamp(date, parse_clock(clock)?, offset))
}

/// A time written in a fixture: any spelling [`parse_time`] reads, and the Asset API's own
/// `2024-01-15T10:00:00Z+0000`, so a record copied from a Marketo answer loads as it is.
pub fn parse_fixture_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let text = text
        .strip_suffix("+0000")
        .filter(|rest| rest.ends_with('Z'))
        .unwrap_or(text);
    parse_time(text)
}

fn deserialize_fixture_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Timestamp, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_fixture_time(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not an ISO 8601 time")))
}

/// A fixture time the REST API writes as `2024-01-15T10:00:00Z` (static lists, campaigns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RestTime(pub Timestamp);

/// A fixture time the Asset API writes as `2024-01-15T10:00:00Z+0000` (programs, emails,
/// segmentations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssetTime(pub Timestamp);

impl<'de> Deserialize<'de> for RestTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RestTime, D::Error> {
        deserialize_fixture_time(deserializer).map(RestTime)
    }
}

impl Serialize for RestTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_marketo())
    }
}

impl<'de> Deserialize<'de> for AssetTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AssetTime, D::Error> {
        deserialize_fixture_time(deserializer).map(AssetTime)
    }
}

impl Serialize for AssetTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_asset())
    }
}

/// Both times are written as text; their schema says so, the format being Marketo's own.
macro_rules! text_schema {
    ($($time:ty),*) => {$(
        impl utoipa::PartialSchema for $time {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .into()
            }
        }

        impl utoipa::ToSchema for $time {}
    )*};
}

text_schema!(RestTime, AssetTime);

fn number(digits: &str) -> Option<u32> {
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = Month::try_from(u8::try_from(number(month)?).ok()?).ok()?;
    Date::from_calendar_date(
        i32::try_from(number(year)?).ok()?,
        month,
        u8::try_from(number(day)?).ok()?,
    )
    .ok()
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff…`, to the millisecond.
fn parse_clock(text: &str) -> Option<Time> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let mut parts = whole.split(':');
    let hour = two_digits(parts.next()?)?;
    let minute = two_digits(parts.next()?)?;
    let second = parts.next().map_or(Some(0), two_digits)?;
    if parts.next().is_some() {
        return None;
    }
    let millis = match fraction {
        None => 0,
        Some(digits) => {
            number(digits)?;
            let padded = format!("{digits:0<3}");
            u16::try_from(number(&padded[..3])?).ok()?
        }
    };
    Time::from_hms_milli(hour, minute, second, millis).ok()
}

fn two_digits(text: &str) -> Option<u8> {
    (text.len() == 2).then(|| number(text))??.try_into().ok()
}

/// Splits `HH:MM:SS…` from its offset.
fn split_offset(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(clock) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((clock, UtcOffset::UTC));
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return Some((text, UtcOffset::UTC));
    };
    let (clock, offset) = text.split_at(at);
    let sign: i32 = if offset.starts_with('-') { -1 } else { 1 };
    let digits = offset[1..].replace(':', "");
    let (hours, minutes) = match digits.len() {
        2 => (number(&digits)?, 0),
        // `get`, not indexing: the four bytes need not be four characters.
        4 => (number(digits.get(..2)?)?, number(digits.get(2..)?)?),
        _ => return None,
    };
    let seconds = sign * i32::try_from(hours * 3600 + minutes * 60).ok()?;
    Some((clock, UtcOffset::from_whole_seconds(seconds).ok()?))
}

fn to_timestamp(date: Date, time: Time, offset: UtcOffset) -> Timestamp {
    let moment = PrimitiveDateTime::new(date, time).assume_offset(offset);
    Timestamp(i64::try_from(moment.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-27T05:18:49Z
    const T: i64 = 1_795_756_729_000;

    #[test]
    fn every_spelling_clients_send_reads_as_the_same_instant() {
        for text in [
            "2026-11-27T05:18:49Z",
            "2026-11-27T05:18:49+00:00",
            "2026-11-27T05:18:49-00:00",
            "2026-11-27T05:18:49",
            "2026-11-27T05:18:49.000Z",
            "2026-11-27T12:18:49+0700",
            "2026-11-27T12:18:49+07",
            "2026-11-26T23:18:49-06:00",
            "2026-11-27 05:18:49",
        ] {
            assert_eq!(parse_time(text), Some(Timestamp(T)), "{text}");
        }
        assert_eq!(
            parse_time("2026-11-27T05:18:49.768Z"),
            Some(Timestamp(T + 768))
        );
        assert_eq!(
            parse_time("2026-11-27T05:18:49.123456+00:00"),
            Some(Timestamp(T + 123))
        );
        assert_eq!(parse_time("2026-11-27T05:18"), Some(Timestamp(T - 49_000)));
    }

    #[test]
    fn a_date_alone_is_midnight_utc() {
        assert_eq!(
            parse_time("2026-11-27"),
            Some(Timestamp(T - (5 * 3600 + 18 * 60 + 49) * 1000))
        );
    }

    #[test]
    fn fixture_times_are_written_back_as_each_api_spells_them() {
        let rest: RestTime = serde_json::from_str(r#""2026-11-27T05:18:49Z+0000""#).unwrap();
        assert_eq!(rest.0, Timestamp(T));
        assert_eq!(
            serde_json::to_string(&rest).unwrap(),
            r#""2026-11-27T05:18:49Z""#
        );
        let asset: AssetTime = serde_json::from_str(r#""2026-11-27T06:18:49+01:00""#).unwrap();
        assert_eq!(
            serde_json::to_string(&asset).unwrap(),
            r#""2026-11-27T05:18:49Z+0000""#
        );
        let error = serde_json::from_str::<RestTime>(r#""last tuesday""#).unwrap_err();
        assert!(error.to_string().contains("'last tuesday'"), "{error}");
        assert_eq!(
            parse_fixture_time("2026-11-27T05:18:49+0000"),
            Some(Timestamp(T))
        );
    }

    #[test]
    fn malformed_times_are_refused() {
        for text in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-27T25:00:00Z",
            "2026-11-27T05:18:49+7",
            "2026-11-27T05:18:49.Z",
            "26-11-27",
            "2026-11-27X05:18:49",
            "2026-11-27T05:18:49:00",
            "2026-11-30T00:+0\u{284}1",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
    }
}
