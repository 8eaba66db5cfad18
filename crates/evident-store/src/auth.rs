//! Users, password checks, sessions and API tokens.
//!
//! Passwords are argon2id hashes (PHC strings, random salt). Session and API tokens are 32
//! random bytes, hex; the database keeps only their SHA-256, so a copy of it opens no
//! session. Failed sign-ins are stored, so the rate limit holds across restarts and servers;
//! each try is recorded before its password is checked, so parallel tries count too.
//!
//! Passwords must pass [`check_password`]. A disabled user's hash carries [`DISABLED_MARK`] in
//! front (as `passwd -l` does): no password verifies against it, that user's sessions and API
//! tokens are not honoured, and enabling them takes the mark off, restoring their password. Being
//! in the hash column, the mark survives backups and needs no schema change.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use evident_core::Role;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::articles::{audit, from_code};
use crate::db::{Db, Mode, Row, Tx};
use crate::{now, Error, Millis, Result, User};

/// How long a sign-in lasts.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// The window in which failed sign-ins are counted (and so the longest any is remembered).
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed sign-ins for one username from one client within the window that cost no wait.
pub const FREE_FAILURES: i64 = 3;
/// The wait after the free failures; it doubles with each further failure.
pub const FIRST_DELAY_MS: i64 = 2_000;
/// The longest wait between two tries for one username from one client.
pub const MAX_DELAY_MS: i64 = FAILURE_WINDOW_MS;
/// Failed sign-ins from one client (address) within the window: higher, since many people
/// may share one address.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;

/// The shortest password accepted, in characters. Length is what slows guessing most; a phrase
/// of a few words is long and easy to remember.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Passwords that guessing lists try first, refused whatever their length (compared ignoring
/// case). Only ones of at least [`MIN_PASSWORD_CHARS`] matter: shorter ones fail on length.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopas",
    "qwerty123456",
    "1q2w3e4r5t6y",
    "password1234",
    "password12345",
    "passwordpassword",
    "administrator",
    "administrator1",
    "letmein12345",
    "iloveyou1234",
    "welcome12345",
    "changeme1234",
    "abcdefghijkl",
    "correct horse battery staple",
    "correcthorsebatterystaple",
];

/// Prefixed to the password hash of a disabled user (argon2 PHC strings start with '$').
pub const DISABLED_MARK: &str = "!";

/// SQL: the user `u` is not disabled.
const ENABLED: &str = "u.password_hash NOT LIKE '!%'";

/// How many hex digits of a token's SHA-256 name it in lists: enough to be unique, and telling
/// nothing of the secret.
const TOKEN_ID_LEN: usize = 12;

const USER_COLUMNS: &str = "id, username, display_name, role, created_at";

/// An API token as listed: never its secret, which is shown once when it is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// The first hex digits of the token's SHA-256: what `evident token revoke` takes.
    pub id: String,
    pub username: String,
    pub label: String,
    pub created_at: Millis,
}

/// Why `password` is not acceptable for `username`, as an [`Error::Invalid`] that states the
/// rule: at least [`MIN_PASSWORD_CHARS`] characters, not one character repeated, not the
/// username, not one of the most common passwords.
pub fn check_password(username: &str, password: &str) -> Result<()> {
    let refuse = |why: &str| Err(Error::Invalid(format!("{why}; choose another password")));
    if password.is_empty() {
        return refuse("the password is empty");
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "the password is too short ({chars} characters): use at least \
             {MIN_PASSWORD_CHARS}; a phrase of a few words is easiest to remember"
        )));
    }
    let lowered = password.to_lowercase();
    if lowered.trim() == key(username) {
        return refuse("the password is the username");
    }
    let mut distinct = password.chars();
    let first = distinct.next();
    if distinct.all(|c| Some(c) == first) {
        return refuse("the password is one character repeated");
    }
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return refuse("the password is one of the most common passwords");
    }
    Ok(())
}

fn user_from_row(row: &Row) -> Result<User> {
    Ok(User {
        id: row.int(0)?,
        username: row.text(1)?,
        display_name: row.text(2)?,
        role: from_code(&row.text(3)?)?,
        created_at: row.int(4)?,
    })
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| Error::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .and_then(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed))
        .is_ok()
}

