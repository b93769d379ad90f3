//! The connection loop: HTTP/1.1 (what Marketo clients speak) with a deadline on request
//! headers, graceful shutdown that lets in-flight requests finish, and dot segments resolved
//! before routing.

use std::future::Future;
use std::time::Duration;

use std::convert::Infallible;

use crate::http::guard::Front;
use crate::http::normalize::normalize_request;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// Connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A client that has not sent its request headers by then is disconnected.
    pub header_timeout: Duration,
    /// The largest request head (request line and headers) read; past it hyper answers
    /// 431, or 414 when the request line alone is too long.
    pub max_head_bytes: usize,
}

/// Serves `front` on `listener` until `shutdown` completes, then waits for in-flight
/// requests to finish.
pub async fn serve(
    listener: TcpListener,
    front: Front,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_head_bytes.max(8192));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors and the like: keep serving the connections we have.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let front = front.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let request = normalize_request(request.map(Body::new));
            let front = front.clone();
            async move { Ok::<_, Infallible>(front.handle(request).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
