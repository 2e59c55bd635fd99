//! The server's own HTTP endpoints: Telegram webhook, health, readiness
//! and the operators' dashboard (`/panel`, [`crate::panel`]) on the public port; Prometheus metrics on a port of their own, because
//! they show ledger totals and need not face the internet.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpResponse, HttpServer, web};
use dianabot_actors::TimerPoker;
use dianabot_persistence::{Flusher, Store};
use dianabot_plumbing::Clock;

use crate::telegram::webhook::{self, WebhookState};

pub mod metrics;

pub struct HttpState {
    pub store: Store,
    /// Its commit stalls make the server unready.
    pub flusher: Flusher,
    /// Unready once writes have waited this long for a commit.
    pub max_commit_stall: Duration,
    // cluster
    /// Clustering on: unready while Redis does not answer or no shard is served.
    pub cluster: Option<dianabot_cluster::Readiness>,
}

/// A running HTTP server.
pub struct Http {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
}

/// Binds and starts serving. `webhook` is set when Telegram pushes updates.
pub fn start(
    bind: SocketAddr,
    state: HttpState,
    webhook: Option<WebhookState>,
    panel: crate::panel::Panel,
) -> std::io::Result<Http> {
    let state = web::Data::new(state);
    let webhook = webhook.map(web::Data::new);
    let panel = web::Data::new(panel);
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(state.clone())
            .app_data(panel.clone())
            .configure(crate::panel::routes)
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz));
        if let Some(webhook) = &webhook {
            app = app.app_data(webhook.clone()).route("/telegram/webhook", web::post().to(webhook::receive));
        }
        app
    })
    .workers(2)
    // Graceful stop waits for requests in flight (each ends once its update
    // is durable, in milliseconds); idle keep-alive clients should not hold
    // a shutdown for actix's default 30 s.
    .shutdown_timeout(5)
    .disable_signals()
    .bind(bind)?;
    Ok(spawn(server.addrs()[0], server.run()))
}

/// Runs a bound server on the current runtime.
fn spawn(addr: SocketAddr, server: Server) -> Http {
    let handle = server.handle();
    tokio::spawn(server);
    Http { addr, handle }
}

/// The game clock's control, served with `/metrics` when `TEST_CLOCK=on`.
#[derive(Clone)]
pub struct ClockControl {
    pub clock: Clock,
    /// Polls the durable timers once the clock moved.
    pub timers: TimerPoker,
}

/// Binds and starts serving `/metrics` — and, with a test clock,
/// `POST /control/clock/advance?secs=N` (loopback: it moves game time).
pub fn start_metrics(
    bind: SocketAddr,
    sources: metrics::Sources,
    clock: Option<ClockControl>,
) -> std::io::Result<Http> {
    let sources = web::Data::new(sources);
    let clock = clock.map(web::Data::new);
    let server = HttpServer::new(move || {
        let app = App::new().app_data(sources.clone()).route("/metrics", web::get().to(prometheus));
        match &clock {
            Some(clock) => app.app_data(clock.clone()).route("/control/clock/advance", web::post().to(advance_clock)),
            None => app,
        }
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .bind(bind)?;
    Ok(spawn(server.addrs()[0], server.run()))
}

async fn advance_clock(
    control: web::Data<ClockControl>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let Some(secs) = query.get("secs").and_then(|secs| secs.parse::<u32>().ok()) else {
        return HttpResponse::BadRequest().body("secs must be a number of seconds (0 to 4294967295)");
    };
    match control.clock.advance(secs) {
        Ok(offset) => {
            control.timers.poke();
            HttpResponse::Ok().json(serde_json::json!({ "now": control.clock.now(), "offset": offset }))
        }
        Err(err) => HttpResponse::Conflict().body(err.to_string()),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn prometheus(sources: web::Data<metrics::Sources>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics::render(&sources))
}

/// Ready when the store answers and writes are not stuck waiting for a
/// commit (a store that answers pings can still refuse or block writes).
async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    if state.flusher.stats().commit_stalled_for() > state.max_commit_stall {
        HttpResponse::ServiceUnavailable().body("writes are not committing")
    } else if let Some(why) = state.cluster.as_ref().and_then(dianabot_cluster::Readiness::unready) {
        HttpResponse::ServiceUnavailable().body(why)
    } else if state.store.ping().await {
        HttpResponse::Ok().body("ready")
    } else {
        HttpResponse::ServiceUnavailable().body("store unreachable")
    }
}
