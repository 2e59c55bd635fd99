//! Hostile Telegram updates for the fuzz properties (the server's
//! `telegram::fuzz` and the webhook's end-to-end run): realistic documents
//! of every kind the server reads, then mutated — fields deleted, values of
//! the wrong type, huge and control-laden strings, lone surrogates, ids at
//! and beyond the i64/u64 ranges, unknown kinds, invalid UTF-8, truncation.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};

/// Signed strings a genuine client would send back, so that some inputs
/// get past the signature checks: button data and invoice payloads, each
/// with the Telegram user id it was signed for.
#[derive(Debug, Clone, Default)]
pub struct Genuine {
    pub buttons: Vec<(u64, String)>,
    pub invoices: Vec<(u64, String)>,
}

/// The length of a huge string: far beyond anything Telegram sends.
pub const HUGE: usize = 100_000;

/// A body for `POST /telegram/webhook`: a mutated update document, as bytes.
pub fn hostile_update(genuine: Genuine) -> impl Strategy<Value = Vec<u8>> {
    // Two in five documents keep their shape, so that deeper checks are reached.
    let mutations = prop_oneof![2 => Just(Vec::new()), 3 => prop::collection::vec(mutation(), 1..4)];
    (document(Arc::new(genuine)), mutations, damage())
        .prop_map(|(document, mutations, damage)| render(document, &mutations, damage))
}

const COMMANDS: &[&str] = &[
    "/start",
    "/start@DianaBot ref",
    "/START",
    "/regalar @bob 1",
    "/regalar@OtherBot @bob 1",
    "/regalar 2 5",
    "/gift 3 -5",
    "/regalar 4 99999999999999999999",
    "/comprar mapa",
    "/buy",
    "/tienda",
    "/perfil",
    "/saldo",
    "/movimientos",
    "/diario",
    "/historia",
    "/menu",
    "/idioma",
    "/logros",
    "/misiones",
    "/inventario",
    "/vip",
    "/ayuda",
    "/subastas",
    "/subasta rosa_negra 50 90s",
    "/pujar 1 60",
    "/bid 99999999999999999999 1",
    "/cancelarsubasta 1",
    "/grant 2 15",
    "/deduct 2 5",
    "/grantvip 2",
    "/refund ch_1",
    "/posts",
    "/reload",
    "/",
    "/@",
    "/@DianaBot",
    "hola",
];

/// Characters that have broken text handling somewhere: NUL and the other
/// C0/C1 controls, zero-width and direction marks, separators, BOM.
const CONTROLS: &[char] = &[
    '\0',
    '\x01',
    '\x08',
    '\t',
    '\n',
    '\r',
    '\x1b',
    '\x7f',
    '\u{85}',
    '\u{200b}',
    '\u{200e}',
    '\u{2028}',
    '\u{202e}',
    '\u{feff}',
    '\u{fffd}',
    '\u{10ffff}',
];

/// Text for any text field: commands (some addressed to other bots), any
/// Unicode, commands laced with control characters, huge strings.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(COMMANDS).prop_map(str::to_owned),
        2 => (select(COMMANDS), any::<String>()).prop_map(|(command, tail)| format!("{command} {tail}")),
        2 => any::<String>(),
        2 => (select(COMMANDS), prop::collection::vec((select(CONTROLS), any::<Index>()), 1..4))
            .prop_map(|(command, controls)| laced(command, &controls)),
        1 => select(&["a", "é", "💋", "\0", " ", "@", "/", "\u{202e}"][..]).prop_map(|unit| unit.repeat(HUGE / unit.len())),
    ]
    .boxed()
}

fn laced(text: &str, controls: &[(char, Index)]) -> String {
    let mut laced = text.to_owned();
    for (control, at) in controls {
        let mut at = at.index(laced.len() + 1);
        while !laced.is_char_boundary(at) {
            at -= 1;
        }
        laced.insert(at, *control);
    }
    laced
}

/// Telegram user ids: a few dozen users (so they meet again), the whole
/// real range, and the edges beyond it.
fn user_id() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => (1u64..40).prop_map(Value::from),
        2 => (1u64..(1 << 52)).prop_map(Value::from),
        1 => select(vec![
            Value::from(0u64),
            Value::from(i64::MAX),
            Value::from(1u64 << 63),
            Value::from(u64::MAX),
            Value::from(-1i64),
            Value::from(i64::MIN),
        ]),
    ]
    .boxed()
}

