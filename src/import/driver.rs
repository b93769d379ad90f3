//! The row loop every import type shares: read a few rows, check them against their columns,
//! hand the good ones to the target under one lock, and account for every row in the counters
//! and the result files.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::Format;
use super::render::{FAILURE_COLUMN, ResultFile, WARNING_COLUMN};
use super::rows::{Header, HeaderError, RowReader};
use super::validate::{Cell, CheckedRow, check_row};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::jobs::{Counters, ImportKind, ImportWork, ResultFiles, Step};
use crate::schema::FieldDef;
use crate::store::Db;

/// Opens an upload and reads its header, mapping an empty file to Marketo's 1003.
pub fn open_upload(data: Bytes, format: Format) -> Result<(Header, RowReader), ApiError> {
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

/// What differs between leads, custom objects and program members.
pub trait RowTarget: Send + 'static {
    /// A checked row, ready for the store.
    type Row: Send;

    /// Set when the upload cannot import any row; every row then fails with this reason.
    fn reject_all(&self) -> Option<&str> {
        None
    }

    /// Turns a checked row (a value per column, `None` for an empty cell) into what the
    /// store takes, or the reason it fails.
    fn prepare(&self, values: Vec<Option<Cell<'_>>>) -> Result<Self::Row, String>;

    /// Writes rows in file order; each gets its extra warnings, or the reason it failed.
    fn write(
        &mut self,
        db: &mut Db,
        rows: Vec<Self::Row>,
        now: Timestamp,
    ) -> Vec<Result<Vec<String>, String>>;
}

/// The handles an import needs besides its plan.
#[derive(Clone)]
pub struct ImportContext {
    pub db: Arc<RwLock<Db>>,
    pub faults: Arc<Faults>,
    pub kind: ImportKind,
}

/// Rows checked before they are written under one lock.
const BATCH_ROWS: usize = 4096;

/// What became of one row: its extra warnings if imported, or why it failed.
pub type RowOutcome = Result<Vec<String>, String>;

/// A running import of any type.
pub struct RowImport<T: RowTarget> {
    target: T,
    columns: Vec<FieldDef>,
    /// Header names as uploaded, for row fault rules.
    names: Vec<String>,
    context: ImportContext,
    /// The database generation the job was created in; after a reset it writes nothing.
    generation: u64,
    rows: RowReader,
    failures: ResultFile,
    warnings: ResultFile,
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
        let generation = context
            .db
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .generation;
        RowImport {
            target,
            columns,
            names: header.names.clone(),
            context,
            generation,
            rows,
            failures: ResultFile::new(format, &header.raw, FAILURE_COLUMN),
            warnings: ResultFile::new(format, &header.raw, WARNING_COLUMN),
        }
    }

    /// A fault rule's reason for failing this row, if one matches it.
    fn injected_failure(&self, cells: &csv::ByteRecord) -> Option<String> {
        let faults = &self.context.faults;
        if !faults.has_row_rules(self.context.kind) {
            return None;
        }
        faults.for_row(self.context.kind, |column| {
            let at = self
                .names
                .iter()
                .position(|name| name.eq_ignore_ascii_case(column))?;
            std::str::from_utf8(cells.get(at)?).ok()
        })
    }

    /// Reads, checks and writes up to `max_rows` rows; says what became of each, in file
    /// order, and whether the file is done.
    fn process(&mut self, max_rows: usize, now: Timestamp) -> (Vec<(Bytes, RowOutcome)>, bool) {
        // Each row read, with its check warnings, and whether it goes to the store.
        let mut read: Vec<(Bytes, Vec<String>, Result<(), String>)> = Vec::new();
        let mut ready = Vec::new();
        let columns: Vec<&FieldDef> = self.columns.iter().collect();
        for _ in 0..max_rows {
            let Some(row) = self.rows.next_row() else {
                break;
            };
            let raw = self.rows.raw(&row.span);
            let prepared = match (self.target.reject_all(), self.injected_failure(&row.cells)) {
                (Some(reason), _) => Err(reason.to_owned()),
                (None, Some(reason)) => Err(reason),
                (None, None) => check_row(&columns, &row.cells).and_then(|checked| {
                    let CheckedRow { values, warnings } = checked;
                    self.target
                        .prepare(values)
                        .map(|prepared| (warnings, prepared))
                }),
            };
            self.rows.recycle(row);
            match prepared {
                Ok((warnings, prepared)) => {
                    ready.push(prepared);
                    read.push((raw, warnings, Ok(())));
                }
                Err(reason) => read.push((raw, Vec::new(), Err(reason))),
            }
        }
        let done = !self.rows.has_more();
        let mut written = if ready.is_empty() {
            Vec::new()
        } else {
            let mut db = self.context.db.write().unwrap_or_else(|p| p.into_inner());
            if db.generation == self.generation {
                self.target.write(&mut db, ready, now)
            } else {
                ready
                    .iter()
                    .map(|_| Err("The mock was reset".to_owned()))
                    .collect()
            }
        }
        .into_iter();
        let outcomes = read
            .into_iter()
            .map(|(raw, mut warnings, checked)| {
                let outcome = checked.and_then(|()| {
                    written
                        .next()
                        .unwrap_or_else(|| Err("Row was not written".into()))
                });
                (
                    raw,
                    outcome.map(|extra| {
                        warnings.extend(extra);
                        warnings
                    }),
                )
            })
            .collect();
        (outcomes, done)
    }

    /// Imports every row without pacing, for seeding: what became of each row, in order.
    /// Rows go in batches, as in a job, so checked rows never pile up in memory.
    pub fn import_all(mut self, now: Timestamp) -> Vec<RowOutcome> {
        let mut outcomes = Vec::new();
        loop {
            let (batch, done) = self.process(BATCH_ROWS, now);
            outcomes.extend(batch.into_iter().map(|(_, outcome)| outcome));
            if done {
                return outcomes;
            }
        }
    }
}

impl<T: RowTarget> ImportWork for RowImport<T> {
    fn step(&mut self, max_rows: usize, now: Timestamp) -> Step {
        let (outcomes, done) = self.process(max_rows, now);
        let mut counters = Counters::default();
        for (raw, outcome) in outcomes {
            match outcome {
                Ok(warnings) => {
                    counters.processed += 1;
                    if !warnings.is_empty() {
                        self.warnings.push(&raw, &warnings.join("; "));
                        counters.warned += 1;
                    }
                }
                Err(reason) => {
                    self.failures.push(&raw, &reason);
                    counters.failed += 1;
                }
            }
        }
        Step { counters, done }
    }

    fn finish(self: Box<Self>) -> ResultFiles {
        ResultFiles {
            failures: self.failures.finish(),
            warnings: self.warnings.finish(),
        }
    }
}
