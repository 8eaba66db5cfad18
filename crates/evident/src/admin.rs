//! `evident user …`, `evident token …` and `evident db …`: the operator's commands for the
//! article store, and the one place that decides which database the CLI and the server open.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use evident_core::Role;
use evident_store::Store;

/// The SQLite file in the data folder used when no database URL is given.
pub const DEFAULT_DB_FILE: &str = "evident.db";

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password comes from stdin (--password-stdin) or EVIDENT_PASSWORD, never
    /// from the command line, where other users of the machine could read it.
    Add(UserAddArgs),
    /// List users and their roles.
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (from stdin or EVIDENT_PASSWORD, as for add) and end their
    /// sessions.
    Passwd {
        username: String,
        /// Read the password from stdin (one line) instead of EVIDENT_PASSWORD.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user another role; it applies to their sessions and tokens at once.
    Role {
        username: String,
        /// reader, clinician, reviewer, editor or admin.
        role: Role,
    },
    /// Disable a user: they cannot sign in, their sessions end, their API tokens are refused.
    Disable { username: String },
    /// Enable a disabled user again (their password and API tokens work again).
    Enable { username: String },
    /// End all of a user's sessions (sign them out everywhere).
    Logout { username: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a user (`Authorization: Bearer …`); the secret is printed once.
    Create {
        username: String,
        /// What the token is for, shown in `evident token list`.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List the live API tokens (never their secrets).
    List {
        /// Print JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API token by the id `evident token list` shows.
    Revoke { id: String },
}

#[derive(Args)]
pub struct UserAddArgs {
    /// Login name (letters, digits, '.', '_', '-', '@'); case-insensitive.
    pub username: String,
    /// reader, clinician, reviewer, editor or admin.
    #[arg(long, default_value = "reader")]
    pub role: Role,
    /// Name shown on reviews and comments. Default: the username.
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from stdin (one line) instead of EVIDENT_PASSWORD.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Write a consistent JSON Lines backup of the whole store (either backend).
    Backup {
        /// The backup file to write.
        file: PathBuf,
    },
    /// Load a backup into an empty store (a new SQLite file or PostgreSQL database).
    Restore {
        /// A file written by `evident db backup`.
        file: PathBuf,
    },
    /// Apply pending schema migrations (opening the store does this too).
    Migrate,
}

/// Where the store lives: the URL or path given, else `<data>/evident.db`.
pub fn database_location(data: &Path, url: Option<&str>) -> String {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => url.to_string(),
        None => data.join(DEFAULT_DB_FILE).display().to_string(),
    }
}

fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens (creating and migrating) the article store: `url` (`--database-url` /
/// `EVIDENT_DATABASE_URL`, a `postgres://` URL or a SQLite path), else `<data>/evident.db`.
pub fn open_store(data: &Path, url: Option<&str>) -> Result<Store> {
    let location = database_location(data, url);
    let shown = if is_postgres(&location) {
        "the PostgreSQL database".to_string()
    } else {
        location.clone()
    };
    Store::open(&location).with_context(|| format!("cannot open the article store ({shown})"))
}

/// The store if its database already exists: commands that only touch it in passing (library
/// changes) must not create one.
fn existing_store(data: &Path, url: Option<&str>) -> Result<Option<Store>> {
    let location = database_location(data, url);
    if !is_postgres(&location) {
        let path = location.strip_prefix("sqlite://").unwrap_or(&location);
        if !Path::new(path).exists() {
            return Ok(None);
        }
    }
    open_store(data, url).map(Some)
}

/// After a library commit: flags articles citing sources whose content changed or that were
/// removed, so reviewers see "source changed — needs re-review".
pub fn flag_changed_sources(data: &Path, url: Option<&str>, source_ids: &[String]) -> Result<()> {
    if source_ids.is_empty() {
        return Ok(());
    }
    let Some(store) = existing_store(data, url)? else {
        return Ok(());
    };
    let flagged = store
        .sources_changed(source_ids)
        .context("cannot flag articles citing the changed sources")?;
    println!(
        "{flagged} article{} cite{} changed or removed sources and {} flagged for re-review.",
        if flagged == 1 { "" } else { "s" },
        if flagged == 1 { "s" } else { "" },
        if flagged == 1 { "is" } else { "are" },
    );
    Ok(())
}

pub fn user(data: &Path, url: Option<&str>, command: UserCommand) -> Result<()> {
    let store = open_store(data, url)?;
    match command {
        UserCommand::Add(args) => {
            let password = read_password(args.password_stdin)?;
            let display_name = args.display_name.as_deref().unwrap_or(&args.username);
            // No actor: the operator at the command line already holds the database.
            let user = store
                .create_user(None, &args.username, display_name, &password, args.role)
                .with_context(|| format!("cannot add user {:?}", args.username))?;
            println!("added {} ({})", user.username, user.role);
        }
        UserCommand::List { json } => {
            let users = store.list_users().context("cannot list users")?;
            for u in &users {
                let disabled = store
                    .is_disabled(&u.username)
                    .with_context(|| format!("cannot read user {:?}", u.username))?;
                if json {
                    let mut row = serde_json::to_value(u)?;
                    row["disabled"] = disabled.into();
                    println!("{row}");
                } else {
                    println!(
                        "{:<24} {:<10} {:<9} {}",
                        u.username,
                        u.role.code(),
                        if disabled { "disabled" } else { "" },
                        u.display_name
                    );
                }
            }
            if !json {
                println!("{} users", users.len());
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let user = store
                .set_password(None, &username, &password)
                .with_context(|| format!("cannot set the password of {username:?}"))?;
            println!(
                "set the password of {}; their sessions are ended",
                user.username
            );
        }
        UserCommand::Role { username, role } => {
            let user = store
                .set_role(None, &username, role)
                .with_context(|| format!("cannot change the role of {username:?}"))?;
            println!("{} is now {}", user.username, user.role);
        }
        UserCommand::Disable { username } => {
            let user = store
                .set_disabled(None, &username, true)
                .with_context(|| format!("cannot disable {username:?}"))?;
            println!(
                "disabled {}: they cannot sign in and their sessions and tokens stop working",
                user.username
            );
        }
        UserCommand::Enable { username } => {
            let user = store
                .set_disabled(None, &username, false)
                .with_context(|| format!("cannot enable {username:?}"))?;
            println!("enabled {}", user.username);
        }
        UserCommand::Logout { username } => {
            let ended = store
                .end_sessions(None, &username)
                .with_context(|| format!("cannot end the sessions of {username:?}"))?;
            println!(
                "ended {ended} session{} of {username}",
                if ended == 1 { "" } else { "s" }
            );
        }
    }
    Ok(())
}

pub fn token(data: &Path, url: Option<&str>, command: TokenCommand) -> Result<()> {
    let store = open_store(data, url)?;
    match command {
        TokenCommand::Create { username, label } => {
            let (token, secret) = store
                .issue_api_token(None, &username, &label)
                .with_context(|| format!("cannot issue an API token for {username:?}"))?;
            // The secret on stdout alone, for scripts; the rest on stderr.
            eprintln!(
                "issued token {} for {}; it is shown only now, store it safely:",
                token.id, token.username
            );
            println!("{secret}");
        }
        TokenCommand::List { json } => {
            let tokens = store.list_api_tokens().context("cannot list API tokens")?;
            for t in &tokens {
                if json {
                    println!("{}", serde_json::to_string(t)?);
                } else {
                    println!(
                        "{:<12}  {:<24} {:<13} {}",
                        t.id,
                        t.username,
                        t.created_at,
                        if t.label.is_empty() { "-" } else { &t.label }
                    );
                }
            }
            if !json {
                println!("{} tokens", tokens.len());
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store
                .revoke_api_token_by_id(None, &id)
                .with_context(|| format!("cannot revoke API token {id:?}"))?;
            println!("revoked token {} of {}", token.id, token.username);
        }
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> Result<String> {
    let password = if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the password from stdin")?;
        text.lines().next().unwrap_or("").to_string()
    } else {
        match std::env::var("EVIDENT_PASSWORD") {
            Ok(p) => p,
            Err(_) => {
                bail!("no password: pipe it in with --password-stdin or set EVIDENT_PASSWORD")
            }
        }
    };
    if password.is_empty() {
        bail!("the password is empty; give a non-empty password");
    }
    Ok(password)
}

pub fn db(data: &Path, url: Option<&str>, command: DbCommand) -> Result<()> {
    match command {
        DbCommand::Backup { file } => {
            let store = open_store(data, url)?;
            store
                .backup(&file)
                .with_context(|| format!("cannot write the backup {}", file.display()))?;
            println!(
                "backed up the {} store to {}",
                store.backend(),
                file.display()
            );
        }
        DbCommand::Restore { file } => {
            let store = open_store(data, url)?;
            store
                .restore(&file)
                .with_context(|| format!("cannot restore {}", file.display()))?;
            println!(
                "restored {} into the {} store",
                file.display(),
                store.backend()
            );
        }
        DbCommand::Migrate => {
            let store = open_store(data, url)?;
            // Opening applied whatever was pending; this says so, and checks again.
            store
                .migrate()
                .context("cannot migrate the article store")?;
            println!("the {} store's schema is up to date", store.backend());
        }
    }
    Ok(())
}
