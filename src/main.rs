//! The `dianabot` command: the server, and the tools around it.

use clap::{Parser, Subcommand};
use dianabot::{App, Config, telemetry};

#[derive(Parser)]
#[command(name = "dianabot", version, about = "DianaBot game server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (the default). Configured by environment variables;
    /// see the README.
    Serve,
    /// Runs the Telegram Bot API emulator alone.
    Emulator {
        #[arg(long, default_value_t = 8081)]
        port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    dianabot::run_actix(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let config = Config::from_env()?;
                App::build(config).await?.run_until_stopped().await
            }
            Command::Emulator { port } => dianabot::run_emulator(port).await,
        }
    })
}
