//! Text variables in fragment texts, rendered per player:
//!
//! - `{{name}}`: the player's first name;
//! - `{{count:<counter>}}`: one of [`super::COUNTERS`] (e.g. `decisions`);
//! - `{{if:<flag>|<text if set>|<text if not>}}`: a sentence that depends on
//!   a story flag (the second text may be left out).
//!
//! Double braces appear in no story text otherwise, and a branch is plain
//! text (no variables inside), so a typo is found when the content is read.

use crate::state::UserState;

/// A piece of a text: literal, or a variable to fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'t> {
    Literal(&'t str),
    Name,
    Counter(&'t str),
    IfFlag { flag: &'t str, then: &'t str, otherwise: &'t str },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`{{{{` without its closing `}}}}`")]
    Unclosed,
    #[error("unknown variable `{0}`; expected name, count:<counter> or if:<flag>|<text>|<text>")]
    UnknownVariable(String),
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

/// Splits `text` into literals and variables.
pub fn parse(text: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        if start > 0 {
            segments.push(Segment::Literal(&rest[..start]));
        }
        let body_and_after = &rest[start + OPEN.len()..];
        let end = body_and_after.find(CLOSE).ok_or(TemplateError::Unclosed)?;
        let body = &body_and_after[..end];
        if body.contains(OPEN) {
            return Err(TemplateError::Unclosed);
        }
        segments.push(variable(body)?);
        rest = &body_and_after[end + CLOSE.len()..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest));
    }
    Ok(segments)
}

fn variable(body: &str) -> Result<Segment<'_>, TemplateError> {
    let unknown = || TemplateError::UnknownVariable(body.to_owned());
    if body.trim() == "name" {
        return Ok(Segment::Name);
    }
    if let Some(counter) = body.strip_prefix("count:") {
        return Ok(Segment::Counter(counter.trim()));
    }
    if let Some(rest) = body.strip_prefix("if:") {
        let mut parts = rest.splitn(3, '|');
        let (Some(flag), Some(then)) = (parts.next(), parts.next()) else { return Err(unknown()) };
        let otherwise = parts.next().unwrap_or("");
        if otherwise.contains('|') {
            return Err(unknown());
        }
        return Ok(Segment::IfFlag { flag: flag.trim(), then, otherwise });
    }
    Err(unknown())
}

/// `text` for `reader` (`None`: anyone, e.g. a channel teaser — names and
/// counters show as `…`, a flag as not set), with literals and values
/// passed through `escape` (player names are hostile text). A text that
/// does not parse (never the case for a validated content) is shown as
/// written.
pub fn render(text: &str, reader: Option<&UserState>, escape: impl Fn(&str) -> String) -> String {
    let Ok(segments) = parse(text) else { return escape(text) };
    let mut out = String::with_capacity(text.len());
    for segment in segments {
        let value = match (segment, reader) {
            (Segment::Literal(literal), _) => escape(literal),
            (Segment::Name | Segment::Counter(_), None) => "…".to_owned(),
            (Segment::Name, Some(state)) => escape(state.profile.as_ref().map_or("", |p| p.first_name.as_str())),
            (Segment::Counter(counter), Some(state)) => {
                state.progress.counters.get(counter).copied().unwrap_or(0).to_string()
            }
            (Segment::IfFlag { flag, then, otherwise }, reader) => {
                let set = reader.is_some_and(|state| state.progress.story.flags.contains(flag));
                escape(if set { then } else { otherwise })
            }
        };
        out.push_str(&value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_variable_and_refuses_mistakes() {
        let parsed = parse("Hola {{name}}: {{count:decisions}} {{if:f|sí|no}}{{if:g|solo}}.").unwrap();
        assert_eq!(
            parsed,
            [
                Segment::Literal("Hola "),
                Segment::Name,
                Segment::Literal(": "),
                Segment::Counter("decisions"),
                Segment::Literal(" "),
                Segment::IfFlag { flag: "f", then: "sí", otherwise: "no" },
                Segment::IfFlag { flag: "g", then: "solo", otherwise: "" },
                Segment::Literal("."),
            ]
        );
        assert_eq!(parse("no variables { } }}"), Ok(vec![Segment::Literal("no variables { } }}")]));
        assert_eq!(parse("a {{name"), Err(TemplateError::Unclosed));
        assert_eq!(parse("a {{if:f|{{name}}|x}}"), Err(TemplateError::Unclosed));
        assert_eq!(parse("{{nombre}}"), Err(TemplateError::UnknownVariable("nombre".into())));
        assert_eq!(parse("{{if:f}}"), Err(TemplateError::UnknownVariable("if:f".into())));
        assert_eq!(parse("{{if:f|a|b|c}}"), Err(TemplateError::UnknownVariable("if:f|a|b|c".into())));
    }
}
