//! A bounded journal of the emulated API calls, oldest dropped first.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::Timestamp;

/// One call as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(serialize_with = "method_name")]
    #[schema(value_type = String)]
    pub method: axum::http::Method,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub http_status: u16,
    /// The Marketo error code, when the call failed in the envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_id: Option<String>,
    /// From the mock's clock; written as RFC 3339 when the journal is read.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String)]
    pub time: Timestamp,
}

fn method_name<S: serde::Serializer>(
    method: &axum::http::Method,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(method.as_str())
}

fn rfc3339<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.to_rfc3339())
}

#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Entry>>,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            method: axum::http::Method::GET,
            path: path.into(),
            query: None,
            http_status: 200,
            code: None,
            batch_id: None,
            export_id: None,
            time: Timestamp(0),
        }
    }

    #[test]
    fn the_oldest_entries_are_dropped_past_the_capacity() {
        let journal = Journal::new(2);
        for path in ["/a", "/b", "/c"] {
            journal.record(entry(path));
        }
        let paths: Vec<_> = journal.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        journal.clear();
        assert!(journal.entries().is_empty());
    }
}
