//! Permission resolution: an owner holds every permission, a role gives
//! exactly its permissions, a temporary role stops counting when the clock
//! reaches its expiry; and `roles.toml` problems are reported like any
//! content problem, with file and line.

mod support;

use dianabot_game::UserId;
use dianabot_game::content::{Content, Permission, ProblemKind, RoleId};
use dianabot_game::roles::{AuditOutcome, OperatorAction, RoleGrant, access};
use proptest::prelude::*;

fn content() -> Content {
    let roles = r#"
        [[role]]
        id = "support"
        name = { es = "Soporte", en = "Support" }
        permissions = ["refunds", "grants", "vip_grants"]

        [[role]]
        id = "analyst"
        name = { es = "Analista", en = "Analyst" }
        permissions = ["analytics", "audit"]

        [[role]]
        id = "manager"
        name = { es = "Gerente", en = "Manager" }
        permissions = ["roles", "refunds", "grants", "vip_grants", "analytics"]
    "#;
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "roles.toml");
    files.push(("roles.toml".to_owned(), roles.to_owned()));
    Content::parse(&files).expect("valid content")
}

fn grant(role: &str, expires_at: Option<i64>) -> RoleGrant {
    RoleGrant { user: UserId(7), role: RoleId::new(role), granted_by: UserId(1), granted_at: 0, expires_at }
}

#[test]
fn an_owner_holds_every_permission_without_grants() {
    let access = access(true, &[], &content(), 0);
    assert!(Permission::ALL.iter().all(|permission| access.allows(*permission)));
    assert!(access.is_operator());
}

#[test]
fn nobody_else_holds_anything_without_a_grant() {
    let access = access(false, &[], &content(), 0);
    assert!(!access.is_operator());
    assert!(Permission::ALL.iter().all(|permission| !access.allows(*permission)));
}

#[test]
fn a_temporary_role_counts_until_it_expires_and_not_from_then() {
    let content = content();
    let grants = [grant("support", Some(1_000))];
    assert!(access(false, &grants, &content, 999).allows(Permission::Refunds));
    assert!(!access(false, &grants, &content, 1_000).allows(Permission::Refunds));
    let lapsed = access(false, &grants, &content, 5_000);
    assert!(lapsed.permissions.is_empty());
    assert!(lapsed.is_operator(), "refused, not taken for a player");
}

#[test]
fn a_role_content_no_longer_defines_gives_nothing() {
    assert!(access(false, &[grant("retired", None)], &content(), 0).permissions.is_empty());
}

#[test]
fn a_role_manager_grants_only_roles_within_their_own_powers() {
    let content = content();
    let manager = access(false, &[grant("manager", None)], &content, 0);
    let role = |id: &str| content.role(id).expect("role").clone();
    assert!(manager.may_grant(&role("support")));
    assert!(!manager.may_grant(&role("analyst")), "audit is not the manager's to give");
    assert!(!manager.may_grant(&role("manager")), "nobody but an owner makes a role manager");
    let support = access(false, &[grant("support", None)], &content, 0);
    assert!(!support.may_grant(&role("support")));
    assert!(access(true, &[], &content, 0).may_grant(&role("manager")));
}

#[test]
fn every_action_needs_a_permission_and_round_trips_its_name() {
    for action in OperatorAction::ALL {
        assert_eq!(OperatorAction::parse(action.as_str()), Some(action));
    }
    for outcome in [AuditOutcome::Done, AuditOutcome::Refused, AuditOutcome::Failed] {
        assert_eq!(AuditOutcome::parse(outcome.as_str()), Some(outcome));
    }
}

