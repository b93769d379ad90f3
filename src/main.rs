use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    marketo_bulk_mock::run_cli().await
}
