//! The texts players and operators read: Fluent files in the content
//! folder (`texts/es.ftl`, `texts/en.ftl`), loaded and checked with the
//! content and reloaded with it.
//!
//! Each file is parsed into a bundle once per load; rendering a message
//! only resolves its pattern with the arguments given. The live texts are
//! process-wide (like the tracing subscriber): screens are pure functions
//! called from intake, actors' notifiers and the bench harness alike, and
//! a process serves one content folder. A reload swaps them whole; each
//! thread keeps its own handle and looks at one atomic counter per text to
//! see whether it is stale, so rendering takes no lock.

pub mod catalogue;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use dianabot_game::Language;
use dianabot_game::content::{Content, ContentProblem, ProblemKind};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource, FluentValue};
use fluent_syntax::ast;

pub use catalogue::Message;

/// A value for a message's variable: text or a number (numbers select
/// plural forms).
pub type Arg<'a> = FluentValue<'a>;

/// Where the texts live inside the content folder.
pub const DIR: &str = "texts";

/// The languages and their files, relative to the content folder.
const FILES: [(Language, &str, &str); 2] = [(Language::Es, "texts/es.ftl", "es"), (Language::En, "texts/en.ftl", "en")];

/// Both languages' messages, parsed and checked against the catalogue.
pub struct Texts {
    es: Bundle,
    en: Bundle,
}

type Bundle = FluentBundle<FluentResource>;