/// A hash to check unknown usernames against, so they take as long as known ones.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("evident decoy password").unwrap_or_default())
}

fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// `actor` may do `what` to the user `target`: `None` (the operator at the command line) and
/// admins may; others only to themselves, and only where `target` is given.
fn require_admin(actor: Option<&User>, target: Option<&User>, what: &str) -> Result<()> {
    match actor {
        Some(a) if a.role != Role::Admin && target.is_none_or(|t| t.id != a.id) => Err(
            Error::Forbidden(format!("{} users may not {what} (needs admin)", a.role)),
        ),
        _ => Ok(()),
    }
}

/// The user named `username` and their password hash, or [`Error::NotFound`].
fn find_user(tx: &mut dyn Tx, username: &str) -> Result<(User, String)> {
    let row = tx
        .query_opt(
            &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username_key = ?"),
            &[key(username).into()],
        )?
        .ok_or_else(|| Error::NotFound(format!("user {:?}", username.trim())))?;
    Ok((user_from_row(&row)?, row.text(5)?))
}

fn delete_sessions(tx: &mut dyn Tx, user: &User) -> Result<u64> {
    tx.execute("DELETE FROM sessions WHERE user_id = ?", &[user.id.into()])
}

pub(crate) fn create_user(
    db: &Db,
    actor: Option<&User>,
    username: &str,
    display_name: &str,
    password: &str,
    role: Role,
) -> Result<User> {
    require_admin(actor, None, "add users")?;
    let username = username.trim();
    if !valid_username(username) {
        return Err(Error::Invalid(format!(
            "username {username:?}: use 1-64 letters, digits, '.', '_', '-' or '@'"
        )));
    }
    check_password(username, password)?;
    let display_name = match display_name.trim() {
        "" => username,
        name => name,
    };
    let hash = hash_password(password)?;
    let result = db.run(Mode::Write, |tx| {
        let row = tx.query_one(
            &format!(
                "INSERT INTO users (username, username_key, display_name, role, \
                 password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
            ),
            &[
                username.into(),
                key(username).into(),
                display_name.into(),
                role.code().into(),
                hash.as_str().into(),
                now().into(),
            ],
        )?;
        let user = user_from_row(&row)?;
        account_audit(
            tx,
            actor,
            "user_add",
            json!({ "username": user.username, "role": role.code() }),
        )?;
        Ok(user)
    });
    match result {
        Err(Error::Duplicate(_)) => Err(Error::Duplicate(format!("user {username:?}"))),
        other => other,
    }
}

/// PostgreSQL advisory lock key that serialises the sign-in limit's check-and-record ("signin"
/// in ASCII, as a number). SQLite's `BEGIN IMMEDIATE` already serialises writers.
const SIGN_IN_LOCK: i64 = 0x73_69_67_6e_69_6e;

/// The wait before the next try for one username from one client, after `failures` of them
/// within the window: none for the free ones, then [`FIRST_DELAY_MS`] doubling, capped.
fn delay_after(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(u32::MAX);
    FIRST_DELAY_MS
        .checked_mul(2_i64.checked_pow(doublings).unwrap_or(i64::MAX))
        .unwrap_or(i64::MAX)
        .min(MAX_DELAY_MS)
}

/// Whole seconds from `now` until `until`, at least 1 (a `Retry-After` of 0 invites a spin).
fn secs_until(until: i64, now: i64) -> u64 {
    u64::try_from((until - now + 999) / 1000)
        .unwrap_or(0)
        .max(1)
}

