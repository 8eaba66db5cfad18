//! The editorial review lifecycle: states, roles, actions, and the one function that decides
//! which transitions are legal and who may make them.
//!
//! ```text
//!  Submitted ──claim──► Under review ──approve──► Approved
//!      ▲                  │     ▲                    │
//!      │        request changes  revise              │ revise (the approved version stays
//!      │                  ▼     │                    │  published until the new one is approved)
//!      │             Changes requested               ▼
//!      └───────────────────────────────────────── Submitted
//!  any state except Withdrawn ──withdraw──► Withdrawn ──reopen──► Submitted
//! ```
//!
//! Storage (evident-store) calls [`transition`] and nothing else decides; the web pages call
//! [`allowed_actions`] to show only the buttons that would work.
//!
//! Reviewers mark and comment on single statements, named by a [`StatementKey`]; editors revise
//! a rendering with [`Edits`], applied by [`apply_edits`] (in [`edits`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

pub mod edits;

pub use edits::{apply_edits, EditError, Edits, StatementEdit};

/// Where an article stands in review. Shown on every article page as three steps
/// (Submitted, Under review, Approved); see [`ReviewState::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Submitted,
    UnderReview,
    ChangesRequested,
    Approved,
    Withdrawn,
}

impl ReviewState {
    pub const ALL: [ReviewState; 5] = [
        ReviewState::Submitted,
        ReviewState::UnderReview,
        ReviewState::ChangesRequested,
        ReviewState::Approved,
        ReviewState::Withdrawn,
    ];

    /// Stable snake_case code, as stored and as sent in JSON.
    pub fn code(self) -> &'static str {
        match self {
            ReviewState::Submitted => "submitted",
            ReviewState::UnderReview => "under_review",
            ReviewState::ChangesRequested => "changes_requested",
            ReviewState::Approved => "approved",
            ReviewState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Submitted => "Submitted",
            ReviewState::UnderReview => "Under Review",
            ReviewState::ChangesRequested => "Changes requested",
            ReviewState::Approved => "Approved",
            ReviewState::Withdrawn => "Withdrawn",
        }
    }

    /// The step of the public three-step status (0 Submitted, 1 Under Review, 2 Approved).
    /// Changes requested is still under review; a withdrawn article shows no step.
    pub fn step(self) -> Option<usize> {
        match self {
            ReviewState::Submitted => Some(0),
            ReviewState::UnderReview | ReviewState::ChangesRequested => Some(1),
            ReviewState::Approved => Some(2),
            ReviewState::Withdrawn => None,
        }
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for ReviewState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ReviewState::ALL
            .into_iter()
            .find(|state| state.code() == s.trim())
            .ok_or_else(|| Error::Invalid(format!("unknown review state {s:?}")))
    }
}

/// What a user may do. Anonymous visitors are readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reader,
    Clinician,
    Reviewer,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Reader,
        Role::Clinician,
        Role::Reviewer,
        Role::Editor,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Clinician => "clinician",
            Role::Reviewer => "reviewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Role::ALL
            .into_iter()
            .find(|role| role.code() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown role {s:?}: use reader, clinician, reviewer, editor or admin"
                ))
            })
    }
}

/// A review action on an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A reviewer takes a submitted article into review.
    Claim,
    /// A reviewer approves the version under review; it becomes the published version.
    Approve,
    /// A reviewer sends the article back with comments.
    RequestChanges,
    /// An editor saves a revised version (text or citations).
    Revise,
    /// An editor takes the article off the queue and off the public pages.
    Withdraw,
    /// An editor puts a withdrawn article back on the queue.
    Reopen,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Claim,
        Action::Approve,
        Action::RequestChanges,
        Action::Revise,
        Action::Withdraw,
        Action::Reopen,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Approve => "approve",
            Action::RequestChanges => "request_changes",
            Action::Revise => "revise",
            Action::Withdraw => "withdraw",
            Action::Reopen => "reopen",
        }
    }

    /// The roles allowed to take this action (admins may take every action).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::Claim | Action::Approve | Action::RequestChanges => {
                &[Role::Reviewer, Role::Admin]
            }
            Action::Revise | Action::Withdraw | Action::Reopen => &[Role::Editor, Role::Admin],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Action::ALL
            .into_iter()
            .find(|a| a.code() == s.trim())
            .ok_or_else(|| Error::Invalid(format!("unknown review action {s:?}")))
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("{role} users may not {action} an article (needs {needed})")]
    Forbidden {
        role: Role,
        action: Action,
        needed: String,
    },
    #[error("cannot {action} an article that is {}", state.label().to_lowercase())]
    Illegal { state: ReviewState, action: Action },
}

