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
//!
//! Clustering ([`Posts::placed`]): a post's actor runs on the node serving
//! the shard of its name ([`post_shard_name`]), and so does the set of
//! posts that node knows; the other nodes reach it through [`RemotePosts`]
//! (the bus), which runs [`Posts::serve`] there. No answer is a transient
//! failure, never "no such post".

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dianabot_game::content::ReactionTarget;
use dianabot_game::post::{Engagement, Post};
use dianabot_game::{Event, PostRef, UserId};
use dianabot_persistence::{Store, StoreError};
use dianabot_plumbing::shards::Ownership;
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("no such post")]
    Unknown,
    #[error("posts store: {0}")]
    Store(#[from] StoreError),
    #[error("the post's actor stopped")]
    Stopped,
    // cluster-posts
    /// The node running the post's actor did not answer (or failed).
    #[error("the node serving the post's shard did not answer: {0}")]
    Unreachable(String),
    /// The post's shard was handed over while it was being published here.
    #[error("the post's shard moved to another node")]
    Moved,
}

// cluster-posts
/// The name a post's actor is placed by
/// ([`Ownership::shard_of_name`]): its chat and message, fixed forever.
pub fn post_shard_name(post: PostRef) -> String {
    format!("post:{}:{}", post.chat_id, post.message_id)
}

/// A request for a post's actor, carried to the node serving its shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PostCall {
    Publish { post: PostRef, target: ReactionTarget, published_at: i64, excerpt: String },
    Admit(PostRef),
    Count { post: PostRef, user: UserId, events: Vec<Event> },
    Engagement(PostRef),
}

/// The answer of the post's node to a [`PostCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PostAnswer {
    /// Whether the post was new.
    Published(bool),
    Admitted(ReactionTarget),
    Counted,
    Engagement(Engagement),
    /// No such post: the bot never saw it published.
    Unknown,
}

/// Carries a [`PostCall`] to the node serving `shard` (clustering), which
/// runs [`Posts::serve`]. The binary implements it over the bus; no answer
/// is [`PostError::Unreachable`].
pub trait RemotePosts: Send + Sync + 'static {
    fn call(
        &self,
        shard: u32,
        call: PostCall,
    ) -> Pin<Box<dyn Future<Output = Result<PostAnswer, PostError>> + Send + '_>>;
}

/// Where posts' actors run in a cluster.
struct Placement {
    ownership: Arc<Ownership>,
    remote: Arc<dyn RemotePosts>,
}

impl Placement {
    fn shard_of(&self, post: PostRef) -> u32 {
        self.ownership.shard_of_name(&post_shard_name(post))
    }
}

