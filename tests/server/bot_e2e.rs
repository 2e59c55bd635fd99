//! The bot as a user meets it: the running binary with its built-in
//! emulator, driven through the emulator's control API. The texts are
//! checked exactly (the emulator has already turned the HTML into plain
//! text and entities, as Telegram does).

use crate::common::control::{Control, button, buttons, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};

fn labels(message: &serde_json::Value) -> Vec<String> {
    buttons(message).into_iter().map(|(label, _)| label).collect()
}

#[test]
fn onboarding_menu_navigation_and_language_switch() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);

        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        let messages = control.wait_for(ana, "the welcome", |m| !m.is_empty()).await;
        let welcome = &messages[0];
        assert_eq!(
            text(welcome),
            "🎩 Lucien: Bienvenido, Ana. Soy Lucien, mayordomo de esta casa.\n\n\
             Diana le espera… pero antes, permítame un obsequio: 10 besitos para el camino."
        );
        assert_eq!(labels(welcome), ["Seguir a Lucien →"]);
        let message_id = welcome["message_id"].as_i64().unwrap();

        // Every press edits the same message in place.
        let press = |label: &'static str, messages: Vec<serde_json::Value>| {
            let control = &control;
            async move {
                let data = button(&messages[0], label);
                assert!(data.len() <= 64, "callback data over 64 bytes: {data}");
                let pressed = control.press(ana, message_id, &data, false).await;
                assert!(pressed["answer"].is_object(), "callback not answered: {pressed}");
                let before = text(&messages[0]).to_owned();
                control.wait_for(ana, label, move |now| now.len() == 1 && text(&now[0]) != before).await
            }
        };
        let messages = press("Seguir a Lucien →", messages).await;
        assert!(text(&messages[0]).starts_with("🎩 Lucien: En esta casa cada gesto cuenta."));
        assert_eq!(labels(&messages[0]), ["Abrir el menú"]);

        let messages = press("Abrir el menú", messages).await;
        assert_eq!(text(&messages[0]), "🏛 Menú principal\nSaldo: 10 besitos");
        assert_eq!(
            labels(&messages[0]),
            [
                "📖 Historia",
                "👤 Perfil",
                "🎒 Inventario",
                "🎁 Regalo diario",
                "🛍️ Tienda",
                "🔨 Subastas",
                "🧭 Experiencias",
                "💎 VIP",
                "🧠 Trivia",
                "🎉 Eventos",
                "🏆 Ranking",
                "❓ Ayuda",
                "🌐 Idioma"
            ]
        );

        let messages = press("📖 Historia", messages).await;
        assert!(text(&messages[0]).starts_with("📖 La antecámara\n\nLa puerta se abre antes de que usted llame."));
        let messages = press("« Menú", messages).await;

        let messages = press("🌐 Idioma", messages).await;
        assert_eq!(text(&messages[0]), "🌐 Elija su idioma:");
        assert_eq!(labels(&messages[0]), ["🇪🇸 Español", "🇬🇧 English", "« Menú"]);
        let messages = press("🇬🇧 English", messages).await;
        assert_eq!(text(&messages[0]), "🏛 Main menu\nBalance: 10 besitos");
        assert_eq!(
            labels(&messages[0]),
            [
                "📖 Story",
                "👤 Profile",
                "🎒 Inventory",
                "🎁 Daily gift",
                "🛍️ Shop",
                "🔨 Auctions",
                "🧭 Experiences",
                "💎 VIP",
                "🧠 Trivia",
                "🎉 Events",
                "🏆 Leaderboards",
                "❓ Help",
                "🌐 Language"
            ]
        );

        let messages = press("👤 Profile", messages).await;
        assert_eq!(
            text(&messages[0]),
            "👤 Profile\nName: Ana\nLanguage: English\nBesitos: 10\nReactions: 0\nItems: 0\n\
             🎭 Your style: still to be discovered. Keep playing."
        );

        // A command sends a new message; the language choice stuck.
        control.send_text(ana, "/help").await;
        let messages = control.wait_for(ana, "help", |m| m.len() == 2).await;
        assert!(text(&messages[1]).starts_with("❓ Help\n/menu — main menu"));
        control.send_text(ana, "hola").await;
        let messages = control.wait_for(ana, "not understood", |m| m.len() == 3).await;
        assert_eq!(text(&messages[2]), "🎩 Lucien raises an eyebrow: I did not understand. Type /menu or /help.");

        // An English speaker is greeted in English; /start again is a welcome back.
        let bob = control.create_user("Bob <b>", "en-US").await;
        control.send_text(bob, "/start").await;
        let messages = control.wait_for(bob, "bob's welcome", |m| !m.is_empty()).await;
        assert!(text(&messages[0]).starts_with("🎩 Lucien: Welcome, Bob <b>. I am Lucien"));
        control.send_text(bob, "/start").await;
        let messages = control.wait_for(bob, "welcome back", |m| m.len() == 2).await;
        assert_eq!(
            text(&messages[1]),
            "🎩 Lucien: How good to see you again, Bob <b>.\n\n🏛 Main menu\nBalance: 10 besitos"
        );
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn forged_and_foreign_buttons_are_refused_politely_and_change_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);
        let eve = control.create_user("Eve", "es").await;
        control.send_text(eve, "/start").await;
        let messages = control.wait_for(eve, "welcome", |m| !m.is_empty()).await;
        let message_id = messages[0]["message_id"].as_i64().unwrap();
        let genuine = button(&messages[0], "Seguir a Lucien →");

        // Tampered data, junk, and a genuine button of another user.
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        let anas = control.wait_for(ana, "ana's welcome", |m| !m.is_empty()).await;
        let foreign = button(&anas[0], "Seguir a Lucien →");
        let tampered = genuine.replacen("o1|", "l:en|", 1);
        for data in [tampered.as_str(), "l:en", "💥", foreign.as_str()] {
            let pressed = control.press(eve, message_id, data, true).await;
            let answer = &pressed["answer"];
            assert_eq!(answer["show_alert"], true, "{data}: {pressed}");
            assert_eq!(answer["text"], "Lucien examina el botón y frunce el ceño: no es válido.");
        }
        let after = control.bot_messages(eve).await;
        assert_eq!(after.len(), 1);
        assert_eq!(text(&after[0]), text(&messages[0]), "a refused button changed the message");
        // And the genuine button still works.
        control.press(eve, message_id, &genuine, false).await;
        control.wait_for(eve, "onboarding", |m| text(&m[0]).starts_with("🎩 Lucien: En esta casa")).await;
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn operators_grant_and_deduct_besitos_and_bad_amounts_change_nothing() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900, 901")]).await;
        let control = Control::new(&emulator);
        let operator = control.create_user_with_id(900, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "welcome", |m| !m.is_empty()).await;

        let said = |count: usize| {
            let control = &control;
            async move { control.wait_for(operator, "operator reply", move |m| m.len() == count).await }
        };
        control.send_text(operator, &format!("/grant {ana} 25")).await;
        assert_eq!(text(&said(1).await[0]), format!("✅ Hecho. Usuario {ana}: saldo 35 besitos."));
        control.send_text(operator, &format!("/grant {ana} -5")).await;
        assert_eq!(
            text(&said(2).await[1]),
            "🎩 Lucien inclina la cabeza: no es posible (la cantidad debe ser positiva, no -5)"
        );
        control.send_text(operator, &format!("/deduct {ana} 1000")).await;
        assert_eq!(
            text(&said(3).await[2]),
            "🎩 Lucien inclina la cabeza: no es posible (no hay besitos suficientes: saldo 35, necesita 1000)"
        );
        control.send_text(operator, "/grant 123456789 5").await;
        assert_eq!(text(&said(4).await[3]), "🎩 Lucien aún no le conoce. Escriba /start para comenzar.");
        control.send_text(operator, &format!("/deduct {ana} 5")).await;
        assert_eq!(text(&said(5).await[4]), format!("✅ Hecho. Usuario {ana}: saldo 30 besitos."));

        // Players cannot.
        control.send_text(ana, &format!("/grant {ana} 1000")).await;
        let messages = control.wait_for(ana, "not understood", |m| m.len() == 2).await;
        assert!(text(&messages[1]).contains("no he entendido"));
        control.send_text(ana, "/perfil").await;
        let messages = control.wait_for(ana, "profile", |m| m.len() == 3).await;
        assert!(text(&messages[2]).contains("Besitos: 30"), "{}", text(&messages[2]));
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn daily_gift_and_gifts_between_players_through_the_bot() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[]).await;
        let control = Control::new(&emulator);
        let ana = control.create_user("Ana", "es").await;
        let bob = control.create_user("Bob", "en").await;
        for user in [ana, bob] {
            control.send_text(user, "/start").await;
            control.wait_for(user, "welcome", |m| m.len() == 1).await;
        }

        control.send_text(ana, "/diario").await;
        let said = control.wait_for(ana, "daily gift", |m| m.len() == 2).await;
        assert_eq!(
            text(&said[1]),
            "🎁 Regalo del día\nLucien le entrega 5 besitos. Racha: 1 día.\nSaldo: 20 besitos\n\n🎯 Misión cumplida: La visita de cada día"
        );
        control.send_text(ana, "/diario").await;
        let said = control.wait_for(ana, "second claim", |m| m.len() == 3).await;
        assert!(text(&said[2]).contains("ya recogió el regalo de hoy"), "{}", text(&said[2]));

        // Gifts: by id; to an unknown username; too much; to oneself.
        control.send_text(ana, &format!("/regalar {bob} 6")).await;
        let said = control.wait_for(ana, "gift report", |m| m.len() == 4).await;
        assert_eq!(text(&said[3]), format!("🎁 Ha regalado 6 besitos a {bob}."));
        let bobs = control.wait_for(bob, "gift notice", |m| m.len() == 2).await;
        assert_eq!(text(&bobs[1]), "🎁 Ana gave you 6 besitos.");
        control.send_text(ana, "/regalar @nadie 1").await;
        let said = control.wait_for(ana, "unknown", |m| m.len() == 5).await;
        assert!(text(&said[4]).starts_with("🎩 Lucien no conoce a @nadie."), "{}", text(&said[4]));
        control.send_text(ana, &format!("/regalar {bob} 500")).await;
        let said = control.wait_for(ana, "too much", |m| m.len() == 6).await;
        assert!(text(&said[5]).contains("no hay besitos suficientes: saldo 14, necesita 500"), "{}", text(&said[5]));
        control.send_text(ana, &format!("/regalar {ana} 1")).await;
        let said = control.wait_for(ana, "to self", |m| m.len() == 7).await;
        assert!(text(&said[6]).contains("un regalo es para otra persona"), "{}", text(&said[6]));
        control.send_text(ana, &format!("/regalar {bob} -3")).await;
        let said = control.wait_for(ana, "negative", |m| m.len() == 8).await;
        assert!(text(&said[7]).contains("la cantidad debe ser positiva"), "{}", text(&said[7]));

        control.send_text(bob, "/profile").await;
        let bobs = control.wait_for(bob, "bob's profile", |m| m.len() == 3).await;
        assert!(text(&bobs[2]).contains("Besitos: 16"), "{}", text(&bobs[2]));

        // Missions and achievements as the player sees them.
        control.send_text(ana, "/misiones").await;
        let said = control.wait_for(ana, "missions", |m| m.len() == 9).await;
        assert!(text(&said[8]).starts_with("🎯 Misiones"), "{}", text(&said[8]));
        assert!(text(&said[8]).contains("✅ La visita de cada día"), "{}", text(&said[8]));
        assert!(text(&said[8]).contains("▫️ Aplausos discretos (0/3)"), "{}", text(&said[8]));
        control.send_text(ana, "/logros").await;
        let said = control.wait_for(ana, "achievements", |m| m.len() == 10).await;
        assert!(text(&said[9]).starts_with("🏆 Logros (0 de 12)"), "{}", text(&said[9]));

        // The balance's history, newest first, from the ledger.
        control.send_text(ana, "/movimientos").await;
        let said = control.wait_for(ana, "ledger", |m| m.len() == 11).await;
        assert_eq!(
            text(&said[10]),
            "💰 Últimos movimientos\n-6 · regalo enviado\n+5 · misión\n+5 · regalo diario\n+10 · bienvenida"
        );
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn an_auction_from_two_players_outbid_notified_and_won() {
    run(async {
        let db = TestDb::postgres().await;
        let env = [("ADMIN_IDS", "900"), ("AUCTION_MIN_SECS", "1"), ("AUCTION_EXTENSION_SECS", "1")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &env).await;
        let control = Control::new(&emulator);
        let operator = control.create_user_with_id(900, "Op", "es").await;
        let ana = control.create_user("Ana", "es").await;
        let bob = control.create_user("Bob", "en").await;
        for user in [ana, bob] {
            control.send_text(user, "/start").await;
            control.wait_for(user, "welcome", |m| m.len() == 1).await;
        }

        // Bad terms are refused; then an auction of eight seconds.
        control.send_text(operator, "/subasta nada 5 8s 1").await;
        let said = control.wait_for(operator, "unknown item", |m| m.len() == 1).await;
        assert_eq!(text(&said[0]), "🎩 Lucien inclina la cabeza: no es posible (no existe el objeto nada)");
        control.send_text(operator, "/subasta rosa_negra 5 8s 1").await;
        let said = control.wait_for(operator, "auction opened", |m| m.len() == 2).await;
        let report = text(&said[1]).to_owned();
        assert!(report.starts_with("✅ Subasta #"), "{report}");
        assert!(report.contains(": Rosa negra × 1, salida 5 besitos, incremento 1, cierra en "), "{report}");
        let id: i64 = report["✅ Subasta #".len()..].split(' ').next().unwrap().parse().unwrap();

        // Each player opens the auction from the list and bids with a button.
        let open_page = |user: i64, list: &'static str, count: usize| {
            let control = &control;
            async move {
                control.send_text(user, list).await;
                let messages = control.wait_for(user, "auction list", move |m| m.len() == count).await;
                let listing = &messages[count - 1];
                let (label, data) = buttons(listing).into_iter().next().expect("one auction listed");
                assert!(label.starts_with(&format!("#{id} ")), "{label}");
                let message_id = listing["message_id"].as_i64().unwrap();
                control.press(user, message_id, &data, false).await;
                let page = control
                    .wait_for(user, "auction page", move |m| text(&m[count - 1]).contains(&format!("#{id}\n")))
                    .await;
                (message_id, page[count - 1].clone())
            }
        };
        let (anas_page, page) = open_page(ana, "/subastas", 2).await;
        assert!(text(&page).starts_with(&format!("🔨 Subasta #{id}\nRosa negra × 1\n")), "{}", text(&page));
        assert!(text(&page).contains("Sin pujas; salida: 5 besitos\nPuja mínima: 5 besitos"), "{}", text(&page));
        assert_eq!(labels(&page), ["🔨 Pujar 5", "🔨 Pujar 9", "🔄 Actualizar", "« Subastas"]);
        control.press(ana, anas_page, &button(&page, "🔨 Pujar 5"), false).await;
        let page = control.wait_for(ana, "bid accepted", |m| text(&m[1]).contains("Puja aceptada")).await;
        let anas = page[1].clone();
        assert!(text(&anas).contains("Puja actual: 5 besitos\nPuja mínima: 6 besitos"), "{}", text(&anas));
        assert!(text(&anas).contains("Su saldo: 5 besitos\n✅ Usted va ganando.\n\n✅ Puja aceptada: 5 besitos."));

        let (bobs_page, page) = open_page(bob, "/auctions", 2).await;
        assert!(text(&page).contains("Top bid: 5 besitos\nMinimum bid: 6 besitos"), "{}", text(&page));
        control.press(bob, bobs_page, &button(&page, "🔨 Bid 6"), false).await;
        control.wait_for(bob, "bob's bid", |m| text(&m[1]).contains("Bid accepted: 6 besitos")).await;

        // Ana hears at once, with her besitos back.
        let said = control.wait_for(ana, "outbid notice", |m| m.len() == 3).await;
        assert_eq!(
            text(&said[2]),
            format!(
                "🔨 Le han superado en la subasta #{id} (Rosa negra): la puja va por 6 besitos. \
                 Sus 5 besitos han vuelto a su saldo."
            )
        );
        // Her old page's button now offers too little: refused with the reason.
        let pressed = control.press(ana, anas_page, &button(&anas, "🔨 Pujar 6"), false).await;
        assert_eq!(pressed["answer"]["show_alert"], true, "{pressed}");
        assert_eq!(pressed["answer"]["text"], "❌ Puja rechazada: la puja mínima ahora es 7 besitos");

        // The auction closes; Bob wins and finds the rose in his inventory.
        let said = control.wait_for(bob, "win notice", |m| m.len() == 3).await;
        assert_eq!(
            text(&said[2]),
            format!("🏆 You won auction #{id}! Black rose × 1 is in your inventory, for 6 besitos.")
        );
        control.send_text(bob, "/inventory").await;
        let said = control.wait_for(bob, "inventory", |m| m.len() == 4).await;
        assert!(text(&said[3]).contains("• Black rose × 1"), "{}", text(&said[3]));
        control.send_text(bob, "/profile").await;
        let said = control.wait_for(bob, "profile", |m| m.len() == 5).await;
        assert!(text(&said[4]).contains("Besitos: 4"), "{}", text(&said[4]));
        control.send_text(ana, "/perfil").await;
        let said = control.wait_for(ana, "ana's profile", |m| m.len() == 4).await;
        assert!(text(&said[3]).contains("Besitos: 10"), "{}", text(&said[3]));
        // Closed: the operator cannot cancel it any more.
        control.send_text(operator, &format!("/cancelarsubasta {id}")).await;
        let said = control.wait_for(operator, "cancel refused", |m| m.len() == 3).await;
        assert_eq!(text(&said[2]), "🎩 Lucien inclina la cabeza: no es posible (la subasta ya ha cerrado)");
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_flooding_player_is_told_to_slow_down_once_changes_nothing_more_and_others_are_served() {
    run(async {
        let db = TestDb::postgres().await;
        let window = std::time::Duration::from_secs(10);
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("RATE_LIMITS", "message=5/10s")]).await;
        let control = Control::new(&emulator);
        let ana = control.create_user("Ana", "es").await;
        let bob = control.create_user("Bob", "en").await;
        control.send_text(bob, "/start").await;
        control.wait_for(bob, "bob's welcome", |m| m.len() == 1).await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "ana's welcome", |m| m.len() == 1).await;
        // Ana's window opened with her /start, before this.
        let window_ends = std::time::Instant::now() + window;

        // Thirty gifts in a burst: the /start and four gifts fit her window.
        for _ in 0..30 {
            control.send_text(ana, &format!("/regalar {bob} 1")).await;
        }
        let slowed = |messages: &[serde_json::Value]| {
            messages.iter().filter(|message| text(message).starts_with("🎩 Lucien: Despacio, se lo ruego.")).count()
        };
        control.wait_for(ana, "the slow-down notice", |m| slowed(m) == 1).await;
        // Bob is served meanwhile.
        control.send_text(bob, "/profile").await;
        control.wait_for(bob, "bob's profile", |m| m.iter().any(|m| text(m).starts_with("👤 Profile"))).await;

        // Once the window is over, Ana is served again.
        tokio::time::sleep(window_ends.saturating_duration_since(std::time::Instant::now())).await;
        control.send_text(ana, "/perfil").await;
        let said = control.wait_for(ana, "ana's profile", |m| m.iter().any(|m| text(m).starts_with("👤 Perfil"))).await;
        assert_eq!(slowed(&said), 1, "one notice for the window: {said:#?}");

        let store = db.store().await;
        let dianabot_persistence::Store::Postgres(pool) = &store else { unreachable!() };
        let (gifts,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM ledger WHERE user_id = $1 AND reason = 'gift_sent'")
                .bind(ana)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(gifts, 4, "the refused gifts moved nothing");
        let metrics = reqwest::get(server.metrics_url()).await.unwrap().text().await.unwrap();
        assert!(metrics.contains("dianabot_intake_rate_limited_total{action=\"message\"} 26"), "{metrics}");
        assert!(metrics.contains("dianabot_intake_rate_limit_notices_total 1"), "{metrics}");
        drop(server);
        db.drop_db().await;
    });
}