fn chat_id() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => user_id(),
        2 => select(vec![Value::from(-1001i64), Value::from(-1_001_000_000_001i64), Value::from(1001i64)]),
        1 => any::<i64>().prop_map(Value::from),
    ]
    .boxed()
}

fn small_number() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => (0i64..1_000_000).prop_map(Value::from),
        1 => select(vec![Value::from(-1i64), Value::from(i32::MAX), Value::from(i64::MAX), Value::from(u64::MAX)]),
    ]
    .boxed()
}

fn user() -> BoxedStrategy<Value> {
    let language = prop::option::of(select(&["es", "en", "en-GB", "", "xx-ZZ-long"][..]));
    (user_id(), prop::bool::weighted(0.1), text(), prop::option::of(text()), language)
        .prop_map(|(id, is_bot, first_name, username, language)| {
            let mut user = json!({"id": id, "is_bot": is_bot, "first_name": first_name});
            if let Some(username) = username {
                user["username"] = username.into();
            }
            if let Some(language) = language {
                user["language_code"] = language.into();
            }
            user
        })
        .boxed()
}

fn chat(id: Value, kind: &str) -> Value {
    match kind {
        "private" => json!({"id": id, "type": "private", "first_name": "Ana"}),
        kind => json!({"id": id, "type": kind, "title": "Diana"}),
    }
}

fn chat_kind() -> impl Strategy<Value = &'static str> + Clone {
    select(&["private", "private", "group", "supergroup", "channel"][..])
}

/// A message from `from` in its own private chat or in another chat.
fn message(from: Value, elsewhere: Option<(Value, &'static str)>, message_id: Value) -> Value {
    let chat = match elsewhere {
        Some((id, kind)) => chat(id, kind),
        None => chat(from["id"].clone(), "private"),
    };
    json!({"message_id": message_id, "date": 1_700_000_000, "chat": chat, "from": from})
}

fn signed(genuine: &[(u64, String)], pick: Index) -> Option<(u64, String)> {
    (!genuine.is_empty()).then(|| genuine[pick.index(genuine.len())].clone())
}

/// Button data or an invoice payload: signed for its user, tampered with,
/// or made up.
fn signed_or_forged(genuine: Arc<Vec<(u64, String)>>) -> BoxedStrategy<(Option<u64>, String)> {
    let tampered = Arc::clone(&genuine);
    prop_oneof![
        3 => any::<Index>().prop_map(move |pick| match signed(&genuine, pick) {
            Some((user, data)) => (Some(user), data),
            None => (None, String::new()),
        }),
        2 => (any::<Index>(), any::<Index>(), any::<char>()).prop_map(move |(pick, at, with)| {
            let (_, data) = signed(&tampered, pick).unwrap_or_default();
            (None, laced(&data, &[(with, at)]))
        }),
        2 => text().prop_map(|data| (None, data)),
        1 => "[a-z0-9|:_-]{0,80}".prop_map(|data| (None, data)),
    ]
    .boxed()
}

fn reaction_type() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => select(&["👍", "🔥", "❤", "💋"][..]).prop_map(|emoji| json!({"type": "emoji", "emoji": emoji})),
        1 => text().prop_map(|emoji| json!({"type": "emoji", "emoji": emoji})),
        1 => text().prop_map(|id| json!({"type": "custom_emoji", "custom_emoji_id": id})),
        1 => Just(json!({"type": "paid"})),
        1 => text().prop_map(|kind| json!({"type": kind})),
    ]
    .boxed()
}