/// Checks the limit and, when the try may go ahead, records it as a failure before the password
/// is checked, all in one transaction under a lock: concurrent tries each see the ones before
/// them, so a burst cannot pass more than the limit. The failure's id, to forget on success.
fn reserve_try(db: &Db, username_key: &str, client: &str) -> Result<(i64, Option<Row>)> {
    db.run(Mode::Write, |tx| {
        if let Db::Postgres(_) = db {
            tx.execute("SELECT pg_advisory_xact_lock(?)", &[SIGN_IN_LOCK.into()])?;
        }
        let at = now();
        let since = at - FAILURE_WINDOW_MS;
        let by_client = tx.query_one(
            "SELECT COUNT(*), MIN(at) FROM login_failures WHERE client = ? AND at > ?",
            &[client.into(), since.into()],
        )?;
        if by_client.int(0)? >= MAX_FAILURES_PER_CLIENT {
            let oldest = by_client.opt_int(1)?.unwrap_or(at);
            return Err(Error::RateLimited {
                retry_after_secs: secs_until(oldest + FAILURE_WINDOW_MS, at),
            });
        }
        let by_pair = tx.query_one(
            "SELECT COUNT(*), MAX(at) FROM login_failures \
             WHERE username_key = ? AND client = ? AND at > ?",
            &[username_key.into(), client.into(), since.into()],
        )?;
        let failures = by_pair.int(0)?;
        let next_try = by_pair.opt_int(1)?.unwrap_or(at) + delay_after(failures);
        if failures >= FREE_FAILURES && next_try > at {
            return Err(Error::RateLimited {
                retry_after_secs: secs_until(next_try, at),
            });
        }
        let id = tx
            .query_one(
                "INSERT INTO login_failures (username_key, client, at) VALUES (?, ?, ?) \
                 RETURNING id",
                &[username_key.into(), client.into(), at.into()],
            )?
            .int(0)?;
        let found = tx.query_opt(
            &format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username_key = ?"),
            &[username_key.into()],
        )?;
        Ok((id, found))
    })
}

/// The sign-in limit is per username and client address: a client that keeps failing for a
/// username waits longer and longer (free tries, then a doubling delay, capped), and any client
/// is capped across usernames; but nobody elsewhere is locked out by it. A success forgets that
/// client's failures for that username, not other clients'.
pub(crate) fn authenticate(db: &Db, username: &str, password: &str, client: &str) -> Result<User> {
    let username_key = key(username);
    let (attempt, found) = reserve_try(db, &username_key, client)?;
    let user = match &found {
        Some(row) if !row.text(5)?.starts_with(DISABLED_MARK) => {
            if verify_password(password, &row.text(5)?) {
                Some(user_from_row(row)?)
            } else {
                None
            }
        }
        // Disabled or unknown: spend the same argon2 time as for a real user, so timing tells
        // neither which usernames exist nor which are disabled.
        _ => {
            let _ = verify_password(password, decoy_hash());
            None
        }
    };
    db.run(Mode::Write, |tx| match &user {
        Some(_) => {
            tx.execute(
                "DELETE FROM login_failures WHERE (username_key = ? AND client = ?) OR id = ?",
                &[username_key.as_str().into(), client.into(), attempt.into()],
            )?;
            Ok(())
        }
        None => audit(
            tx,
            None,
            "login_failed",
            None,
            None,
            json!({ "username": username_key, "client": client }),
        ),
    })?;
    user.ok_or(Error::InvalidCredentials)
}

pub(crate) fn create_session(db: &Db, user: &User) -> Result<String> {
    let token = hex(&random_bytes::<32>()?);
    let at = now();
    db.run(Mode::Write, |tx| {
        // Expired sessions are swept as new ones start.
        tx.execute("DELETE FROM sessions WHERE expires_at <= ?", &[at.into()])?;
        tx.execute(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            &[
                token_hash(&token).into(),
                user.id.into(),
                at.into(),
                (at + SESSION_TTL_MS).into(),
            ],
        )
    })?;
    Ok(token)
}

pub(crate) fn session_user(db: &Db, token: &str) -> Result<Option<User>> {
    let columns = prefixed("u.", USER_COLUMNS);
    db.run(Mode::Read, |tx| {
        tx.query_opt(
            &format!(
                "SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = ? AND s.expires_at > ? AND {ENABLED}"
            ),
            &[token_hash(token).into(), now().into()],
        )?
        .map(|row| user_from_row(&row))
        .transpose()
    })
}

pub(crate) fn end_session(db: &Db, token: &str) -> Result<()> {
    db.run(Mode::Write, |tx| {
        tx.execute(
            "DELETE FROM sessions WHERE token_hash = ?",
            &[token_hash(token).into()],
        )
        .map(|_| ())
    })
}

