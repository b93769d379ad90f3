//! `batchSize` and `nextPageToken` for the read-back listings; `offset` and `maxReturn` for
//! the Asset API's browses.

use crate::error::ApiError;

use super::extract::Params;

/// Marketo's largest page, and its default.
pub const MAX_BATCH_SIZE: usize = 300;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A query's `filterType` and its `filterValues`.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(rename_all = "camelCase")]
pub struct Filter<'a> {
    /// The field to match.
    pub filter_type: &'a str,
    /// Values to match, comma-separated, at most 300 (blanks dropped).
    #[param(value_type = String)]
    pub filter_values: Vec<String>,
}

/// The fields a read returns.
#[derive(Debug, utoipa::IntoParams)]
pub struct Fields {
    /// Field names, comma-separated or the parameter repeated.
    pub fields: Option<String>,
}

impl Fields {
    pub fn read(params: &Params) -> Fields {
        Fields {
            fields: params.get_list("fields"),
        }
    }
}

/// Reads [`Filter`]; both parameters are required.
pub fn filter(params: &Params) -> Result<Filter<'_>, ApiError> {
    let filter_type = params
        .get("filterType")
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::MissingParameter("filterType"))?;
    let joined = params
        .get_list("filterValues")
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::MissingParameter("filterValues"))?;
    let values: Vec<String> = joined
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    if values.len() > MAX_BATCH_SIZE {
        return Err(ApiError::InvalidData(format!(
            "Too many filter values: at most {MAX_BATCH_SIZE}"
        )));
    }
    Ok(Filter {
        filter_type,
        filter_values: values,
    })
}

/// A page request: where to start and how many, read from `nextPageToken` and `batchSize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::IntoParams)]
pub struct Page {
    /// The token of the answer before; the first page when absent.
    #[param(rename = "nextPageToken", value_type = Option<String>)]
    pub offset: usize,
    /// 1 to 300; 300 when absent.
    #[param(rename = "batchSize", value_type = Option<u32>)]
    pub size: usize,
}

/// `batchSize`: 1 to 300, 300 when absent.
pub fn batch_size(params: &Params) -> Result<usize, ApiError> {
    match params.get("batchSize") {
        None => Ok(MAX_BATCH_SIZE),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|size| (1..=MAX_BATCH_SIZE).contains(size))
            .ok_or_else(|| ApiError::InvalidValue {
                value: text.to_owned(),
                expected: "integer from 1 to 300",
            }),
    }
}

impl Page {
    pub fn from_params(params: &Params) -> Result<Page, ApiError> {
        let size = batch_size(params)?;
        let offset = match params.get("nextPageToken") {
            None => 0,
            Some(token) => decode_token(token).ok_or_else(|| ApiError::InvalidValue {
                value: token.to_owned(),
                expected: "nextPageToken",
            })?,
        };
        Ok(Page { offset, size })
    }

    /// The slice of `items` this page holds, and the token for the next page if any is left.
    pub fn take<'a, T>(&self, items: &'a [T]) -> (&'a [T], Option<String>) {
        let start = self.offset.min(items.len());
        let end = (start + self.size).min(items.len());
        let next = (end < items.len()).then(|| encode_token(end));
        (&items[start..end], next)
    }
}

/// The Asset API's page when a browse names none, and its largest.
pub const ASSET_DEFAULT_RETURN: usize = 20;
pub const ASSET_MAX_RETURN: usize = 200;

/// An Asset API page: `offset` (default 0) and `maxReturn` (1 to 200, default 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::IntoParams)]
#[into_params(rename_all = "camelCase")]
pub struct AssetPage {
    #[param(value_type = Option<u32>)]
    pub offset: usize,
    #[param(value_type = Option<u32>)]
    pub max_return: usize,
}