/// A realistic update of one of the kinds the server reads, or of one it
/// does not know.
fn document(genuine: Arc<Genuine>) -> BoxedStrategy<Value> {
    let buttons = Arc::new(genuine.buttons.clone());
    let invoices = Arc::new(genuine.invoices.clone());
    let elsewhere = prop::option::weighted(0.3, (chat_id(), chat_kind()));
    let update = |update_id: Value, kind: &str, body: Value| json!({"update_id": update_id, kind: body});
    prop_oneof![
        4 => (small_number(), user(), elsewhere.clone(), small_number(), text()).prop_map(
            move |(update_id, from, elsewhere, message_id, text)| {
                let mut message = message(from, elsewhere, message_id);
                message["text"] = text.into();
                update(update_id, "message", message)
            }
        ).boxed(),
        3 => (small_number(), user(), elsewhere.clone(), small_number(), text(), signed_or_forged(buttons)).prop_map(
            move |(update_id, mut from, elsewhere, message_id, id, (owner, data))| {
                if let Some(owner) = owner {
                    from["id"] = owner.into();
                }
                let bot = json!({"id": 7, "is_bot": true, "first_name": "DianaBot"});
                let chat = elsewhere.unwrap_or_else(|| (from["id"].clone(), "private"));
                let mut shown = message(bot, Some(chat), message_id);
                shown["text"] = "menu".into();
                let query = json!({"id": id, "chat_instance": "x", "data": data, "from": from, "message": shown});
                update(update_id, "callback_query", query)
            }
        ).boxed(),
        2 => (
            small_number(),
            user(),
            chat_id(),
            small_number(),
            prop::collection::vec(reaction_type(), 0..3),
            prop::collection::vec(reaction_type(), 0..4),
            prop::bool::weighted(0.1),
        ).prop_map(move |(update_id, user, chat_id, message_id, old, new, anonymous)| {
            let actor = if anonymous { "actor_chat" } else { "user" };
            let actor_value = if anonymous { chat(chat_id.clone(), "channel") } else { user };
            let reaction = json!({
                "chat": chat(chat_id, "channel"), "message_id": message_id, actor: actor_value,
                "date": 1_700_000_000, "old_reaction": old, "new_reaction": new
            });
            update(update_id, "message_reaction", reaction)
        }).boxed(),
        2 => (small_number(), chat_id(), small_number(), text(), prop::bool::ANY).prop_map(
            move |(update_id, chat_id, message_id, text, caption)| {
                let mut post = json!({"message_id": message_id, "date": 1_700_000_000, "chat": chat(chat_id, "channel")});
                post[if caption { "caption" } else { "text" }] = text.into();
                update(update_id, "channel_post", post)
            }
        ).boxed(),
        2 => (small_number(), user(), text(), select(&["XTR", "XTR", "EUR", ""][..]), small_number(), signed_or_forged(Arc::clone(&invoices))).prop_map(
            move |(update_id, mut from, id, currency, amount, (buyer, payload))| {
                if let Some(buyer) = buyer {
                    from["id"] = buyer.into();
                }
                let query = json!({
                    "id": id, "currency": currency, "total_amount": amount, "invoice_payload": payload, "from": from
                });
                update(update_id, "pre_checkout_query", query)
            }
        ).boxed(),
        2 => (small_number(), user(), small_number(), select(&["XTR", "XTR", "EUR"][..]), small_number(), text(), signed_or_forged(invoices)).prop_map(
            move |(update_id, mut from, message_id, currency, amount, charge, (buyer, payload))| {
                if let Some(buyer) = buyer {
                    from["id"] = buyer.into();
                }
                let mut message = message(from, None, message_id);
                message["successful_payment"] = json!({
                    "currency": currency, "total_amount": amount, "invoice_payload": payload,
                    "telegram_payment_charge_id": charge, "provider_payment_charge_id": ""
                });
                update(update_id, "message", message)
            }
        ).boxed(),
        1 => (small_number(), user(), small_number(), text(), select(&["edited_message", "business_message", "poll", "brand_new_kind", ""][..])).prop_map(
            move |(update_id, from, message_id, text, kind)| {
                let mut message = message(from, None, message_id);
                message["text"] = text.into();
                update(update_id, kind, message)
            }
        ).boxed(),
    ]
    .boxed()
}

