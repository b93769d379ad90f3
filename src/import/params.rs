//! What a request of each import kind carries, as the caller read it from the query or form:
//! [`super::prepare`] checks it, and each kind's module plans the import from it.

use utoipa::IntoParams;

use crate::format::Format;

/// The creation parameters of a lead import, as read from the query or form.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(rename_all = "camelCase")]
pub struct LeadParams {
    /// CSV when absent.
    #[param(inline, value_type = Option<Format>)]
    pub format: Option<String>,
    pub lookup_field: Option<String>,
    pub list_id: Option<String>,
    pub partition_name: Option<String>,
}

/// The parameters of a custom object import, as read from the query or form.
#[derive(Debug, Clone, Default, IntoParams)]
pub struct ObjectParams {
    /// CSV when absent.
    #[param(inline, value_type = Option<Format>)]
    pub format: Option<String>,
}

/// The parameters of a program member import, as read from the query or form.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(rename_all = "camelCase")]
pub struct MemberParams {
    /// CSV when absent.
    #[param(inline, value_type = Option<Format>)]
    pub format: Option<String>,
    /// The status every imported member gets.
    pub program_member_status: Option<String>,
}
