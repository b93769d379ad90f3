//! Reading what a request says without ever answering with axum's plain-text rejections:
//! parameters from the query (or a form), the access token, and path segments.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

use crate::error::ApiError;
use crate::state::AppState;

/// Request parameters in arrival order; the first occurrence of a name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body); `+` is
    /// a space, as real clients send it.
    pub fn parse(encoded: &[u8]) -> Params {
        Params(form_urlencoded::parse(encoded).into_owned().collect())
    }

    pub fn from_query(parts: &Parts) -> Params {
        Params::from_query_str(parts.uri.query().unwrap_or_default())
    }

    pub fn from_query_str(query: &str) -> Params {
        Params::parse(query.as_bytes())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a name joined with commas, as Marketo (a Spring service) binds a
    /// repeated list parameter: `fields=a&fields=b` reads as `a,b`.
    pub fn get_list(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    pub fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }

    /// These parameters, then the other's where these lack a name.
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }
}

/// The token from `Authorization: Bearer`, or else the `access_token` query parameter.
pub fn token_from_parts(headers: &HeaderMap, query: &Params) -> Option<String> {
    // `Bearer<token>` without the space is accepted too, as a real Go client sends it.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let scheme = value.get(..6)?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| value[6..].trim())
        })
        .filter(|token| !token.is_empty())
        .map(str::to_owned);
    bearer.or_else(|| query.get("access_token").map(str::to_owned))
}

/// A caller with a valid token, and the query it sent. Rejects with 600, 601 or 602.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub query: Params,
}

/// Every instance, for the routes that manage them or pick one themselves (identity).
#[derive(Clone)]
pub struct Server(pub std::sync::Arc<crate::instances::Instances>);

impl<S: Send + Sync> FromRequestParts<S> for Server {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Server, ApiError> {
        parts
            .extensions
            .get::<Server>()
            .cloned()
            .ok_or(ApiError::System)
    }
}

/// The world of the instance a request is for: chosen by the front guard from the request's
/// token (or the control plane's `/_mock/instances/{clientId}` prefix) before routing.
impl<S: Send + Sync> FromRequestParts<S> for AppState {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<AppState, ApiError> {
        parts
            .extensions
            .get::<AppState>()
            .cloned()
            .ok_or(ApiError::System)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Authorized, ApiError> {
        let state = AppState::from_request_parts(parts, &()).await?;
        let query = Params::from_query(parts);
        state
            .tokens
            .check(token_from_parts(&parts.headers, &query).as_deref())?;
        Ok(Authorized { query })
    }
}

/// The parameters of a `POST ...?_method=GET` query (how clients send queries too long for a
/// URI): the query string, then a form body. Without `_method=GET` the POST is 605.
pub async fn method_get_params(
    query: Params,
    request: axum::extract::Request,
) -> Result<Params, ApiError> {
    const MAX_FORM_BYTES: usize = 1024 * 1024;
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut params = query;
    if is_form {
        let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| ApiError::FileTooLarge {
                limit: MAX_FORM_BYTES,
            })?;
        params.extend(Params::parse(&body));
    }
    if !params
        .get("_method")
        .is_some_and(|m| m.eq_ignore_ascii_case("GET"))
    {
        return Err(ApiError::MethodNotSupported(axum::http::Method::POST));
    }
    Ok(params)
}

/// The parameters of a read offered both as a GET and as `POST ...?_method=GET` with a form
/// body: one handler serves both routes.
pub struct ReadParams(pub Params);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ReadParams {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, _: &S) -> Result<ReadParams, ApiError> {
        let query = Params::from_query_str(request.uri().query().unwrap_or_default());
        if request.method() == axum::http::Method::GET {
            return Ok(ReadParams(query));
        }
        method_get_params(query, request).await.map(ReadParams)
    }
}

/// How wide Marketo's document types an id in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdWidth {
    Int32,
    Int64,
}

