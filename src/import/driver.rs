//! The row loop every import type shares: read a few rows, check them against their columns,
//! hand the good ones to the target under one lock, and account for every row in the counters
//! and the result files.

use std::ops::Range;
use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::Format;
use super::overlap;
use super::render::{FAILURE_COLUMN, ResultFile, WARNING_COLUMN};
use super::rows::{Cells, Header, HeaderError, RowReader};
use super::validate::{Checked, check_row};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::jobs::{Counters, ImportKind, ImportWork, ResultFiles, Step, workers};
use crate::schema::FieldDef;
use crate::store::Db;
use crate::store::activities::Source;

/// Reads `format` in any case; absent means CSV.
pub fn format_param(value: Option<&str>) -> Result<Format, ApiError> {
    value.map_or(Ok(Format::Csv), |text| {
        text.parse().map_err(|_| ApiError::InvalidValue {
            value: text.to_owned(),
            expected: "csv, tsv, ssv",
        })
    })
}

/// Opens an upload and reads its header: a missing file is Marketo's 1002, an empty one 1003.
pub fn open_upload(file: Option<Bytes>, format: Format) -> Result<(Header, RowReader), ApiError> {
    let data = file.ok_or(ApiError::MissingParameter("file"))?;
    RowReader::open(data, format).map_err(|error| match error {
        HeaderError::Empty => ApiError::EmptyFile,
        HeaderError::NotUtf8 => ApiError::InvalidData(error.to_string()),
    })
}

/// Resolves header names to columns with `find`, which gives a column and whether it may be
/// written: unknown names are 1006, read-only ones 1011, a repeated field 1003.
pub fn resolve_header<C: Copy + PartialEq>(
    names: &[String],
    mut find: impl FnMut(&str) -> Option<(C, bool)>,
) -> Result<Vec<C>, ApiError> {
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        let (column, writable) = find(name).ok_or_else(|| ApiError::FieldNotFound(name.clone()))?;
        if !writable {
            return Err(ApiError::FieldNotSupported(name.clone()));
        }
        if columns.contains(&column) {
            return Err(ApiError::InvalidData(format!(
                "Duplicate field '{name}' in header"
            )));
        }
        columns.push(column);
    }
    Ok(columns)
}

/// What differs between leads, custom objects and program members. Rows are checked and
/// prepared on one thread while earlier ones are written on another, so both take `&self`.
pub trait RowTarget: Send + Sync + 'static {
    /// The kind of import it writes, which fault rules and activities name.
    const KIND: ImportKind;

    /// A checked row, ready for the store.
    type Row: Send;

    /// Set when the upload cannot import any row; every row then fails with this reason.
    fn reject_all(&self) -> Option<&str> {
        None
    }

    /// Turns a checked row (a cell per column, `None` where empty, text kept in `text`) into
    /// what the store takes, or the reason it fails. It may take the cells out of `cells`.
    fn prepare(&self, cells: &mut [Option<Checked>], text: &str) -> Result<Self::Row, String>;

    /// Writes rows in file order. Rows it imported without a word go unmentioned; the
    /// notes name the others by their place among `rows`, in order, with their extra
    /// warnings or the reason they failed.
    fn write(&self, db: &mut Db, rows: Vec<Self::Row>, now: Timestamp) -> WriteNotes;

    /// Makes room in the store for about `rows` more rows, before a large import writes them.
    fn reserve(&self, _db: &mut Db, _rows: usize) {}
}

/// The handles an import needs besides its plan.
#[derive(Clone)]
pub struct ImportContext {
    pub db: Arc<RwLock<Db>>,
    pub faults: Arc<Faults>,
}

/// What the activities an import writes name as their source: Marketo records a bulk import
/// as a list import.
pub fn import_source(kind: ImportKind) -> Source {
    Source {
        kind: "List import",
        name: match kind {
            ImportKind::Leads => "Bulk lead import",
            ImportKind::CustomObjects => "Bulk custom object import",
            ImportKind::ProgramMembers => "Bulk program member import",
        }
        .to_owned(),
    }
}

/// Rows checked together and then written under one lock. A step of more rows than this
/// checks the next chunk on a second thread while the current one is written. Small enough
/// that a chunk's text and cells are still in cache when the writer reads them: of 64 to
/// 1,024, 256 imported the benchmark file fastest.
const CHUNK_ROWS: usize = 256;

/// Chunks checked ahead of the writer, at most.
const CHUNKS_AHEAD: usize = 4;

/// Whether a step checks its rows on a second thread while it writes them. Not where the
/// process may use one core only (a container limited to one CPU, say), where the second
/// thread would only take turns with the first; nor when other steps wait for a worker,
/// where it would leave requests no free core (see [`workers::steps_waiting`]).
fn check_aside() -> bool {
    static ONE_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let one_core =
        *ONE_CORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() == 1));
    !one_core && workers::steps_waiting() == 0
}

