//! `dianabot content new experience`: writes `experiences/<id>.toml` from a
//! template, a commented skeleton an operator edits.
//!
//! Templates are embedded TOML with `{id}` where the experience id goes;
//! everything they need is defined inline (propagation) under ids derived
//! from it, so a new file is valid against the demo content as written.
//! Nothing is written unless the content with the new file passes the
//! same checks the server applies.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dianabot_game::content::{Content, MAX_ID_LEN, is_valid_id};

use super::{InvalidContent, read_files};

/// Where the experience id goes in a template.
const PLACEHOLDER: &str = "{id}";

/// One template of `content new experience`.
pub struct Template {
    pub name: &'static str,
    /// What it builds, in one line (`--list`).
    pub summary: &'static str,
    text: &'static str,
}

pub const TEMPLATES: [Template; 5] = [
    Template {
        name: "story-arc",
        summary: "a story scene unlocked by a purchase: buy, read the scene, choose, then a mission",
        text: include_str!("templates/story-arc.toml"),
    },
    Template {
        name: "collection",
        summary: "gather a set of items (bought and earned) and hold them all at once",
        text: include_str!("templates/collection.toml"),
    },
    Template {
        name: "reaction-challenge",
        summary: "react to channel posts, spend besitos and earn an achievement",
        text: include_str!("templates/reaction-challenge.toml"),
    },
    Template {
        name: "vip-journey",
        summary: "for VIP members: a VIP scene, a Stars purchase and a closing experience step",
        text: include_str!("templates/vip-journey.toml"),
    },
    Template {
        name: "timed-challenge",
        summary: "a challenge to finish within a time limit (time_limit_hours), repeatable",
        text: include_str!("templates/timed-challenge.toml"),
    },
];

/// Why `content new experience` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("unknown template `{0}`; known templates: {known}", known = names())]
    UnknownTemplate(String),
    #[error(
        "invalid id `{id}`: use 1 to {max} characters among a-z, 0-9, `_` and `-` (template `{template}` adds a \
         suffix to it for the ids it derives)"
    )]
    InvalidId { id: String, max: usize, template: &'static str },
    #[error("{} already exists; choose another id or edit that file", .0.display())]
    FileExists(PathBuf),
    #[error("experience `{0}` already exists in the content; choose another id")]
    ExperienceExists(String),
    #[error("the content is not valid yet; fix it first (`dianabot content check`):\n{0}")]
    ContentInvalid(InvalidContent),
    #[error("the new experience does not fit this content, nothing written:\n{0}")]
    DoesNotFit(InvalidContent),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

fn names() -> String {
    TEMPLATES.iter().map(|template| template.name).collect::<Vec<_>>().join(", ")
}

impl Template {
    pub fn find(name: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|template| template.name == name)
    }

    /// The longest experience id this template accepts: the ids it derives
    /// (`{id}-suffix`) must stay within [`MAX_ID_LEN`].
    pub fn max_id_len(&self) -> usize {
        let longest_suffix = self
            .text
            .match_indices(PLACEHOLDER)
            .map(|(at, _)| {
                let rest = &self.text[at + PLACEHOLDER.len()..];
                rest.chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
                    .count()
            })
            .max()
            .unwrap_or(0);
        MAX_ID_LEN - longest_suffix
    }

    /// The template with `id` in place.
    pub fn render(&self, id: &str) -> String {
        self.text.replace(PLACEHOLDER, id)
    }
}

/// Writes `<dir>/experiences/<id>.toml` from `template` once the content
/// with it is valid; returns the path written.
pub fn new_experience(dir: &Path, template: &str, id: &str) -> Result<PathBuf, NewError> {
    let template = Template::find(template).ok_or_else(|| NewError::UnknownTemplate(template.to_owned()))?;
    let max = template.max_id_len();
    if !is_valid_id(id) || id.len() > max {
        return Err(NewError::InvalidId { id: id.to_owned(), max, template: template.name });
    }
    let relative = format!("experiences/{id}.toml");
    let path = dir.join(&relative);
    if path.exists() {
        return Err(NewError::FileExists(path));
    }
    let mut files = read_files(dir)?;
    let invalid = |problems| InvalidContent { dir: dir.to_owned(), problems };
    let content = Content::parse(&files).map_err(|problems| NewError::ContentInvalid(invalid(problems)))?;
    if content.experience(id).is_some() {
        return Err(NewError::ExperienceExists(id.to_owned()));
    }
    let text = template.render(id);
    files.push((relative, text.clone()));
    Content::parse(&files).map_err(|problems| NewError::DoesNotFit(invalid(problems)))?;
    let folder = dir.join("experiences");
    std::fs::create_dir_all(&folder).map_err(|error| anyhow::anyhow!("cannot create {}: {error}", folder.display()))?;
    std::fs::write(&path, text).map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
    Ok(path)
}

/// `dianabot content new experience --list`.
pub fn list() -> ExitCode {
    println!("experience templates (dianabot content new experience --template <name> --id <id>):");
    for template in &TEMPLATES {
        println!("  {:<20} {}", template.name, template.summary);
    }
    ExitCode::SUCCESS
}

/// `dianabot content new experience --template <name> --id <id>`: writes
/// the file, then checks the whole folder and says what comes next.
pub fn command(dir: &Path, template: &str, id: &str) -> ExitCode {
    match new_experience(dir, template, id) {
        Ok(path) => {
            println!("wrote {} from template `{template}`", path.display());
            let checked = super::check(dir);
            println!(
                "next: edit the names, descriptions and texts (es and en) and the rewards in {}, run `dianabot \
                 content check {}`, then reload the content (`/reload` or SIGHUP) to offer it to players",
                path.display(),
                dir.display()
            );
            checked
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
