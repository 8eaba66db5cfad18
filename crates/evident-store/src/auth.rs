//! Users, password checks, sessions and API tokens.
//!
//! Passwords are argon2id hashes (PHC strings, random salt). Session and API tokens are 32
//! random bytes, hex; the database keeps only their SHA-256, so a copy of it opens no
//! session. Failed sign-ins are stored, so the rate limit holds across restarts and servers;
//! each try is recorded before its password is checked, so parallel tries count too.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use evident_core::Role;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::articles::{audit, from_code};
use crate::db::{Db, Mode, Row};
use crate::{now, Error, Result, User};

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

const USER_COLUMNS: &str = "id, username, display_name, role, created_at";

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

pub(crate) fn create_user(
    db: &Db,
    actor: Option<&User>,
    username: &str,
    display_name: &str,
    password: &str,
    role: Role,
) -> Result<User> {
    if let Some(actor) = actor {
        if actor.role != Role::Admin {
            return Err(Error::Forbidden(format!(
                "{} users may not add users (needs admin)",
                actor.role
            )));
        }
    }
    let username = username.trim();
    if !valid_username(username) {
        return Err(Error::Invalid(format!(
            "username {username:?}: use 1-64 letters, digits, '.', '_', '-' or '@'"
        )));
    }
    if password.is_empty() {
        return Err(Error::Invalid("the password is empty".into()));
    }
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
        audit(
            tx,
            actor.map(|a| a.username.as_str()),
            "user_add",
            None,
            None,
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
        Some(row) if verify_password(password, &row.text(5)?) => Some(user_from_row(row)?),
        Some(_) => None,
        None => {
            // Spend the same argon2 time as for a real user: timing must not tell which
            // usernames exist.
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
                 WHERE s.token_hash = ? AND s.expires_at > ?"
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
                 WHERE t.token_hash = ? AND t.revoked_at IS NULL"
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
    fn tokens_are_stored_hashed() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
    }
}
