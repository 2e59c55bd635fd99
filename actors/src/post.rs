//! Channel posts as actors, and REACCIONAR_CONTENIDO as an exchange between
//! a post's actor and the reacting player's.
//!
//! [`Posts`] knows every post published in a channel the bot reads (from
//! `channel_post` updates, written through to `posts` before the update is
//! acknowledged), so a reaction on anything else is refused from memory,
//! without asking the store. Each post players react to gets an actor: a
//! task with a mailbox, started on the first reaction, owning the post's
//! engagement counters.
//!
//! A reaction is three messages: the post's actor admits it (the post
//! exists; which pay table applies), the player's actor decides and pays
//! it (durable before the update is acknowledged), then the post's actor
//! counts what was paid. The post's actor writes nothing: the durable truth
//! is the `reactions` rows the player's write commits with the besitos, and
//! an actor rebuilds its counters from them when it starts — before it
//! admits anything, so no reaction is counted twice and a crash between
//! the payment and the count loses nothing. Post actors are not passivated:
//! a channel publishes a few posts a day.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dianabot_game::content::ReactionTarget;
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{Event, PostRef, UserId};
use dianabot_persistence::{Store, StoreError};
use tokio::sync::{OnceCell, mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("no such post")]
    Unknown,
    #[error("posts store: {0}")]
    Store(#[from] StoreError),
    #[error("the post's actor stopped")]
    Stopped,
}

enum Request {
    Admit { reply: oneshot::Sender<Result<ReactionTarget, PostError>> },
    Count { user: UserId, events: Vec<Event> },
    Engagement { reply: oneshot::Sender<Result<Engagement, PostError>> },
}

/// The posts published in the bot's channels, by reference. Cheap to clone.
#[derive(Clone)]
pub struct Posts {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// Loaded from the store on first use.
    known: OnceCell<Mutex<HashMap<PostRef, Slot>>>,
}

/// A published post: what it is, and its actor's mailbox once started.
struct Slot {
    post: Post,
    /// Publication order (posts are never removed, so the count so far).
    seq: usize,
    mailbox: Option<mpsc::UnboundedSender<Request>>,
}

impl Posts {
    pub fn new(store: Store) -> Posts {
        Posts { inner: Arc::new(Inner { store, known: OnceCell::new() }) }
    }

    /// Records a post published in a channel (durable when this returns);
    /// `false` if it was known already.
    pub async fn publish(&self, post: Post) -> Result<bool, PostError> {
        let known = self.known().await?;
        if lock(known).contains_key(&post.post) {
            return Ok(false);
        }
        let new = self.inner.store.insert_post(&post).await?;
        let mut known = lock(known);
        let seq = known.len();
        known.entry(post.post).or_insert(Slot { post, seq, mailbox: None });
        Ok(new)
    }

    /// The post's actor admits a reaction on it: the pay table to use.
    pub async fn admit(&self, post: PostRef) -> Result<ReactionTarget, PostError> {
        self.ask(post, |reply| Request::Admit { reply }).await?
    }

    /// The post's actor counts what `user`'s decision paid on it.
    pub async fn count(&self, post: PostRef, user: UserId, events: Vec<Event>) -> Result<(), PostError> {
        let mailbox = self.mailbox(post).await?;
        mailbox.send(Request::Count { user, events }).map_err(|_| PostError::Stopped)
    }

    pub async fn engagement(&self, post: PostRef) -> Result<Engagement, PostError> {
        self.ask(post, |reply| Request::Engagement { reply }).await?
    }

    /// The last `limit` posts published, newest first, with their
    /// engagement.
    pub async fn recent(&self, limit: usize) -> Result<Vec<(Post, Engagement)>, PostError> {
        let mut slots: Vec<(usize, Post)> =
            lock(self.known().await?).values().map(|slot| (slot.seq, slot.post.clone())).collect();
        slots.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        let posts = slots.into_iter().take(limit).map(|(_, post)| post);
        let mut recent = Vec::with_capacity(limit);
        for post in posts {
            let engagement = self.engagement(post.post).await?;
            recent.push((post, engagement));
        }
        Ok(recent)
    }

    async fn ask<T>(&self, post: PostRef, request: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T, PostError> {
        let (reply, answer) = oneshot::channel();
        self.mailbox(post).await?.send(request(reply)).map_err(|_| PostError::Stopped)?;
        answer.await.map_err(|_| PostError::Stopped)
    }

    /// The actor of a known post, started on first use.
    async fn mailbox(&self, post: PostRef) -> Result<mpsc::UnboundedSender<Request>, PostError> {
        let known = self.known().await?;
        let mut known = lock(known);
        let slot = known.get_mut(&post).ok_or(PostError::Unknown)?;
        if let Some(mailbox) = slot.mailbox.as_ref().filter(|mailbox| !mailbox.is_closed()) {
            return Ok(mailbox.clone());
        }
        let (mailbox, requests) = mpsc::unbounded_channel();
        let actor = PostActor { post: slot.post.clone(), store: self.inner.store.clone(), loaded: false };
        tokio::spawn(actor.run(requests));
        slot.mailbox = Some(mailbox.clone());
        Ok(mailbox)
    }

    async fn known(&self) -> Result<&Mutex<HashMap<PostRef, Slot>>, PostError> {
        let load = || async {
            let mut posts = self.inner.store.posts().await?;
            posts.sort_by_key(|post| (post.published_at, post.post));
            let slots = posts.into_iter().enumerate().map(|(seq, post)| (post.post, Slot { post, seq, mailbox: None }));
            Ok::<_, PostError>(Mutex::new(slots.collect()))
        };
        self.inner.known.get_or_try_init(load).await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One post and its counters.
struct PostActor {
    post: Post,
    store: Store,
    loaded: bool,
}

impl PostActor {
    async fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        while let Some(request) = requests.recv().await {
            // An actor that cannot load answers every request with the
            // error, and tries again with the next one.
            if let Err(err) = self.load().await {
                tracing::error!(post = ?self.post.post, error = %err, "loading a post's reactions failed");
                match request {
                    Request::Admit { reply } => drop(reply.send(Err(err))),
                    Request::Engagement { reply } => drop(reply.send(Err(err))),
                    // Its rows are durable: the next load counts them.
                    Request::Count { .. } => {}
                }
                continue;
            }
            match request {
                Request::Admit { reply } => drop(reply.send(Ok(self.post.target))),
                Request::Count { user, events } => self.post.count_events(user, &events),
                Request::Engagement { reply } => drop(reply.send(Ok(self.post.engagement()))),
            }
        }
    }

    async fn load(&mut self) -> Result<(), PostError> {
        if self.loaded {
            return Ok(());
        }
        for (user, besitos) in self.store.post_reactions(self.post.post).await? {
            self.post.count(user, [besitos]);
        }
        self.loaded = true;
        Ok(())
    }
}
