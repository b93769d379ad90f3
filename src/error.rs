//! The one table of Marketo error codes and messages, and the error type every handler returns.

use axum::http::{Method, StatusCode};

/// Everything a request can fail with; the HTTP layer renders it as Marketo's envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("Empty access token")]
    EmptyToken,
    #[error("Access token invalid")]
    InvalidToken,
    #[error("Access token expired")]
    ExpiredToken,
    #[error("Bad Gateway")]
    BadGateway,
    #[error("Access denied")]
    AccessDenied,
    /// Also what a request body that stops arriving (the body timeout) answers.
    #[error("Request time-out")]
    RequestTimeOut,
    /// The text live Marketo answers, naming the method.
    #[error("Request method '{0}' not supported")]
    MethodNotSupported(Method),
    /// Marketo's documented text for 605, which names no method: what an injected 605 answers.
    #[error("HTTP Method not supported")]
    GenericMethodNotSupported,
    #[error("Max rate limit '{limit}' exceeded with in '{window_secs}' secs")]
    RateLimited { limit: u32, window_secs: u32 },
    #[error("Daily quota reached")]
    DailyQuotaReached,
    #[error("API Temporarily Unavailable")]
    Unavailable,
    #[error("Requested resource not found")]
    ResourceNotFound,
    #[error("System error")]
    System,
    #[error("Invalid Content Type")]
    InvalidContentType,
    #[error("Invalid Multipart Request")]
    InvalidMultipart,
    #[error("Invalid Subscription")]
    InvalidSubscription,
    #[error("Concurrent access limit '{limit}' reached")]
    ConcurrencyLimited { limit: u32 },
    #[error("Invalid subscription type")]
    InvalidSubscriptionType,
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
    /// Marketo's own 1003 text, which gives no reason.
    #[error("Invalid data")]
    GenericInvalidData,
    #[error("File too large: the limit is {limit} bytes")]
    FileTooLarge { limit: usize },
    #[error("Field '{0}' not found")]
    FieldNotFound(String),
    #[error("Field '{0}' not supported")]
    FieldNotSupported(String),
    #[error("Lookup field '{0}' not found")]
    LookupFieldNotFound(String),
    #[error("Object not found")]
    ObjectNotFound,
    #[error("Program not found")]
    ProgramNotFound,
    #[error("Static list not found")]
    StaticListNotFound,
    #[error("Smart list not found")]
    SmartListNotFound,
    /// A failures or warnings file asked of a batch that has none: HTTP 404.
    #[error("No {0} file found for this batch")]
    NoSuchFile(&'static str),
    /// The text clients match (rudder-transformer does), naming the queue's limit.
    #[error("There are {0} imports currently being processed. Please try again later")]
    TooManyImports(usize),
    /// Marketo's documented text for 1016, which names no limit: what an injected 1016 answers.
    #[error("Too many imports")]
    GenericTooManyImports,
    #[error("Import in progress")]
    ImportInProgress,
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
    /// Names the export's status as Marketo spells it.
    #[error("Cannot cancel an export job in {0} state")]
    ExportNotCancellable(&'static str),
}

impl ApiError {
    /// Marketo's code, always a string on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadGateway => "502",
            ApiError::EmptyToken => "600",
            ApiError::InvalidToken => "601",
            ApiError::ExpiredToken => "602",
            ApiError::AccessDenied => "603",
            ApiError::RequestTimeOut => "604",
            ApiError::MethodNotSupported(_) | ApiError::GenericMethodNotSupported => "605",
            ApiError::RateLimited { .. } => "606",
            ApiError::DailyQuotaReached => "607",
            ApiError::Unavailable => "608",
            ApiError::InvalidJson => "609",
            ApiError::ResourceNotFound => "610",
            ApiError::System => "611",
            ApiError::InvalidContentType => "612",
            ApiError::InvalidMultipart => "613",
            ApiError::InvalidSubscription => "614",
            ApiError::ConcurrencyLimited { .. } => "615",
            ApiError::InvalidSubscriptionType => "616",
            ApiError::InvalidValue { .. } => "1001",
            ApiError::MissingParameter(_) => "1002",
            ApiError::EmptyFile
            | ApiError::InvalidData(_)
            | ApiError::GenericInvalidData
            | ApiError::FileTooLarge { .. }
            | ApiError::TooManyResults => "1003",
            ApiError::FieldNotFound(_) | ApiError::LookupFieldNotFound(_) => "1006",
            ApiError::FieldNotSupported(_) => "1011",
            ApiError::ObjectNotFound
            | ApiError::ProgramNotFound
            | ApiError::StaticListNotFound
            | ApiError::SmartListNotFound
            | ApiError::NoSuchFile(_)
            | ApiError::ExportNotFound => "1013",
            ApiError::TooManyImports(_) | ApiError::GenericTooManyImports => "1016",
            ApiError::ImportInProgress => "1019",
            ApiError::ProgramStatusNotFound => "1025",
            ApiError::ExportQueueFull
            | ApiError::ExportAlreadyQueued
            | ApiError::ExportQuotaExceeded { .. }
            | ApiError::ExportNotCancellable(_) => "1029",
        }
    }

    /// The error a fault rule naming `code` answers with, in Marketo's words for it; `None` for
    /// a code that is not injectable. A code whose message names particulars (a field, a value)
    /// is not, and the limits' codes carry Marketo's default limits, as Marketo's captures do.
    pub fn for_code(code: &str) -> Option<ApiError> {
        Some(match code {
            "502" => ApiError::BadGateway,
            "600" => ApiError::EmptyToken,
            "601" => ApiError::InvalidToken,
            "602" => ApiError::ExpiredToken,
            "603" => ApiError::AccessDenied,
            "604" => ApiError::RequestTimeOut,
            "605" => ApiError::GenericMethodNotSupported,
            "606" => ApiError::RateLimited {
                limit: 100,
                window_secs: 20,
            },
            "607" => ApiError::DailyQuotaReached,
            "608" => ApiError::Unavailable,
            "609" => ApiError::InvalidJson,
            "610" => ApiError::ResourceNotFound,
            "611" => ApiError::System,
            "612" => ApiError::InvalidContentType,
            "613" => ApiError::InvalidMultipart,
            "614" => ApiError::InvalidSubscription,
            "615" => ApiError::ConcurrencyLimited { limit: 10 },
            "616" => ApiError::InvalidSubscriptionType,
            "1003" => ApiError::GenericInvalidData,
            "1013" => ApiError::ObjectNotFound,
            "1016" => ApiError::GenericTooManyImports,
            "1019" => ApiError::ImportInProgress,
            "1029" => ApiError::ExportQueueFull,
            _ => return None,
        })
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

    /// One of every variant, so the tests below see the whole table.
    fn every_variant() -> Vec<ApiError> {
        vec![
            ApiError::EmptyToken,
            ApiError::InvalidToken,
            ApiError::ExpiredToken,
            ApiError::BadGateway,
            ApiError::AccessDenied,
            ApiError::RequestTimeOut,
            ApiError::MethodNotSupported(Method::PUT),
            ApiError::GenericMethodNotSupported,
            ApiError::RateLimited {
                limit: 5,
                window_secs: 1,
            },
            ApiError::DailyQuotaReached,
            ApiError::Unavailable,
            ApiError::ResourceNotFound,
            ApiError::System,
            ApiError::InvalidContentType,
            ApiError::InvalidMultipart,
            ApiError::InvalidSubscription,
            ApiError::ConcurrencyLimited { limit: 3 },
            ApiError::InvalidSubscriptionType,
            ApiError::MissingParameter("file"),
            ApiError::InvalidValue {
                value: "x".into(),
                expected: "integer",
            },
            ApiError::EmptyFile,
            ApiError::InvalidData("Partition 'p' not found".into()),
            ApiError::GenericInvalidData,
            ApiError::FileTooLarge { limit: 1 },
            ApiError::FieldNotFound("a".into()),
            ApiError::FieldNotSupported("b".into()),
            ApiError::LookupFieldNotFound("c".into()),
            ApiError::ObjectNotFound,
            ApiError::ProgramNotFound,
            ApiError::StaticListNotFound,
            ApiError::SmartListNotFound,
            ApiError::NoSuchFile("failures"),
            ApiError::TooManyImports(10),
            ApiError::GenericTooManyImports,
            ApiError::ImportInProgress,
            ApiError::ProgramStatusNotFound,
            ApiError::TooManyResults,
            ApiError::InvalidJson,
            ApiError::ExportNotFound,
            ApiError::ExportQueueFull,
            ApiError::ExportAlreadyQueued,
            ApiError::ExportQuotaExceeded { megabytes: 500 },
            ApiError::ExportNotCancellable("Completed"),
        ]
    }

    #[test]
    fn injected_codes_answer_with_the_messages_they_always_have() {
        let expected = [
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
        for (code, message) in expected {
            let error = ApiError::for_code(code).unwrap();
            assert_eq!((error.code(), error.to_string().as_str()), (code, message));
        }
        assert_eq!(ApiError::for_code("999"), None);
    }

    #[test]
    fn every_code_the_enum_answers_with_maps_back_to_itself() {
        // Not injectable: the messages of the first four name a value, a parameter or a field
        // that a fault rule does not give, and 1025 is not on docs/control-plane.md's list.
        let needs_particulars = ["1001", "1002", "1006", "1011", "1025"];
        for error in every_variant() {
            let code = error.code();
            match ApiError::for_code(code) {
                Some(injected) => assert_eq!(injected.code(), code, "{error:?}"),
                None => assert!(needs_particulars.contains(&code), "{error:?}"),
            }
        }
    }

    #[test]
    fn no_two_variants_share_a_message() {
        let errors = every_variant();
        let messages: std::collections::HashSet<String> =
            errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), errors.len());
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
            ApiError::ExportNotCancellable("Completed").to_string(),
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
