//! Runs the emulator on its own, for trying the playground by hand:
//! `cargo run -p dianabot-emulator --example serve -- 8081`, then open the
//! printed URL. (The server binary embeds the same thing.)

use dianabot_emulator::{EmulatorConfig, start};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8081);
    let config = EmulatorConfig { bind: ([127, 0, 0, 1], port).into(), ..EmulatorConfig::default() };
    let emulator = start(config).await?;
    println!("Bot API:    {}/bot{}/getMe", emulator.api_url(), emulator.token());
    println!("Playground: {}", emulator.playground_url());
    tokio::signal::ctrl_c().await?;
    emulator.stop().await;
    Ok(())
}
