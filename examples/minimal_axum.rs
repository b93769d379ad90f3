//! The floor for the status-polling and startup benchmarks: the smallest axum server there is,
//! on the same runtime and features as the mock, answering every GET with one constant JSON
//! body.
//!
//! `minimal_axum [--port 8081] [--body-file FILE]`; without a file the body is a lead batch
//! status like the mock's.

use axum::Router;
use axum::http::header;
use bytes::Bytes;

const STATUS_BODY: &str = r#"{"requestId":"1c957#18c1f2b3a4d","result":[{"batchId":1001,"importId":"1001","status":"Complete","numOfLeadsProcessed":120000,"numOfRowsFailed":0,"numOfRowsWithWarning":0,"message":"Import succeeded, 120000 records imported (120000 members)"}],"success":true}"#;

fn value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = value("--port")
        .map_or(Ok(8081), |p| p.parse())
        .map_err(|error| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--port: {error}"))
        })?;
    let body = match value("--body-file") {
        Some(path) => Bytes::from(std::fs::read(path)?),
        None => Bytes::from_static(STATUS_BODY.as_bytes()),
    };
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
