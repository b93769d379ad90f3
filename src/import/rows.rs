//! Reading an uploaded file: the header, then one raw row at a time with the exact bytes it
//! came from, so a failed row can be echoed unchanged.
//!
//! A line without a quote character is split on the delimiter directly; any other row is read
//! by `csv_core`, which handles quoted delimiters, doubled quotes and line breaks. Both read
//! exactly what the `csv` crate reads (a differential test below holds them to it), but most
//! rows of a real file have no quotes, and splitting them takes a fraction of the time.

use std::ops::Range;

use bytes::Bytes;
use csv_core::ReadRecordResult;

use super::Format;
use crate::words;

const BOM: &[u8] = b"\xEF\xBB\xBF";
const QUOTE: u8 = b'"';

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

/// The cells of one row, unquoted: their bytes in one buffer, and where each cell lies in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    bytes: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl Cells {
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn get(&self, at: usize) -> Option<&[u8]> {
        self.bytes.get(self.ranges.get(at)?.clone())
    }

    /// Where cell `at` lies in [`Cells::as_slice`].
    pub fn range(&self, at: usize) -> Option<Range<usize>> {
        self.ranges.get(at).cloned()
    }

    /// Every cell's bytes, in order; whatever lies between cells is ASCII.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.ranges.iter().map(|range| &self.bytes[range.clone()])
    }

    /// Cells holding these bytes, for tests.
    #[cfg(test)]
    pub fn of(cells: &[&[u8]]) -> Cells {
        let mut all = Cells::default();
        for cell in cells {
            let start = all.bytes.len();
            all.bytes.extend_from_slice(cell);
            all.ranges.push(start..all.bytes.len());
        }
        all
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ranges.clear();
    }

    /// Splits the line starting `line` on the delimiter, up to its line break or the end;
    /// where the line ends, or `None` (with nothing kept) if it has a quote, which needs
    /// `csv_core`. Eight bytes are looked at at once, and only the delimiters, quotes and
    /// line breaks among them one by one.
    fn split_plain(&mut self, line: &[u8], delimiter: u8) -> Option<usize> {
        let mut start = 0;
        let mut word_at = 0;
        let end = 'line: loop {
            if word_at >= line.len() {
                break line.len();
            }
            let word = words::load(line, word_at);
            let mut special = words::equal(word, delimiter)
                | words::equal(word, QUOTE)
                | words::equal(word, b'\n')
                | words::equal(word, b'\r');
            while special != 0 {
                let at = word_at + words::first(special);
                match line[at] {
                    byte if byte == delimiter => {
                        self.ranges.push(start..at);
                        start = at + 1;
                    }
                    QUOTE => {
                        self.ranges.clear();
                        return None;
                    }
                    _ => break 'line at,
                }
                special &= special - 1;
            }
            word_at += 8;
        };
        self.ranges.push(start..end);
        self.bytes.extend_from_slice(&line[..end]);
        Some(end)
    }
}

/// An owned reader over an uploaded file, so a job can carry it between processing steps.
pub struct RowReader {
    data: Bytes,
    /// Where the next row is looked for.
    at: usize,
    delimiter: u8,
    quoted: csv_core::Reader,
    /// Where the row read ahead by [`RowReader::has_more`] stands, if there is one; its
    /// cells are in `lookahead`.
    peeked: Option<Range<usize>>,
    lookahead: Cells,
    /// The field ends `csv_core` reports, kept between quoted rows.
    ends: Vec<usize>,
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("len", &self.data.len())
            .field("at", &self.at)
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
        let at = if data.starts_with(BOM) { BOM.len() } else { 0 };
        let delimiter = format.delimiter();
        let mut rows = RowReader {
            data,
            at,
            delimiter,
            quoted: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            peeked: None,
            lookahead: Cells::default(),
            ends: Vec::new(),
        };
        let mut cells = Cells::default();
        let span = rows.next_row(&mut cells).ok_or(HeaderError::Empty)?;
        let names = cells
            .iter()
            .map(|cell| std::str::from_utf8(cell).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| HeaderError::NotUtf8)?;
        let raw = rows.data.slice(span);
        Ok((Header { names, raw }, rows))
    }

    /// Whether another row follows, so a job knows it is done without a further step.
    pub fn has_more(&mut self) -> bool {
        if self.peeked.is_none() {
            let mut cells = std::mem::take(&mut self.lookahead);
            self.peeked = self.read(&mut cells);
            self.lookahead = cells;
        }
        self.peeked.is_some()
    }

    /// Bytes of the upload read so far, and left to read.
    pub fn progress(&self) -> (usize, usize) {
        (self.at, self.data.len() - self.at)
    }

    /// The whole upload; a row's span indexes it.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Reads the next row into `cells` (whatever they held is replaced); where the row
    /// stands in the file, without its line break, or `None` at the end. Blank lines are not
    /// rows. A quote left open runs to the end of the file, as in any RFC 4180 reader; the row
    /// then fails on its column count rather than vanishing.
    pub fn next_row(&mut self, cells: &mut Cells) -> Option<Range<usize>> {
        if let Some(span) = self.peeked.take() {
            std::mem::swap(cells, &mut self.lookahead);
            return Some(span);
        }
        self.read(cells)
    }

    fn read(&mut self, cells: &mut Cells) -> Option<Range<usize>> {
        let RowReader {
            data,
            at,
            delimiter,
            quoted,
            ends,
            ..
        } = self;
        let data = &data[..];
        let begin = *at + data[*at..].iter().position(|b| !is_line_break(*b))?;
        cells.clear();
        let end = begin
            + match cells.split_plain(&data[begin..], *delimiter) {
                Some(end) => end,
                None => read_quoted(quoted, ends, &data[begin..], cells),
            };
        *at = end;
        Some(trim_line_breaks(data, begin, end))
    }
}

