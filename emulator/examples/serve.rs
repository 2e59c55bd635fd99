//! Runs the emulator on its own, for trying the playground by hand:
//! `cargo run -p dianabot-emulator --example serve -- 8081`, then open the
//! printed URL. (The server binary embeds the same thing.) With `TEST_CLOCK=on`
//! the game clock is adjustable (`POST /control/clock/advance`, the
//! playground's "+1 day").

use dianabot_emulator::{Clock, EmulatorConfig, start};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8081);
    let clock =
        if std::env::var("TEST_CLOCK").is_ok_and(|v| v == "on") { Clock::adjustable(0) } else { Clock::system() };
    let config = EmulatorConfig { bind: ([127, 0, 0, 1], port).into(), clock, ..EmulatorConfig::default() };
    let emulator = start(config).await?;
    println!("Bot API:    {}/bot{}/getMe", emulator.api_url(), emulator.token());
    println!("Playground: {}", emulator.playground_url());
    tokio::signal::ctrl_c().await?;
    emulator.stop().await;
    Ok(())
}