/// What became of one row: its extra warnings if imported, or why it failed.
pub type RowOutcome = Result<Vec<String>, String>;

/// What [`RowTarget::write`] says of the rows it did not simply import.
pub type WriteNotes = Vec<(usize, RowOutcome)>;

/// Notes from every row's outcome, in order: those imported with no warning are left out.
pub fn notes(outcomes: impl IntoIterator<Item = RowOutcome>) -> WriteNotes {
    outcomes
        .into_iter()
        .enumerate()
        .filter(|(_, outcome)| !matches!(outcome, Ok(warnings) if warnings.is_empty()))
        .collect()
}

/// A running import of any type.
pub struct RowImport<T: RowTarget> {
    rows: RowPipeline<T>,
    failures: ResultFile,
    warnings: ResultFile,
}

/// Reads, checks and writes rows; knows nothing of counters or result files.
struct RowPipeline<T: RowTarget> {
    target: T,
    checker: RowChecker,
    reader: RowReader,
    db: Arc<RwLock<Db>>,
}

/// Checks rows against their columns, and applies row fault rules.
struct RowChecker {
    columns: Vec<FieldDef>,
    /// Header names as uploaded, for row fault rules.
    names: Vec<String>,
    faults: Arc<Faults>,
    kind: ImportKind,
}

/// A chunk of rows read and checked, owning everything the writer needs: where each row
/// stands in the file with its check warnings or failure, in file order, and the checked
/// cells of the rows that passed (one a column each) with the text they refer to.
#[derive(Default)]
struct CheckedChunk {
    read: Vec<(Range<usize>, RowOutcome)>,
    text: String,
    cells: Vec<Option<Checked>>,
}

impl<T: RowTarget> RowImport<T> {
    /// `columns` holds the field of each header column, in order.
    pub fn new(
        target: T,
        columns: Vec<FieldDef>,
        format: Format,
        header: &Header,
        rows: RowReader,
        context: ImportContext,
    ) -> RowImport<T> {
        RowImport {
            rows: RowPipeline {
                target,
                checker: RowChecker {
                    columns,
                    names: header.names.clone(),
                    faults: context.faults,
                    kind: T::KIND,
                },
                reader: rows,
                db: context.db,
            },
            failures: ResultFile::new(format, &header.raw, FAILURE_COLUMN),
            warnings: ResultFile::new(format, &header.raw, WARNING_COLUMN),
        }
    }
}

/// The rows of a prepared import: stepped by the job engine, or run to the end at once.
pub trait RowWork: ImportWork {
    /// Imports every row without pacing, for seeding: what became of each row, in order.
    fn import_all(self: Box<Self>, now: Timestamp) -> Vec<RowOutcome>;
}

impl<T: RowTarget> RowWork for RowImport<T> {
    fn import_all(mut self: Box<Self>, now: Timestamp) -> Vec<RowOutcome> {
        let mut outcomes = Vec::new();
        self.rows
            .process(usize::MAX, now, |_, outcome| outcomes.push(outcome));
        outcomes
    }
}

impl RowChecker {
    /// A fault rule's reason for failing this row, if one matches it.
    fn injected_failure(&self, cells: &Cells) -> Option<String> {
        if !self.faults.has_row_rules(self.kind.into()) {
            return None;
        }
        self.faults.for_row(self.kind.into(), |column| {
            let at = self
                .names
                .iter()
                .position(|name| name.eq_ignore_ascii_case(column))?;
            std::str::from_utf8(cells.get(at)?).ok()
        })
    }

    /// Reads and checks up to `max_rows` rows into `chunk`, an empty one or one the writer
    /// handed back, so its buffers are used again.
    fn check(
        &self,
        reader: &mut RowReader,
        reject_all: Option<&str>,
        max_rows: usize,
        mut chunk: CheckedChunk,
    ) -> CheckedChunk {
        let mut cells = Cells::default();
        for _ in 0..max_rows {
            let Some(span) = reader.next_row(&mut cells) else {
                break;
            };
            let outcome = match (reject_all, self.injected_failure(&cells)) {
                (Some(reason), _) => Err(reason.to_owned()),
                (None, Some(reason)) => Err(reason),
                (None, None) => check_row(&self.columns, &cells, &mut chunk.text, &mut chunk.cells),
            };
            chunk.read.push((span, outcome));
        }
        chunk
    }
}