pub(crate) fn create_api_token(db: &Db, user: &User, label: &str) -> Result<String> {
    let token = format!("evt_{}", hex(&random_bytes::<32>()?));
    db.run(Mode::Write, |tx| {
        tx.execute(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?)",
            &[
                token_hash(&token).into(),
                user.id.into(),
                label.into(),
                now().into(),
            ],
        )?;
        audit(
            tx,
            Some(&user.username),
            "api_token_add",
            None,
            None,
            json!({ "label": label }),
        )
    })?;
    Ok(token)
}

pub(crate) fn token_user(db: &Db, token: &str) -> Result<Option<User>> {
    let columns = prefixed("u.", USER_COLUMNS);
    db.run(Mode::Read, |tx| {
        tx.query_opt(
            &format!(
                "SELECT {columns} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = ? AND t.revoked_at IS NULL AND {ENABLED}"
            ),
            &[token_hash(token).into()],
        )?
        .map(|row| user_from_row(&row))
        .transpose()
    })
}

pub(crate) fn revoke_api_token(db: &Db, token: &str) -> Result<bool> {
    db.run(Mode::Write, |tx| {
        let revoked = tx.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            &[now().into(), token_hash(token).into()],
        )?;
        Ok(revoked > 0)
    })
}

/// Issues an API token for `username` on behalf of `actor` (an admin, the user themselves, or
/// the operator); the secret is returned once, beside the listed form.
pub(crate) fn issue_api_token(
    db: &Db,
    actor: Option<&User>,
    username: &str,
    label: &str,
) -> Result<(ApiToken, String)> {
    let secret = format!("evt_{}", hex(&random_bytes::<32>()?));
    let hash = token_hash(&secret);
    let label = label.trim();
    let token = db.run(Mode::Write, |tx| {
        let (user, password_hash) = find_user(tx, username)?;
        require_admin(actor, Some(&user), "issue API tokens for other users")?;
        if password_hash.starts_with(DISABLED_MARK) {
            return Err(Error::Invalid(format!(
                "user {:?} is disabled; enable them before issuing a token",
                user.username
            )));
        }
        let created_at = now();
        tx.execute(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES (?, ?, ?, ?)",
            &[
                hash.as_str().into(),
                user.id.into(),
                label.into(),
                created_at.into(),
            ],
        )?;
        let token = ApiToken {
            id: hash[..TOKEN_ID_LEN].to_string(),
            username: user.username,
            label: label.to_string(),
            created_at,
        };
        account_audit(
            tx,
            actor,
            "api_token_add",
            json!({ "id": token.id, "username": token.username, "label": label }),
        )?;
        Ok(token)
    })?;
    Ok((token, secret))
}

const TOKEN_COLUMNS: &str = "t.token_hash, u.username, t.label, t.created_at";

fn api_token_from_row(row: &Row) -> Result<ApiToken> {
    let hash = row.text(0)?;
    Ok(ApiToken {
        id: hash.get(..TOKEN_ID_LEN).unwrap_or(&hash).to_string(),
        username: row.text(1)?,
        label: row.text(2)?,
        created_at: row.int(3)?,
    })
}

/// The tokens not revoked, oldest first (a disabled user's are listed: they work again once
/// the user is enabled).
pub(crate) fn list_api_tokens(db: &Db) -> Result<Vec<ApiToken>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.revoked_at IS NULL ORDER BY t.created_at, t.token_hash"
            ),
            &[],
        )?
        .iter()
        .map(api_token_from_row)
        .collect()
    })
}

/// Revokes the live token whose id ([`ApiToken::id`]) is `id`; [`Error::NotFound`] when none is.
pub(crate) fn revoke_api_token_by_id(db: &Db, actor: Option<&User>, id: &str) -> Result<ApiToken> {
    let id = id.trim().to_lowercase();
    if id.len() != TOKEN_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Invalid(format!(
            "token id {id:?}: give the {TOKEN_ID_LEN} hex digits that the token list shows"
        )));
    }
    db.run(Mode::Write, |tx| {
        let rows = tx.query(
            &format!(
                "SELECT {TOKEN_COLUMNS}, u.id FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE substr(t.token_hash, 1, {TOKEN_ID_LEN}) = ? AND t.revoked_at IS NULL"
            ),
            &[id.as_str().into()],
        )?;
        let row = match rows.as_slice() {
            [row] => row,
            [] => return Err(Error::NotFound(format!("live API token {id:?}"))),
            _ => {
                return Err(Error::Invalid(format!(
                    "token id {id:?} names {} tokens; revoke them by their secret",
                    rows.len()
                )))
            }
        };
        let owner = row.int(4)?;
        if let Some(a) = actor {
            if a.role != Role::Admin && a.id != owner {
                return Err(Error::Forbidden(format!(
                    "{} users may not revoke other users' tokens (needs admin)",
                    a.role
                )));
            }
        }
        let token = api_token_from_row(row)?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ?",
            &[now().into(), row.text(0)?.as_str().into()],
        )?;
        account_audit(
            tx,
            actor,
            "api_token_revoke",
            json!({ "id": token.id, "username": token.username }),
        )?;
        Ok(token)
    })
}

