//! The server's own HTTP endpoints: Telegram webhook, health, readiness.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use dianabot_persistence::Store;

use crate::telegram::webhook::{self, WebhookState};

pub struct HttpState {
    pub store: Store,
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

/// Ready when the store answers.
async fn readyz(state: web::Data<HttpState>) -> HttpResponse {
    if state.store.ping().await {
        HttpResponse::Ok().body("ready")
    } else {
        HttpResponse::ServiceUnavailable().body("store unreachable")
    }
}
