//! The `{startAt, endAt}` ranges of export filters, in every spelling real clients send.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::iso8601::parse_time;
use serde_json::Value as Json;

/// Marketo's longest range: 31 days, both bounds included.
pub const MAX_RANGE: Duration = Duration::from_secs(31 * 86_400);

/// A range of times, both bounds included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl DateRange {
    pub fn contains(&self, time: Timestamp) -> bool {
        self.start <= time && time <= self.end
    }

    /// Reads a filter member such as `createdAt`: an object with `startAt` and `endAt`, each a
    /// time; `member` names it in the messages.
    pub fn from_json(member: &str, value: &Json) -> Result<DateRange, String> {
        let Json::Object(range) = value else {
            return Err(format!(
                "'{member}' must be an object with 'startAt' and 'endAt'"
            ));
        };
        let bound = |name: &str| -> Result<Timestamp, String> {
            let text = range
                .get(name)
                .and_then(Json::as_str)
                .ok_or_else(|| format!("'{member}.{name}' is required and must be a string"))?;
            parse_time(text).ok_or_else(|| {
                format!("'{member}.{name}' is not an ISO 8601 date or time: '{text}'")
            })
        };
        let (start, end) = (bound("startAt")?, bound("endAt")?);
        if end < start {
            return Err(format!("'{member}.endAt' is before its 'startAt'"));
        }
        if start.until(end) > MAX_RANGE {
            return Err(format!(
                "'{member}' spans more than 31 days: the range may be at most 31 days"
            ));
        }
        Ok(DateRange { start, end })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_range_of_exactly_31_days_is_allowed_and_one_second_more_is_not() {
        let range = |start: &str, end: &str| {
            DateRange::from_json("createdAt", &json!({"startAt": start, "endAt": end}))
        };
        let ok = range("2016-08-01T00:00:00", "2016-09-01T00:00:00").unwrap();
        assert!(ok.contains(ok.start) && ok.contains(ok.end));
        let too_long = range("2016-08-01T00:00:00", "2016-09-01T00:00:01").unwrap_err();
        assert!(too_long.contains("31 days"), "{too_long}");
        let same = range("2026-11-27T05:18:49Z", "2026-11-27T05:18:49Z").unwrap();
        assert_eq!(same.start, same.end);
    }

    #[test]
    fn a_reversed_or_incomplete_range_names_its_problem() {
        let reversed = DateRange::from_json(
            "updatedAt",
            &json!({"startAt": "2026-02-02", "endAt": "2026-02-01"}),
        )
        .unwrap_err();
        assert_eq!(reversed, "'updatedAt.endAt' is before its 'startAt'");
        let missing =
            DateRange::from_json("createdAt", &json!({"startAt": "2026-02-02"})).unwrap_err();
        assert!(
            missing.contains("'createdAt.endAt' is required"),
            "{missing}"
        );
        let not_object = DateRange::from_json("createdAt", &json!("2026-02-02")).unwrap_err();
        assert!(not_object.contains("must be an object"), "{not_object}");
    }
}