#[test]
fn a_flood_of_replies_to_one_chat_is_bounded_and_the_last_command_is_answered() {
    run(async {
        let db = TestDb::postgres().await;
        // Telegram-like pacing (sped up), no inbound limits: what remains is the queue bound.
        let settings = [("RATE_LIMITS", "off"), ("OUTBOUND_PER_CHAT_MS", "200"), ("OUTBOUND_MAX_PER_CHAT", "10")];
        let (server, emulator) = ServerProcess::embedded(&db.url, &settings).await;
        let control = Control::new(&emulator);
        let ana = control.create_user("Ana", "es").await;
        control.send_text(ana, "/start").await;
        control.wait_for(ana, "the welcome", |m| m.len() == 1).await;

        // Unbounded, 300 replies at 5 a second would answer the last one a minute later.
        for n in 0..300 {
            control.send_text(ana, if n % 2 == 0 { "/perfil" } else { "/ayuda" }).await;
        }
        control.send_text(ana, "/inventario").await;
        let said = control
            .wait_for(ana, "the last command's answer", |m| {
                m.last().is_some_and(|m| text(m).starts_with("🎒 Inventario"))
            })
            .await;
        assert!(said.len() < 100, "{} replies were sent to a flood of 300", said.len());
        let metrics = reqwest::get(server.metrics_url()).await.unwrap().text().await.unwrap();
        let dropped = metrics
            .lines()
            .find_map(|line| line.strip_prefix("dianabot_telegram_outbound_dropped_total{reason=\"chat_bound\"} "))
            .and_then(|value| value.parse::<f64>().ok())
            .expect("the dropped metric");
        assert!(dropped >= 200.0, "only {dropped} replies dropped:\n{metrics}");
        drop(server);
        db.drop_db().await;
    });
}