impl Texts {
    /// Builds the texts from `(path relative to the content folder,
    /// source)` pairs, which must include `texts/es.ftl` and
    /// `texts/en.ftl`; every problem is reported, not just the first.
    pub fn parse(files: &[(String, String)]) -> Result<Texts, Vec<ContentProblem>> {
        let mut problems = Vec::new();
        let mut parsed = Vec::new();
        for (language, path, locale) in FILES {
            let Some((_, source)) = files.iter().find(|(name, _)| name == path) else {
                problems.push(problem(
                    ProblemKind::MissingFile,
                    path,
                    None,
                    "",
                    "the texts of this language are missing",
                ));
                continue;
            };
            let lines = message_lines(source);
            let resource = match FluentResource::try_new(source.clone()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    for error in errors {
                        let line = line_of(source, error.pos.start);
                        let key = lines.iter().filter(|(_, at)| **at <= line).max_by_key(|(_, at)| **at);
                        let key = key.map_or("", |(id, _)| id.as_str());
                        problems.push(problem(ProblemKind::Syntax, path, Some(line), key, &error.to_string()));
                    }
                    resource
                }
            };
            check_variables(&resource, path, &lines, &mut problems);
            parsed.push((language, path, locale, lines, resource));
        }
        for (_, path, _, lines, _) in &parsed {
            for (_, other, _, other_lines, _) in parsed.iter().filter(|(_, other, ..)| other != path) {
                for (id, line) in lines.iter().filter(|(id, _)| !other_lines.contains_key(*id)) {
                    let message = format!("no text for it in {other}");
                    problems.push(problem(ProblemKind::MissingTranslation, path, Some(*line), id, &message));
                }
            }
        }
        for message in catalogue::ALL {
            if parsed.len() == FILES.len() && parsed.iter().all(|(.., lines, _)| !lines.contains_key(message.id)) {
                let text = "the server uses this text, but no file defines it";
                problems.push(problem(ProblemKind::MissingKey, FILES[0].1, None, message.id, text));
            }
        }
        let (mut es, mut en) = (None, None);
        for (language, path, locale, lines, resource) in parsed {
            let mut bundle = Bundle::new_concurrent(vec![locale.parse().expect("a valid language tag")]);
            // Unicode isolation marks would show in Telegram's HTML.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                for error in errors {
                    let id = match &error {
                        FluentError::Overriding { id, .. } => id.as_str(),
                        _ => "",
                    };
                    let line = lines.get(id).copied();
                    problems.push(problem(ProblemKind::DuplicateId, path, line, id, &error.to_string()));
                }
            }
            match language {
                Language::Es => es = Some(bundle),
                Language::En => en = Some(bundle),
            }
        }
        match (es, en) {
            (Some(es), Some(en)) if problems.is_empty() => Ok(Texts { es, en }),
            _ => Err(problems),
        }
    }

    /// The texts shipped in the source tree, compiled in: what renders
    /// until a content folder's texts are installed (unit tests, tools).
    pub fn shipped() -> Arc<Texts> {
        static SHIPPED: OnceLock<Arc<Texts>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let files = [
                    ("texts/es.ftl".to_owned(), include_str!("../../content/texts/es.ftl").to_owned()),
                    ("texts/en.ftl".to_owned(), include_str!("../../content/texts/en.ftl").to_owned()),
                ];
                Arc::new(Texts::parse(&files).expect("the shipped texts are valid (tested)"))
            })
            .clone()
    }

    fn bundle(&self, language: Language) -> &Bundle {
        match language {
            Language::Es => &self.es,
            Language::En => &self.en,
        }
    }

    /// `message` in `language` with `args`.
    pub fn format(&self, language: Language, message: Message, args: &[(&str, Arg<'_>)]) -> String {
        debug_assert!(
            args.iter().all(|(name, _)| message.args.contains(name)) && args.len() == message.args.len(),
            "{} is passed {:?}; the catalogue says {:?}",
            message.id,
            args.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            message.args
        );
        let bundle = self.bundle(language);
        // Loading checked that every catalogue message exists.
        let Some(pattern) = bundle.get_message(message.id).and_then(|found| found.value()) else {
            return message.id.to_owned();
        };
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned()
    }

    /// `message` in each language with every variable shown as
    /// `{name}`, once per combination of its variants (plural forms):
    /// what a client that only sees the text can match it against.
    pub fn templates(&self, message: Message) -> Vec<String> {
        let mut templates = Vec::new();
        for language in [Language::Es, Language::En] {
            let Some(pattern) = self.bundle(language).get_message(message.id).and_then(|found| found.value()) else {
                continue;
            };
            templates.extend(expand(pattern));
        }
        templates
    }
}

/// Every way `pattern` can read, variables as `{name}`.
fn expand(pattern: &ast::Pattern<&str>) -> Vec<String> {
    let mut readings = vec![String::new()];
    for element in &pattern.elements {
        let alternatives = match element {
            ast::PatternElement::TextElement { value } => vec![(*value).to_owned()],
            ast::PatternElement::Placeable { expression } => expand_expression(expression),
        };
        readings = readings
            .iter()
            .flat_map(|reading| alternatives.iter().map(move |alternative| format!("{reading}{alternative}")))
            .collect();
    }
    readings
}

fn expand_expression(expression: &ast::Expression<&str>) -> Vec<String> {
    match expression {
        ast::Expression::Select { variants, .. } => {
            variants.iter().flat_map(|variant| expand(&variant.value)).collect()
        }
        ast::Expression::Inline(inline) => match inline {
            ast::InlineExpression::VariableReference { id } => vec![format!("{{{}}}", id.name)],
            ast::InlineExpression::StringLiteral { value } => vec![(*value).to_owned()],
            ast::InlineExpression::NumberLiteral { value } => vec![(*value).to_owned()],
            ast::InlineExpression::Placeable { expression } => expand_expression(expression),
            // A reference or a function: any text.
            _ => vec!["{…}".to_owned()],
        },
    }
}

/// Reports each variable a catalogue message uses that the code does not pass.
fn check_variables(
    resource: &FluentResource,
    path: &str,
    lines: &BTreeMap<String, usize>,
    problems: &mut Vec<ContentProblem>,
) {
    for entry in resource.entries() {
        let ast::Entry::Message(message) = entry else { continue };
        let Some(known) = catalogue::ALL.iter().find(|known| known.id == message.id.name) else { continue };
        let mut used = BTreeSet::new();
        if let Some(pattern) = &message.value {
            variables(pattern, &mut used);
        }
        for variable in used.into_iter().filter(|variable| !known.args.contains(variable)) {
            let passed = if known.args.is_empty() { "none".to_owned() } else { known.args.join(", ") };
            let text = format!("unknown variable ${variable} (the server passes: {passed})");
            let line = lines.get(message.id.name).copied();
            problems.push(problem(ProblemKind::UnknownVariable, path, line, message.id.name, &text));
        }
    }
}

fn variables<'s>(pattern: &ast::Pattern<&'s str>, used: &mut BTreeSet<&'s str>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, used);
        }
    }
}