impl<T: RowTarget> RowPipeline<T> {
    /// Reads, checks and writes up to `max_rows` rows, telling `each` what became of every
    /// row (with its raw bytes) in file order; whether the file is done.
    fn process(
        &mut self,
        max_rows: usize,
        now: Timestamp,
        mut each: impl FnMut(&[u8], RowOutcome),
    ) -> bool {
        let RowPipeline {
            target,
            checker,
            reader,
            db,
        } = self;
        let target = &*target;
        let reject_all = target.reject_all();
        let columns = checker.columns.len();
        let data = reader.data().clone();
        let mut write = |chunk: &mut CheckedChunk| {
            write_chunk(target, columns, db, chunk, now, |span, outcome| {
                each(&data[span], outcome)
            })
        };
        let mut first = checker.check(
            reader,
            reject_all,
            max_rows.min(CHUNK_ROWS),
            CheckedChunk::default(),
        );
        let first_rows = first.read.len();
        let rest = max_rows - first_rows;
        if first_rows < CHUNK_ROWS || rest == 0 {
            write(&mut first);
        } else {
            let leads = || db.read().unwrap_or_else(|p| p.into_inner()).leads.len();
            let before = leads();
            write(&mut first);
            let created = leads() - before;
            // Room for as many rows again as the first chunk's for each of its lengths left in
            // the file (at most the rows this step may take), as many of them new as the first
            // chunk's were: a row that updates a lead needs none, and reserving for it would
            // grow the tables for nothing.
            let (read, left) = reader.progress();
            let expected = (first_rows as u64 * left as u64 / read.max(1) as u64) as usize;
            let expected_new = expected.min(rest) * created / first_rows;
            target.reserve(
                &mut db.write().unwrap_or_else(|p| p.into_inner()),
                expected_new,
            );
            // Check the rest on a second thread while this one writes (see `overlap`).
            let mut unchecked = rest;
            let check_next = |empty| {
                if unchecked == 0 {
                    return None;
                }
                let chunk = checker.check(reader, reject_all, unchecked.min(CHUNK_ROWS), empty);
                let count = chunk.read.len();
                // A short chunk is the end of the file.
                unchecked = if count < CHUNK_ROWS {
                    0
                } else {
                    unchecked - count
                };
                (count > 0).then_some(chunk)
            };
            if check_aside() {
                // Failing to start a thread is a resource failure; the job fails with it.
                overlap::overlapped(CHUNKS_AHEAD, check_next, write)
                    .expect("the checking thread starts");
            } else {
                overlap::in_turn(check_next, write);
            }
        }
        !reader.has_more()
    }
}

/// Prepares a checked chunk's passing rows for the store, writes them under one lock and
/// tells `each` what became of every row, in file order. `columns` is the number of cells a
/// passing row has.
fn write_chunk<T: RowTarget>(
    target: &T,
    columns: usize,
    db: &RwLock<Db>,
    chunk: &mut CheckedChunk,
    now: Timestamp,
    mut each: impl FnMut(Range<usize>, RowOutcome),
) {
    let CheckedChunk { read, text, cells } = chunk;
    let mut rows = cells.chunks_mut(columns.max(1));
    let mut ready = Vec::with_capacity(read.len());
    for (_, outcome) in read.iter_mut() {
        if outcome.is_ok() {
            let prepared = rows
                .next()
                .ok_or_else(|| "Row was not checked".to_owned())
                .and_then(|row| target.prepare(row, text));
            match prepared {
                Ok(row) => ready.push(row),
                Err(reason) => *outcome = Err(reason),
            }
        }
    }
    cells.clear();
    text.clear();
    let written = if ready.is_empty() {
        Vec::new()
    } else {
        // A reset replaces the instance's world: a job of the old one writes into the old
        // store, which nothing reads any more.
        let mut db = db.write().unwrap_or_else(|p| p.into_inner());
        target.write(&mut db, ready, now)
    };
    let mut notes = written.into_iter().peekable();
    let mut written_rows = 0;
    for (span, checked) in read.drain(..) {
        let outcome = checked.and_then(|mut warnings| {
            let at = written_rows;
            written_rows += 1;
            if let Some((_, extra)) = notes.next_if(|(noted, _)| *noted == at) {
                warnings.extend(extra?);
            }
            Ok(warnings)
        });
        each(span, outcome);
    }
}

impl<T: RowTarget> ImportWork for RowImport<T> {
    fn step(&mut self, max_rows: usize, now: Timestamp) -> Step {
        let mut counters = Counters::default();
        let (failures, warnings) = (&mut self.failures, &mut self.warnings);
        let done = self
            .rows
            .process(max_rows, now, |raw, outcome| match outcome {
                Ok(row_warnings) => {
                    counters.processed += 1;
                    if !row_warnings.is_empty() {
                        warnings.push(raw, &row_warnings.join("; "));
                        counters.warned += 1;
                    }
                }
                Err(reason) => {
                    failures.push(raw, &reason);
                    counters.failed += 1;
                }
            });
        Step { counters, done }
    }

    fn finish(self: Box<Self>) -> ResultFiles {
        ResultFiles {
            failures: self.failures.finish(),
            warnings: self.warnings.finish(),
        }
    }
}
