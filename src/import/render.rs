//! The failures and warnings files: the original header and rows, in the job's own delimiter,
//! with one more column holding the reason.

use bytes::{BufMut, Bytes, BytesMut};

use super::Format;

/// Collects rows for one result file as a job runs.
#[derive(Debug)]
pub struct ResultFile {
    delimiter: u8,
    buffer: BytesMut,
    rows: usize,
}

pub const FAILURE_COLUMN: &str = "Import Failure Reason";
pub const WARNING_COLUMN: &str = "Import Warning Reason";

impl ResultFile {
    pub fn new(format: Format, header: &[u8], reason_column: &str) -> ResultFile {
        let mut file = ResultFile {
            delimiter: format.delimiter(),
            buffer: BytesMut::new(),
            rows: 0,
        };
        file.line(header, reason_column);
        file
    }

    /// Adds a row exactly as uploaded, then its reason, quoted only when it must be.
    pub fn push(&mut self, raw_row: &[u8], reason: &str) {
        self.line(raw_row, reason);
        self.rows += 1;
    }

    fn line(&mut self, raw: &[u8], reason: &str) {
        self.buffer.put_slice(raw);
        self.buffer.put_u8(self.delimiter);
        let needs_quotes = reason
            .bytes()
            .any(|b| b == self.delimiter || matches!(b, b'"' | b'\n' | b'\r'));
        if needs_quotes {
            self.buffer.put_u8(b'"');
            self.buffer
                .put_slice(reason.replace('"', "\"\"").as_bytes());
            self.buffer.put_u8(b'"');
        } else {
            self.buffer.put_slice(reason.as_bytes());
        }
        self.buffer.put_u8(b'\n');
    }

    /// The file, or `None` when no row was added (the endpoint then answers 404).
    pub fn finish(self) -> Option<Bytes> {
        (self.rows > 0).then(|| self.buffer.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_echoed_unchanged_with_the_reason_appended() {
        let mut file = ResultFile::new(Format::Csv, b"email,company", FAILURE_COLUMN);
        file.push(
            b"a@x.com,\"Acme, Inc.\"",
            "Invalid data type in field Lead Score",
        );
        let text = file.finish().unwrap();
        assert_eq!(
            &text[..],
            b"email,company,Import Failure Reason\na@x.com,\"Acme, Inc.\",Invalid data type in field Lead Score\n"
        );
    }

    #[test]
    fn a_reason_containing_the_delimiter_or_quotes_is_quoted() {
        let mut file = ResultFile::new(Format::Ssv, b"email", WARNING_COLUMN);
        file.push(b"a@x.com", "one; two \"three\"");
        assert_eq!(
            &file.finish().unwrap()[..],
            b"email;Import Warning Reason\na@x.com;\"one; two \"\"three\"\"\"\n"
        );
    }

    #[test]
    fn a_file_without_rows_does_not_exist() {
        assert!(
            ResultFile::new(Format::Tsv, b"email", FAILURE_COLUMN)
                .finish()
                .is_none()
        );
    }
}
