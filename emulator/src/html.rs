//! Telegram-style `parse_mode=HTML`: turns marked-up text into plain text plus
//! message entities, the way the real Bot API does before storing a message.
//!
//! Parsing here (rather than storing the raw markup) matters for two reasons: a bot
//! that forgets to escape `<` gets the same `can't parse entities` 400 it would get
//! from Telegram, and the `text` a bot reads back (in an edited message or a
//! callback query) is the plain text Telegram would return. Offsets and lengths
//! are in UTF-16 code units, as in the Bot API.

use serde_json::{Value, json};

/// The result of parsing: plain text and its entities (Bot API `MessageEntity`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub text: String,
    pub entities: Vec<Value>,
}

struct Open {
    tag: String,
    kind: &'static str,
    start: usize,
    extra: Option<(&'static str, String)>,
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Maps an HTML tag (lower-cased) to the entity type it produces.
fn entity_kind(tag: &str, attrs: &str) -> Option<&'static str> {
    Some(match tag {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "code" => "code",
        "pre" => "pre",
        "a" => "text_link",
        "tg-spoiler" => "spoiler",
        "span" if attrs.contains("tg-spoiler") => "spoiler",
        "blockquote" if attrs.contains("expandable") => "expandable_blockquote",
        "blockquote" => "blockquote",
        "tg-emoji" => "custom_emoji",
        _ => return None,
    })
}

/// Reads `name="value"` (or single-quoted, or bare) from a tag's attribute text.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(pos) = rest.find(name) {
        let after = rest[pos + name.len()..].trim_start();
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let (quote, body) = match value.chars().next() {
                Some(q @ ('"' | '\'')) => (Some(q), &value[1..]),
                _ => (None, value),
            };
            let end = match quote {
                Some(q) => body.find(q).unwrap_or(body.len()),
                None => body.find(char::is_whitespace).unwrap_or(body.len()),
            };
            return Some(decode_entities(&body[..end]));
        }
        rest = &rest[pos + name.len()..];
    }
    None
}

/// Decodes the HTML entities Telegram accepts; unknown ones stay literal.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let ch = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|d| d.parse().ok())
                    };
                    code.and_then(char::from_u32)
                }
            };
            ch.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn cant_parse(msg: String) -> String {
    format!("can't parse entities: {msg}")
}

