//! Content files on disk: loading a content folder (the TOML files and the
//! Fluent texts in `texts/`), and the `dianabot content check [DIR]` and
//! `dianabot content new experience` ([`new`]) commands.
//!
//! Parsing and validation are pure and live in `dianabot_game::content` and
//! `crate::texts`; this module only finds and reads the files, and formats
//! problems the way editors and CI logs link to: `path:line: key: message`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use dianabot_game::content::{Content, ContentProblem};

use crate::texts::{self, Texts};

pub mod new;

/// The content folder used when none is configured.
pub const DEFAULT_DIR: &str = "content";

/// A content folder that failed validation: every problem, not just the
/// first, so the operator can fix them in one pass.
#[derive(Debug, thiserror::Error)]
pub struct InvalidContent {
    pub dir: PathBuf,
    pub problems: Vec<ContentProblem>,
}

impl fmt::Display for InvalidContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "invalid content in {} ({count} {noun}):", self.dir.display())?;
        for problem in &self.problems {
            write!(f, "\n  {}", located(&self.dir, problem))?;
        }
        Ok(())
    }
}

/// The problem with its file shown relative to the current directory
/// (`content/story/level-1.toml:12: …`) rather than to the content folder.
fn located(dir: &Path, problem: &ContentProblem) -> String {
    let mut problem = problem.clone();
    if !problem.file.is_empty() {
        problem.file = dir.join(&problem.file).display().to_string();
    }
    problem.to_string()
}

