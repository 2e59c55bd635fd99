//! Building and running the whole server.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::cluster::{BusPlaced, BusPosts, BusSteps, Forwarding, NodeHost};
use anyhow::Context;
use dianabot_actors::{AuctionHouse, AuctionNotice, Coordinator, Notifier, Router, TimerService};
use dianabot_cluster::{Bus, BusConfig, ChangeNotices, Cluster};
use dianabot_emulator::{EmulatorConfig, EmulatorHandle};
use dianabot_game::{Rules, UserId, UserState};
use dianabot_persistence::{Flusher, OPS_TIMERS, SCHEDULED_POSTS, Store, USER_TIMERS};
use dianabot_plumbing::Clock;
use dianabot_plumbing::shards::Ownership;
use teloxide_core::Bot;
use teloxide_core::prelude::Requester;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::alerts::{self, AlertTask, Alerts, Recipients};
use crate::config::{Config, Intake as IntakeMode};
use crate::content::{self, Reloader};
use crate::flags::LiveFlags;
use crate::http::{self, ClockControl, Http, HttpState, metrics};
use crate::insights;
use crate::operators::{Operators, Roster};
use crate::panel::Panel;
use crate::panel::session::{self, SessionKeys};
use crate::telegram::broadcast::{Broadcaster, BroadcasterTask};
use crate::telegram::callback::CallbackCodec;
use crate::telegram::flows::analytics::PanelLinks;
use crate::telegram::flows::leaderboard::BOARD_TIMERS;
use crate::telegram::ratelimit::RateLimiter;
use crate::telegram::screens::{self, Rendered, Ui};
use crate::telegram::translate::Translator;
use crate::telegram::webhook::WebhookState;
use crate::telegram::{Intake, Outbound, OutboundRequest, Priority, polling};

/// The exit code when shutdown gave up waiting for durability.
const SHUTDOWN_TIMED_OUT: i32 = 3;

/// A running server.
pub struct App {
    router: Router,
    flusher: Flusher,
    flusher_task: JoinHandle<()>,
    store: Store,
    http: Http,
    metrics_http: Http,
    shutdown_timeout: Duration,
    polling: Option<(watch::Sender<bool>, JoinHandle<()>)>,
    timers: TimerService,
    outbound: Outbound,
    reloader: Reloader,
    emulator: Option<EmulatorHandle>,
    broadcaster: BroadcasterTask,
    /// Checks the alert rules.
    alerts: AlertTask,
    // cluster
    cluster: Option<Cluster>,
    // cluster-bus
    bus: Option<Bus>,
}

