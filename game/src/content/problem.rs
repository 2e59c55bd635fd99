//! What `content check` reports.

use std::fmt;

/// The kind of entity a reference points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Fragment,
    Decision,
    Item,
    Achievement,
    Mission,
    ShopItem,
    /// A shelf of the shop (`[[category]]`).
    Category,
    Experience,
    /// A component inside the same experience (`after = [...]`).
    Component,
    /// A lore piece of `lore.toml`.
    LorePiece,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Fragment => "fragment",
            Entity::Decision => "decision",
            Entity::Item => "item",
            Entity::Achievement => "achievement",
            Entity::Mission => "mission",
            Entity::ShopItem => "shop item",
            Entity::Category => "shop category",
            Entity::Experience => "experience",
            Entity::Component => "component",
            Entity::LorePiece => "lore piece",
        }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One kind per mistake an operator can make, so tests (and tools) can match
/// on the kind instead of on message wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The file is not valid TOML.
    Syntax,
    /// A `.toml` file whose name does not say what it holds.
    UnknownFile,
    /// A file every content set needs (`levels.toml`, a level-1 story).
    MissingFile,
    /// A key the format does not define (often a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value has the wrong TOML type.
    WrongType,
    /// A value has the right type but is out of range or not one of the
    /// allowed words.
    InvalidValue,
    /// An id that is empty, too long or uses characters outside `[a-z0-9_-]`.
    InvalidId,
    /// Two entities of the same kind share an id.
    DuplicateId,
    /// A reference to an entity that does not exist.
    UnknownReference(Entity),
    /// A text lacks its Spanish or English version.
    MissingTranslation,
    /// A requirement (or cost) that is malformed: unknown kind, negative
    /// besitos, level out of range, contradictory flags…
    InvalidRequirement,
    /// A reward that is malformed: negative or zero amounts, unknown kind…
    InvalidReward,
    /// `levels.toml` does not define levels 1 to 6 with rising thresholds.
    InvalidLevels,
    /// The level-1 story has no valid `start` fragment.
    MissingStart,
    /// No path of decisions leads from the start to this fragment.
    Unreachable,
    /// A fragment without decisions that is not an ending.
    DeadEnd,
    /// A group of fragments a player can enter but never leave, with no
    /// ending inside.
    TrapCycle,
    /// A text uses a variable the server does not pass it.
    UnknownVariable,
    /// A decision leads from a free level into a VIP level without
    /// requiring VIP.
    VipLeak,
    /// A secret fragment is the target of a decision without requirements.
    UngatedSecret,
    /// A requirement asks for a flag, item or achievement that nothing in
    /// the content grants, so no player can ever meet it.
    Unobtainable,
    /// The components of an experience depend on each other in a cycle.
    ExperienceCycle,
}

/// One problem found in a content set, located as precisely as the source
/// allows: the file, the dotted key path of the offending value (with ids in
/// place of array indices where there is one, e.g.
/// `fragment.l1_umbral.decision.entrar.to`) and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentProblem {
    pub kind: ProblemKind,
    /// The path as given to [`crate::content::Content::parse`].
    pub file: String,
    pub key_path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// `file:line: key: message`, the shape editors and CI logs link to.
impl fmt::Display for ContentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}