impl AssetPage {
    /// Reads the page; `size_names` are the parameters that may give its size, the first
    /// present one winning (`maxReturn`, and for segmentations also `batchSize`).
    pub fn from_params(params: &Params, size_names: &[&str]) -> Result<AssetPage, ApiError> {
        let max_return = match size_names.iter().find_map(|name| params.get(name)) {
            None => ASSET_DEFAULT_RETURN,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|size| (1..=ASSET_MAX_RETURN).contains(size))
                .ok_or_else(|| ApiError::InvalidValue {
                    value: text.to_owned(),
                    expected: "integer from 1 to 200",
                })?,
        };
        let offset = match params.get("offset") {
            None => 0,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .map_err(|_| ApiError::InvalidValue {
                    value: text.to_owned(),
                    expected: "integer of 0 or more",
                })?,
        };
        Ok(AssetPage { offset, max_return })
    }

    /// The slice of `items` this page holds: empty past the end.
    pub fn take<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset.min(items.len());
        let end = start.saturating_add(self.max_return).min(items.len());
        &items[start..end]
    }
}

/// Tokens are base32 text, like Marketo's, of the next offset.
fn encode_token(offset: usize) -> String {
    position_token("offset", offset)
}

fn decode_token(token: &str) -> Option<usize> {
    token_position("offset", token)
}

/// A position in a listing as a token: base32 text, like Marketo's, that names what it counts
/// (`offset`, `activity`), so a token of one listing is not taken by another.
pub fn position_token(kind: &str, position: usize) -> String {
    let text = format!("{kind}:{position}");
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = String::new();
    for byte in text.bytes() {
        bits = (bits << 8) | u64::from(byte);
        count += 8;
        while count >= 5 {
            count -= 5;
            out.push(ALPHABET[((bits >> count) & 31) as usize] as char);
        }
    }
    if count > 0 {
        out.push(ALPHABET[((bits << (5 - count)) & 31) as usize] as char);
    }
    out
}

/// The position a [`position_token`] of this kind holds.
pub fn token_position(kind: &str, token: &str) -> Option<usize> {
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in token.bytes() {
        let value = ALPHABET.iter().position(|a| *a == c)? as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix(kind)?
        .strip_prefix(':')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_look_like_marketos() {
        for offset in [0, 1, 300, 123_456] {
            let token = encode_token(offset);
            assert!(token.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
            assert_eq!(decode_token(&token), Some(offset));
        }
        assert_eq!(decode_token("not a token"), None);
        assert_eq!(
            token_position("activity", &position_token("activity", 7)),
            Some(7)
        );
        assert_eq!(token_position("activity", &encode_token(7)), None);
    }

    #[test]
    fn a_page_gives_its_slice_and_a_token_only_when_more_remain() {
        let items: Vec<u32> = (0..5).collect();
        let first = Page { offset: 0, size: 2 };
        let (slice, next) = first.take(&items);
        assert_eq!(slice, [0, 1]);
        let second = Page {
            offset: decode_token(&next.unwrap()).unwrap(),
            size: 3,
        };
        assert_eq!(second.take(&items), (&items[2..5], None));
    }

    #[test]
    fn asset_pages_default_to_20_and_take_their_size_from_the_first_name_given() {
        let page = AssetPage::from_params(&Params::parse(b""), &["maxReturn"]).unwrap();
        assert_eq!(
            page,
            AssetPage {
                offset: 0,
                max_return: 20
            }
        );
        let page = AssetPage::from_params(
            &Params::parse(b"batchSize=200&offset=5"),
            &["maxReturn", "batchSize"],
        )
        .unwrap();
        assert_eq!(
            page,
            AssetPage {
                offset: 5,
                max_return: 200
            }
        );
        for query in ["maxReturn=201", "maxReturn=0", "maxReturn=x", "offset=-1"] {
            let error = AssetPage::from_params(&Params::parse(query.as_bytes()), &["maxReturn"]);
            assert_eq!(error.unwrap_err().code(), "1001", "{query}");
        }
        let items: Vec<u32> = (0..5).collect();
        assert_eq!(
            AssetPage {
                offset: 3,
                max_return: 20
            }
            .take(&items),
            [3, 4]
        );
        assert!(
            AssetPage {
                offset: 9,
                max_return: 20
            }
            .take(&items)
            .is_empty()
        );
    }

    #[test]
    fn batch_sizes_outside_1_to_300_are_refused() {
        assert!(Page::from_params(&Params::parse(b"batchSize=301")).is_err());
        assert!(Page::from_params(&Params::parse(b"batchSize=0")).is_err());
        assert_eq!(
            Page::from_params(&Params::parse(b"batchSize=5"))
                .unwrap()
                .size,
            5
        );
    }
}
