//! Reading an uploaded file: the header, then one raw row at a time with the exact bytes it
//! came from, so a failed row can be echoed unchanged.

use std::io::Cursor;
use std::ops::Range;

use bytes::Bytes;
use csv::ByteRecord;

use super::Format;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header row: its names as uploaded, and its raw bytes for the echo in result files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub names: Vec<String>,
    pub raw: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("Empty file")]
    Empty,
    #[error("Header row is not valid UTF-8")]
    NotUtf8,
}

/// One data row: its cells, and where it stood in the file.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub cells: ByteRecord,
    pub span: Range<usize>,
}

/// An owned reader over an uploaded file, so a job can carry it between processing steps.
pub struct RowReader {
    data: Bytes,
    start: usize,
    reader: csv::Reader<Cursor<Bytes>>,
    /// A row read ahead by [`RowReader::has_more`].
    peeked: Option<RawRow>,
    /// Records handed back by [`RowReader::recycle`], so rows reuse their buffers.
    spare: Vec<ByteRecord>,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("len", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl RowReader {
    /// Opens the file and reads its header. A file of nothing but white space is empty.
    pub fn open(data: Bytes, format: Format) -> Result<(Header, RowReader), HeaderError> {
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(HeaderError::Empty);
        }
        // The byte-order mark is not part of the first header name.
        let start = if data.starts_with(BOM) { BOM.len() } else { 0 };
        let reader = csv::ReaderBuilder::new()
            .delimiter(format.delimiter())
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(data.slice(start..)));
        let mut rows = RowReader {
            data,
            start,
            reader,
            peeked: None,
            spare: Vec::new(),
        };
        let first = rows.next_row().ok_or(HeaderError::Empty)?;
        let names = first
            .cells
            .iter()
            .map(|cell| std::str::from_utf8(cell).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| HeaderError::NotUtf8)?;
        let raw = rows.data.slice(first.span);
        Ok((Header { names, raw }, rows))
    }

    /// Whether another row follows, so a job knows it is done without a further step.
    pub fn has_more(&mut self) -> bool {
        if self.peeked.is_none() {
            self.peeked = self.next_row();
        }
        self.peeked.is_some()
    }

    /// Gives a row's buffer back for the next row to use.
    pub fn recycle(&mut self, row: RawRow) {
        if self.spare.len() < 4 {
            self.spare.push(row.cells);
        }
    }

    /// The raw bytes of a row, without its line ending.
    pub fn raw(&self, span: &Range<usize>) -> Bytes {
        self.data.slice(span.clone())
    }

    /// The next row, or `None` at the end. A quote left open runs to the end of the file, as
    /// in any RFC 4180 reader; the row then fails on its column count rather than vanishing.
    pub fn next_row(&mut self) -> Option<RawRow> {
        if let Some(row) = self.peeked.take() {
            return Some(row);
        }
        let mut cells = self.spare.pop().unwrap_or_default();
        match self.reader.read_byte_record(&mut cells) {
            Ok(false) => None,
            Ok(true) => {
                let begin = self.start + cells.position().map_or(0, |p| p.byte() as usize);
                let end = self.start + self.reader.position().byte() as usize;
                let span = trim_line_breaks(&self.data, begin, end);
                Some(RawRow { cells, span })
            }
            // The byte reader reports no UTF-8 errors; anything else is an I/O error on an
            // in-memory cursor, which cannot happen, so end the rows.
            Err(_) => None,
        }
    }
}

/// The reader's positions include the line breaks around a record (and blank lines before
/// it); an unquoted cell cannot start or end with one, and a quoted one is inside quotes.
fn trim_line_breaks(data: &[u8], mut begin: usize, mut end: usize) -> Range<usize> {
    while begin < end && matches!(data[begin], b'\n' | b'\r') {
        begin += 1;
    }
    while end > begin && matches!(data[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    begin..end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8], format: Format) -> (Header, Vec<(Vec<String>, String)>) {
        let (header, mut reader) = RowReader::open(Bytes::copy_from_slice(text), format).unwrap();
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row() {
            let cells = row
                .cells
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            rows.push((
                cells,
                String::from_utf8(reader.raw(&row.span).to_vec()).unwrap(),
            ));
        }
        (header, rows)
    }

    #[test]
    fn quoted_cells_keep_delimiters_quotes_and_newlines_and_the_raw_row_is_exact() {
        let text = b"email,company\na@x.com,\"Acme, \"\"Big\"\" Inc.\nLine 2\"\nb@x.com,Plain\n";
        let (header, rows) = read_all(text, Format::Csv);
        assert_eq!(header.names, ["email", "company"]);
        assert_eq!(&header.raw[..], b"email,company");
        assert_eq!(rows[0].0, ["a@x.com", "Acme, \"Big\" Inc.\nLine 2"]);
        assert_eq!(rows[0].1, "a@x.com,\"Acme, \"\"Big\"\" Inc.\nLine 2\"");
        assert_eq!(rows[1].1, "b@x.com,Plain");
    }

    #[test]
    fn crlf_line_endings_and_a_byte_order_mark_are_transparent() {
        let (header, rows) = read_all(
            b"\xEF\xBB\xBFemail;firstName\r\na@x.com;Ann\r\n",
            Format::Ssv,
        );
        assert_eq!(header.names, ["email", "firstName"]);
        assert_eq!(
            rows,
            [(
                vec!["a@x.com".to_owned(), "Ann".to_owned()],
                "a@x.com;Ann".to_owned()
            )]
        );
    }

    #[test]
    fn ragged_rows_are_read_with_the_cells_they_have() {
        let (_, rows) = read_all(b"a\tb\tc\n1\t2\n1\t2\t3\t4\n", Format::Tsv);
        assert_eq!(rows[0].0.len(), 2);
        assert_eq!(rows[1].0.len(), 4);
    }

    #[test]
    fn a_last_row_without_a_line_ending_is_read() {
        let (_, rows) = read_all(b"email\na@x.com", Format::Csv);
        assert_eq!(rows[0].1, "a@x.com");
    }

    #[test]
    fn looking_ahead_does_not_lose_a_row() {
        let (_, mut reader) =
            RowReader::open(Bytes::from_static(b"email\na\nb\n"), Format::Csv).unwrap();
        assert!(reader.has_more());
        assert!(reader.has_more());
        assert_eq!(&reader.next_row().unwrap().cells[0], b"a");
        assert_eq!(&reader.next_row().unwrap().cells[0], b"b");
        assert!(!reader.has_more());
        assert!(reader.next_row().is_none());
    }

    #[test]
    fn blank_lines_between_rows_are_not_rows() {
        let (_, rows) = read_all(b"email\n\na@x.com\n\n\nb@x.com\n", Format::Csv);
        let raws: Vec<_> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(raws, ["a@x.com", "b@x.com"]);
    }

    #[test]
    fn files_of_nothing_or_white_space_are_empty() {
        assert_eq!(
            RowReader::open(Bytes::new(), Format::Csv).unwrap_err(),
            HeaderError::Empty
        );
        assert_eq!(
            RowReader::open(Bytes::from_static(b" \r\n\t\n"), Format::Csv).unwrap_err(),
            HeaderError::Empty
        );
    }

    #[test]
    fn a_header_that_is_not_utf8_is_refused() {
        let error = RowReader::open(Bytes::from_static(b"em\xFFail\n"), Format::Csv).unwrap_err();
        assert_eq!(error, HeaderError::NotUtf8);
    }
}
