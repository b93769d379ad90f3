//! Building the application: fixtures, state, router, listener; and running it until told
//! to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::fixtures::{FixtureError, Fixtures};
use crate::http;
use crate::instances::{InstanceError, Instances};
use crate::server::{self, ConnectionLimits};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Fixtures(#[from] FixtureError),
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Request line plus headers: Marketo's URI limit is 8 KB, headers get the rest.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A bound, not yet serving, application.
pub struct App {
    listener: TcpListener,
    addr: SocketAddr,
    instances: Arc<Instances>,
    shutdown_timeout: Duration,
    connection_limits: ConnectionLimits,
}

impl App {
    /// Loads fixtures, starts the job engine and binds the listener. Needs a Tokio runtime.
    pub async fn build(config: &Config) -> Result<App, StartError> {
        let fixtures = Fixtures::load(config.fixtures.as_deref())?;
        let instances = Arc::new(Instances::start(config, fixtures)?);
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
            instances,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout_secs),
            connection_limits: ConnectionLimits {
                header_timeout: Duration::from_secs(config.header_timeout_secs),
                max_head_bytes: MAX_HEAD_BYTES,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instances it serves, for the Rust API to act on.
    pub fn instances(&self) -> Arc<Instances> {
        self.instances.clone()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and gives
    /// running jobs the configured deadline.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let front = http::front(self.instances.clone());
        tracing::info!("listening on http://{}", self.addr);
        server::serve(self.listener, front, self.connection_limits, shutdown).await?;
        let dropped = self.instances.shutdown(self.shutdown_timeout).await;
        if dropped.is_empty() {
            tracing::info!("stopped");
        } else {
            tracing::warn!(batches = ?dropped, "stopped with unfinished import jobs");
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed now, not when the future is
/// first polled, so a signal that arrives early still stops the server gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = signals;
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupted => {}
                _ = terminated => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested");
    }
}
