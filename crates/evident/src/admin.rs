//! `evident user …` and `evident db …`: the operator's commands for the article store, and
//! the one place that decides which database the CLI and the server open.

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
                if json {
                    println!("{}", serde_json::to_string(u)?);
                } else {
                    println!(
                        "{:<24} {:<10} {}",
                        u.username,
                        u.role.code(),
                        u.display_name
                    );
                }
            }
            if !json {
                println!("{} users", users.len());
            }
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
