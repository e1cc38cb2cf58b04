//! `server` binary: parse the configuration, bind, serve until Ctrl-C.

use clap::Parser;
use server::{config::Config, run, shutdown_signal, AppState};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::telemetry::init();
    let config = Config::parse();
    let result = async {
        let state = AppState::from_config(config).await?;
        let listener = tokio::net::TcpListener::bind(state.config.bind_addr()).await?;
        let addr = listener.local_addr()?;
        println!("Tidings listening on http://{addr}");
        run(listener, state, shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidings: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