/// The next state when `role` takes `action` on an article in `state`, or why not.
/// Permission is checked before legality, so a reader learns only that they may not act.
pub fn transition(
    state: ReviewState,
    action: Action,
    role: Role,
) -> Result<ReviewState, TransitionError> {
    if !action.roles().contains(&role) {
        let needed = action
            .roles()
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(TransitionError::Forbidden {
            role,
            action,
            needed,
        });
    }
    use ReviewState::*;
    let next = match (state, action) {
        (Submitted, Action::Claim) => UnderReview,
        (UnderReview, Action::Approve) => Approved,
        (UnderReview, Action::RequestChanges) => ChangesRequested,
        (ChangesRequested, Action::Revise) => UnderReview,
        (Submitted, Action::Revise) => Submitted,
        (UnderReview, Action::Revise) => UnderReview,
        (Approved, Action::Revise) => Submitted,
        (Submitted | UnderReview | ChangesRequested | Approved, Action::Withdraw) => Withdrawn,
        (Withdrawn, Action::Reopen) => Submitted,
        _ => return Err(TransitionError::Illegal { state, action }),
    };
    Ok(next)
}

/// The actions `role` may take on an article in `state`.
pub fn allowed_actions(state: ReviewState, role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| transition(state, a, role).is_ok())
        .collect()
}

/// Where a statement sits in one rendering of an answer: the `i`th statement of the lead, or the
/// `i`th statement of section `s` (both 0-based).
///
/// Its text form, `lead.<i>` or `s<section>.<i>`, is what the store persists for marks and
/// comments and what the revise form names its fields after (`text.lead.0`, `cites.s1.2`), so it
/// must never change. [`FromStr`] accepts exactly the strings [`Display`](fmt::Display) writes
/// (no signs, no leading zeros), so a parsed key prints back to the same string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatementKey {
    /// A statement of the lead.
    Lead(usize),
    /// A statement of a section.
    Section { section: usize, index: usize },
}

impl fmt::Display for StatementKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementKey::Lead(i) => write!(f, "lead.{i}"),
            StatementKey::Section { section, index } => write!(f, "s{section}.{index}"),
        }
    }
}

/// A non-negative number written the one way [`fmt::Display`] writes it.
fn canonical_number(s: &str) -> Option<usize> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits && (s == "0" || !s.starts_with('0')))
        .then(|| s.parse().ok())
        .flatten()
}

impl FromStr for StatementKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let key = if let Some(i) = s.strip_prefix("lead.") {
            canonical_number(i).map(StatementKey::Lead)
        } else {
            s.strip_prefix('s')
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(section, index)| {
                    Some(StatementKey::Section {
                        section: canonical_number(section)?,
                        index: canonical_number(index)?,
                    })
                })
        };
        key.ok_or_else(|| {
            Error::Invalid(format!(
                "unknown statement key {s:?}; expected lead.<n> or s<section>.<n>"
            ))
        })
    }
}

