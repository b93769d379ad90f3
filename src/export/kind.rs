//! What an export exports: one of the four object types, which its routes name.

use crate::faults::JobType;

/// The object types Marketo exports; they share one queue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExportKind {
    Leads,
    ProgramMembers,
    /// Records of the custom object type with this API name.
    CustomObjects(String),
    Activities,
}

impl ExportKind {
    /// The job's type as the control plane and job fault rules name it.
    pub fn job_type(&self) -> JobType {
        match self {
            ExportKind::Leads => JobType::LeadsExport,
            ExportKind::ProgramMembers => JobType::ProgramMembersExport,
            ExportKind::CustomObjects(_) => JobType::CustomObjectsExport,
            ExportKind::Activities => JobType::ActivitiesExport,
        }
    }

    /// The path segment of its routes: `leads`, `program/members`, `customobjects/{apiName}`,
    /// `activities`.
    pub fn path(&self) -> String {
        match self {
            ExportKind::Leads => "leads".to_owned(),
            ExportKind::ProgramMembers => "program/members".to_owned(),
            ExportKind::CustomObjects(api_name) => format!("customobjects/{api_name}"),
            ExportKind::Activities => "activities".to_owned(),
        }
    }
}
