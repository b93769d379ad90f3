//! The `Range` header of a file download (RFC 9110 byte ranges), reduced to what an export
//! download answers: the whole file, one slice of it, or nothing.

/// The `Range` header of a download request.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RangeHeader {
    /// One byte range, e.g. `bytes=0-1023`; the whole file when absent.
    #[param(rename = "Range")]
    pub range: Option<String>,
}

impl RangeHeader {
    pub fn read(headers: &axum::http::HeaderMap) -> RangeHeader {
        RangeHeader {
            range: headers
                .get(axum::http::header::RANGE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        }
    }
}

/// What a download serves for a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// HTTP 200 with every byte: no header, several ranges, or one that does not parse.
    Whole,
    /// HTTP 206 with the bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// HTTP 416: the range starts past the end of the file.
    Unsatisfiable,
}

/// Reads a `Range` header against a file of `size` bytes: one range, `bytes=a-b`, `bytes=a-`
/// or `bytes=-n`, with an end past the file clipped to its last byte.
pub fn serve(header: Option<&str>, size: u64) -> Served {
    let Some(spec) = header
        .map(str::trim)
        .and_then(|h| h.strip_prefix("bytes="))
        .filter(|spec| !spec.contains(','))
    else {
        return Served::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Served::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (number(first), number(last), last.trim().is_empty()) {
        // `bytes=-n`: the last n bytes.
        (None, Some(suffix), _) if first.trim().is_empty() => {
            if suffix == 0 || size == 0 {
                Served::Unsatisfiable
            } else {
                Served::Part {
                    start: size.saturating_sub(suffix),
                    end: size - 1,
                }
            }
        }
        (Some(start), _, _) if start >= size => Served::Unsatisfiable,
        (Some(start), None, true) => Served::Part {
            start,
            end: size - 1,
        },
        (Some(start), Some(end), _) if end >= start => Served::Part {
            start,
            end: end.min(size - 1),
        },
        _ => Served::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_is_a_part_of_the_file_with_its_end_clipped() {
        assert_eq!(
            serve(Some("bytes=0-9999"), 123_424),
            Served::Part {
                start: 0,
                end: 9999
            }
        );
        assert_eq!(
            serve(Some("bytes=725-999"), 1000),
            Served::Part {
                start: 725,
                end: 999
            }
        );
        assert_eq!(
            serve(Some("bytes=0-0"), 10),
            Served::Part { start: 0, end: 0 }
        );
        assert_eq!(
            serve(Some("bytes=5-"), 10),
            Served::Part { start: 5, end: 9 }
        );
        assert_eq!(
            serve(Some("bytes=0-750000"), 182),
            Served::Part { start: 0, end: 181 }
        );
        assert_eq!(
            serve(Some("bytes=-3"), 10),
            Served::Part { start: 7, end: 9 }
        );
        assert_eq!(
            serve(Some("bytes=-300"), 10),
            Served::Part { start: 0, end: 9 }
        );
    }

    #[test]
    fn a_range_past_the_end_cannot_be_served() {
        assert_eq!(serve(Some("bytes=10-"), 10), Served::Unsatisfiable);
        assert_eq!(serve(Some("bytes=10-20"), 10), Served::Unsatisfiable);
        assert_eq!(serve(Some("bytes=-0"), 10), Served::Unsatisfiable);
    }

    #[test]
    fn no_header_several_ranges_or_nonsense_get_the_whole_file() {
        for header in [
            None,
            Some("bytes=0-1,5-6"),
            Some("items=0-5"),
            Some("bytes=5-2"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes"),
        ] {
            assert_eq!(serve(header, 10), Served::Whole, "{header:?}");
        }
    }
}
