//! Unknown paths (610, HTTP 404) and known paths asked with the wrong method (605).

use axum::http::Method;

use crate::error::ApiError;

pub async fn not_found() -> ApiError {
    ApiError::ResourceNotFound
}

pub async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotSupported(method)
}