/// A change to the document's tree; [`Index`]es pick the node.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index),
    /// A value of another type (or of the same, out of range).
    Replace(Index, Value),
    /// A JSON token `serde_json::Value` cannot hold, in place of a node.
    Raw(Index, &'static str),
    /// A string's text followed by an escape that is not a character.
    Escape(Index, &'static str),
}

const RAW_TOKENS: &[&str] = &[
    r#""\ud800""#,
    r#""a\udfffb""#,
    r#""\udc00\ud800""#,
    r#""\u0000""#,
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "-1e400",
    "1e-400",
    "0.5",
    "-0",
    "99999999999999999999999999999999",
    "NaN",
    r#""\x41""#,
];

const ESCAPES: &[&str] = &[r"\ud800", r"\udfff", r"\ud83d", r"\u0000", r"\u001b", r"\ud83d\ude00"];

fn mutation() -> impl Strategy<Value = Mutation> {
    let wrong = prop_oneof![
        select(vec![
            Value::Null,
            Value::Bool(true),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(""),
            json!([]),
            json!({}),
            json!([1, 2]),
            json!({"id": 1}),
            json!("1"),
            Value::from(i64::MIN),
            Value::from(u64::MAX),
        ]),
        text().prop_map(Value::from),
    ];
    prop_oneof![
        3 => any::<Index>().prop_map(Mutation::Delete),
        3 => (any::<Index>(), wrong).prop_map(|(at, value)| Mutation::Replace(at, value)),
        2 => (any::<Index>(), select(RAW_TOKENS)).prop_map(|(at, raw)| Mutation::Raw(at, raw)),
        2 => (any::<Index>(), select(ESCAPES)).prop_map(|(at, escape)| Mutation::Escape(at, escape)),
    ]
}

/// Damage to the serialised bytes.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(Index),
    Insert(Index, &'static [u8]),
    Trailing(&'static str),
}

const INVALID_UTF8: &[&[u8]] = &[b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\0"];

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        8 => Just(Damage::None),
        1 => any::<Index>().prop_map(Damage::Truncate),
        1 => (any::<Index>(), select(INVALID_UTF8)).prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        1 => select(&["}", ",", " {}", "\n\0", "]"][..]).prop_map(Damage::Trailing),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Position(usize),
}

/// Every node below the root, as the steps that reach it.
fn node_paths(value: &Value, prefix: &mut Vec<Step>, paths: &mut Vec<Vec<Step>>) {
    let children: Vec<(Step, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(key, child)| (Step::Key(key.clone()), child)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(at, child)| (Step::Position(at), child)).collect(),
        _ => return,
    };
    for (step, child) in children {
        prefix.push(step);
        paths.push(prefix.clone());
        node_paths(child, prefix, paths);
        prefix.pop();
    }
}

fn node<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get(key.as_str()),
        Step::Position(at) => node.get(*at),
    })
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get_mut(key.as_str()),
        Step::Position(at) => node.get_mut(*at),
    })
}

fn pick_path(document: &Value, at: Index, strings_only: bool) -> Option<Vec<Step>> {
    let mut paths = Vec::new();
    node_paths(document, &mut Vec::new(), &mut paths);
    if strings_only {
        paths.retain(|path| node(document, path).is_some_and(Value::is_string));
    }
    (!paths.is_empty()).then(|| paths.swap_remove(at.index(paths.len())))
}

/// Applies the mutations, serialises, splices in the raw tokens, damages.
fn render(mut document: Value, mutations: &[Mutation], damage: Damage) -> Vec<u8> {
    // Raw tokens go in as unique placeholder strings, replaced after serialising.
    let mut raws: Vec<(String, String)> = Vec::new();
    for mutation in mutations {
        let strings_only = matches!(mutation, Mutation::Escape(..));
        let (Mutation::Delete(at) | Mutation::Replace(at, _) | Mutation::Raw(at, _) | Mutation::Escape(at, _)) =
            mutation;
        let Some(path) = pick_path(&document, *at, strings_only) else { continue };
        if let Mutation::Delete(_) = mutation {
            let (last, parent) = path.split_last().expect("paths are below the root");
            match (node_mut(&mut document, parent), last) {
                (Some(Value::Object(map)), Step::Key(key)) => {
                    map.remove(key);
                }
                (Some(Value::Array(items)), Step::Position(at)) => {
                    items.remove(*at);
                }
                _ => {}
            }
            continue;
        }
        let Some(node) = node_mut(&mut document, &path) else { continue };
        let placeholder = format!("\u{10fffd}raw{}\u{10fffd}", raws.len());
        match mutation {
            Mutation::Replace(_, value) => *node = value.clone(),
            Mutation::Raw(_, raw) => raws.push((placeholder.clone(), (*raw).to_owned())),
            Mutation::Escape(_, escape) => {
                let quoted = node.to_string();
                raws.push((placeholder.clone(), format!("{}{escape}\"", &quoted[..quoted.len() - 1])));
            }
            Mutation::Delete(_) => {}
        }
        if matches!(mutation, Mutation::Raw(..) | Mutation::Escape(..)) {
            *node = Value::String(placeholder);
        }
    }
    let mut text = document.to_string();
    for (placeholder, raw) in &raws {
        text = text.replace(&format!("\"{placeholder}\""), raw);
    }
    let mut bytes = text.into_bytes();
    match damage {
        Damage::None => {}
        Damage::Truncate(at) => bytes.truncate(at.index(bytes.len().max(1))),
        Damage::Insert(at, invalid) => {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..at, invalid.iter().copied());
        }
        Damage::Trailing(tail) => bytes.extend_from_slice(tail.as_bytes()),
    }
    bytes
}