fn expression_variables<'s>(expression: &ast::Expression<&'s str>, used: &mut BTreeSet<&'s str>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, used);
            for variant in variants {
                variables(&variant.value, used);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, used),
    }
}

fn inline_variables<'s>(inline: &ast::InlineExpression<&'s str>, used: &mut BTreeSet<&'s str>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            used.insert(id.name);
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, used),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, used);
            }
            for argument in &arguments.named {
                inline_variables(&argument.value, used);
            }
        }
        _ => {}
    }
}

/// The 1-based line of each message (`id =` at the start of a line).
fn message_lines(source: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for (index, line) in source.lines().enumerate() {
        let Some((id, _)) = line.split_once('=') else { continue };
        let id = id.trim_end();
        let is_id = id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if is_id {
            lines.entry(id.to_owned()).or_insert(index + 1);
        }
    }
    lines
}

fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset).unwrap_or(source).matches('\n').count() + 1
}

fn problem(kind: ProblemKind, file: &str, line: Option<usize>, key: &str, message: &str) -> ContentProblem {
    ContentProblem { kind, file: file.to_owned(), key_path: key.to_owned(), line, message: message.to_owned() }
}

/// How many times texts were installed; a thread's cached handle from an
/// older generation is stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);
static LIVE: RwLock<Option<Live>> = RwLock::new(None);

thread_local! {
    static CACHED: RefCell<Option<(u64, Live)>> = const { RefCell::new(None) };
}

/// The texts in force, and the content whose names they show.
#[derive(Clone)]
struct Live {
    texts: Arc<Texts>,
    content: Option<Arc<Content>>,
}

/// Puts `texts` live, with `content` for the names of things: every text
/// rendered from now on comes from them.
pub fn install(texts: Arc<Texts>, content: Arc<Content>) {
    *LIVE.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Live { texts, content: Some(content) });
    GENERATION.fetch_add(1, Ordering::Release);
}

/// The live texts (the shipped ones until [`install`]).
pub fn live() -> Arc<Texts> {
    with_live(|live| live.texts.clone())
}

fn with_live<R>(f: impl FnOnce(&Live) -> R) -> R {
    let generation = GENERATION.load(Ordering::Acquire);
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.as_ref().is_none_or(|(seen, _)| *seen != generation) {
            let live = LIVE.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
            let live = live.unwrap_or_else(|| Live { texts: Texts::shipped(), content: None });
            *cached = Some((generation, live));
        }
        let (_, live) = cached.as_ref().expect("filled above");
        f(live)
    })
}

/// The name of item `id` in `language`, from the live content (the id
/// itself if it names no item).
pub fn item_name(language: Language, id: &str) -> String {
    with_live(|live| {
        let item = live.content.as_ref().and_then(|content| content.item(id));
        item.map_or_else(|| id.to_owned(), |item| item.name.get(language).to_owned())
    })
}

// offers-bundle
/// The name of shop item `id` in `language`, from the live content (the
/// id itself if it names no shop item).
pub fn shop_item_name(language: Language, id: &str) -> String {
    with_live(|live| {
        let item = live.content.as_ref().and_then(|content| content.shop_item(id));
        item.map_or_else(|| id.to_owned(), |item| item.name.get(language).to_owned())
    })
}

/// `message` in `language`, from the live texts.
pub fn text(language: Language, message: Message) -> String {
    text_with(language, message, &[])
}

