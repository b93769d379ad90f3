//! `GET`/`POST /identity/oauth/token`: parameters in the query or a form body.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::envelope::json_response;
use super::extract::{Params, Server};
use super::registry::{Answer, Api, BodyKind, Tag, TypeDoc};
use crate::auth::{IdentityError, IssuedToken};
use crate::error::ApiError;

/// Marketo's limit on an ordinary request body.
const MAX_FORM_BYTES: usize = 1024 * 1024;

pub fn routes() -> Api {
    Api::new(Tag::Identity)
        .get(
            "/identity/oauth/token",
            "Get an access token (parameters in the query)",
            token,
        )
        .params::<TokenRequest>()
        .answers(Answer::Json(TypeDoc::of::<IssuedToken>()))
        .post(
            "/identity/oauth/token",
            "Get an access token (parameters in the query or a form)",
            BodyKind::Form,
            token,
        )
        .params::<TokenRequest>()
        .request::<TokenRequest>()
        .answers(Answer::Json(TypeDoc::of::<IssuedToken>()))
}

/// What a token request names, from the query or a form body.
#[derive(utoipa::IntoParams, utoipa::ToSchema)]
struct TokenRequest {
    /// `client_credentials`.
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl TokenRequest {
    fn read(params: &Params) -> TokenRequest {
        let get = |name| params.get(name).map(str::to_owned);
        TokenRequest {
            grant_type: get("grant_type"),
            client_id: get("client_id"),
            client_secret: get("client_secret"),
        }
    }
}

async fn token(Server(instances): Server, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut params = Params::from_query(&parts);
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => params.extend(Params::parse(&bytes)),
            Err(_) => {
                return ApiError::FileTooLarge {
                    limit: MAX_FORM_BYTES,
                }
                .into_response();
            }
        }
    }
    let request = TokenRequest::read(&params);
    let (world, issued) = instances.issue_token(
        request.grant_type.as_deref(),
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
    );
    let (status, body) = match issued {
        Ok(token) => (
            StatusCode::OK,
            serde_json::to_value(token).unwrap_or_default(),
        ),
        Err(error) => identity_error(error),
    };
    let mut response = json_response(status, body.to_string().into_bytes());
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    // The call belongs in the journal of the instance that answered it.
    response.extensions_mut().insert(world);
    response
}

fn identity_error(error: IdentityError) -> (StatusCode, serde_json::Value) {
    let (status, code, description) = match error {
        IdentityError::InvalidRequest(description) => {
            (StatusCode::BAD_REQUEST, "invalid_request", description)
        }
        IdentityError::UnknownClient(id) => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!("No client with requested id: {id}"),
        ),
        IdentityError::BadCredentials => (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Bad client credentials".to_owned(),
        ),
    };
    (
        status,
        json!({ "error": code, "error_description": description }),
    )
}
