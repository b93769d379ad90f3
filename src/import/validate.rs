//! Checking one uploaded row against the fields its columns name.
//!
//! A value of the wrong type fails the row; a bad email or an over-long value is kept (the
//! latter truncated) with a warning, as Marketo does.

use super::rows::Cells;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use std::ops::Range;

use crate::schema::{DataType, FieldDef, Value};

/// A cell that passed its check, owning nothing of the row it came from, so rows can be
/// checked on one thread and stored from another.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    /// The cell's own text, at this range of the text [`check_row`] keeps.
    Text(Range<usize>),
    /// Text that replaces the cell's: an over-long value, truncated.
    Replaced(String),
    /// A date already written as it is stored (`YYYY-MM-DD`), at this range of the text: the
    /// usual spelling, kept without a copy.
    Date(Range<usize>),
    Parsed(Value),
}

/// A checked cell's content, borrowed: text or a parsed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    Text(&'a str),
    Parsed(&'a Value),
}

impl Checked {
    /// The cell's content, its text read from the text [`check_row`] kept.
    pub fn get<'a>(&'a self, text: &'a str) -> CellRef<'a> {
        match self {
            Checked::Text(range) | Checked::Date(range) => CellRef::Text(&text[range.clone()]),
            Checked::Replaced(text) => CellRef::Text(text),
            Checked::Parsed(value) => CellRef::Parsed(value),
        }
    }

    /// The cell as a value to store.
    pub fn into_value(self, text: &str) -> Value {
        match self {
            Checked::Text(range) => Value::Text(text[range].into()),
            Checked::Date(range) => Value::Date(text[range].into()),
            Checked::Replaced(text) => Value::Text(text.into()),
            Checked::Parsed(value) => value,
        }
    }
}

/// Checks a cell of a field kept as text: a bad email is kept with a warning, an over-long
/// value truncated with one. `None` keeps the text as it is.
#[inline]
fn check_text(field: &FieldDef, raw: &str, warnings: &mut Vec<String>) -> Option<String> {
    if field.data_type == DataType::Email && !looks_like_email(raw) {
        warnings.push("Invalid email address".to_owned());
    }
    // A value no longer in bytes than the limit cannot be longer in characters.
    match field.length {
        Some(limit) if raw.len() > limit && raw.chars().count() > limit => {
            Some(truncate(field, raw, limit, warnings))
        }
        _ => None,
    }
}

#[cold]
fn truncate(field: &FieldDef, raw: &str, limit: usize, warnings: &mut Vec<String>) -> String {
    warnings.push(format!(
        "Value truncated to {limit} characters in field {}",
        field.display_name
    ));
    raw.chars().take(limit).collect()
}

/// A cell of a field that is not kept as text, parsed into its type and written into `slot`.
/// Each type writes its own value there: a value returned and then moved into the slot was
/// built on the stack and copied, and that copy stalled on store forwarding (a third of the
/// check of a file of typed columns, in `perf annotate`).
fn parse_typed(field: &FieldDef, raw: &str, slot: &mut Option<Checked>) -> Result<(), String> {
    let invalid = || format!("Invalid data type in field {}", field.display_name);
    let raw = raw.trim();
    let mut put = |value| *slot = Some(Checked::Parsed(value));
    match field.data_type {
        DataType::Integer | DataType::Score => {
            // Marketo integers are 32-bit.
            let number: i32 = raw.parse().map_err(|_| invalid())?;
            put(Value::Integer(i64::from(number)));
        }
        DataType::Float | DataType::Currency | DataType::Percent => {
            let number: f64 = raw.parse().map_err(|_| invalid())?;
            if !number.is_finite() {
                return Err(invalid());
            }
            put(Value::Float(number));
        }
        DataType::Boolean => put(Value::Boolean(parse_boolean(raw).ok_or_else(invalid)?)),
        DataType::Date => put(Value::Date(
            format_date(parse_date(raw).ok_or_else(invalid)?).into_boxed_str(),
        )),
        DataType::Datetime => put(Value::Datetime(parse_datetime(raw).ok_or_else(invalid)?)),
        textual => unreachable!("{textual:?} is kept as text"),
    }
    Ok(())
}

