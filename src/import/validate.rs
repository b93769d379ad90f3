//! Checking one uploaded row against the fields its columns name.
//!
//! A value of the wrong type fails the row; a bad email or an over-long value is kept (the
//! latter truncated) with a warning, as Marketo does.

use csv::ByteRecord;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use std::borrow::Cow;

use crate::schema::{DataType, FieldDef, Value};

/// A checked cell: text stays borrowed from the row (nothing is copied until it is stored),
/// other types are parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Parsed(Value),
}

impl Cell<'_> {
    pub fn into_value(self) -> Value {
        match self {
            Cell::Text(text) => Value::Text(text.into()),
            Cell::Parsed(value) => value,
        }
    }
}

/// A value that passed, perhaps with warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<'a> {
    pub value: Cell<'a>,
    pub warnings: Vec<String>,
}

/// Checks one non-empty cell. `Err` holds the row's failure reason.
pub fn check_value<'a>(field: &FieldDef, raw: &'a str) -> Result<Checked<'a>, String> {
    let invalid = || format!("Invalid data type in field {}", field.display_name);
    let mut warnings = Vec::new();
    let value = match field.data_type {
        data_type if data_type.is_textual() => {
            if data_type == DataType::Email && !looks_like_email(raw) {
                warnings.push("Invalid email address".to_owned());
            }
            // A value no longer in bytes than the limit cannot be longer in characters.
            let text = match field.length {
                Some(limit) if raw.len() > limit && raw.chars().count() > limit => {
                    warnings.push(format!(
                        "Value truncated to {limit} characters in field {}",
                        field.display_name
                    ));
                    Cow::Owned(raw.chars().take(limit).collect::<String>())
                }
                _ => Cow::Borrowed(raw),
            };
            return Ok(Checked {
                value: Cell::Text(text),
                warnings,
            });
        }
        DataType::Integer | DataType::Score => {
            // Marketo integers are 32-bit.
            let number: i32 = raw.trim().parse().map_err(|_| invalid())?;
            Value::Integer(i64::from(number))
        }
        DataType::Float | DataType::Currency | DataType::Percent => {
            let number: f64 = raw.trim().parse().map_err(|_| invalid())?;
            if !number.is_finite() {
                return Err(invalid());
            }
            Value::Float(number)
        }
        DataType::Boolean => Value::Boolean(parse_boolean(raw.trim()).ok_or_else(invalid)?),
        DataType::Date => {
            Value::Date(format_date(parse_date(raw.trim()).ok_or_else(invalid)?).into_boxed_str())
        }
        DataType::Datetime => Value::Datetime(parse_datetime(raw.trim()).ok_or_else(invalid)?),
        _ => unreachable!("every textual type is handled above"),
    };
    Ok(Checked {
        value: Cell::Parsed(value),
        warnings,
    })
}

/// A row checked against its columns: one entry a column, `None` where the cell was empty
/// (which leaves the stored value unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRow<'a> {
    pub values: Vec<Option<Cell<'a>>>,
    pub warnings: Vec<String>,
}

/// Checks every cell of a row; the first failing cell's reason fails the row.
pub fn check_row<'a>(
    columns: &[&FieldDef],
    cells: &'a ByteRecord,
) -> Result<CheckedRow<'a>, String> {
    if cells.len() != columns.len() {
        return Err(format!(
            "Row has {} columns but the header has {}",
            cells.len(),
            columns.len()
        ));
    }
    let mut values = Vec::with_capacity(columns.len());
    let mut warnings = Vec::new();
    for (field, cell) in columns.iter().zip(cells.iter()) {
        let text = std::str::from_utf8(cell).map_err(|_| {
            format!(
                "Invalid UTF-8 byte sequence in field {}",
                field.display_name
            )
        })?;
        if text.is_empty() {
            values.push(None);
            continue;
        }
        let checked = check_value(field, text)?;
        warnings.extend(checked.warnings);
        values.push(Some(checked.value));
    }
    Ok(CheckedRow { values, warnings })
}

/// Deliberately simple: one `@`, something before it, a dotted domain after it, no spaces.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let bytes = domain.as_bytes();
    !local.is_empty()
        && !bytes.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && bytes.contains(&b'.')
        && bytes[0] != b'.'
        && bytes[bytes.len() - 1] != b'.'
        && !bytes.windows(2).any(|pair| pair == b"..")
}