/// Sets `username`'s password (checked by [`check_password`]) and ends all their sessions, so
/// whoever knew the old one is signed out. A disabled user stays disabled.
pub(crate) fn set_password(
    db: &Db,
    actor: Option<&User>,
    username: &str,
    password: &str,
) -> Result<User> {
    check_password(username, password)?;
    let hash = hash_password(password)?;
    db.run(Mode::Write, |tx| {
        let (user, old) = find_user(tx, username)?;
        require_admin(actor, Some(&user), "change other users' passwords")?;
        let new = if old.starts_with(DISABLED_MARK) {
            format!("{DISABLED_MARK}{hash}")
        } else {
            hash.clone()
        };
        set_hash(tx, &user, &new)?;
        let ended = delete_sessions(tx, &user)?;
        account_audit(
            tx,
            actor,
            "user_password",
            json!({ "username": user.username, "sessions_ended": ended }),
        )?;
        Ok(user)
    })
}

/// An audit entry for an account change by `actor` (`None`: the operator at the command line).
fn account_audit(
    tx: &mut dyn Tx,
    actor: Option<&User>,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    audit(
        tx,
        actor.map(|a| a.username.as_str()),
        action,
        None,
        None,
        detail,
    )
}

/// Stores `hash` (with or without the disabled mark) as `user`'s password hash.
fn set_hash(tx: &mut dyn Tx, user: &User, hash: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?",
        &[hash.into(), user.id.into()],
    )?;
    Ok(())
}

/// PostgreSQL advisory lock key that serialises changes that could leave no enabled admin
/// ("admins" in ASCII, as a number): two admins demoting each other at once must not both pass
/// the count. SQLite's `BEGIN IMMEDIATE` already serialises writers.
const ADMINS_LOCK: i64 = 0x61_64_6d_69_6e_73;

/// Refuses, for a signed-in `actor`, a change that would take `user` (with password hash
/// `hash`) out of the enabled admins when no other enabled admin is left: nobody could then
/// manage accounts on the site. The operator at the command line (`actor` `None`) is not held
/// back: they can always add an admin again with `evident user add`.
fn keep_an_admin(
    db: &Db,
    tx: &mut dyn Tx,
    actor: Option<&User>,
    user: &User,
    hash: &str,
    what: &str,
) -> Result<()> {
    if actor.is_none() || user.role != Role::Admin || hash.starts_with(DISABLED_MARK) {
        return Ok(());
    }
    if let Db::Postgres(_) = db {
        tx.execute("SELECT pg_advisory_xact_lock(?)", &[ADMINS_LOCK.into()])?;
    }
    let others = tx
        .query_one(
            &format!("SELECT COUNT(*) FROM users u WHERE u.role = ? AND u.id <> ? AND {ENABLED}"),
            &[Role::Admin.code().into(), user.id.into()],
        )?
        .int(0)?;
    if others == 0 {
        return Err(Error::Forbidden(format!(
            "{} is the last enabled admin, so they may not be {what}; make another user admin \
             first",
            user.username
        )));
    }
    Ok(())
}

/// Gives `username` another role; it applies to their live sessions and tokens at once. The
/// last enabled admin is not demoted ([`keep_an_admin`]).
pub(crate) fn set_role(db: &Db, actor: Option<&User>, username: &str, role: Role) -> Result<User> {
    require_admin(actor, None, "change roles")?;
    db.run(Mode::Write, |tx| {
        let (user, hash) = find_user(tx, username)?;
        if role != Role::Admin {
            keep_an_admin(db, tx, actor, &user, &hash, "demoted")?;
        }
        tx.execute(
            "UPDATE users SET role = ? WHERE id = ?",
            &[role.code().into(), user.id.into()],
        )?;
        account_audit(
            tx,
            actor,
            "user_role",
            json!({ "username": user.username, "from": user.role.code(), "to": role.code() }),
        )?;
        Ok(User { role, ..user })
    })
}

