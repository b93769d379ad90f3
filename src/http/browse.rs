//! Filters the REST API's reference listings share (`GET /rest/v1/lists.json`,
//! `GET /rest/v1/campaigns.json`): `id`, `name`, `programName` and `workspaceName`, each a
//! comma list or a repeated parameter.

use super::extract::Params;
use crate::error::ApiError;

/// A list parameter's values, blanks dropped; `None` when the request does not filter on it.
pub fn values(params: &Params, name: &str) -> Option<Vec<String>> {
    let values: Vec<String> = params
        .get_list(name)?
        .split(',')
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect();
    (!values.is_empty()).then_some(values)
}

/// A list parameter of ids; a value that is not one is `1001`.
pub fn ids(params: &Params, name: &str) -> Result<Option<Vec<u32>>, ApiError> {
    values(params, name)
        .map(|values| {
            values
                .into_iter()
                .map(|value| {
                    value.parse().map_err(|_| ApiError::InvalidValue {
                        value,
                        expected: "integer",
                    })
                })
                .collect()
        })
        .transpose()
}

/// A boolean parameter: `true` or `false` in any case; anything else is `1001`.
pub fn boolean(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    params
        .get(name)
        .map(|value| match value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ApiError::InvalidValue {
                value: value.to_owned(),
                expected: "boolean",
            }),
        })
        .transpose()
}

/// The REST API's filters on reference data: the given ones must all hold, each by matching any
/// of its values; names match whole, without case.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::IntoParams)]
pub struct RestFilter {
    #[param(rename = "id", value_type = Option<String>)]
    ids: Option<Vec<u32>>,
    #[param(rename = "name", value_type = Option<String>)]
    names: Option<Vec<String>>,
    #[param(rename = "programName", value_type = Option<String>)]
    program_names: Option<Vec<String>>,
    #[param(rename = "workspaceName", value_type = Option<String>)]
    workspace_names: Option<Vec<String>>,
}

/// What a listed record offers the filters.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    pub id: u32,
    pub name: &'a str,
    pub program_name: Option<&'a str>,
    pub workspace_name: &'a str,
}

impl RestFilter {
    pub fn from_params(params: &Params) -> Result<RestFilter, ApiError> {
        Ok(RestFilter {
            ids: ids(params, "id")?,
            names: values(params, "name"),
            program_names: values(params, "programName"),
            workspace_names: values(params, "workspaceName"),
        })
    }

    pub fn matches(&self, record: Listed<'_>) -> bool {
        fn any_named(wanted: Option<&Vec<String>>, name: Option<&str>) -> bool {
            wanted.is_none_or(|wanted| {
                name.is_some_and(|name| wanted.iter().any(|w| w.eq_ignore_ascii_case(name)))
            })
        }
        self.ids.as_ref().is_none_or(|ids| ids.contains(&record.id))
            && any_named(self.names.as_ref(), Some(record.name))
            && any_named(self.program_names.as_ref(), record.program_name)
            && any_named(self.workspace_names.as_ref(), Some(record.workspace_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32, program: Option<&'static str>) -> Listed<'static> {
        Listed {
            id,
            name: "Webinar Registrants",
            program_name: program,
            workspace_name: "Default",
        }
    }

    #[test]
    fn filters_combine_and_each_matches_any_of_its_values() {
        let filter =
            RestFilter::from_params(&Params::parse(b"id=1,2&id=3&name=webinar+registrants"))
                .unwrap();
        assert!(filter.matches(record(3, None)));
        assert!(!filter.matches(record(4, None)));
        let by_program = RestFilter::from_params(&Params::parse(b"programName=Q1,Q2")).unwrap();
        assert!(by_program.matches(record(1, Some("q2"))));
        assert!(
            !by_program.matches(record(1, None)),
            "a record outside programs"
        );
    }

    #[test]
    fn blank_values_filter_nothing_and_a_bad_id_is_1001() {
        let filter = RestFilter::from_params(&Params::parse(b"id=&name=,")).unwrap();
        assert_eq!(filter, RestFilter::default());
        let error = RestFilter::from_params(&Params::parse(b"id=1,x")).unwrap_err();
        assert_eq!(
            (error.code(), error.to_string().as_str()),
            ("1001", "Invalid value 'x'. Required of type 'integer'")
        );
    }

    #[test]
    fn booleans_are_true_or_false_in_any_case() {
        assert_eq!(boolean(&Params::parse(b"a=TRUE"), "a").unwrap(), Some(true));
        assert_eq!(boolean(&Params::parse(b""), "a").unwrap(), None);
        assert!(boolean(&Params::parse(b"a=yes"), "a").is_err());
    }
}
