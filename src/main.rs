use std::process::ExitCode;

use clap::Parser;
use marketo_bulk_mock::app::{App, shutdown_signal};
use marketo_bulk_mock::config::{Command, Config};
use marketo_bulk_mock::{healthcheck, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    if let Some(Command::Healthcheck) = config.command {
        let healthy = healthcheck::check(config.host, config.port).await;
        return if healthy {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    telemetry::init(config.log_format);
    let app = match App::build(&config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}