/// Checks every cell of a row, appending one entry a column to `out` (`None` where the cell
/// was empty, which leaves the stored value unchanged) and the text they refer to, to `text`.
/// Gives the row's warnings, or the first failing cell's reason, with `out` and `text` left
/// as they were.
pub fn check_row(
    columns: &[FieldDef],
    cells: &Cells,
    text: &mut String,
    out: &mut Vec<Option<Checked>>,
) -> Result<Vec<String>, String> {
    if cells.len() != columns.len() {
        return Err(format!(
            "Row has {} columns but the header has {}",
            cells.len(),
            columns.len()
        ));
    }
    // The row's text is checked as UTF-8 once; a cell of it is then valid unless it starts or
    // ends inside a character, which `str::get` tells. A row that is not valid as a whole has
    // a cell that is not, found cell by cell to name its field.
    let Ok(whole) = std::str::from_utf8(cells.as_slice()) else {
        return Err(not_utf8(columns, cells));
    };
    let (base, mark) = (text.len(), out.len());
    // The row's slots are made first and filled in place: a cell pushed instead is built on
    // the stack and copied, and that copy stalled on store forwarding (it showed in profiles).
    out.resize(mark + columns.len(), None);
    let slots = &mut out[mark..];
    let mut warnings = Vec::new();
    let mut failure = None;
    for ((at, field), slot) in columns.iter().enumerate().zip(slots.iter_mut()) {
        let range = cells.range(at).unwrap_or_default();
        let Some(raw) = whole.get(range.clone()) else {
            failure = Some(invalid_utf8(field));
            break;
        };
        if raw.is_empty() {
            continue;
        }
        if field.data_type.is_textual() {
            *slot = Some(match check_text(field, raw, &mut warnings) {
                None => Checked::Text(base + range.start..base + range.end),
                Some(replaced) => Checked::Replaced(replaced),
            });
        } else if field.data_type == DataType::Date && is_stored_date(raw) {
            *slot = Some(Checked::Date(base + range.start..base + range.end));
        } else if let Err(reason) = parse_typed(field, raw, slot) {
            failure = Some(reason);
            break;
        }
    }
    if let Some(reason) = failure {
        out.truncate(mark);
        return Err(reason);
    }
    text.push_str(whole);
    Ok(warnings)
}

#[cold]
fn not_utf8(columns: &[FieldDef], cells: &Cells) -> String {
    let at = (0..cells.len())
        .find(|at| {
            cells
                .get(*at)
                .is_some_and(|cell| std::str::from_utf8(cell).is_err())
        })
        .unwrap_or_default();
    columns.get(at).map(invalid_utf8).unwrap_or_default()
}

fn invalid_utf8(field: &FieldDef) -> String {
    format!(
        "Invalid UTF-8 byte sequence in field {}",
        field.display_name
    )
}

/// Deliberately simple: one `@`, something before it, a dotted domain after it, no spaces.
pub fn looks_like_email(text: &str) -> bool {
    // Bytes rather than `str` patterns: a `char` search calls `memcmp` at every match, which
    // on short values cost more than the whole check.
    let bytes = text.as_bytes();
    let Some(at) = bytes.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    !local.is_empty()
        && !domain.contains(&b'@')
        && !text.chars().any(char::is_whitespace)
        && domain.contains(&b'.')
        && !domain.starts_with(b".")
        && !domain.ends_with(b".")
        && !domain.windows(2).any(|pair| pair == b"..")
}

fn parse_boolean(text: &str) -> Option<bool> {
    let is = |words: &[&str]| words.iter().any(|word| word.eq_ignore_ascii_case(text));
    if is(&["true", "1", "yes", "y", "t"]) {
        Some(true)
    } else if is(&["false", "0", "no", "n", "f"]) {
        Some(false)
    } else {
        None
    }
}