/// Reads every `.toml` file under `dir` (recursively, skipping hidden
/// entries) as `(path relative to dir with '/' separators, text)`, sorted.
pub fn read_files(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> anyhow::Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read content folder {}", dir.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
            let hidden = path.file_name().and_then(|name| name.to_str()).is_none_or(|name| name.starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let relative: Vec<String> =
                    relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
                out.push((relative.join("/"), text));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// Loads and validates the content folder `dir`. On invalid content the
/// error is an [`InvalidContent`] listing every problem, which is what the
/// server prints when it refuses to start.
pub fn load_dir(dir: &Path) -> anyhow::Result<Content> {
    let files = read_files(dir)?;
    Content::parse(&files).map_err(|problems| InvalidContent { dir: dir.to_owned(), problems }.into())
}

/// Reads the Fluent files of `dir/texts` as `(texts/<name>.ftl, source)`.
fn read_texts(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let folder = dir.join(texts::DIR);
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(&folder) else { return Ok(files) };
    for entry in entries {
        let path = entry.with_context(|| format!("cannot list {}", folder.display()))?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else { continue };
        if name.ends_with(".ftl") && !name.starts_with('.') {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            files.push((format!("{}/{name}", texts::DIR), text));
        }
    }
    files.sort();
    Ok(files)
}

/// Loads and checks the content folder `dir` with its texts; every problem
/// of both is listed in one [`InvalidContent`].
pub fn load(dir: &Path) -> anyhow::Result<(Content, Texts)> {
    let content = Content::parse(&read_files(dir)?);
    let texts = Texts::parse(&read_texts(dir)?);
    match (content, texts) {
        (Ok(content), Ok(texts)) => Ok((content, texts)),
        (content, texts) => {
            let mut problems = content.err().unwrap_or_default();
            problems.extend(texts.err().unwrap_or_default());
            Err(InvalidContent { dir: dir.to_owned(), problems }.into())
        }
    }
}

/// Hot reload: where the live content comes from and where it goes.
#[derive(Clone)]
pub struct Reloader {
    pub dir: PathBuf,
    pub router: dianabot_actors::Router,
    /// Its roles count from the reload on.
    pub operators: std::sync::Arc<crate::operators::Roster>,
    /// Operators' flag overrides, applied over every content read.
    pub flags: std::sync::Arc<crate::flags::LiveFlags>,
    // cluster-changes
    /// Where this node announces its reloads and flag changes to the
    /// others; `None` without clustering.
    pub notices: Option<dianabot_cluster::ChangeNotices>,
}

/// A reload that took: the content now live, and the stored flag
/// overrides it ignored (their flag is gone from `flags.toml`).
#[derive(Debug, Clone)]
pub struct Reloaded {
    pub content: std::sync::Arc<Content>,
    pub ignored_overrides: Vec<String>,
}

impl Reloader {
    /// Reads and validates the folder again; only valid content and texts
    /// replace the live ones, with the operators' flag overrides applied.
    /// Returns the new content, or every problem found.
    /// In a cluster, the other nodes are told to reload theirs.
    pub async fn reload(&self) -> anyhow::Result<Reloaded> {
        let reloaded = self.reload_files().await?;
        self.announce(dianabot_cluster::Change::Content).await;
        Ok(reloaded)
    }

    /// [`Reloader::reload`] without telling anybody: what a node told of
    /// another's reload does.
    pub async fn reload_files(&self) -> anyhow::Result<Reloaded> {
        let dir = self.dir.clone();
        let _one_at_a_time = self.flags.changing.lock().await;
        let loaded = tokio::task::spawn_blocking(move || load(&dir)).await.context("content reload task")?;
        match loaded {
            Ok((content, texts)) => {
                let (content, ignored_overrides) = self.flags.apply(&content);
                let content = std::sync::Arc::new(content);
                self.install(content.clone());
                texts::install(std::sync::Arc::new(texts), content.clone());
                tracing::info!(dir = %self.dir.display(), fragments = content.fragments().count(), "content reloaded");
                Ok(Reloaded { content, ignored_overrides })
            }
            Err(error) => {
                tracing::error!(dir = %self.dir.display(), %error, "content reload refused; the previous content stays");
                Err(error)
            }
        }
    }

    /// Sets flag `name`'s rollout (hundredths of a percent) live, or puts
    /// the content's back (`None`): refused for a flag the live content
    /// does not define (but a reset clears a stored override of a flag the
    /// content dropped). Durable before it is live: the override is
    /// committed, then the content with it installed; a store failure
    /// changes nothing.
    pub async fn set_flag(
        &self,
        operator: dianabot_game::UserId,
        name: &str,
        rollout: Option<u32>,
    ) -> Result<Result<crate::flags::FlagChange, dianabot_game::RuleError>, dianabot_persistence::StoreError> {
        let _one_at_a_time = self.flags.changing.lock().await;
        let live = self.router.content();
        let changed = match live.with_flag_rollout(name, rollout) {
            Ok(changed) => changed,
            Err(dianabot_game::RuleError::UnknownFlag(_)) if rollout.is_none() && self.flags.get(name).is_some() => {
                let stored = self.flags.get(name).map_or(0, |row| row.rollout);
                self.flags.remove(name).await?;
                self.announce(dianabot_cluster::Change::Flags).await;
                let change = crate::flags::FlagChange {
                    flag: name.to_owned(),
                    before: stored,
                    after: 0,
                    content: 0,
                    reset: true,
                };
                return Ok(Ok(change));
            }
            Err(refusal) => return Ok(Err(refusal)),
        };
        let in_force = |content: &Content| content.flags().get(name).map_or(0, |flag| flag.rollout);
        let change = crate::flags::FlagChange {
            flag: name.to_owned(),
            before: in_force(&live),
            after: in_force(&changed),
            content: live.flag_as_read(name).map_or(0, |flag| flag.rollout),
            reset: rollout.is_none(),
        };
        match rollout {
            Some(rollout) => {
                let set_at = self.router.clock().now();
                let row =
                    dianabot_game::flags::FlagOverride { flag: name.to_owned(), rollout, set_by: operator, set_at };
                self.flags.put(row).await?;
            }
            None => {
                self.flags.remove(name).await?;
            }
        }
        self.install_flags();
        self.announce(dianabot_cluster::Change::Flags).await;
        tracing::info!(%operator, flag = name, before = change.before, after = change.after, "flag rollout changed");
        Ok(Ok(change))
    }

    // cluster-changes
    /// Another node changed the flag overrides: the stored ones are held
    /// and installed like a local change ([`Reloader::set_flag`]).
    pub async fn reread_flags(&self) -> Result<(), dianabot_persistence::StoreError> {
        let _one_at_a_time = self.flags.changing.lock().await;
        if self.flags.reread().await? {
            self.install_flags();
            tracing::info!("flag overrides changed on another node installed");
        }
        Ok(())
    }

    /// Installs the live content with exactly the held overrides over the
    /// files' flags: how both a local change and another node's go live.
    /// Call with `flags.changing` held.
    fn install_flags(&self) {
        let live = self.router.content();
        let held = self.flags.overrides();
        let mut content = (*live).clone();
        // A flag whose override went: back to the files' rollout.
        for (name, flag) in &live.flags().0 {
            let overridden = held.iter().any(|row| &row.flag == name);
            let as_read = live.flag_as_read(name).map(|read| read.rollout);
            if !overridden
                && as_read.is_some_and(|rollout| rollout != flag.rollout)
                && let Ok(reset) = content.with_flag_rollout(name, None)
            {
                content = reset;
            }
        }
        let (content, _ignored) = content.with_overrides(held.iter().map(|row| (row.flag.as_str(), row.rollout)));
        self.install(std::sync::Arc::new(content));
    }

    /// Tells the other nodes of a cluster that `change` is durable here.
    async fn announce(&self, change: dianabot_cluster::Change) {
        if let Some(notices) = &self.notices {
            notices.publish(change).await;
        }
    }

    /// Makes `content` the one actors decide with and roles are read from.
    fn install(&self, content: std::sync::Arc<Content>) {
        self.router.replace_content(content.clone());
        self.operators.set_content(content);
    }
}

/// The demo content shipped in the source tree (tests and benchmarks).
pub fn load_demo() -> anyhow::Result<Content> {
    load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content")))
}

/// `dianabot content check [DIR]`: prints every problem of the content and
/// its texts (or a summary of valid content) and exits non-zero when the
/// content is invalid or unreadable.
pub fn check(dir: &Path) -> ExitCode {
    match load(dir) {
        Ok((content, _)) => {
            let fragments = content.fragments().count();
            let endings = content.fragments().filter(|fragment| fragment.ending).count();
            let secrets = content.fragments().filter(|fragment| fragment.secret).count();
            println!(
                "{}: content is valid: {fragments} fragments ({endings} endings, {secrets} secrets), {} items, {} \
                 achievements, {} missions, {} shop items, {} experiences, {} operator roles; texts in es and en",
                dir.display(),
                content.items().count(),
                content.achievements().count(),
                content.missions().count(),
                content.shop_items().count(),
                content.experiences().count(),
                content.roles().count(),
            );
            ExitCode::SUCCESS
        }
        Err(error) => match error.downcast_ref::<InvalidContent>() {
            Some(invalid) => {
                for problem in &invalid.problems {
                    eprintln!("{}", located(&invalid.dir, problem));
                }
                let count = invalid.problems.len();
                eprintln!("{}: {count} content problem{}", dir.display(), if count == 1 { "" } else { "s" });
                ExitCode::FAILURE
            }
            None => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}
