//! The file an export writes: a header row, then a row a record, in the job's format;
//! `null` for an empty value, LF line ends with a final LF, a cell quoted only when it holds
//! the delimiter, a quote or a line break.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::format::Format;
use crate::schema::ValueRef;

/// A finished export file and what its status reports of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub bytes: Bytes,
    /// Rows below the header.
    pub records: u64,
    /// `sha256:` and the lowercase hex digest of the bytes.
    pub checksum: String,
}

impl ExportFile {
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// Writes one export file row by row.
pub struct FileWriter {
    out: csv::Writer<Vec<u8>>,
    records: u64,
    /// Room to render a number or a time without allocating a cell.
    scratch: String,
    /// The last time written and its text: rows written together mostly share their second.
    last_time: (i64, String),
}

impl FileWriter {
    pub fn new<'a>(format: Format, header: impl IntoIterator<Item = &'a str>) -> FileWriter {
        let out = csv::WriterBuilder::new()
            .delimiter(format.delimiter())
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        let mut writer = FileWriter {
            out,
            records: 0,
            scratch: String::new(),
            last_time: (i64::MIN, String::new()),
        };
        for name in header {
            writer.text(name);
        }
        writer.end_row();
        writer
    }

    fn text(&mut self, text: &str) {
        // Writing into memory cannot fail.
        let _ = self.out.write_field(text);
    }

    /// Writes one cell: `null` where there is no value.
    pub fn cell(&mut self, value: Option<ValueRef<'_>>) {
        use std::fmt::Write;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let text: &str = match value {
            None => "null",
            Some(ValueRef::Text(text) | ValueRef::Date(text)) if text.is_empty() => "null",
            Some(ValueRef::Text(text) | ValueRef::Date(text)) => text,
            Some(ValueRef::Boolean(true)) => "true",
            Some(ValueRef::Boolean(false)) => "false",
            Some(ValueRef::Integer(n)) => {
                let _ = write!(scratch, "{n}");
                &scratch
            }
            Some(ValueRef::Float(n)) => {
                let _ = write!(scratch, "{n}");
                &scratch
            }
            Some(ValueRef::Datetime(millis)) => {
                let second = millis.div_euclid(1000);
                if self.last_time.0 != second {
                    self.last_time = (second, Timestamp(millis).to_marketo());
                }
                &self.last_time.1
            }
        };
        let _ = self.out.write_field(text);
        self.scratch = scratch;
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        let _ = self.out.write_record(std::iter::empty::<&[u8]>());
    }

    /// Ends a record's row and counts it.
    pub fn end_record(&mut self) {
        self.end_row();
        self.records += 1;
    }

    pub fn finish(self) -> ExportFile {
        let bytes = self.out.into_inner().unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        let mut checksum = String::with_capacity(7 + 64);
        checksum.push_str("sha256:");
        for byte in digest {
            use std::fmt::Write;
            let _ = write!(checksum, "{byte:02x}");
        }
        ExportFile {
            bytes: Bytes::from(bytes),
            records: self.records,
            checksum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(format: Format, rows: &[&[Option<ValueRef<'_>>]]) -> ExportFile {
        let mut writer = FileWriter::new(format, ["a", "b", "c"]);
        for row in rows {
            for cell in *row {
                writer.cell(*cell);
            }
            writer.end_record();
        }
        writer.finish()
    }

    #[test]
    fn empty_values_are_null_and_only_cells_that_need_it_are_quoted() {
        let file = file(
            Format::Csv,
            &[
                &[
                    None,
                    Some(ValueRef::Text("")),
                    Some(ValueRef::Text("Pearl White")),
                ],
                &[
                    Some(ValueRef::Text("a,b")),
                    Some(ValueRef::Text("say \"hi\"")),
                    Some(ValueRef::Text("two\nlines")),
                ],
            ],
        );
        assert_eq!(
            std::str::from_utf8(&file.bytes).unwrap(),
            "a,b,c\nnull,null,Pearl White\n\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
        );
        assert_eq!(file.records, 2);
        assert_eq!(file.size(), file.bytes.len() as u64);
    }

    #[test]
    fn typed_values_are_written_as_marketo_writes_them() {
        let file = file(
            Format::Tsv,
            &[&[
                Some(ValueRef::Boolean(true)),
                Some(ValueRef::Datetime(1_504_888_754_000)),
                Some(ValueRef::Date("2017-09-08")),
            ]],
        );
        assert_eq!(
            std::str::from_utf8(&file.bytes).unwrap(),
            "a\tb\tc\ntrue\t2017-09-08T16:39:14Z\t2017-09-08\n"
        );
        let ssv = file_ssv();
        assert_eq!(
            std::str::from_utf8(&ssv.bytes).unwrap(),
            "a;b;c\n-4;2.5;\"x;y\"\n"
        );
    }

    fn file_ssv() -> ExportFile {
        file(
            Format::Ssv,
            &[&[
                Some(ValueRef::Integer(-4)),
                Some(ValueRef::Float(2.5)),
                Some(ValueRef::Text("x;y")),
            ]],
        )
    }

    #[test]
    fn a_file_with_no_record_still_has_its_header_row_and_a_checksum_of_its_bytes() {
        let file = file(Format::Csv, &[]);
        assert_eq!(&file.bytes[..], b"a,b,c\n");
        assert_eq!(file.records, 0);
        // sha256 of "a,b,c\n", as `sha256sum` prints it.
        assert_eq!(
            file.checksum,
            "sha256:facf7c7ae315fc177ccc74b3d837762f7257b6ded1e1f906b7d034f25590263d"
        );
    }
}
