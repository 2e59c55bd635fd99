//! Analytics through the binary and the emulator (#17, done-means 1):
//! players register, open the story and pay in Stars; an operator's
//! `/stats` counts them, `/stats story` shows the fragment reached,
//! `/export funnel` sends a CSV document with the funnel's rows; a
//! player's `/stats` is not understood, and a malformed one says how it
//! is written, naming the reports.

use crate::common::control::{Control, text};
use crate::common::server::ServerProcess;
use crate::common::{TestDb, run};
use crate::operator_roles_e2e::{a_stars_payment, say};

const OWNER: i64 = 900;

#[test]
fn played_events_are_counted_in_stats_and_exported_as_csv() {
    run(async {
        let db = TestDb::postgres().await;
        let (server, emulator) = ServerProcess::embedded(&db.url, &[("ADMIN_IDS", "900")]).await;
        let control = Control::new(&emulator);
        control.create_user_with_id(OWNER, "Owner", "es").await;
        say(&control, OWNER, "/start").await;
        // Ana registers and pays in Stars; Bea registers and opens the story.
        a_stars_payment(&control).await;
        let bea = control.create_user("Bea", "es").await;
        say(&control, bea, "/start").await;
        say(&control, bea, "/historia").await;

        // A player is not told the commands exist.
        assert!(say(&control, bea, "/stats").await.contains("no he entendido"));

        let overview = say(&control, OWNER, "/stats").await;
        assert!(overview.contains("Activos: 3 hoy"), "{overview}");
        assert!(overview.contains("3 registros → 0 implicados → 1 compradores → 0 VIP"), "{overview}");

        let story = say(&control, OWNER, "/stats story").await;
        assert!(story.lines().any(|line| line.starts_with("l1_umbral") && line.contains(" 1 ")), "{story}");

        let wrong = say(&control, OWNER, "/stats nonsense").await;
        assert!(wrong.contains("/stats [informe") && wrong.contains("funnel|revenue"), "{wrong}");

        let before = control.bot_messages(OWNER).await.len();
        control.send_text(OWNER, "/export funnel").await;
        let messages = control.wait_for(OWNER, "the CSV document", |m| m.len() > before).await;
        let document = &messages[before]["document"];
        assert!(document["file_name"].as_str().is_some_and(|name| name.starts_with("funnel_")), "{document}");
        let csv = String::from_utf8(control.file(document["file_id"].as_str().expect("file id")).await).expect("utf-8");
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows[0], "stage,players,of_previous,of_registered");
        assert_eq!(rows[1], "registered,3,100.00,100.00");
        assert_eq!(rows[2], "engaged,0,0.00,0.00");
        assert_eq!(rows[3], "purchaser,1,,33.33");
        assert_eq!(rows[4], "vip,0,0.00,0.00");
        assert!(text(&messages[before]).is_empty());

        drop(server);
        db.drop_db().await;
    });
}