impl App {
    /// Opens the store, starts the actors, the flusher, the HTTP server and
    /// the intake — and the emulator when no real Telegram is configured.
    /// Must run inside [`run_actix`].
    pub async fn build(mut config: Config) -> anyhow::Result<App> {
        // cluster: the shards this node serves, shared by the router, the
        // flusher (fencing) and the timers; `None` with no REDIS_URL.
        let ownership = config.cluster.as_ref().map(|cluster| Arc::new(Ownership::new(&cluster.node, cluster.shards)));
        config.actors.ownership = ownership.clone();
        config.flush.ownership = ownership.clone();
        config.timers.ownership = ownership.clone();
        // Invalid content or texts stop the server here, with every problem listed.
        let (content, texts) = content::load(&config.content_dir)?;
        let store = Store::open(&config.database_url)
            .await
            .with_context(|| format!("opening the store at {}", redact(&config.database_url)))?;
        // Operators' flag changes, as stored, over the files' flags: live
        // before the first update is decided.
        let flags = Arc::new(LiveFlags::load(store.clone()).await.context("loading the flag overrides")?);
        let content = Arc::new(flags.apply(&content).0);
        crate::texts::install(Arc::new(texts), content.clone());
        ensure_partitions(&store, &config.actors.clock).await?;
        let (flusher, flusher_task) = Flusher::spawn(store.clone(), config.flush.clone());
        // Before any write: the boards are rebuilt from the durable scores,
        // then the flusher feeds them every committed batch.
        flusher.leaderboards().load(&store, config.actors.clock.now()).await.context("loading the leaderboards")?;
        let router =
            Router::start(config.actors.clone(), store.clone(), flusher.clone(), Arc::new(rules(&config)), content);
        // cluster: join, and take this node's share of the shards before
        // recovering the sagas of their givers and buyers; shards acquired
        // later have theirs recovered then (`recovery`).
        let recovery = Arc::new(std::sync::OnceLock::new());
        let placed_auctions = Arc::new(std::sync::OnceLock::new());
        let cluster = match (&config.cluster, &ownership) {
            (Some(settings), Some(ownership)) => {
                let host = NodeHost {
                    store: store.clone(),
                    router: router.clone(),
                    flusher: flusher.clone(),
                    node: settings.node.clone(),
                    recovery: recovery.clone(),
                    ownership: ownership.clone(),
                    auctions: placed_auctions.clone(),
                };
                let cluster = Cluster::start(settings.clone(), ownership.clone(), host)
                    .await
                    .with_context(|| format!("joining the cluster: cannot reach Redis at {}", settings.redis_url))?;
                cluster.rounds(1).await;
                tracing::info!(node = settings.node, shards = ownership.owned(), "joined the cluster");
                Some(cluster)
            }
            _ => None,
        };
        // cluster-bus: calls to other nodes work from here on; serving
        // starts once the intake and the sagas exist.
        let bus = match (&config.cluster, &cluster) {
            (Some(settings), Some(cluster)) => Some(
                Bus::connect(BusConfig::new(settings), cluster.stats().clone())
                    .await
                    .with_context(|| format!("connecting the bus: cannot reach Redis at {}", settings.redis_url))?,
            ),
            _ => None,
        };
        // cluster-changes: operators' changes are announced to the other nodes.
        let notices = match (&config.cluster, &cluster) {
            (Some(settings), Some(cluster)) => Some(
                ChangeNotices::connect(settings, cluster.stats().clone())
                    .await
                    .with_context(|| format!("connecting the change notices to Redis at {}", settings.redis_url))?,
            ),
            _ => None,
        };

        let (emulator, bot, token) = connect_telegram(&config).await?;
        // Commands addressed to another bot (`/cmd@OtherBot`) are not ours;
        // until Telegram has said who we are, none addressed by name is.
        let username = match bot.get_me().await {
            Ok(me) => me.username.clone(),
            Err(err) => {
                tracing::warn!(error = %err, "getMe failed: commands addressed by @name will be ignored");
                None
            }
        };
        let outbound = Outbound::spawn(bot.clone(), config.outbound.clone());
        let secret = match &config.callback_secret {
            Some(secret) => secret.clone().into_bytes(),
            None => format!("dianabot-callback:{token}").into_bytes(),
        };
        let codec = CallbackCodec::new(&secret);
        // Operators: owners from ADMIN_IDS, the roles granted to others as
        // stored, held in memory from here on. Permissions are checked at
        // the game clock.
        let roster =
            Roster::new(config.admins.iter().copied().map(UserId), router.content(), config.actors.clock.clone());
        let operators = Operators::load(store.clone(), roster).await.context("loading operator roles")?;
        let translator = Translator {
            codec: codec.clone(),
            operators: operators.roster().clone(),
            auctions: config.auctions,
            vip_channel: vip_channel(&config),
            channels: channels(&config),
            username: username.clone(),
        };
        let reloader = Reloader {
            dir: config.content_dir.clone(),
            router: router.clone(),
            operators: operators.roster().clone(),
            flags,
            notices: notices.clone(),
        };
        let mut coordinator = Coordinator::new(router.clone(), store.clone());
        if let (Some(bus), Some(ownership)) = (&bus, &ownership) {
            let steps =
                BusSteps { bus: bus.clone(), ownership: ownership.clone(), timeout: config.cluster_call_timeout };
            router.reach_through(Arc::new(steps));
            // cluster-posts
            let posts = BusPosts { bus: bus.clone(), timeout: config.cluster_call_timeout };
            coordinator = coordinator.with_remote_posts(ownership.clone(), Arc::new(posts));
        }
        // cluster-placed: stock keepers and auction actors live on the node
        // serving their shard; requests to others' go through the bus.
        let placed = match (&bus, &ownership, &cluster) {
            (Some(bus), Some(ownership), Some(cluster)) => {
                let stats = cluster.stats().clone();
                let remote = Arc::new(BusPlaced { bus: bus.clone(), stats, timeout: config.cluster_call_timeout });
                coordinator = coordinator.with_placed_stock(ownership.clone(), remote.clone());
                Some((ownership.clone(), remote as Arc<dyn dianabot_actors::RemoteAuctions>))
            }
            _ => None,
        };
        // Set before recovering: a shard acquired from now on is recovered
        // when acquired, one acquired before by `recover` below.
        let _ = recovery.set(coordinator.clone());
        // Gifts a crash left half-done are finished before anything else.
        let recovered = coordinator.recover().await.context("recovering gifts in flight")?;
        if recovered > 0 {
            tracing::info!(recovered, "finished gifts left in flight");
        }
        let notify = notifier(router.clone(), outbound.clone(), codec);
        let auctions = AuctionHouse::start_placed(coordinator.clone(), notify, placed);
        // Set before recovering, as `recovery`.
        let _ = placed_auctions.set(auctions.clone());
        // Bids a crash left half-done are settled, and open auctions get
        // their actors (and close if their time passed while we were down).
        let settled = auctions.recover().await.context("recovering auctions")?;
        if settled > 0 {
            tracing::info!(settled, "settled bids left in flight");
        }
        let rate_limiter = Arc::new(RateLimiter::new(config.rate_limits.clone()));
        // Resumes every broadcast a stop or a crash left unfinished.
        let (broadcaster, broadcaster_task) = Broadcaster::start(store.clone(), outbound.clone(), ownership.clone());
        let calls_coordinator = coordinator.clone();
        let calls_auctions = auctions.clone();
        let intake = Intake::new(
            router.clone(),
            outbound.clone(),
            translator,
            reloader.clone(),
            coordinator,
            auctions,
            bot.clone(),
        )
        .with_rate_limiter(rate_limiter.clone())
        .with_broadcaster(broadcaster);
        // Alerts and the daily insights go to the operators with the
        // analytics permission (or ALERT_CHAT_ID).
        let recipients = Recipients {
            roster: operators.roster().clone(),
            chat: config.alerts.chat,
            store: store.clone(),
            outbound: outbound.clone(),
        };
        let sources = alerts::Sources {
            router: router.clone(),
            flusher: flusher.clone(),
            intake: intake.stats().clone(),
            store: store.clone(),
            clock: config.actors.clock.clone(),
        };
        let (alerts, alert_task) = Alerts::start(config.alerts.clone(), sources, recipients.clone())
            .await
            .context("loading the alerts' state")?;
        let intake = intake
            .with_alerts(alerts.clone())
            .with_panel_links(PanelLinks { public_url: config.public_url(), minutes: config.panel_link_minutes })
            .with_prize_fault(config.abort_after_prize)
            .with_settle_fault(config.abort_after_settle);
        // cluster-bus: updates of other nodes' shards go there; this node
        // serves the calls for its own.
        let intake = match (&bus, &ownership, &cluster) {
            (Some(bus), Some(ownership), Some(cluster)) => {
                let stats = cluster.stats().clone();
                let forwarding =
                    Forwarding::new(bus.clone(), ownership.clone(), stats.clone(), config.cluster_call_timeout);
                let intake = intake.with_forwarding(forwarding);
                crate::cluster::serve_placed_calls(bus, calls_coordinator.clone(), calls_auctions, stats.clone());
                crate::cluster::serve_calls(bus, intake.clone(), calls_coordinator, stats);
                bus.serve(ownership.clone()).await.context("serving the bus")?;
                intake
            }
            _ => intake,
        };
        // cluster-changes: grants made here are announced too; the other
        // nodes' changes are read again here.
        let intake = match &notices {
            Some(notices) => {
                let intake = intake.with_change_notices(notices.clone());
                crate::cluster::follow_changes(notices, reloader.clone(), intake.operators().clone());
                intake
            }
            None => intake,
        };
        insights::arm(&store, &config.actors.clock).await.context("arming the daily job")?;
        intake.arm_board_resets().await.context("arming the leaderboards' weekly resets")?;

        let webhook = match &config.intake {
            IntakeMode::Webhook { .. } => Some(WebhookState {
                intake: intake.clone(),
                secret: config.webhook_secret.clone().context("webhook intake needs WEBHOOK_SECRET")?,
            }),
            IntakeMode::Polling => None,
        };
        let timers = TimerService::start(
            store.clone(),
            config.actors.clock.clone(),
            config.timers.clone(),
            BTreeMap::from([
                (USER_TIMERS.to_owned(), intake.timer_target()),
                (SCHEDULED_POSTS.to_owned(), intake.scheduled_post_target()),
                (
                    OPS_TIMERS.to_owned(),
                    insights::target(
                        store.clone(),
                        router.clone(),
                        config.actors.clock.clone(),
                        config.insights.clone(),
                        recipients,
                    ),
                ),
                (BOARD_TIMERS.to_owned(), intake.board_reset_target()),
            ]),
        );
        let clock_control =
            config.test_clock.then(|| ClockControl { clock: config.actors.clock.clone(), timers: timers.poker() });
        let metrics = metrics::Sources {
            router: router.clone(),
            flusher: flusher.clone(),
            outbound: outbound.clone(),
            intake: intake.stats().clone(),
            rate_limiter,
            timers: timers.stats(),
            alerts: alerts.stats(),
            cluster: cluster.as_ref().map(|cluster| cluster.stats().clone()),
        };
        let panel = Panel {
            store: store.clone(),
            router: router.clone(),
            roster: operators.roster().clone(),
            keys: SessionKeys::new(match &config.panel_secret {
                Some(secret) => secret.clone().into_bytes(),
                None => session::process_secret().context("no randomness for the dashboard's secret")?,
            }),
            secure: config.public_url().starts_with("https://"),
            // The login widget needs the real Telegram (and the domain set with BotFather).
            alerts: Some(alerts.clone()),
            widget: match (&config.bot_token, &config.api_url, &username) {
                (Some(token), None, Some(username)) => Some((token.clone(), username.clone())),
                _ => None,
            },
            reloader: reloader.clone(),
        };
        let http = http::start(
            config.http_bind,
            HttpState {
                store: store.clone(),
                flusher: flusher.clone(),
                max_commit_stall: config.ready_max_commit_stall,
                cluster: cluster.as_ref().map(Cluster::readiness),
            },
            webhook,
            panel,
        )
        .with_context(|| format!("binding HTTP on {}", config.http_bind))?;
        tracing::info!(addr = %http.addr, "HTTP listening");
        let metrics_http = http::start_metrics(config.metrics_bind, metrics, clock_control)
            .with_context(|| format!("binding METRICS_BIND on {}", config.metrics_bind))?;
        tracing::info!(addr = %metrics_http.addr, "metrics listening");

        let polling = match &config.intake {
            IntakeMode::Polling => {
                bot.delete_webhook().await.context("deleteWebhook before polling")?;
                let (stop, stopped) = watch::channel(false);
                let task = tokio::spawn(polling::run(bot.clone(), intake.clone(), stopped));
                Some((stop, task))
            }
            IntakeMode::Webhook { register_url: Some(url) } => {
                let url = url.parse().with_context(|| format!("WEBHOOK_URL {url:?}"))?;
                let secret = config.webhook_secret.clone().unwrap_or_default();
                use teloxide_core::payloads::SetWebhookSetters;
                bot.set_webhook(url)
                    .secret_token(secret)
                    .allowed_updates(polling::ALLOWED_UPDATES)
                    .await
                    .context("setWebhook")?;
                None
            }
            IntakeMode::Webhook { register_url: None } => None,
        };
        if let Some(emulator) = &emulator {
            println!("DianaBot is running. Open the playground: {}", emulator.playground_url());
        }
        let shutdown_timeout = config.shutdown_timeout;
        Ok(App {
            router,
            flusher,
            flusher_task,
            store,
            http,
            metrics_http,
            shutdown_timeout,
            polling,
            timers,
            outbound,
            reloader,
            emulator,
            broadcaster: broadcaster_task,
            alerts: alert_task,
            cluster,
            bus,
        })
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http.addr
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_http.addr
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn flusher(&self) -> &Flusher {
        &self.flusher
    }

    pub fn emulator(&self) -> Option<&EmulatorHandle> {
        self.emulator.as_ref()
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully — or, if
    /// accepted updates cannot become durable within `SHUTDOWN_TIMEOUT_SECS`
    /// (the database is down), exits at once: what is not durable was not
    /// acknowledged, and Telegram delivers it again to the next start.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let mut reload = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        let stop = wait_for_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                result = &mut stop => break result?,
                // SIGHUP: reload the content; a failed reload keeps the old.
                _ = reload.recv() => { let _ = self.reloader.reload().await; }
            }
        }
        tracing::info!("signal received; shutting down");
        let deadline = self.shutdown_timeout;
        if tokio::time::timeout(deadline, self.shutdown()).await.is_err() {
            tracing::error!(?deadline, "shutdown deadline passed with updates not durable; exiting unacknowledged");
            // Returning would drop the runtime, which waits for the very
            // tasks that are stuck on the store.
            std::process::exit(SHUTDOWN_TIMED_OUT);
        }
        Ok(())
    }

    /// Stops intake, lets every accepted update become durable, flushes,
    /// and stops. Nothing acknowledged is lost; nothing unacknowledged is
    /// acknowledged.
    pub async fn shutdown(self) {
        if let Some((stop, task)) = self.polling {
            let _ = stop.send(true);
            let _ = task.await;
        }
        // In-flight webhook requests finish (durably) before this returns.
        self.http.handle.stop(true).await;
        // cluster: the shards are handed over first — drained (what is in
        // flight finishes, the bus still answering), flushed, released — so
        // the other nodes serve them within a third of a lease while this
        // one winds down, instead of after it.
        if let Some(cluster) = self.cluster {
            cluster.leave().await;
        }
        // cluster-bus: calls being served here finish; what waits in this
        // node's streams is claimed by the shards' next owners.
        if let Some(bus) = &self.bus {
            bus.stop().await;
        }
        // Timers being handled finish (durably) or stay due for the next start.
        self.timers.stop().await;
        self.router.shutdown().await;
        let _ = self.flusher_task.await;
        // The batch of a broadcast in flight is sent and counted first.
        self.broadcaster.stop().await;
        // Replies to what was acknowledged go out before we leave.
        self.outbound.drain(Duration::from_secs(5)).await;
        self.alerts.stop().await;
        self.metrics_http.handle.stop(true).await;
        self.store.close().await;
        if let Some(emulator) = self.emulator {
            emulator.stop().await;
        }
        tracing::info!("shutdown complete");
    }
}

