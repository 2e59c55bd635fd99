//! Logging: human-readable by default, JSON with `LOG_FORMAT=json`; level
//! from `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops (tests).
pub fn init() {
    init_with_default("info");
}

/// As [`init`], with `default` as the level when `RUST_LOG` is unset (the
/// bench harness keeps its terminal for the progress line and report).
pub fn init_with_default(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
    let _ = result;
}