impl Serialize for StatementKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StatementKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path() {
        let s = transition(ReviewState::Submitted, Action::Claim, Role::Reviewer).unwrap();
        assert_eq!(s, ReviewState::UnderReview);
        let s = transition(s, Action::RequestChanges, Role::Reviewer).unwrap();
        assert_eq!(s, ReviewState::ChangesRequested);
        let s = transition(s, Action::Revise, Role::Editor).unwrap();
        assert_eq!(s, ReviewState::UnderReview);
        let s = transition(s, Action::Approve, Role::Reviewer).unwrap();
        assert_eq!(s, ReviewState::Approved);
        assert_eq!(
            transition(s, Action::Revise, Role::Editor).unwrap(),
            ReviewState::Submitted
        );
    }

    #[test]
    fn clinicians_cannot_approve_and_approved_cannot_be_claimed() {
        let err =
            transition(ReviewState::UnderReview, Action::Approve, Role::Clinician).unwrap_err();
        assert!(matches!(err, TransitionError::Forbidden { .. }));
        assert!(err.to_string().contains("reviewer or admin"), "{err}");
        let err = transition(ReviewState::Approved, Action::Claim, Role::Reviewer).unwrap_err();
        assert!(matches!(err, TransitionError::Illegal { .. }));
        // An editor cannot approve their own revision.
        assert!(transition(ReviewState::UnderReview, Action::Approve, Role::Editor).is_err());
    }

    #[test]
    fn codes_round_trip() {
        for s in ReviewState::ALL {
            assert_eq!(s.code().parse::<ReviewState>().unwrap(), s);
        }
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
        }
        for a in Action::ALL {
            assert_eq!(a.code().parse::<Action>().unwrap(), a);
        }
    }

    #[test]
    fn statement_keys_keep_their_persisted_form() {
        for (text, key) in [
            ("lead.0", StatementKey::Lead(0)),
            ("lead.12", StatementKey::Lead(12)),
            (
                "s0.0",
                StatementKey::Section {
                    section: 0,
                    index: 0,
                },
            ),
            (
                "s3.10",
                StatementKey::Section {
                    section: 3,
                    index: 10,
                },
            ),
        ] {
            assert_eq!(text.parse::<StatementKey>().unwrap(), key);
            assert_eq!(key.to_string(), text);
            assert_eq!(serde_json::to_string(&key).unwrap(), format!("{text:?}"));
            assert_eq!(
                serde_json::from_str::<StatementKey>(&format!("{text:?}")).unwrap(),
                key
            );
        }
        for bad in [
            "", "lead", "lead.", "lead.01", "lead.+1", "lead.-1", "lead.1 ", " lead.1", "s1",
            "s.1", "s01.1", "s1.", "s1.2.3", "S1.2", "x1.2", "lead.1.2",
        ] {
            assert!(bad.parse::<StatementKey>().is_err(), "{bad:?}");
        }
        // Reading order: the lead first, then sections in order.
        let mut keys = [
            StatementKey::Section {
                section: 1,
                index: 0,
            },
            StatementKey::Lead(3),
            StatementKey::Section {
                section: 0,
                index: 2,
            },
        ];
        keys.sort();
        assert_eq!(
            keys.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["lead.3", "s0.2", "s1.0"]
        );
    }

    fn any_state() -> impl Strategy<Value = ReviewState> {
        prop::sample::select(ReviewState::ALL.to_vec())
    }
    fn any_action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }
    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    proptest! {
        /// Only reviewers and admins ever reach Approved, readers and clinicians never change
        /// a state, and every state can be left (no dead ends but by design).
        #[test]
        fn transitions_respect_roles(state in any_state(), action in any_action(), role in any_role()) {
            if let Ok(next) = transition(state, action, role) {
                prop_assert!(role >= Role::Reviewer);
                if next == ReviewState::Approved {
                    prop_assert!(matches!(role, Role::Reviewer | Role::Admin));
                    prop_assert_eq!(state, ReviewState::UnderReview);
                }
            }
            prop_assert!(!allowed_actions(state, Role::Admin).is_empty());
        }

        /// Every string that parses as a key prints back to itself, and every key round-trips.
        #[test]
        fn statement_keys_round_trip(text in "(lead|s[0-9]{1,3})\\.[0-9]{1,3}|[a-z0-9.+ -]{0,8}", a in 0usize..5000, b in 0usize..5000) {
            if let Ok(key) = text.parse::<StatementKey>() {
                prop_assert_eq!(key.to_string(), text);
            }
            for key in [StatementKey::Lead(a), StatementKey::Section { section: a, index: b }] {
                prop_assert_eq!(key.to_string().parse::<StatementKey>().unwrap(), key);
            }
        }
    }
}