/// Parses Telegram HTML. The error text is what follows `Bad Request: `.
pub fn parse_html(input: &str) -> Result<Parsed, String> {
    let mut text = String::new();
    let mut entities: Vec<(usize, Value)> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut pos = 0;
    let mut utf16_pos = 0usize;
    let bytes = input.as_bytes();
    while pos < input.len() {
        let Some(lt) = input[pos..].find('<').map(|i| i + pos) else {
            let chunk = decode_entities(&input[pos..]);
            text.push_str(&chunk);
            break;
        };
        if lt > pos {
            let chunk = decode_entities(&input[pos..lt]);
            utf16_pos += utf16_len(&chunk);
            text.push_str(&chunk);
        }
        let Some(gt) = input[lt..].find('>').map(|i| i + lt) else {
            return Err(cant_parse(format!("Unclosed start tag at byte offset {lt}")));
        };
        let inner = &input[lt + 1..gt];
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(open) if open.tag == name => {
                    let length = utf16_pos - open.start;
                    if length > 0 && !open.kind.is_empty() {
                        let mut entity = json!({"type": open.kind, "offset": open.start, "length": length});
                        if let Some((key, value)) = open.extra {
                            entity[key] = Value::String(value);
                        }
                        entities.push((open.start, entity));
                    }
                }
                Some(open) => {
                    return Err(cant_parse(format!("Can't find end tag corresponding to start tag \"{}\"", open.tag)));
                }
                None => {
                    return Err(cant_parse(format!("Unexpected end tag at byte offset {lt}")));
                }
            }
        } else {
            let inner = inner.trim_end_matches('/');
            let (name, attrs) = match inner.find(char::is_whitespace) {
                Some(i) => (&inner[..i], &inner[i..]),
                None => (inner, ""),
            };
            let name = name.to_ascii_lowercase();
            let Some(kind) = entity_kind(&name, attrs) else {
                return Err(cant_parse(format!("Unsupported start tag \"{name}\" at byte offset {lt}")));
            };
            let extra = match kind {
                "text_link" => match attr(attrs, "href") {
                    Some(url) => Some(("url", url)),
                    None => {
                        return Err(cant_parse(format!("Can't find href attribute of tag \"a\" at byte offset {lt}")));
                    }
                },
                "custom_emoji" => attr(attrs, "emoji-id").map(|id| ("custom_emoji_id", id)),
                _ => None,
            };
            // `<pre><code class="language-x">` is one pre entity with a language.
            let mut kind = kind;
            if name == "code"
                && let Some(parent) = stack.last_mut()
                && parent.tag == "pre"
            {
                kind = "";
                if let Some(class) = attr(attrs, "class")
                    && let Some(lang) = class.strip_prefix("language-")
                {
                    parent.extra = Some(("language", lang.to_owned()));
                }
            }
            stack.push(Open { tag: name, kind, start: utf16_pos, extra });
        }
        pos = gt + 1;
        debug_assert!(pos <= bytes.len());
    }
    if let Some(open) = stack.pop() {
        return Err(cant_parse(format!("Can't find end tag corresponding to start tag \"{}\"", open.tag)));
    }
    // Telegram lists entities by offset, the outer (longer) one first.
    entities.sort_by_key(|(start, e)| (*start, std::cmp::Reverse(e["length"].as_u64())));
    Ok(Parsed { text, entities: entities.into_iter().map(|(_, e)| e).collect() })
}

/// Entities Telegram adds to a user's message on its own: a leading `/command`.
pub fn auto_entities(text: &str) -> Vec<Value> {
    if text.starts_with('/') {
        let command = text.split(char::is_whitespace).next().unwrap_or(text);
        vec![json!({"type": "bot_command", "offset": 0, "length": utf16_len(command)})]
    } else {
        Vec::new()
    }
}

/// The length Telegram checks against its 4096-character limit.
pub fn text_len(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_and_italic_become_entities_with_utf16_offsets() {
        let parsed = parse_html("💋 <b>Hola</b> <i>x &lt; y</i>").unwrap_or_default();
        assert_eq!(parsed.text, "💋 Hola x < y");
        assert_eq!(
            parsed.entities,
            vec![
                json!({"type": "bold", "offset": 3, "length": 4}),
                json!({"type": "italic", "offset": 8, "length": 5}),
            ]
        );
    }

    #[test]
    fn unknown_tags_and_unbalanced_tags_are_refused() {
        assert!(parse_html("a <foo>b</foo>").is_err());
        assert!(parse_html("<b>a").is_err());
        assert!(parse_html("a</b>").is_err());
        assert!(parse_html("<b><i>a</b></i>").is_err());
    }

    #[test]
    fn links_and_pre_with_language_keep_their_attributes() {
        let parsed = parse_html("<a href=\"https://t.me/x\">go</a><pre><code class=\"language-rust\">fn</code></pre>")
            .unwrap_or_default();
        assert_eq!(parsed.text, "gofn");
        assert_eq!(parsed.entities[0]["url"], "https://t.me/x");
        assert_eq!(parsed.entities.len(), 2);
        assert_eq!(parsed.entities[1]["type"], "pre");
        assert_eq!(parsed.entities[1]["language"], "rust");
    }

    #[test]
    fn commands_get_a_bot_command_entity() {
        assert_eq!(auto_entities("/start ref_1"), vec![json!({"type": "bot_command", "offset": 0, "length": 6})]);
        assert!(auto_entities("hola").is_empty());
    }
}
