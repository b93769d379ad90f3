//! The one table of Marketo error codes and messages, and the error type every handler returns.

use axum::http::{Method, StatusCode};

use crate::export::ExportStatus;

/// Everything a request can fail with, rendered as Marketo's envelope by [`crate::http::envelope`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Empty access token")]
    EmptyToken,
    #[error("Access token invalid")]
    InvalidToken,
    #[error("Access token expired")]
    ExpiredToken,
    #[error("Request method '{0}' not supported")]
    MethodNotSupported(Method),
    #[error("Requested resource not found")]
    ResourceNotFound,
    #[error("System error")]
    System,
    #[error("Invalid Content Type")]
    InvalidContentType,
    #[error("Invalid Multipart Request")]
    InvalidMultipart,
    #[error("Missing value for required parameter '{0}'")]
    MissingParameter(&'static str),
    #[error("Invalid value '{value}'. Required of type '{expected}'")]
    InvalidValue {
        value: String,
        expected: &'static str,
    },
    #[error("Empty file")]
    EmptyFile,
    /// A request that cannot be served, with Marketo's generic 1003 code and our reason.
    #[error("{0}")]
    InvalidData(String),
    #[error("File too large: the limit is {limit} bytes")]
    FileTooLarge { limit: usize },
    #[error("Field '{0}' not found")]
    FieldNotFound(String),
    #[error("Field '{0}' not supported")]
    FieldNotSupported(String),
    #[error("Lookup field '{0}' not found")]
    LookupFieldNotFound(String),
    #[error("{0}")]
    ObjectNotFound(&'static str),
    /// A failures or warnings file asked of a batch that has none: HTTP 404.
    #[error("No {0} file found for this batch")]
    NoSuchFile(&'static str),
    #[error("There are {0} imports currently being processed. Please try again later")]
    TooManyImports(usize),
    #[error("Program status not found")]
    ProgramStatusNotFound,
    #[error("Too many results match the filter")]
    TooManyResults,
    #[error("Invalid JSON")]
    InvalidJson,
    #[error("Export job not found")]
    ExportNotFound,
    #[error("Too many jobs in queue")]
    ExportQueueFull,
    #[error("Job already queued")]
    ExportAlreadyQueued,
    /// Marketo's own text, which clients match with `Export daily quota \d+MB exceeded`.
    #[error("Export daily quota {megabytes}MB exceeded.")]
    ExportQuotaExceeded { megabytes: u64 },
    #[error("Cannot cancel an export job in {} state", .0.name())]
    ExportNotCancellable(ExportStatus),
    /// A code injected or chosen by the control plane, answered with Marketo's message for it.
    #[error("{message}")]
    Coded { code: &'static str, message: String },
}

impl ApiError {
    /// Marketo's code, always a string on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::EmptyToken => "600",
            ApiError::InvalidToken => "601",
            ApiError::ExpiredToken => "602",
            ApiError::MethodNotSupported(_) => "605",
            ApiError::ResourceNotFound => "610",
            ApiError::System => "611",
            ApiError::InvalidJson => "609",
            ApiError::InvalidContentType => "612",
            ApiError::InvalidMultipart => "613",
            ApiError::InvalidValue { .. } => "1001",
            ApiError::MissingParameter(_) => "1002",
            ApiError::EmptyFile
            | ApiError::InvalidData(_)
            | ApiError::FileTooLarge { .. }
            | ApiError::TooManyResults => "1003",
            ApiError::FieldNotFound(_) | ApiError::LookupFieldNotFound(_) => "1006",
            ApiError::FieldNotSupported(_) => "1011",
            ApiError::ObjectNotFound(_) | ApiError::NoSuchFile(_) | ApiError::ExportNotFound => {
                "1013"
            }
            ApiError::TooManyImports(_) => "1016",
            ApiError::ProgramStatusNotFound => "1025",
            ApiError::ExportQueueFull
            | ApiError::ExportAlreadyQueued
            | ApiError::ExportQuotaExceeded { .. }
            | ApiError::ExportNotCancellable(_) => "1029",
            ApiError::Coded { code, .. } => code,
        }
    }

    /// Envelope errors are HTTP 200 in Marketo; only these few carry another status.
    pub fn http_status(&self) -> StatusCode {
        match self {
            ApiError::ResourceNotFound | ApiError::NoSuchFile(_) => StatusCode::NOT_FOUND,
            ApiError::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::OK,
        }
    }
}

/// Marketo's response-level codes the control plane can inject, with Marketo's messages.
const MESSAGES: &[(&str, &str)] = &[
    ("502", "Bad Gateway"),
    ("600", "Empty access token"),
    ("601", "Access token invalid"),
    ("602", "Access token expired"),
    ("603", "Access denied"),
    ("604", "Request time-out"),
    ("605", "HTTP Method not supported"),
    ("606", "Max rate limit '100' exceeded with in '20' secs"),
    ("607", "Daily quota reached"),
    ("608", "API Temporarily Unavailable"),
    ("609", "Invalid JSON"),
    ("610", "Requested resource not found"),
    ("611", "System error"),
    ("612", "Invalid Content Type"),
    ("613", "Invalid Multipart Request"),
    ("614", "Invalid Subscription"),
    ("615", "Concurrent access limit '10' reached"),
    ("616", "Invalid subscription type"),
    ("1003", "Invalid data"),
    ("1013", "Object not found"),
    ("1016", "Too many imports"),
    ("1019", "Import in progress"),
    ("1029", "Too many jobs in queue"),
];

/// An injectable code and Marketo's message for it.
pub fn known_code(code: &str) -> Option<(&'static str, &'static str)> {
    MESSAGES.iter().find(|(known, _)| *known == code).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_carry_the_documented_codes_and_messages() {
        assert_eq!(
            (
                ApiError::EmptyToken.code(),
                ApiError::EmptyToken.to_string().as_str()
            ),
            ("600", "Empty access token")
        );
        assert_eq!(
            (
                ApiError::InvalidToken.code(),
                ApiError::InvalidToken.to_string().as_str()
            ),
            ("601", "Access token invalid")
        );
        assert_eq!(
            (
                ApiError::ExpiredToken.code(),
                ApiError::ExpiredToken.to_string().as_str()
            ),
            ("602", "Access token expired")
        );
    }

    #[test]
    fn the_queue_limit_message_names_the_configured_limit() {
        let error = ApiError::TooManyImports(10);
        assert_eq!(error.code(), "1016");
        assert_eq!(
            error.to_string(),
            "There are 10 imports currently being processed. Please try again later"
        );
    }

    #[test]
    fn only_missing_resources_and_oversized_files_leave_http_200() {
        assert_eq!(
            ApiError::ResourceNotFound.http_status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::NoSuchFile("failures").http_status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::FileTooLarge { limit: 1 }.http_status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(ApiError::InvalidToken.http_status(), StatusCode::OK);
    }

    #[test]
    fn injectable_codes_carry_marketos_observed_messages() {
        assert_eq!(
            known_code("606"),
            Some(("606", "Max rate limit '100' exceeded with in '20' secs"))
        );
        assert_eq!(
            known_code("615"),
            Some(("615", "Concurrent access limit '10' reached"))
        );
        assert_eq!(known_code("999"), None);
    }

    #[test]
    fn export_refusals_are_1029_with_the_texts_clients_match() {
        let quota = ApiError::ExportQuotaExceeded { megabytes: 500 };
        assert_eq!(
            (quota.code(), quota.to_string().as_str()),
            ("1029", "Export daily quota 500MB exceeded.")
        );
        assert_eq!(
            ApiError::ExportQueueFull.to_string(),
            "Too many jobs in queue"
        );
        assert_eq!(
            ApiError::ExportAlreadyQueued.to_string(),
            "Job already queued"
        );
        assert_eq!(
            ApiError::ExportNotCancellable(ExportStatus::Completed).to_string(),
            "Cannot cancel an export job in Completed state"
        );
        assert_eq!(ApiError::ExportNotFound.code(), "1013");
    }

    #[test]
    fn wrong_methods_are_named_in_the_message() {
        assert_eq!(
            ApiError::MethodNotSupported(Method::DELETE).to_string(),
            "Request method 'DELETE' not supported"
        );
    }
}