/// `message` in `language` with `args`, from the live texts.
pub fn text_with(language: Language, message: Message, args: &[(&str, Arg<'_>)]) -> String {
    with_live(|live| live.texts.format(language, message, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(es: &str, en: &str) -> Vec<(String, String)> {
        vec![("texts/es.ftl".to_owned(), es.to_owned()), ("texts/en.ftl".to_owned(), en.to_owned())]
    }

    fn shipped_sources() -> (String, String) {
        (include_str!("../../content/texts/es.ftl").to_owned(), include_str!("../../content/texts/en.ftl").to_owned())
    }

    fn problems(es: &str, en: &str) -> Vec<String> {
        match Texts::parse(&files(es, en)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn the_shipped_texts_are_valid() {
        let (es, en) = shipped_sources();
        assert_eq!(problems(&es, &en), Vec::<String>::new());
    }

    #[test]
    fn plurals_follow_the_number_in_both_languages() {
        let texts = Texts::shipped();
        let streak = |language, days: i64| {
            let args = [("paid", 5.into()), ("streak", days.into()), ("balance", 1.into())];
            texts.format(language, catalogue::DAILY_GIFT, &args)
        };
        assert!(streak(Language::Es, 1).contains("Racha: 1 día."), "{}", streak(Language::Es, 1));
        assert!(streak(Language::Es, 3).contains("Racha: 3 días."));
        assert!(streak(Language::Es, 1).contains("Saldo: 1 besito"));
        assert!(streak(Language::En, 1).contains("Streak: 1 day."));
        assert!(streak(Language::En, 2).contains("Streak: 2 days."));
        assert!(!texts.format(Language::Es, catalogue::BACK, &[]).contains('\u{2068}'), "no isolation marks");
    }

    #[test]
    fn templates_cover_every_plural_form_and_match_what_is_rendered() {
        let texts = Texts::shipped();
        let templates = texts.templates(catalogue::GIFT_RECEIVED);
        for language in [Language::Es, Language::En] {
            for amount in [1, 2] {
                let sent = texts.format(
                    language,
                    catalogue::GIFT_RECEIVED,
                    &[("from", "Ana".into()), ("amount", amount.into())],
                );
                let literal_parts_match = templates
                    .iter()
                    .any(|template| template.replace("{from}", "Ana").replace("{amount}", &amount.to_string()) == sent);
                assert!(literal_parts_match, "{sent} in {templates:?}");
            }
        }
    }

    /// Replaces the first `from` in the shipped `which` file.
    fn broken(which: &str, from: &str, to: &str) -> Vec<String> {
        let (mut es, mut en) = shipped_sources();
        let file = if which == "es" { &mut es } else { &mut en };
        assert!(file.contains(from), "{from}");
        *file = file.replacen(from, to, 1);
        problems(&es, &en)
    }

    fn line_in(which: &str, needle: &str) -> usize {
        let (es, en) = shipped_sources();
        let file = if which == "es" { es } else { en };
        file.lines().position(|line| line.starts_with(needle)).expect("found") + 1
    }

    #[test]
    fn a_text_missing_in_one_language_is_reported_where_the_other_has_it() {
        let line = line_in("es", "welcome-back =");
        let problems = broken("en", "welcome-back =", "welcome-bakc =");
        assert!(
            problems.contains(&format!("texts/es.ftl:{line}: welcome-back: no text for it in texts/en.ftl")),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_text_the_server_uses_and_no_file_defines_is_reported() {
        let (es, en) = shipped_sources();
        let (es, en) = (
            es.replacen("follow-lucien =", "follow-lucian =", 1),
            en.replacen("follow-lucien =", "follow-lucian =", 1),
        );
        let problems = problems(&es, &en);
        assert!(
            problems
                .contains(&"texts/es.ftl: follow-lucien: the server uses this text, but no file defines it".to_owned()),
            "{problems:#?}"
        );
    }

    #[test]
    fn an_unknown_variable_is_reported_with_its_line() {
        let line = line_in("en", "welcome-back =");
        let problems = broken("en", "again, { $name }", "again, { $nmae }");
        assert!(
            problems.contains(&format!(
                "texts/en.ftl:{line}: welcome-back: unknown variable $nmae (the server passes: name)"
            )),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_syntax_error_is_reported_with_its_line() {
        let line = line_in("es", "open-menu =");
        let problems = broken("es", "open-menu = Abrir el menú", "open-menu = Abrir { el menú");
        assert!(problems.iter().any(|problem| problem.starts_with(&format!("texts/es.ftl:{line}: "))), "{problems:#?}");
    }

    #[test]
    fn a_missing_file_is_reported() {
        let (es, _) = shipped_sources();
        let problems = match Texts::parse(&[("texts/es.ftl".to_owned(), es)]) {
            Ok(_) => panic!("accepted without English"),
            Err(problems) => problems,
        };
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["texts/en.ftl: the texts of this language are missing"]
        );
    }
}