/// An id in a path, read as Marketo's document types it. A well-formed integer of the
/// documented width that no record here can have (the mock's ids are positive 32-bit numbers)
/// is `None`: it names nothing, and the route gives its own not-found answer. Anything else,
/// not an integer or wider than documented, is 1001, as Marketo answers a value of the wrong
/// type; either way with HTTP 200, since the path is one of Marketo's.
pub fn path_id(text: &str, width: IdWidth) -> Result<Option<u32>, ApiError> {
    let id = match width {
        IdWidth::Int32 => text.parse::<i32>().map(i64::from),
        IdWidth::Int64 => text.parse::<i64>(),
    }
    .map_err(|_| ApiError::InvalidValue {
        value: text.to_owned(),
        expected: "integer",
    })?;
    Ok(u32::try_from(id).ok())
}

/// A path segment such as `3404.json` read by [`path_id`]; without the suffix the path is
/// none of Marketo's.
pub fn json_segment_id(segment: &str, width: IdWidth) -> Result<Option<u32>, ApiError> {
    segment
        .strip_suffix(".json")
        .ok_or(ApiError::ResourceNotFound)
        .and_then(|id| path_id(id, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_decode_plus_as_space_and_keep_the_first_of_a_name() {
        let params = Params::parse(b"programMemberStatus=On+List&format=csv&format=tsv");
        assert_eq!(params.get("programMemberStatus"), Some("On List"));
        assert_eq!(params.get("format"), Some("csv"));
        assert_eq!(params.get("listId"), None);
    }

    #[test]
    fn a_repeated_list_parameter_reads_as_one_comma_separated_value() {
        let params = Params::parse(b"fields=email&fields=leadScore&filterValues=a,b");
        assert_eq!(
            params.get_list("fields").as_deref(),
            Some("email,leadScore")
        );
        assert_eq!(params.get_list("filterValues").as_deref(), Some("a,b"));
        assert_eq!(params.get_list("batchSize"), None);
    }

    #[test]
    fn the_bearer_header_wins_over_the_query_parameter() {
        let mut headers = HeaderMap::new();
        let query = Params::parse(b"access_token=from-query");
        assert_eq!(
            token_from_parts(&headers, &query).as_deref(),
            Some("from-query")
        );
        headers.insert(header::AUTHORIZATION, "Bearer from-header".parse().unwrap());
        assert_eq!(
            token_from_parts(&headers, &query).as_deref(),
            Some("from-header")
        );
        headers.insert(header::AUTHORIZATION, "Bearertight".parse().unwrap());
        assert_eq!(token_from_parts(&headers, &query).as_deref(), Some("tight"));
    }

    #[test]
    fn a_path_id_of_the_documented_width_names_a_record_or_nothing() {
        use IdWidth::{Int32, Int64};
        assert_eq!(path_id("3404", Int32), Ok(Some(3404)));
        assert_eq!(path_id("-2147483648", Int32), Ok(None));
        assert_eq!(path_id("-9223372036854775808", Int64), Ok(None));
        assert_eq!(path_id("4294967296", Int64), Ok(None));
        assert_eq!(json_segment_id("3404.json", Int32), Ok(Some(3404)));
        assert_eq!(
            json_segment_id("3404", Int32),
            Err(ApiError::ResourceNotFound)
        );
    }

    #[test]
    fn a_path_id_that_is_no_integer_of_the_documented_width_is_an_invalid_value() {
        use IdWidth::{Int32, Int64};
        for (text, width) in [
            ("abc", Int32),
            ("2147483648", Int32),
            ("1.5", Int64),
            ("9223372036854775808", Int64),
            ("", Int32),
        ] {
            assert_eq!(
                path_id(text, width),
                Err(ApiError::InvalidValue {
                    value: text.to_owned(),
                    expected: "integer"
                }),
                "{text}"
            );
        }
    }
}

/// Path parameters (one `String` by default, or a tuple); a segment that does not decode is
/// no such resource, never axum's plain-text rejection.
#[derive(Debug, Clone)]
pub struct Segment<T = String>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Segment<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Segment<T>, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(segments)| Segment(segments))
            .map_err(|_| ApiError::ResourceNotFound)
    }
}
