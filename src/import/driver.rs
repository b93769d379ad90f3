//! The row loop every import type shares: read a few rows, check them against their columns,
//! hand the good ones to the target under one lock, and account for every row in the counters
//! and the result files.

use std::sync::{Arc, RwLock};

use bytes::Bytes;

use super::Format;
use super::render::{FAILURE_COLUMN, ResultFile, WARNING_COLUMN};
use super::rows::{Header, HeaderError, RowReader};
use super::validate::{CheckedRow, check_row};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::jobs::{Counters, ImportWork, ResultFiles, Step};
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

    /// Turns a checked row into what the store takes, or the reason it fails.
    fn prepare(&self, row: CheckedRow) -> Result<Self::Row, String>;

    /// Writes rows in file order; each gets its extra warnings, or the reason it failed.
    fn write(
        &mut self,
        db: &mut Db,
        rows: Vec<Self::Row>,
        now: Timestamp,
    ) -> Vec<Result<Vec<String>, String>>;
}

/// A running import of any type.
pub struct RowImport<T: RowTarget> {
    target: T,
    columns: Vec<FieldDef>,
    db: Arc<RwLock<Db>>,
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
        db: Arc<RwLock<Db>>,
    ) -> RowImport<T> {
        RowImport {
            target,
            columns,
            db,
            rows,
            failures: ResultFile::new(format, &header.raw, FAILURE_COLUMN),
            warnings: ResultFile::new(format, &header.raw, WARNING_COLUMN),
        }
    }
}

impl<T: RowTarget> ImportWork for RowImport<T> {
    fn step(&mut self, max_rows: usize, now: Timestamp) -> Step {
        // Each row read, with its check warnings, and whether it goes to the store.
        let mut read: Vec<(Bytes, Vec<String>, Result<(), String>)> = Vec::new();
        let mut ready = Vec::new();
        let columns: Vec<&FieldDef> = self.columns.iter().collect();
        for _ in 0..max_rows {
            let Some(row) = self.rows.next_row() else {
                break;
            };
            let raw = self.rows.raw(&row.span);
            let prepared = match self.target.reject_all() {
                Some(reason) => Err(reason.to_owned()),
                None => check_row(&columns, &row.cells).and_then(|checked| {
                    let warnings = checked.warnings.clone();
                    self.target
                        .prepare(checked)
                        .map(|prepared| (warnings, prepared))
                }),
            };
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
            let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
            self.target.write(&mut db, ready, now)
        }
        .into_iter();
        // Result files keep the file's order, whichever stage a row failed in.
        let mut counters = Counters::default();
        for (raw, mut warnings, checked) in read {
            let outcome = checked.and_then(|()| {
                written
                    .next()
                    .unwrap_or_else(|| Err("Row was not written".into()))
            });
            match outcome {
                Ok(extra) => {
                    counters.processed += 1;
                    warnings.extend(extra);
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