/// Disables (`true`) or enables `username`. A disabled user cannot sign in, their sessions are
/// ended and their API tokens are not honoured until they are enabled again. The last enabled
/// admin is not disabled ([`keep_an_admin`]).
pub(crate) fn set_disabled(
    db: &Db,
    actor: Option<&User>,
    username: &str,
    disabled: bool,
) -> Result<User> {
    require_admin(actor, None, "disable or enable users")?;
    db.run(Mode::Write, |tx| {
        let (user, hash) = find_user(tx, username)?;
        if disabled && actor.is_some_and(|a| a.id == user.id) {
            return Err(Error::Forbidden(
                "you may not disable yourself; ask another admin".into(),
            ));
        }
        if disabled {
            keep_an_admin(db, tx, actor, &user, &hash, "disabled")?;
        }
        let bare = hash.strip_prefix(DISABLED_MARK).unwrap_or(&hash);
        let new = if disabled {
            format!("{DISABLED_MARK}{bare}")
        } else {
            bare.to_string()
        };
        set_hash(tx, &user, &new)?;
        let ended = if disabled {
            delete_sessions(tx, &user)?
        } else {
            0
        };
        account_audit(
            tx,
            actor,
            if disabled {
                "user_disable"
            } else {
                "user_enable"
            },
            json!({ "username": user.username, "sessions_ended": ended }),
        )?;
        Ok(user)
    })
}

/// Whether `username` is disabled ([`Error::NotFound`] for an unknown one).
pub(crate) fn is_disabled(db: &Db, username: &str) -> Result<bool> {
    db.run(Mode::Read, |tx| {
        Ok(find_user(tx, username)?.1.starts_with(DISABLED_MARK))
    })
}

/// Ends every session of `username` (signs them out everywhere); how many there were.
pub(crate) fn end_sessions(db: &Db, actor: Option<&User>, username: &str) -> Result<u64> {
    db.run(Mode::Write, |tx| {
        let (user, _) = find_user(tx, username)?;
        require_admin(actor, Some(&user), "sign other users out")?;
        let ended = delete_sessions(tx, &user)?;
        account_audit(
            tx,
            actor,
            "user_logout",
            json!({ "username": user.username, "sessions_ended": ended }),
        )?;
        Ok(ended)
    })
}

pub(crate) fn user_by_name(db: &Db, username: &str) -> Result<Option<User>> {
    db.run(Mode::Read, |tx| {
        tx.query_opt(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username_key = ?"),
            &[key(username).into()],
        )?
        .map(|row| user_from_row(&row))
        .transpose()
    })
}

pub(crate) fn list_users(db: &Db) -> Result<Vec<User>> {
    db.run(Mode::Read, |tx| {
        tx.query(
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key"),
            &[],
        )?
        .iter()
        .map(user_from_row)
        .collect()
    })
}

fn prefixed(prefix: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "same password, same hash: the salt is not random");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horsf", &a));
    }

    #[test]
    fn the_password_policy_names_its_rule() {
        let refused = |username: &str, password: &str| match check_password(username, password) {
            Err(Error::Invalid(why)) => why,
            other => panic!("{password:?} for {username:?}: {other:?}"),
        };
        assert!(refused("ada", "a").contains("at least 12"));
        assert!(refused("ada", "elevenchars").contains("at least 12"));
        assert!(refused("ada.lovelace", "Ada.Lovelace").contains("username"));
        assert!(refused("ada", "aaaaaaaaaaaaaaaa").contains("repeated"));
        assert!(refused("ada", "Password1234").contains("common"));
        check_password("ada", "a long test password").unwrap();
        // Characters, not bytes: twelve of them pass however they are encoded.
        check_password("ada", "ééééééééééé1").unwrap();
    }

    #[test]
    fn tokens_are_stored_hashed() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
    }
}