proptest! {
    /// A non-owner holds exactly the union of the permissions of the
    /// roles whose grants are active at `now`; an owner holds all.
    #[test]
    fn access_is_exactly_the_active_roles_permissions(
        grants in proptest::collection::vec(
            (prop::sample::select(vec!["support", "analyst", "manager", "retired"]),
             proptest::option::of(0i64..2_000)),
            0..6,
        ),
        now in 0i64..2_000,
        owner in any::<bool>(),
    ) {
        let content = content();
        let grants: Vec<RoleGrant> = grants.into_iter().map(|(role, expires)| grant(role, expires)).collect();
        let resolved = access(owner, &grants, &content, now);
        for permission in Permission::ALL {
            let expected = owner || grants.iter().any(|grant| {
                grant.expires_at.is_none_or(|expires| now < expires)
                    && content.role(grant.role.as_str()).is_some_and(|role| role.permissions.contains(permission))
            });
            prop_assert_eq!(resolved.allows(permission), expected, "{:?}", permission);
        }
        prop_assert_eq!(resolved.is_operator(), owner || !grants.is_empty());
    }

    /// Time only takes permissions away: what is held later was held before.
    #[test]
    fn permissions_only_shrink_as_the_clock_moves(
        expiries in proptest::collection::vec(proptest::option::of(0i64..2_000), 0..4),
        earlier in 0i64..2_000,
        later in 0i64..2_000,
    ) {
        let (earlier, later) = (earlier.min(later), earlier.max(later));
        let content = content();
        let roles = ["support", "analyst", "manager", "support"];
        let grants: Vec<RoleGrant> =
            expiries.iter().zip(roles).map(|(expires, role)| grant(role, *expires)).collect();
        let before = access(false, &grants, &content, earlier).permissions;
        let after = access(false, &grants, &content, later).permissions;
        prop_assert!(after.is_subset(before));
    }
}

fn with_roles(roles: &str) -> Vec<(String, String)> {
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "roles.toml");
    files.push(("roles.toml".to_owned(), roles.to_owned()));
    files
}

#[test]
fn the_shipped_roles_are_valid_and_give_what_their_names_say() {
    let content = support::content();
    let support_role = content.role("support").expect("support is shipped");
    assert!(support_role.permissions.contains(Permission::Refunds));
    assert!(!support_role.permissions.contains(Permission::Roles));
    for id in ["moderator", "support", "content_editor", "analyst"] {
        assert!(content.role(id).is_some(), "{id} is shipped");
    }
    assert!(content.roles().all(|role| !role.permissions.contains(Permission::Roles)));
}

#[test]
fn role_problems_are_reported_with_file_and_line() {
    let files = with_roles(
        r#"[[role]]
id = "support"
name = { es = "Soporte", en = "Support" }
permissions = ["refunds", "refunds", "fly"]

[[role]]
id = "support"
name = { es = "Otra vez" }
permissions = []

[[role]]
id = "Mal Nombre"
name = { es = "x", en = "x" }
permissions = ["audit"]
colour = "red"
"#,
    );
    let problems = Content::parse(&files).expect_err("invalid roles");
    let found: Vec<(ProblemKind, Option<usize>)> =
        problems.iter().filter(|p| p.file == "roles.toml").map(|p| (p.kind, p.line)).collect();
    for expected in [
        (ProblemKind::InvalidValue, Some(4)),
        (ProblemKind::DuplicateId, Some(7)),
        (ProblemKind::MissingTranslation, Some(8)),
        (ProblemKind::InvalidValue, Some(9)),
        (ProblemKind::InvalidId, Some(12)),
        (ProblemKind::UnknownKey, Some(15)),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    let unknown = problems.iter().find(|p| p.message.contains("`fly`")).expect("unknown permission named");
    assert_eq!((unknown.line, unknown.key_path.as_str()), (Some(4), "role.support.permissions[2]"));
    assert!(unknown.to_string().starts_with("roles.toml:4: role.support.permissions[2]: unknown value `fly`"));
}

#[test]
fn content_without_a_roles_file_has_no_roles() {
    let mut files = support::read_dir(&support::demo_dir());
    files.retain(|(path, _)| path != "roles.toml");
    let content = Content::parse(&files).expect("valid without roles");
    assert_eq!(content.roles().count(), 0);
    let grants = [RoleGrant {
        user: UserId(7),
        role: RoleId::new("support"),
        granted_by: UserId(1),
        granted_at: 0,
        expires_at: None,
    }];
    assert!(access(false, &grants, &content, 0).permissions.is_empty());
}