fn unexpected(answer: PostAnswer) -> PostError {
    PostError::Unreachable(format!("unexpected answer {answer:?}"))
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
    // cluster-posts
    /// Set when this node is about to serve more shards: the posts their
    /// former owner published are read again before the next answer.
    stale: AtomicBool,
    /// `None` without clustering: every post's actor runs here.
    placement: Option<Placement>,
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
        Posts::with_placement(store, None)
    }

    // cluster-posts
    /// Posts of a cluster: a post's actor runs on the node serving its
    /// shard; requests for the others go through `remote`.
    pub fn placed(store: Store, ownership: Arc<Ownership>, remote: Arc<dyn RemotePosts>) -> Posts {
        Posts::with_placement(store, Some(Placement { ownership, remote }))
    }

    fn with_placement(store: Store, placement: Option<Placement>) -> Posts {
        let inner = Inner { store, known: OnceCell::new(), stale: AtomicBool::new(false), placement };
        Posts { inner: Arc::new(inner) }
    }

    /// The shard of `post`'s actor and the way there, when another node runs it.
    fn elsewhere(&self, post: PostRef) -> Option<(u32, &dyn RemotePosts)> {
        let placement = self.inner.placement.as_ref()?;
        let shard = placement.shard_of(post);
        (!placement.ownership.owns(shard)).then_some((shard, placement.remote.as_ref()))
    }

    /// Records a post published in a channel (durable when this returns);
    /// `false` if it was known already.
    pub async fn publish(&self, post: Post) -> Result<bool, PostError> {
        let Some((shard, remote)) = self.elsewhere(post.post) else { return self.publish_here(post).await };
        let call = PostCall::Publish {
            post: post.post,
            target: post.target,
            published_at: post.published_at,
            excerpt: post.excerpt,
        };
        match remote.call(shard, call).await? {
            PostAnswer::Published(new) => Ok(new),
            other => Err(unexpected(other)),
        }
    }

    /// The post's actor admits a reaction on it: the pay table to use.
    pub async fn admit(&self, post: PostRef) -> Result<ReactionTarget, PostError> {
        let Some((shard, remote)) = self.elsewhere(post) else { return self.admit_here(post).await };
        match remote.call(shard, PostCall::Admit(post)).await? {
            PostAnswer::Admitted(target) => Ok(target),
            PostAnswer::Unknown => Err(PostError::Unknown),
            other => Err(unexpected(other)),
        }
    }

    /// The post's actor counts what `user`'s decision paid on it.
    ///
    /// Here it is a message, not waited on. On another node it is a call
    /// waited on: the reaction is then counted before the update is
    /// acknowledged, so the operators' screen read after it shows it. A
    /// count that fails is only logged by the caller — the payment is
    /// durable, and Telegram's delivering the update again would meet a
    /// duplicate that pays and counts nothing — and the actor's next
    /// start (the shard moving, a restart) counts it from the store.
    pub async fn count(&self, post: PostRef, user: UserId, events: Vec<Event>) -> Result<(), PostError> {
        let Some((shard, remote)) = self.elsewhere(post) else { return self.count_here(post, user, events).await };
        match remote.call(shard, PostCall::Count { post, user, events }).await? {
            PostAnswer::Counted => Ok(()),
            PostAnswer::Unknown => Err(PostError::Unknown),
            other => Err(unexpected(other)),
        }
    }

    pub async fn engagement(&self, post: PostRef) -> Result<Engagement, PostError> {
        let Some((shard, remote)) = self.elsewhere(post) else { return self.engagement_here(post).await };
        match remote.call(shard, PostCall::Engagement(post)).await? {
            PostAnswer::Engagement(engagement) => Ok(engagement),
            PostAnswer::Unknown => Err(PostError::Unknown),
            other => Err(unexpected(other)),
        }
    }

    /// The last `limit` posts published, newest first, with their
    /// engagement.
    pub async fn recent(&self, limit: usize) -> Result<Vec<(Post, Engagement)>, PostError> {
        let posts: Vec<Post> = match &self.inner.placement {
            None => {
                let mut slots: Vec<(usize, Post)> =
                    lock(self.known().await?).values().map(|slot| (slot.seq, slot.post.clone())).collect();
                slots.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
                slots.into_iter().take(limit).map(|(_, post)| post).collect()
            }
            // A node knows the posts of its own shards; the store, all of them.
            Some(_) => {
                let mut posts = self.inner.store.posts().await?;
                posts.sort_by_key(|post| std::cmp::Reverse((post.published_at, post.post)));
                posts.truncate(limit);
                posts
            }
        };
        let mut recent = Vec::with_capacity(posts.len());
        for post in posts {
            let engagement = self.engagement(post.post).await?;
            recent.push((post, engagement));
        }
        Ok(recent)
    }

    // cluster-posts
    /// Runs `call` on this node's posts and actors: what a call carried
    /// here by the bus does. A post this node does not know is
    /// [`PostAnswer::Unknown`]; any other error is the caller's transient one.
    pub async fn serve(&self, call: PostCall) -> Result<PostAnswer, PostError> {
        let answer = match call {
            PostCall::Publish { post, target, published_at, excerpt } => {
                self.publish_here(Post::new(post, target, published_at, &excerpt)).await.map(PostAnswer::Published)
            }
            PostCall::Admit(post) => self.admit_here(post).await.map(PostAnswer::Admitted),
            PostCall::Count { post, user, events } => {
                self.count_here(post, user, events).await.map(|()| PostAnswer::Counted)
            }
            PostCall::Engagement(post) => self.engagement_here(post).await.map(PostAnswer::Engagement),
        };
        match answer {
            Err(PostError::Unknown) => Ok(PostAnswer::Unknown),
            answer => answer,
        }
    }

    /// This node no longer serves `shards`: the actors of the posts placed
    /// on them stop (their counters are rebuilt from the store wherever
    /// they start next).
    pub fn forget_shards(&self, shards: &HashSet<u32>) {
        let (Some(placement), Some(known)) = (&self.inner.placement, self.inner.known.get()) else { return };
        for slot in lock(known).values_mut() {
            if shards.contains(&placement.shard_of(slot.post.post)) {
                slot.mailbox = None;
            }
        }
    }

    /// This node is about to serve more shards: the posts it knows are read
    /// again from the store before the next answer, so a post their former
    /// owner published is known here.
    pub fn reread_known(&self) {
        self.inner.stale.store(true, Ordering::Release);
    }

    async fn publish_here(&self, post: Post) -> Result<bool, PostError> {
        let known = self.known().await?;
        if lock(known).contains_key(&post.post) {
            return Ok(false);
        }
        let new = self.inner.store.insert_post(&post).await?;
        // Handed over meanwhile: the next owner may have read the posts
        // before this one was stored. Not answered, so the update comes
        // again and reaches that owner.
        if let Some(placement) = &self.inner.placement
            && !placement.ownership.owns(placement.shard_of(post.post))
        {
            return Err(PostError::Moved);
        }
        let mut known = lock(known);
        let seq = known.len();
        known.entry(post.post).or_insert(Slot { post, seq, mailbox: None });
        Ok(new)
    }

    async fn admit_here(&self, post: PostRef) -> Result<ReactionTarget, PostError> {
        self.ask(post, |reply| Request::Admit { reply }).await?
    }

    async fn count_here(&self, post: PostRef, user: UserId, events: Vec<Event>) -> Result<(), PostError> {
        let mailbox = self.mailbox(post).await?;
        mailbox.send(Request::Count { user, events }).map_err(|_| PostError::Stopped)
    }

    async fn engagement_here(&self, post: PostRef) -> Result<Engagement, PostError> {
        self.ask(post, |reply| Request::Engagement { reply }).await?
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
        let known = self.inner.known.get_or_try_init(load).await?;
        if self.inner.stale.load(Ordering::Acquire) && self.inner.stale.swap(false, Ordering::AcqRel) {
            let stored = match self.inner.store.posts().await {
                Ok(stored) => stored,
                Err(err) => {
                    self.inner.stale.store(true, Ordering::Release);
                    return Err(err.into());
                }
            };
            let mut known = lock(known);
            for post in stored {
                let seq = known.len();
                known.entry(post.post).or_insert(Slot { post, seq, mailbox: None });
            }
        }
        Ok(known)
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
            let loaded_now = match self.load().await {
                Ok(loaded_now) => loaded_now,
                Err(err) => {
                    tracing::error!(post = ?self.post.post, error = %err, "loading a post's reactions failed");
                    match request {
                        Request::Admit { reply } => drop(reply.send(Err(err))),
                        Request::Engagement { reply } => drop(reply.send(Err(err))),
                        // Its rows are durable: the next load counts them.
                        Request::Count { .. } => {}
                    }
                    continue;
                }
            };
            match request {
                Request::Admit { reply } => drop(reply.send(Ok(self.post.target))),
                // A payment is committed before its count is sent, so rows
                // loaded for this very count hold it already (the actor
                // started after the admission: restarted, or its shard moved).
                Request::Count { .. } if loaded_now => {}
                Request::Count { user, events } => self.post.count_events(user, &events),
                Request::Engagement { reply } => drop(reply.send(Ok(self.post.engagement()))),
            }
        }
    }

    /// Counts the post's durable reactions once; whether it did just now.
    async fn load(&mut self) -> Result<bool, PostError> {
        if self.loaded {
            return Ok(false);
        }
        for (user, besitos) in self.store.post_reactions(self.post.post).await? {
            self.post.count(user, [besitos]);
        }
        self.loaded = true;
        Ok(true)
    }
}
