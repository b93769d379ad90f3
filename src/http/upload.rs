//! The multipart upload of an import: the `file` part streamed under a hard byte limit, the
//! other parts read as parameters, and the token taken from the header, query or form.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use bytes::{Bytes, BytesMut};

use super::extract::{Params, token_from_parts};
use crate::error::ApiError;
use crate::state::AppState;

/// A text part larger than this is not a parameter.
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// After an oversized file, at most this much more is read and discarded so the client gets
/// its 413 instead of a reset connection; past it the connection is closed.
const MAX_DRAIN_BYTES: usize = 64 * 1024 * 1024;

/// An authorised upload: the file (if a `file` part came) and every parameter, query first.
/// Its schema is the multipart body: the file part (other parts are read as parameters).
#[derive(Debug, utoipa::ToSchema)]
pub struct Upload {
    #[schema(value_type = String, format = Binary)]
    pub file: Option<Bytes>,
    #[schema(ignore)]
    pub params: Params,
}

impl Upload {
    /// Reads the request. Token errors come first when the token is in the header or query;
    /// a token sent as a form field is checked once the form is read.
    pub async fn read(state: &AppState, request: Request) -> Result<Upload, ApiError> {
        let (parts, body) = request.into_parts();
        let query = Params::from_query(&parts);
        let early_token = token_from_parts(&parts.headers, &query);
        if early_token.is_some() {
            state.tokens.check(early_token.as_deref())?;
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let boundary = match multer::parse_boundary(content_type) {
            Ok(boundary) => boundary,
            // With no token anywhere the caller learns that first.
            Err(_) if early_token.is_none() => return Err(ApiError::EmptyToken),
            Err(_) => return Err(ApiError::InvalidContentType),
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let limit = state.settings.max_file_bytes;
        let (file, form) = read_form(body, boundary, limit, declared).await?;
        if early_token.is_none() {
            state.tokens.check(form.get("access_token"))?;
        }
        let mut params = query;
        params.extend(form);
        Ok(Upload { file, params })
    }
}

/// Reads a multipart body: the `file` part under `limit` bytes (never buffered past it),
/// every other part as a text parameter. `declared` is the request's Content-Length: the
/// file's buffer is sized from it once, rather than doubling as it grows (a 10 MB file would
/// otherwise hold 16 MB for as long as its job waits).
pub async fn read_form(
    body: Body,
    boundary: String,
    limit: usize,
    declared: Option<usize>,
) -> Result<(Option<Bytes>, Params), ApiError> {
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut file: Option<Bytes> = None;
    let mut form = Params::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::InvalidMultipart);
            }
            let mut buffer = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if buffer.len() + chunk.len() > limit {
                    drop(field);
                    drain(&mut multipart).await;
                    return Err(ApiError::FileTooLarge { limit });
                }
                buffer.extend_from_slice(&chunk);
            }
            file = Some(buffer.freeze());
        } else {
            let mut buffer = BytesMut::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if buffer.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(ApiError::InvalidMultipart);
                }
                buffer.extend_from_slice(&chunk);
            }
            let value =
                String::from_utf8(buffer.to_vec()).map_err(|_| ApiError::InvalidMultipart)?;
            form.push(name, value);
        }
    }
    Ok((file, form))
}

/// Reads and discards what is left of the body, up to a bound.
async fn drain(multipart: &mut multer::Multipart<'_>) {
    let mut discarded = 0usize;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(chunk)) = field.chunk().await {
            discarded += chunk.len();
            if discarded > MAX_DRAIN_BYTES {
                return;
            }
        }
    }
}

/// A body that stopped arriving (the body timeout) is Marketo's 604; anything else is a
/// multipart body that does not parse.
fn multipart_error(error: multer::Error) -> ApiError {
    match error {
        multer::Error::StreamReadFailed(_) => ApiError::RequestTimeOut,
        _ => ApiError::InvalidMultipart,
    }
}
