//! The route table: every route is added here with its documentation, so the router and the
//! OpenAPI document come from one list and cannot drift apart.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, delete, get, post, put};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{Ref, RefOr, schema::Schema};
use utoipa::{IntoParams, ToSchema};

/// The groups the OpenAPI document tags routes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Identity,
    BulkLeads,
    BulkCustomObjects,
    BulkProgramMembers,
    BulkExtract,
    Leads,
    Activities,
    CustomObjects,
    ProgramMembers,
    Usage,
    StaticLists,
    Campaigns,
    Assets,
    Control,
}

impl Tag {
    pub fn name(self) -> &'static str {
        match self {
            Tag::Identity => "Identity",
            Tag::BulkLeads => "Bulk Import Leads",
            Tag::BulkCustomObjects => "Bulk Import Custom Objects",
            Tag::BulkProgramMembers => "Bulk Import Program Members",
            Tag::BulkExtract => "Bulk Extract",
            Tag::Activities => "Activities",
            Tag::Leads => "Leads",
            Tag::CustomObjects => "Custom Objects",
            Tag::ProgramMembers => "Program Members",
            Tag::Usage => "Usage",
            Tag::StaticLists => "Static Lists",
            Tag::Campaigns => "Campaigns",
            Tag::Assets => "Assets",
            Tag::Control => "Mock control plane",
        }
    }

    /// Emulated routes need an access token; the control plane never does.
    pub fn needs_token(self) -> bool {
        !matches!(self, Tag::Identity | Tag::Control)
    }
}

/// What a route takes as its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    /// `multipart/form-data` with a `file` part.
    Upload,
    /// `application/x-www-form-urlencoded`.
    Form,
    Json,
}

/// Named schemas, as utoipa collects them for `components`.
pub type Components = Vec<(String, RefOr<Schema>)>;

/// The schema of a Rust type that a handler reads or writes, and the named schemas it refers
/// to: kept as functions, so a document is only built when asked for.
#[derive(Clone, Copy)]
pub struct TypeDoc {
    pub schema: fn() -> RefOr<Schema>,
    pub components: fn(&mut Components),
}

impl TypeDoc {
    /// A named type, referred to by its name, so a generated client gets a model of that name.
    pub fn of<T: ToSchema>() -> TypeDoc {
        TypeDoc {
            schema: || RefOr::Ref(Ref::from_schema_name(T::name())),
            components: named::<T>,
        }
    }
}

/// `T`'s schema under its name, and the named schemas it refers to.
pub fn named<T: ToSchema>(components: &mut Components) {
    components.push((T::name().into_owned(), T::schema()));
    T::schemas(components);
}

/// What a route answers with when it succeeds.
#[derive(Clone, Copy)]
pub enum Answer {
    /// Not described yet: a route until `answers` is called; a test checks that no served
    /// route stays so.
    Unknown,
    /// JSON of this type: a Marketo envelope, or a control-plane body.
    Json(TypeDoc),
    /// JSON of this type with HTTP 201.
    Created(TypeDoc),
    /// A body of this content type whose schema the document does not give: a file, a page,
    /// a script, or the document itself (its schema is the OpenAPI specification's).
    Text(&'static str),
    /// HTTP 204 without a body.
    NoContent,
    /// A temporary redirect.
    Redirect,
}

/// One documented operation.
#[derive(Clone)]
pub struct RouteDoc {
    pub method: &'static str,
    /// The path as Marketo documents it, e.g. `/bulk/v1/leads/batch/{batchId}.json`.
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: Tag,
    pub body: BodyKind,
    /// The query (or header) parameters, from the types the handler reads them into.
    pub params: Vec<fn() -> Vec<Parameter>>,
    /// The schema of a JSON or form body, or of an upload's parts.
    pub request: Option<TypeDoc>,
    pub answer: Answer,
}

/// The parameters of `P`, in the query unless `P` says otherwise.
fn params_of<P: IntoParams>() -> Vec<Parameter> {
    P::into_params(|| Some(ParameterIn::Query))
}

/// A router under construction together with its documentation.
pub struct Api {
    tag: Tag,
    router: Router,
    docs: Vec<RouteDoc>,
}

/// The axum pattern for a documented path: a segment `{id}.json` becomes a capture of the
/// whole segment, since axum cannot route a capture followed by a suffix.
pub fn axum_pattern(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_suffix(".json") {
            Some(capture) if capture.starts_with('{') && capture.ends_with('}') => capture,
            _ => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Api {
    pub fn new(tag: Tag) -> Api {
        Api {
            tag,
            router: Router::new(),
            docs: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        body: BodyKind,
        route: MethodRouter,
    ) -> Api {
        self.router = self.router.route(&axum_pattern(path), route);
        self.docs.push(RouteDoc {
            method,
            path,
            summary,
            tag: self.tag,
            body,
            params: Vec::new(),
            request: None,
            answer: Answer::Unknown,
        });
        self
    }

    /// The route added last, which the methods below describe.
    fn last(&mut self) -> &mut RouteDoc {
        self.docs
            .last_mut()
            .expect("a route is added before it is described")
    }

    /// The last route reads the parameters of `P` too.
    pub fn params<P: IntoParams>(mut self) -> Api {
        self.last().params.push(params_of::<P>);
        self
    }

    /// The last route's body is a `B`.
    pub fn request<B: ToSchema>(mut self) -> Api {
        self.last().request = Some(TypeDoc::of::<B>());
        self
    }

    /// What the last route answers.
    pub fn answers(mut self, answer: Answer) -> Api {
        self.last().answer = answer;
        self
    }

    pub fn get<H: Handler<T, ()>, T: 'static>(
        self,
        path: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Api {
        self.add("GET", path, summary, BodyKind::None, get(handler))
    }

    pub fn post<H: Handler<T, ()>, T: 'static>(
        self,
        path: &'static str,
        summary: &'static str,
        body: BodyKind,
        handler: H,
    ) -> Api {
        self.add("POST", path, summary, body, post(handler))
    }

    pub fn put<H: Handler<T, ()>, T: 'static>(
        self,
        path: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Api {
        self.add("PUT", path, summary, BodyKind::Json, put(handler))
    }

    pub fn delete<H: Handler<T, ()>, T: 'static>(
        self,
        path: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Api {
        self.add("DELETE", path, summary, BodyKind::None, delete(handler))
    }

    pub fn merge(mut self, other: Api) -> Api {
        self.router = self.router.merge(other.router);
        self.docs.extend(other.docs);
        self
    }

    pub fn docs(&self) -> &[RouteDoc] {
        &self.docs
    }

    pub fn into_router(self) -> Router {
        self.router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_with_a_json_suffix_becomes_a_whole_segment_capture() {
        assert_eq!(
            axum_pattern("/bulk/v1/leads/batch/{batchId}.json"),
            "/bulk/v1/leads/batch/{batchId}"
        );
        assert_eq!(
            axum_pattern("/rest/v1/lists/{listId}/leads.json"),
            "/rest/v1/lists/{listId}/leads.json"
        );
        assert_eq!(axum_pattern("/bulk/v1/leads.json"), "/bulk/v1/leads.json");
    }
}
