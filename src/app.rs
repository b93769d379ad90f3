//! Building the application: fixtures, state, router, listener; and running it until told
//! to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::ServiceExt;
use axum::extract::Request;
use tokio::net::TcpListener;
use tower::Layer;
use tower::util::MapRequestLayer;

use crate::config::Config;
use crate::fixtures::{FixtureError, Fixtures};
use crate::http;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A bound, not yet serving, application.
pub struct App {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    shutdown_timeout: Duration,
}

impl App {
    /// Loads fixtures, starts the job engine and binds the listener. Needs a Tokio runtime.
    pub async fn build(config: &Config) -> Result<App, StartError> {
        let fixtures = Fixtures::load(config.fixtures.as_deref())?;
        let state = AppState::new(config, &fixtures);
        let addr = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        Ok(App {
            listener,
            addr,
            state,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_secs),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and gives
    /// running jobs the configured deadline.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = http::router(self.state.clone());
        // Dot segments are resolved before routing, so the rewrite wraps the whole router.
        let service = MapRequestLayer::new(http::normalize::normalize_request).layer(router);
        tracing::info!("listening on http://{}", self.addr);
        axum::serve(
            self.listener,
            ServiceExt::<Request>::into_make_service(service),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        let dropped = self.state.engine.shutdown(self.shutdown_timeout).await;
        if dropped.is_empty() {
            tracing::info!("stopped");
        } else {
            tracing::warn!(batches = ?dropped, "stopped with unfinished import jobs");
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested");
}
