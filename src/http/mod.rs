//! The server's own HTTP endpoints: Telegram webhook, health, readiness,
//! Prometheus metrics.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use dianabot_persistence::Store;

use crate::telegram::webhook::{self, WebhookState};

pub mod metrics;

pub struct HttpState {
    pub store: Store,
    pub metrics: metrics::Sources,
    /// Unready once writes have waited this long for a commit.
    pub max_commit_stall: Duration,
}

/// A running HTTP server.
pub struct Http {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
}

/// Binds and starts serving. `webhook` is set when Telegram pushes updates.
pub fn start(bind: SocketAddr, state: HttpState, webhook: Option<WebhookState>) -> std::io::Result<Http> {
    let state = web::Data::new(state);
    let webhook = webhook.map(web::Data::new);
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(state.clone())
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(prometheus));
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
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Http { addr, handle })
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn prometheus(state: web::Data<HttpState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics::render(&state.metrics))
}

/// Ready when the store answers and writes are not stuck waiting for a
/// commit (a store that answers pings can still refuse or block writes).
async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    if state.metrics.flusher.stats().commit_stalled_for() > state.max_commit_stall {
        HttpResponse::ServiceUnavailable().body("writes are not committing")
    } else if state.store.ping().await {
        HttpResponse::Ok().body("ready")
    } else {
        HttpResponse::ServiceUnavailable().body("store unreachable")
    }
}
