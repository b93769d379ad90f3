//! The three delimited formats Marketo accepts, for imports and exports alike.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use utoipa::ToSchema;

/// A delimited file format, named in lower case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated.
    #[default]
    Csv,
    /// Tab-separated.
    Tsv,
    /// Semicolon-separated.
    Ssv,
}

impl Format {
    /// The byte between cells.
    pub fn delimiter(self) -> u8 {
        match self {
            Format::Csv => b',',
            Format::Tsv => b'\t',
            Format::Ssv => b';',
        }
    }

    /// The name Marketo's parameters use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Ssv => "ssv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The value was not one of `csv`, `tsv`, `ssv` in any case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Marketo's docs write the values in both cases, so any case is accepted.
    fn from_str(value: &str) -> Result<Format, UnknownFormat> {
        match value.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "tsv" => Ok(Format::Tsv),
            "ssv" => Ok(Format::Ssv),
            _ => Err(UnknownFormat(value.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_in_any_case() {
        assert_eq!("csv".parse(), Ok(Format::Csv));
        assert_eq!("TSV".parse(), Ok(Format::Tsv));
        assert_eq!("Ssv".parse(), Ok(Format::Ssv));
    }

    #[test]
    fn other_values_are_refused_with_the_value_kept() {
        assert_eq!("xlsx".parse::<Format>(), Err(UnknownFormat("xlsx".into())));
        assert_eq!("".parse::<Format>(), Err(UnknownFormat(String::new())));
    }

    #[test]
    fn each_format_has_its_delimiter() {
        assert_eq!(Format::Csv.delimiter(), b',');
        assert_eq!(Format::Tsv.delimiter(), b'\t');
        assert_eq!(Format::Ssv.delimiter(), b';');
    }
}
