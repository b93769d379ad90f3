//! Marketo's response envelope: `requestId`, `result`, `success`, and `errors` with string
//! codes; empty lists are left out, as every recorded Marketo response does.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::registry::{Answer, TypeDoc, named};
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::state::AppState;

pub const JSON: &str = "application/json;charset=UTF-8";

/// Marketo's request id: a short random hex part, `#`, and the epoch milliseconds in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// `sequence` is the request's number; mixed by a multiplier it looks as varied as
    /// Marketo's prefixes, and costs no system call per request, unlike a UUID.
    pub fn new(now: Timestamp, sequence: u64) -> RequestId {
        let mixed = sequence.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        // 0x1000..0x20000 gives Marketo's 4-5 hex digits.
        let prefix = 0x1000 + (mixed % 0x1f000) as u32;
        RequestId(format!("{prefix:x}#{:x}", now.millis()))
    }
}

impl RequestId {
    /// The next id of this application, stamped with its clock.
    pub fn next(state: &AppState) -> RequestId {
        let sequence = state
            .request_sequence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        RequestId::new(state.clock.now(), sequence)
    }
}

/// A handler's request id is made when it asks for one; an error answer gets its own in
/// [`render_errors`]. No request carries one it does not use.
impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<RequestId, ApiError> {
        let state = AppState::from_request_parts(parts, &()).await?;
        Ok(RequestId::next(&state))
    }
}

/// Put on an error response by [`ApiError`]; [`render_errors`] writes its body.
#[derive(Debug, Clone)]
pub struct ErrorMarker(pub ApiError);

/// The Marketo code a response carried, for the request journal.
#[derive(Debug, Clone)]
pub struct MarketoCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.http_status().into_response();
        response.extensions_mut().insert(ErrorMarker(self));
        response
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, T: Serialize> {
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a [T]>,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<[ErrorItem<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    more_result: Option<bool>,
}

#[derive(Serialize, ToSchema)]
struct ErrorItem<'a> {
    code: &'a str,
    message: &'a str,
}

/// The answer of a route that writes `T`s into Marketo's envelope.
pub fn marketo<T: Serialize + ToSchema + 'static>() -> Answer {
    Answer::Json(enveloped::<Envelope<'static, T>, T>())
}

/// The answer of an Asset API route that writes `T`s into its envelope.
pub fn asset<T: Serialize + ToSchema + 'static>() -> Answer {
    Answer::Json(enveloped::<AssetEnvelope<'static, T>, T>())
}

/// The envelope `E` around items `T`, written out in place: utoipa names a generic type
/// without its parameter, so one name cannot serve every `E<T>`. The envelope refers to `T` by
/// name but leaves `T`'s own schema out of the ones it collects, so it is added here.
fn enveloped<E: ToSchema, T: ToSchema>() -> TypeDoc {
    TypeDoc {
        schema: E::schema,
        components: |components| {
            named::<T>(components);
            E::schemas(components);
        },
    }
}

/// A JSON body with Marketo's exact content type.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Room for a status answer or an error envelope at once, rather than growing to it.
    let mut out = Vec::with_capacity(512);
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => out,
        Err(_) => b"{}".to_vec(),
    }
}

/// A successful answer carrying `result`.
pub fn success<T: Serialize>(request_id: &RequestId, result: &[T]) -> Response {
    paged(request_id, result, None)
}

/// A successful page; `more` is `Some(next_page_token)` when the listing goes on, and the
/// `moreResult` flag is written only where Marketo writes it (paged listings).
pub fn paged<T: Serialize>(
    request_id: &RequestId,
    result: &[T],
    more: Option<Option<String>>,
) -> Response {
    let envelope = Envelope {
        request_id: &request_id.0,
        result: Some(result),
        success: true,
        errors: None,
        next_page_token: more.as_ref().and_then(|token| token.as_deref()),
        more_result: more.as_ref().map(Option::is_some),
    };
    json_response(StatusCode::OK, to_json(&envelope))
}

