//! The server's own HTTP endpoints: Telegram webhook, health and readiness
//! on the public port; Prometheus metrics on a port of their own, because
//! they show ledger totals and need not face the internet.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use dianabot_persistence::{Flusher, Store};

use crate::telegram::webhook::{self, WebhookState};

pub mod metrics;

pub struct HttpState {
    pub store: Store,
    /// Its commit stalls make the server unready.
    pub flusher: Flusher,
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
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Http { addr, handle })
}

/// Binds and starts serving `/metrics` alone.
pub fn start_metrics(bind: SocketAddr, sources: metrics::Sources) -> std::io::Result<Http> {
    let sources = web::Data::new(sources);
    let server =
        HttpServer::new(move || App::new().app_data(sources.clone()).route("/metrics", web::get().to(prometheus)))
            .workers(1)
            .shutdown_timeout(1)
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

async fn prometheus(sources: web::Data<metrics::Sources>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics::render(&sources))
}

/// Ready when the store answers and writes are not stuck waiting for a
/// commit (a store that answers pings can still refuse or block writes).
async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    if state.flusher.stats().commit_stalled_for() > state.max_commit_stall {
        HttpResponse::ServiceUnavailable().body("writes are not committing")
    } else if state.store.ping().await {
        HttpResponse::Ok().body("ready")
    } else {
        HttpResponse::ServiceUnavailable().body("store unreachable")
    }
}