/// Whether a date is written as it is stored, `YYYY-MM-DD`, and is a day of the calendar.
fn is_stored_date(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    // Read from the digits' places: no search for the dashes, which showed in profiles.
    let number = |at: Range<usize>| {
        bytes[at].iter().try_fold(0u16, |n, byte| {
            byte.is_ascii_digit()
                .then(|| n * 10 + u16::from(byte - b'0'))
        })
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let month = Month::try_from(u8::try_from(month).unwrap_or(0));
    month.is_ok_and(|month| {
        Date::from_calendar_date(i32::from(year), month, u8::try_from(day).unwrap_or(0)).is_ok()
    })
}

fn number<T: std::str::FromStr>(text: &str, digits: usize) -> Option<T> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// `YYYY-MM-DD`, or the US `MM/DD/YYYY` Marketo's own exports use.
fn parse_date(text: &str) -> Option<Date> {
    let (year, month, day) = if let Some((y, rest)) = text.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (
            number::<i32>(y, 4)?,
            m.parse::<u8>().ok()?,
            d.parse::<u8>().ok()?,
        )
    } else {
        let mut parts = text.split('/');
        let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        (
            number::<i32>(y, 4)?,
            m.parse::<u8>().ok()?,
            d.parse::<u8>().ok()?,
        )
    };
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// RFC 3339; `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS` taken as UTC; or a bare date at
/// midnight UTC.
fn parse_datetime(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(datetime) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((datetime.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let (date_part, time_part) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let date = parse_date(date_part)?;
    let time = match time_part {
        None => Time::MIDNIGHT,
        Some(clock) => {
            let mut parts = clock.trim_end_matches('Z').split(':');
            let hour = parts.next()?.parse().ok()?;
            let minute = parts.next()?.parse().ok()?;
            let second = parts.next().map_or(Some(0), |s| s.parse().ok())?;
            if parts.next().is_some() {
                return None;
            }
            Time::from_hms(hour, minute, second).ok()?
        }
    };
    let datetime = PrimitiveDateTime::new(date, time).assume_utc();
    Some((datetime.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(display: &str, data_type: DataType, length: Option<usize>) -> FieldDef {
        FieldDef {
            length,
            ..FieldDef::named(display, data_type)
        }
    }

    /// A row of `cells` checked against `columns`: each cell's value (`None` where empty)
    /// and the row's warnings, or its failure.
    fn check(
        columns: &[FieldDef],
        cells: &[&[u8]],
    ) -> Result<(Vec<Option<Value>>, Vec<String>), String> {
        let (mut text, mut out) = (String::new(), Vec::new());
        let warnings = check_row(columns, &Cells::of(cells), &mut text, &mut out)?;
        let values = out
            .into_iter()
            .map(|cell| cell.map(|checked| checked.into_value(&text)))
            .collect();
        Ok((values, warnings))
    }

    /// The value and the warnings of a single cell that passes.
    fn warned(field: &FieldDef, raw: &str) -> (Value, Vec<String>) {
        let (mut values, warnings) = check(std::slice::from_ref(field), &[raw.as_bytes()]).unwrap();
        (values.remove(0).unwrap(), warnings)
    }

    fn ok(field: &FieldDef, raw: &str) -> Value {
        let (value, warnings) = warned(field, raw);
        assert!(warnings.is_empty(), "{warnings:?}");
        value
    }

    /// Whether a cell fails its row as a value of the wrong type.
    fn rejected(field: &FieldDef, raw: &str) -> bool {
        check(std::slice::from_ref(field), &[raw.as_bytes()])
            == Err(format!("Invalid data type in field {}", field.display_name))
    }

    #[test]
    fn integers_in_32_bits_pass_and_anything_else_names_the_display_name() {
        let score = field("Lead Score", DataType::Integer, None);
        assert_eq!(ok(&score, "42"), Value::Integer(42));
        assert_eq!(ok(&score, "-7"), Value::Integer(-7));
        for bad in ["TEXT_VALUE_IN_INTEGER_FIELD", "1.5", "3000000000"] {
            assert_eq!(
                check(std::slice::from_ref(&score), &[bad.as_bytes()]),
                Err("Invalid data type in field Lead Score".to_owned())
            );
        }
    }

    #[test]
    fn floats_currency_and_percent_take_decimal_numbers_only() {
        let revenue = field("Annual Revenue", DataType::Currency, None);
        assert_eq!(ok(&revenue, "1250000.50"), Value::Float(1_250_000.5));
        assert!(rejected(&revenue, "$1M"));
        assert!(rejected(&revenue, "NaN"));
        assert!(rejected(&field("Rate", DataType::Percent, None), "inf"));
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        let flag = field("Unsubscribed", DataType::Boolean, None);
        assert_eq!(ok(&flag, "TRUE"), Value::Boolean(true));
        assert_eq!(ok(&flag, "0"), Value::Boolean(false));
        assert_eq!(ok(&flag, "no"), Value::Boolean(false));
        assert!(rejected(&flag, "maybe"));
    }

    #[test]
    fn dates_are_normalised_and_impossible_dates_fail() {
        let birthday = field("Date of Birth", DataType::Date, None);
        assert_eq!(
            ok(&birthday, "1990-02-03"),
            Value::Date("1990-02-03".into())
        );
        assert_eq!(
            ok(&birthday, "02/03/1990"),
            Value::Date("1990-02-03".into())
        );
        assert_eq!(ok(&birthday, "1990-2-3"), Value::Date("1990-02-03".into()));
        assert_eq!(
            ok(&birthday, " 1990-02-03 "),
            Value::Date("1990-02-03".into())
        );
        assert!(rejected(&birthday, "1990-02-30"));
        assert!(rejected(&birthday, "1990-13-01"));
        assert!(rejected(&birthday, "1990+02-03"));
        assert!(rejected(&birthday, "yesterday"));
    }

    #[test]
    fn booleans_read_every_spelling_in_any_case() {
        let flag = field("Unsubscribed", DataType::Boolean, None);
        for yes in ["true", "TRUE", "1", "Yes", "y", "T"] {
            assert_eq!(ok(&flag, yes), Value::Boolean(true), "{yes}");
        }
        for no in ["false", "False", "0", "NO", "n", "f"] {
            assert_eq!(ok(&flag, no), Value::Boolean(false), "{no}");
        }
        assert!(rejected(&flag, "maybe"));
        assert!(rejected(&flag, "truee"));
    }

    #[test]
    fn datetimes_accept_rfc3339_and_naive_utc_forms() {
        let login = field("Last Login At", DataType::Datetime, None);
        let expected = Value::Datetime(1_426_551_520_000);
        assert_eq!(ok(&login, "2015-03-17T00:18:40Z"), expected);
        assert_eq!(ok(&login, "2015-03-17T01:18:40+01:00"), expected);
        assert_eq!(ok(&login, "2015-03-17 00:18:40"), expected);
        assert_eq!(ok(&login, "2015-03-17"), Value::Datetime(1_426_550_400_000));
        assert!(rejected(&login, "2015-03-17T25:00:00"));
    }

    #[test]
    fn a_bad_email_is_kept_with_a_warning() {
        let email = field("Email Address", DataType::Email, Some(255));
        let (value, warnings) = warned(&email, "not-an-email");
        assert_eq!(value, Value::Text("not-an-email".into()));
        assert_eq!(warnings, ["Invalid email address"]);
        assert!(looks_like_email("ann.lee+tag@mail.example.com"));
        for bad in [
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@x..com",
            "a@@x.com",
            "a@.x.com",
            "a@x.com.",
            "a@x.com\u{a0}",
            "",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn an_over_long_value_is_truncated_by_characters_with_a_warning() {
        let tier = field("Customer Tier", DataType::String, Some(5));
        let (value, warnings) = warned(&tier, "Plüschplatin");
        assert_eq!(value, Value::Text("Plüsc".into()));
        assert_eq!(
            warnings,
            ["Value truncated to 5 characters in field Customer Tier"]
        );
    }

    #[test]
    fn a_row_with_the_wrong_column_count_fails_naming_both_counts() {
        let name = field("First Name", DataType::String, None);
        let columns = [name.clone(), name.clone(), name];
        assert_eq!(
            check(&columns, &[b"a", b"b"]).unwrap_err(),
            "Row has 2 columns but the header has 3"
        );
    }

    #[test]
    fn empty_cells_are_left_out_and_warnings_gathered() {
        let email = field("Email Address", DataType::Email, Some(255));
        let name = field("First Name", DataType::String, None);
        let (values, warnings) = check(&[email, name], &[b"bad-email", b""]).unwrap();
        assert_eq!(values, [Some(Value::Text("bad-email".into())), None]);
        assert_eq!(warnings, ["Invalid email address"]);
    }

    #[test]
    fn a_cell_that_is_not_utf8_fails_the_row_naming_the_field() {
        let name = field("First Name", DataType::String, None);
        assert_eq!(
            check(&[name], &[b"An\xFFn"]).unwrap_err(),
            "Invalid UTF-8 byte sequence in field First Name"
        );
    }

    #[test]
    fn a_character_split_across_two_cells_fails_the_row_at_the_first() {
        let (first, last) = (
            field("First Name", DataType::String, None),
            field("Last Name", DataType::String, None),
        );
        // Together the two cells are the two bytes of "é"; each alone is not UTF-8.
        assert_eq!(
            check(&[first, last], &[b"\xC3", b"\xA9"]).unwrap_err(),
            "Invalid UTF-8 byte sequence in field First Name"
        );
    }

    #[test]
    fn a_failing_row_leaves_the_kept_text_and_cells_as_they_were() {
        let name = field("First Name", DataType::String, None);
        let score = field("Lead Score", DataType::Integer, None);
        let columns = [name, score];
        let (mut text, mut out) = (String::new(), Vec::new());
        check_row(&columns, &Cells::of(&[b"Ann", b"7"]), &mut text, &mut out).unwrap();
        let failed = check_row(&columns, &Cells::of(&[b"Bo", b"x"]), &mut text, &mut out);
        assert_eq!(
            failed,
            Err("Invalid data type in field Lead Score".to_owned())
        );
        assert_eq!(text, "Ann7");
        assert_eq!(
            out,
            [
                Some(Checked::Text(0..3)),
                Some(Checked::Parsed(Value::Integer(7)))
            ]
        );
    }
}