/// Reads the row at the start of `data` with `csv_core` into `cells`; the bytes it took.
/// `ends` is a buffer for the field ends `csv_core` reports.
fn read_quoted(
    quoted: &mut csv_core::Reader,
    ends: &mut Vec<usize>,
    data: &[u8],
    cells: &mut Cells,
) -> usize {
    quoted.reset();
    let (mut at, mut written, mut ended) = (0, 0, 0);
    let mut output = std::mem::take(&mut cells.bytes);
    output.resize(output.capacity().max(256), 0);
    if ends.len() < 16 {
        ends.resize(16, 0);
    }
    loop {
        // An empty input is the end of the file to `csv_core`.
        let (result, read, wrote, count) =
            quoted.read_record(&data[at..], &mut output[written..], &mut ends[ended..]);
        at += read;
        written += wrote;
        ended += count;
        match result {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => output.resize(output.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record | ReadRecordResult::End => break,
        }
    }
    output.truncate(written);
    cells.bytes = output;
    let mut start = 0;
    for end in &ends[..ended] {
        cells.ranges.push(start..*end);
        start = *end;
    }
    at
}

fn is_line_break(byte: u8) -> bool {
    matches!(byte, b'\n' | b'\r')
}

/// A row's reach may include the line breaks around it; an unquoted cell cannot start or end
/// with one, and a quoted one is inside quotes.
fn trim_line_breaks(data: &[u8], mut begin: usize, mut end: usize) -> Range<usize> {
    while begin < end && is_line_break(data[begin]) {
        begin += 1;
    }
    while end > begin && is_line_break(data[end - 1]) {
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
        let mut cells = Cells::default();
        while let Some(span) = reader.next_row(&mut cells) {
            let text = cells
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            rows.push((
                text,
                String::from_utf8(reader.data()[span].to_vec()).unwrap(),
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
        let mut cells = Cells::default();
        assert!(reader.next_row(&mut cells).is_some());
        assert_eq!(cells.get(0), Some(&b"a"[..]));
        assert!(reader.has_more());
        assert!(reader.next_row(&mut cells).is_some());
        assert_eq!(cells.get(0), Some(&b"b"[..]));
        assert!(!reader.has_more());
        assert!(reader.next_row(&mut cells).is_none());
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

    /// What the `csv` crate reads from `text` after its first row: each row's cells, and its
    /// bytes from the record's start to its end without line breaks.
    fn csv_crate_rows(text: &[u8], format: Format) -> Vec<(Vec<Vec<u8>>, Vec<u8>)> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(format.delimiter())
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let begin = record.position().unwrap().byte() as usize;
            let end = reader.position().byte() as usize;
            let span = trim_line_breaks(text, begin, end);
            rows.push((
                record.iter().map(<[u8]>::to_vec).collect(),
                text[span].to_vec(),
            ));
        }
        rows.into_iter().skip(1).collect()
    }

    proptest::proptest! {
        #[test]
        fn every_row_reads_as_the_csv_crate_reads_it(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab,;\t\"\r\n \xC3\xA9".to_vec()),
                0..160,
            ),
            format in proptest::sample::select(vec![Format::Csv, Format::Tsv, Format::Ssv]),
        ) {
            // A header first, so the file opens whatever follows.
            let text = [b"x\n".as_slice(), &bytes].concat();
            let (_, mut reader) = RowReader::open(Bytes::from(text.clone()), format).unwrap();
            let mut ours = Vec::new();
            let mut cells = Cells::default();
            while let Some(span) = reader.next_row(&mut cells) {
                ours.push((
                    cells.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                    text[span].to_vec(),
                ));
            }
            proptest::prop_assert_eq!(ours, csv_crate_rows(&text, format));
        }
    }
}