/// A successful answer with the paging members a listing chooses: `result` where given,
/// `nextPageToken` where given, `moreResult` where given.
pub fn listing<T: Serialize>(
    request_id: &RequestId,
    result: Option<&[T]>,
    next_page_token: Option<&str>,
    more_result: Option<bool>,
) -> Response {
    let envelope = Envelope {
        request_id: &request_id.0,
        result,
        success: true,
        errors: None,
        next_page_token,
        more_result,
    };
    json_response(StatusCode::OK, to_json(&envelope))
}

/// The warning the Asset API answers with, and no `result`, when nothing is found.
pub const NO_ASSETS: &str = "No assets found for the given search criteria.";

/// The Asset API's envelope: `errors` and `warnings` always written, in the order recorded
/// answers have them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AssetEnvelope<'a, T: Serialize> {
    success: bool,
    errors: &'a [ErrorItem<'a>],
    request_id: &'a str,
    warnings: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a [T]>,
}

/// A successful Asset API answer; an empty `result` is instead the "No assets found"
/// warning with no `result` at all, as Marketo answers a browse past its end.
pub fn asset_result<T: Serialize>(request_id: &RequestId, result: &[T]) -> Response {
    let found = !result.is_empty();
    let envelope = AssetEnvelope {
        success: true,
        errors: &[],
        request_id: &request_id.0,
        warnings: if found { &[] } else { &[NO_ASSETS] },
        result: found.then_some(result),
    };
    json_response(StatusCode::OK, to_json(&envelope))
}

/// An Asset API refusal: `success: false`, the error, and empty `warnings`.
pub fn asset_error(request_id: &RequestId, error: &ApiError) -> Response {
    let message = error.to_string();
    let envelope = AssetEnvelope::<()> {
        success: false,
        errors: &[ErrorItem {
            code: error.code(),
            message: &message,
        }],
        request_id: &request_id.0,
        warnings: &[],
        result: None,
    };
    let mut response = json_response(error.http_status(), to_json(&envelope));
    response.extensions_mut().insert(MarketoCode(error.code()));
    response
}

/// Turns an [`ErrorMarker`] on a response into Marketo's error envelope; other responses
/// pass unchanged.
pub fn render_errors(state: &AppState, mut response: Response) -> Response {
    let Some(ErrorMarker(error)) = response.extensions_mut().remove::<ErrorMarker>() else {
        return response;
    };
    let request_id = RequestId::next(state);
    let message = error.to_string();
    let envelope = Envelope::<()> {
        request_id: &request_id.0,
        result: None,
        success: false,
        errors: Some([ErrorItem {
            code: error.code(),
            message: &message,
        }]),
        next_page_token: None,
        more_result: None,
    };
    let mut rendered = json_response(response.status(), to_json(&envelope));
    rendered.extensions_mut().insert(MarketoCode(error.code()));
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: Response) -> serde_json::Value {
        let bytes = futures_util::FutureExt::now_or_never(axum::body::to_bytes(
            response.into_body(),
            usize::MAX,
        ))
        .unwrap()
        .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn an_empty_asset_answer_is_the_no_assets_warning_without_result() {
        let id = RequestId("888#178b2027952".into());
        let text = body(asset_result::<u32>(&id, &[])).to_string();
        assert_eq!(
            text,
            r#"{"success":true,"errors":[],"requestId":"888#178b2027952","warnings":["No assets found for the given search criteria."]}"#
        );
        assert_eq!(
            body(asset_result(&id, &[7])).to_string(),
            r#"{"success":true,"errors":[],"requestId":"888#178b2027952","warnings":[],"result":[7]}"#
        );
    }

    #[test]
    fn request_ids_end_with_the_clock_time_in_hex() {
        let id = RequestId::new(Timestamp(0x0149_ca70_2500), 7);
        let (prefix, time) = id.0.split_once('#').unwrap();
        assert_eq!(time, "149ca702500");
        assert!((4..=5).contains(&prefix.len()), "{prefix}");
        assert!(prefix.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