fn parse_boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
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

    fn ok(field: &FieldDef, raw: &str) -> Value {
        let checked = check_value(field, raw).unwrap();
        assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
        checked.value.into_value()
    }

    #[test]
    fn integers_in_32_bits_pass_and_anything_else_names_the_display_name() {
        let score = field("Lead Score", DataType::Integer, None);
        assert_eq!(ok(&score, "42"), Value::Integer(42));
        assert_eq!(ok(&score, "-7"), Value::Integer(-7));
        for bad in ["TEXT_VALUE_IN_INTEGER_FIELD", "1.5", "3000000000"] {
            assert_eq!(
                check_value(&score, bad).unwrap_err(),
                "Invalid data type in field Lead Score"
            );
        }
    }

    #[test]
    fn floats_currency_and_percent_take_decimal_numbers_only() {
        let revenue = field("Annual Revenue", DataType::Currency, None);
        assert_eq!(ok(&revenue, "1250000.50"), Value::Float(1_250_000.5));
        assert!(check_value(&revenue, "$1M").is_err());
        assert!(check_value(&revenue, "NaN").is_err());
        assert!(check_value(&field("Rate", DataType::Percent, None), "inf").is_err());
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        let flag = field("Unsubscribed", DataType::Boolean, None);
        assert_eq!(ok(&flag, "TRUE"), Value::Boolean(true));
        assert_eq!(ok(&flag, "0"), Value::Boolean(false));
        assert_eq!(ok(&flag, "no"), Value::Boolean(false));
        assert!(check_value(&flag, "maybe").is_err());
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
        assert!(check_value(&birthday, "1990-02-30").is_err());
        assert!(check_value(&birthday, "yesterday").is_err());
    }

    #[test]
    fn datetimes_accept_rfc3339_and_naive_utc_forms() {
        let login = field("Last Login At", DataType::Datetime, None);
        let expected = Value::Datetime(1_426_551_520_000);
        assert_eq!(ok(&login, "2015-03-17T00:18:40Z"), expected);
        assert_eq!(ok(&login, "2015-03-17T01:18:40+01:00"), expected);
        assert_eq!(ok(&login, "2015-03-17 00:18:40"), expected);
        assert_eq!(ok(&login, "2015-03-17"), Value::Datetime(1_426_550_400_000));
        assert!(check_value(&login, "2015-03-17T25:00:00").is_err());
    }

    #[test]
    fn a_bad_email_is_kept_with_a_warning() {
        let email = field("Email Address", DataType::Email, Some(255));
        let checked = check_value(&email, "not-an-email").unwrap();
        assert_eq!(
            checked.value.into_value(),
            Value::Text("not-an-email".into())
        );
        assert_eq!(checked.warnings, ["Invalid email address"]);
        assert!(looks_like_email("ann.lee+tag@mail.example.com"));
        for bad in ["@x.com", "a@b", "a b@x.com", "a@x..com", "a@@x.com"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn an_over_long_value_is_truncated_by_characters_with_a_warning() {
        let tier = field("Customer Tier", DataType::String, Some(5));
        let checked = check_value(&tier, "Plüschplatin").unwrap();
        assert_eq!(checked.value.into_value(), Value::Text("Plüsc".into()));
        assert_eq!(
            checked.warnings,
            ["Value truncated to 5 characters in field Customer Tier"]
        );
    }

    #[test]
    fn a_row_with_the_wrong_column_count_fails_naming_both_counts() {
        let name = field("First Name", DataType::String, None);
        let columns = [&name, &name, &name];
        let cells = ByteRecord::from(vec!["a", "b"]);
        assert_eq!(
            check_row(&columns, &cells).unwrap_err(),
            "Row has 2 columns but the header has 3"
        );
    }

    #[test]
    fn empty_cells_are_left_out_and_warnings_gathered() {
        let email = field("Email Address", DataType::Email, Some(255));
        let name = field("First Name", DataType::String, None);
        let cells = ByteRecord::from(vec!["bad-email", ""]);
        let row = check_row(&[&email, &name], &cells).unwrap();
        assert_eq!(row.values, [Some(Cell::Text("bad-email".into())), None]);
        assert_eq!(row.warnings, ["Invalid email address"]);
    }

    #[test]
    fn a_cell_that_is_not_utf8_fails_the_row_naming_the_field() {
        let name = field("First Name", DataType::String, None);
        let cells = ByteRecord::from(vec![&b"An\xFFn"[..]]);
        assert_eq!(
            check_row(&[&name], &cells).unwrap_err(),
            "Invalid UTF-8 byte sequence in field First Name"
        );
    }
}
