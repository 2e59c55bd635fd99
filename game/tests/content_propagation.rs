//! The `experiences/` folder and entities an experience defines inline
//! (propagation): they join their catalogues as if written there, and every
//! problem inside them points at the experience file.

mod support;

use dianabot_game::content::{ComponentKind, Content, ContentProblem, MissionKind, ProblemKind};

fn demo_files() -> Vec<(String, String)> {
    support::read_dir(&support::demo_dir())
}

/// The demo plus `experiences/prueba.toml` holding `text`.
fn demo_and(text: &str) -> Vec<(String, String)> {
    let mut files = demo_files();
    files.push(("experiences/prueba.toml".to_owned(), text.to_owned()));
    files
}

fn problems(files: &[(String, String)]) -> Vec<ContentProblem> {
    Content::parse(files).err().unwrap_or_default()
}

/// The 1-based line of `text` that is exactly `wanted`.
fn line_of(text: &str, wanted: &str) -> usize {
    text.lines().position(|line| line == wanted).map(|index| index + 1).expect("line in text")
}

const EVERY_INLINE_KIND: &str = r#"
[[experience]]
id = "prueba"
name = { es = "Prueba", en = "Trial" }
description = { es = "Una prueba.", en = "A trial." }

[[experience.component]]
id = "compra"
kind = "purchase"

[experience.component.shop_item]
id = "prueba_cinta"
category = "regalos"
name = { es = "Cinta", en = "Ribbon" }
description = { es = "Una cinta de seda.", en = "A silk ribbon." }
price = { besitos = 12 }
rewards = { items = { prueba_cinta = 1 }, unlock_fragments = ["prueba_escena"] }

[[experience.component]]
id = "guardar"
kind = "item"
after = ["compra"]

[experience.component.item]
id = "prueba_cinta"
name = { es = "Cinta de seda", en = "Silk ribbon" }
description = { es = "Huele a jazmín.", en = "It smells of jasmine." }
rarity = "rare"

[[experience.component]]
id = "escena"
kind = "fragment"
after = ["compra"]

[experience.component.fragment]
id = "prueba_escena"
level = 2
text = { es = "Diana anuda la cinta.", en = "Diana ties the ribbon." }

[[experience.component.fragment.decision]]
id = "volver"
label = { es = "Volver", en = "Go back" }
to = "l2_biblioteca"

[[experience.component]]
id = "paseo"
kind = "mission"
after = ["escena"]

[experience.component.mission]
id = "prueba_paseo"
kind = "one_off"
name = { es = "Paseo", en = "Walk" }
description = { es = "Vuelva a la biblioteca.", en = "Go back to the library." }
goal = { fragment = "prueba_escena" }
rewards = { besitos = 3 }

[[experience.component]]
id = "medalla"
kind = "achievement"
after = ["paseo"]

[experience.component.achievement]
id = "prueba_medalla"
name = { es = "Medalla", en = "Medal" }
description = { es = "Anudó la cinta.", en = "Tied the ribbon." }
goal = { fragment = "prueba_escena" }
"#;