/// Creates this month's analytics partition and the next ones (a failure
/// here stops the start: the database refuses DDL); the daily job
/// (`insights.rs`) does it again every day, so a month's partition always
/// exists before its first event.
async fn ensure_partitions(store: &Store, clock: &Clock) -> anyhow::Result<()> {
    let created = store.ensure_analytics_partitions(clock.now()).await.context("creating analytics partitions")?;
    if !created.is_empty() {
        tracing::info!(?created, "analytics partitions created");
    }
    Ok(())
}

/// Auction notices become messages to their players, in each player's
/// language, sent once the change they tell of is durable.
fn notifier(router: Router, outbound: Outbound, codec: CallbackCodec) -> Notifier {
    let io = tokio::runtime::Handle::current();
    Arc::new(move |notice: AuctionNotice| {
        let (router, outbound, codec) = (router.clone(), outbound.clone(), codec.clone());
        io.spawn(async move {
            let user = match &notice {
                AuctionNotice::Outbid { user, .. }
                | AuctionNotice::Won { user, .. }
                | AuctionNotice::Refunded { user, .. } => *user,
            };
            // Winning and a bid given back are about the player's besitos:
            // never dropped. Being outbid is stale once outbid again.
            let priority = match &notice {
                AuctionNotice::Outbid { .. } => Priority::Notification,
                AuctionNotice::Won { .. } | AuctionNotice::Refunded { .. } => Priority::Receipt,
            };
            let (content, now) = (router.content(), router.clock().now());
            let render = move |state: &UserState| {
                screens::auction::notice(&notice, state, Ui { codec: &codec, content: &content, now })
            };
            match router.view(user, render).await {
                Ok(Rendered { text, keyboard }) => {
                    outbound.submit(OutboundRequest::Send { chat_id: user.0, text, keyboard, priority })
                }
                Err(err) => tracing::warn!(user_id = %user, error = %err, "auction notice not sent"),
            }
        });
    })
}

