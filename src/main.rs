//! The `dianabot` command: the server, and the tools around it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dianabot::{App, Config, telemetry};

/// mimalloc's size classes keep a million resident actors ~5 % smaller than
/// glibc malloc does (BENCHMARKS.md, memory per actor).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Plays simulated users against a server through its real intake and
    /// reports throughput, latency, errors, persistence lag and memory.
    Bench(Box<dianabot_bench::BenchArgs>),
    /// Prints a report (from DATABASE_URL; `operations` from the running
    /// server's METRICS_BIND), as a table or CSV.
    Report(ReportArgs),
    /// Operator content tools.
    Content {
        #[command(subcommand)]
        command: ContentCommand,
    },
    // cluster
    /// Clustering (REDIS_URL) tools.
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
}

// cluster
#[derive(Subcommand)]
enum ClusterCommand {
    /// Prints the live nodes and the shard map, from Redis (REDIS_URL,
    /// CLUSTER_*) and the store's recorded epochs (DATABASE_URL).
    Status {
        /// One line per shard, not only the unsettled ones.
        #[arg(long)]
        shards: bool,
    },
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The report; `--list` names them all.
    #[arg(required_unless_present = "list")]
    name: Option<String>,
    /// First day, YYYY-MM-DD (UTC); default: 30 days before `--until`.
    #[arg(long)]
    since: Option<String>,
    /// Last day, included, YYYY-MM-DD (UTC); default: today.
    #[arg(long)]
    until: Option<String>,
    /// RFC 4180 CSV instead of a table.
    #[arg(long)]
    csv: bool,
    /// Lists the reports.
    #[arg(long)]
    list: bool,
}

#[derive(Subcommand)]
enum ContentCommand {
    /// Validates a content folder; prints every problem and exits non-zero on any.
    Check {
        #[arg(default_value = dianabot::content::DEFAULT_DIR)]
        dir: std::path::PathBuf,
    },
    /// Writes new content from a template.
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
}

#[derive(Subcommand)]
enum NewCommand {
    /// Writes `<dir>/experiences/<id>.toml` from a template, then checks the content.
    Experience {
        /// The template (`--list` shows them).
        #[arg(long, required_unless_present = "list")]
        template: Option<String>,
        /// The new experience's id (a-z, 0-9, `_`, `-`).
        #[arg(long, required_unless_present = "list")]
        id: Option<String>,
        /// The content folder.
        #[arg(long, default_value = dianabot::content::DEFAULT_DIR)]
        dir: std::path::PathBuf,
        /// Lists the templates.
        #[arg(long, conflicts_with_all = ["template", "id"])]
        list: bool,
    },
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    if let Some(Command::Content { command }) = &cli.command {
        return Ok(match command {
            ContentCommand::Check { dir } => dianabot::content::check(dir),
            ContentCommand::New {
                what: NewCommand::Experience { template: Some(template), id: Some(id), dir, list: false },
            } => dianabot::content::new::command(dir, template, id),
            // `--list` (clap requires `--template` and `--id` otherwise).
            ContentCommand::New { .. } => dianabot::content::new::list(),
        });
    }
    match cli.command {
        Some(Command::Bench(_) | Command::Report(_) | Command::Cluster { .. }) => telemetry::init_with_default("warn"),
        _ => telemetry::init(),
    }
    dianabot::run_actix(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let config = Config::from_env()?;
                App::build(config).await?.run_until_stopped().await
            }
            Command::Emulator { port } => dianabot::run_emulator(port).await,
            Command::Report(args) => report(args).await,
            Command::Bench(args) => dianabot_bench::run(*args, dianabot::bench::reply_templates()).await,
            Command::Content { .. } => unreachable!("handled before the runtime starts"),
            Command::Cluster { command: ClusterCommand::Status { shards } } => cluster_status(shards).await,
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

// cluster
async fn cluster_status(every_shard: bool) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let cluster = config.cluster.as_ref().ok_or_else(|| anyhow::anyhow!("REDIS_URL is not set: clustering is off"))?;
    print!("{}", dianabot::cluster::status(cluster, &config.database_url, every_shard).await?);
    Ok(())
}

async fn report(args: ReportArgs) -> anyhow::Result<()> {
    use dianabot::reports;
    if args.list {
        for entry in dianabot_persistence::reports::CATALOGUE {
            println!("{:<12} {}", entry.name, entry.title);
        }
        return Ok(());
    }
    let name = args.name.unwrap_or_default();
    anyhow::ensure!(
        reports::is_known(&name),
        "unknown report {name:?}; the reports are: {}",
        reports::names().collect::<Vec<_>>().join(", ")
    );
    let config = Config::from_env()?;
    let now = chrono::Utc::now().timestamp();
    let period = reports::period(args.since.as_deref(), args.until.as_deref(), now)
        .map_err(|bad| anyhow::anyhow!("--since/--until: {bad} is not a range of YYYY-MM-DD days"))?;
    let content = dianabot::content::load_dir(&config.content_dir)?;
    let store = dianabot_persistence::Store::open(&config.database_url).await?;
    let metrics = config.metrics_bind;
    let report =
        reports::run(&store, &content, &name, period, || Ok(reports::parse_metrics(&reports::fetch_metrics(metrics)?)))
            .await;
    store.close().await;
    let report = report?;
    if args.csv {
        print!("{}", report.to_csv());
    } else {
        println!("{}\n{}", report.title, reports::to_table(&report));
    }
    Ok(())
}