#[test]
fn entities_defined_inline_join_their_catalogues_and_components_point_at_them() {
    let content = Content::parse(&demo_and(EVERY_INLINE_KIND)).unwrap_or_else(|problems| {
        panic!("valid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    let shop_item = content.shop_item("prueba_cinta").expect("shop item in the shop");
    assert_eq!(shop_item.price.besitos, Some(12));
    assert!(content.shop_items().any(|item| item.id.as_str() == "prueba_cinta"));
    assert_eq!(content.item("prueba_cinta").expect("item in the items").name.en, "Silk ribbon");
    let fragment = content.fragment("prueba_escena").expect("fragment in the story");
    assert_eq!((fragment.level, fragment.decisions.len()), (2, 1));
    assert!(content.fragments().any(|fragment| fragment.id.as_str() == "prueba_escena"));
    assert_eq!(content.mission("prueba_paseo").expect("mission in the missions").kind, MissionKind::OneOff);
    assert!(content.achievement("prueba_medalla").expect("achievement").goal.is_some());

    let experience = content.experience("prueba").expect("experience");
    let kinds: Vec<String> = experience.components.iter().map(|component| format!("{:?}", component.kind)).collect();
    assert!(matches!(&experience.components[0].kind, ComponentKind::Purchase(id) if id.as_str() == "prueba_cinta"));
    assert!(
        matches!(&experience.components[1].kind, ComponentKind::ItemHeld { item, quantity: 1 } if item.0 == "prueba_cinta"),
        "{kinds:?}"
    );
    assert!(matches!(&experience.components[2].kind, ComponentKind::Fragment(id) if id.as_str() == "prueba_escena"));
    assert!(matches!(&experience.components[3].kind, ComponentKind::Mission(id) if id.as_str() == "prueba_paseo"));
    assert!(
        matches!(&experience.components[4].kind, ComponentKind::Achievement(id) if id.as_str() == "prueba_medalla")
    );
}

#[test]
fn a_mistake_inside_an_inline_definition_is_reported_at_the_experience_file() {
    let text = EVERY_INLINE_KIND.replace("kind = \"one_off\"\n", "kind = \"one_off\"\ncolor = \"rojo\"\n");
    let found = problems(&demo_and(&text));
    assert_eq!(found.len(), 1, "{found:?}");
    let problem = &found[0];
    assert_eq!(problem.kind, ProblemKind::UnknownKey);
    assert_eq!(problem.file, "experiences/prueba.toml");
    assert_eq!(problem.key_path, "mission.prueba_paseo.color");
    assert_eq!(problem.line, Some(line_of(&text, "color = \"rojo\"")));
}

#[test]
fn an_inline_fragment_nothing_unlocks_or_leads_to_is_unreachable() {
    let text = EVERY_INLINE_KIND.replace(", unlock_fragments = [\"prueba_escena\"]", "");
    let found = problems(&demo_and(&text));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ProblemKind::Unreachable);
    assert_eq!(found[0].file, "experiences/prueba.toml");
    assert_eq!(found[0].line, Some(line_of(&text, "id = \"prueba_escena\"")));
}

#[test]
fn a_component_gives_ref_or_an_inline_definition_not_both() {
    let text = EVERY_INLINE_KIND.replace("kind = \"mission\"\n", "kind = \"mission\"\nref = \"leer_la_carta\"\n");
    let found = problems(&demo_and(&text));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ProblemKind::InvalidValue);
    assert_eq!(found[0].message, "give either `ref` or the inline `mission` table, not both");
    assert_eq!(found[0].line, Some(line_of(&text, "ref = \"leer_la_carta\"")));

    let text = EVERY_INLINE_KIND.replace("kind = \"mission\"\n", "kind = \"reaction\"\n");
    let found = problems(&demo_and(&text));
    assert!(
        found.iter().any(|problem| problem.kind == ProblemKind::UnknownKey
            && problem.key_path == "experience.prueba.component.paseo.mission"),
        "an inline table only for its kind: {found:?}"
    );
}

#[test]
fn experiences_read_the_same_from_one_file_or_from_the_folder() {
    let one_file = Content::parse(&demo_files()).expect("demo");
    let split: Vec<(String, String)> = demo_files()
        .into_iter()
        .map(|(path, text)| match path.as_str() {
            "experiences.toml" => ("experiences/antiguas.toml".to_owned(), text),
            _ => (path, text),
        })
        .collect();
    let split = Content::parse(&split).expect("the same experiences from the folder");
    let ids = |content: &Content| content.experiences().map(|e| e.id.as_str().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(&one_file), ids(&split));
    assert!(ids(&split).contains(&"noche_biblioteca".to_owned()));
}

#[test]
fn the_demo_experiences_of_the_folder_use_every_component_kind_in_both_languages() {
    let files = demo_files();
    let folder: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.starts_with("experiences/"))
        .flat_map(|(_, text)| text.lines().filter_map(|line| line.strip_prefix("id = \"")).take(1))
        .map(|id| id.trim_end_matches('"').to_owned())
        .collect();
    assert!(folder.len() >= 4, "{folder:?}");
    let content = support::content();
    let mut kinds = std::collections::BTreeSet::new();
    for id in &folder {
        let experience = content.experience(id).unwrap_or_else(|| panic!("{id} loaded"));
        for text in [&experience.name, &experience.description] {
            assert!(!text.es.is_empty() && !text.en.is_empty() && text.es != text.en, "{id}: es and en");
        }
        kinds.extend(experience.components.iter().map(|component| match component.kind {
            ComponentKind::Fragment(_) => "fragment",
            ComponentKind::Decision(..) => "decision",
            ComponentKind::Mission(_) => "mission",
            ComponentKind::Purchase(_) => "purchase",
            ComponentKind::Achievement(_) => "achievement",
            ComponentKind::Reaction { .. } => "reaction",
            ComponentKind::ItemHeld { .. } => "item",
            ComponentKind::BesitosSpent { .. } => "spend",
            ComponentKind::Experience(_) => "experience",
        }));
    }
    let every =
        ["achievement", "decision", "experience", "fragment", "item", "mission", "purchase", "reaction", "spend"];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), every);
}

#[test]
fn a_player_reaches_the_desk_defined_inline_through_the_hall_or_its_unlock() {
    use dianabot_game::{Command, Event, ItemId, Language, ProfileCommand, StoryCommand, Unlock, UserId, UserState};
    let now = 1_700_000_000;
    let open = |fragment: &str| Command::Story(StoryCommand::OpenFragment { fragment: fragment.into(), page: None });
    let player = || {
        let mut state = UserState::new(UserId(1));
        let register = Command::Profile(ProfileCommand::Register {
            first_name: "Ana".into(),
            username: None,
            language: Language::Es,
        });
        support::run_at(&mut state, &register, now).expect("register");
        support::run_at(&mut state, &open("l1_umbral"), now).expect("the start");
        support::run_at(&mut state, &open("l1_vestibulo"), now).expect("the hall");
        state
    };

    let mut state = player();
    assert!(support::run_at(&mut state, &open("l1_escritorio_lucien"), now).is_err(), "not without the ink");
    state.apply(&Event::ItemsGranted { item: ItemId("tinta_violeta".into()), quantity: 1 });
    support::run_at(&mut state, &open("l1_escritorio_lucien"), now).expect("the hall's decision, with the ink");
    assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_escritorio_lucien"));
    support::run_at(&mut state, &open("l1_vestibulo"), now).expect("its decisions lead back to the hall");

    let mut state = player();
    support::run_at(&mut state, &open("l1_umbral"), now).expect("back at the start");
    state.apply(&Event::Unlocked(Unlock::Fragment("l1_escritorio_lucien".into())));
    support::run_at(&mut state, &open("l1_escritorio_lucien"), now).expect("the purchase's unlock opens it by link");
    assert_eq!(state.progress.story.fragment.as_deref(), Some("l1_escritorio_lucien"));
}