/// The channel whose posts pay VIP rates; with the built-in emulator, the
/// emulator's VIP channel.
fn vip_channel(config: &Config) -> Option<i64> {
    let embedded = config.bot_token.is_none() && config.api_url.is_none();
    config.vip_channel.or_else(|| embedded.then(|| EmulatorConfig::default().vip_channel.id))
}

/// The channels whose posts the bot registers: the free and the VIP one
/// (the built-in emulator's two by default).
fn channels(config: &Config) -> BTreeSet<i64> {
    let embedded = config.bot_token.is_none() && config.api_url.is_none();
    let free = config.free_channel.or_else(|| embedded.then(|| EmulatorConfig::default().free_channel.id));
    free.into_iter().chain(vip_channel(config)).collect()
}

/// The economy's tunables.
fn rules(config: &Config) -> Rules {
    Rules {
        max_purchase_attempts_per_hour: config.max_purchases_per_hour,
        daily_caps: config.daily_caps.clone(),
        ..Rules::default()
    }
}

/// The bot client, and the emulator when we run our own Telegram.
async fn connect_telegram(config: &Config) -> anyhow::Result<(Option<EmulatorHandle>, Bot, String)> {
    let (emulator, token, api_url) = match (&config.bot_token, &config.api_url) {
        (None, None) => {
            // One game clock for both: moving it (TEST_CLOCK=on) moves the
            // emulator's dates and subscription periods with the server's timers.
            let clock = config.actors.clock.clone();
            let emulator_config = EmulatorConfig { bind: config.emulator_bind, clock, ..EmulatorConfig::default() };
            let emulator = dianabot_emulator::start(emulator_config)
                .await
                .with_context(|| format!("starting the emulator on {}", config.emulator_bind))?;
            let (token, url) = (emulator.token().to_owned(), emulator.api_url());
            (Some(emulator), token, Some(url))
        }
        (token, url) => (None, token.clone().unwrap_or_else(|| EmulatorConfig::default().token), url.clone()),
    };
    let mut bot = Bot::new(token.clone());
    if let Some(url) = api_url {
        bot = bot.set_api_url(url.parse().with_context(|| format!("TELEGRAM_API_URL {url:?}"))?);
    }
    Ok((emulator, bot, token))
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// Hides a password in a database URL before it reaches a log.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// Runs `future` inside an actix system on a multi-threaded tokio runtime:
/// actors get their arbiters, everything else work-stealing threads.
pub fn run_actix<F: Future>(future: F) -> F::Output {
    actix_rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the tokio runtime")
    })
    .block_on(future)
}

/// `dianabot emulator`: the emulator alone, until a signal. With
/// `TEST_CLOCK=on` its game clock can be moved (`/control/clock/advance`),
/// as tests that restart a server against it do.
pub async fn run_emulator(port: u16) -> anyhow::Result<()> {
    let bind = SocketAddr::from(([127, 0, 0, 1], port));
    let clock = match std::env::var("TEST_CLOCK").as_deref() {
        Ok("on") => Clock::adjustable(0),
        _ => Clock::system(),
    };
    let emulator = dianabot_emulator::start(EmulatorConfig { bind, clock, ..EmulatorConfig::default() })
        .await
        .with_context(|| format!("starting the emulator on {bind}"))?;
    println!("Telegram Bot API emulator on {} (token {})", emulator.api_url(), emulator.token());
    println!("Playground: {}", emulator.playground_url());
    wait_for_signal().await?;
    emulator.stop().await;
    Ok(())
}
