//! What a job counts as it goes: the rows it imported, failed and warned about.

use serde::Serialize;

/// Rows imported (warned rows included), failed, and warned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub processed: u64,
    pub failed: u64,
    pub warned: u64,
}

impl Counters {
    pub fn add(&mut self, other: Counters) {
        self.processed += other.processed;
        self.failed += other.failed;
        self.warned += other.warned;
    }

    pub fn rows(&self) -> u64 {
        self.processed + self.failed
    }
}
