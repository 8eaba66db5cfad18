//! Settings that come from more than flags: the optional TOML file (`--config FILE` or
//! `EVIDENT_CONFIG`) merged under the environment and the command line, and the log subscriber
//! they configure.
//!
//! Precedence, lowest first: built-in defaults < the file < `EVIDENT_*` variables (and
//! `RUST_LOG` for the log filter) < flags. Clap already orders defaults, variables and flags;
//! a file value replaces a setting only where clap says it came from a default or nowhere.
//! Unknown keys in the file are an error that names the key, so a typo never passes silently.
//! Relative paths in the file are taken from the file's own folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Deserialize;

use crate::{Cli, Command};

/// How log lines on stderr look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, with the request's span fields (for log collectors).
    Json,
}

/// The log filter when no flag, variable or file sets one.
const DEFAULT_LOG_FILTER: &str = "info";

/// The config file: every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    #[serde(default)]
    pub serve: ServeFile,
}

/// The `[serve]` table: the settings of `evident serve`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    pub addr: Option<SocketAddr>,
    pub ask_rate: Option<u32>,
    pub secure_cookies: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub library: Option<PathBuf>,
    pub request_timeout: Option<u64>,
}

impl FileConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let mut file = FileConfig::parse(&text)
            .with_context(|| format!("cannot use the config file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        file.data = file.data.map(|p| base.join(p));
        file.serve.library = file.serve.library.map(|p| base.join(p));
        Ok(file)
    }

    fn parse(text: &str) -> Result<FileConfig> {
        // toml's message names the unknown key, its line and the keys allowed there.
        Ok(toml::from_str(text)?)
    }
}

/// Whether the user set `id` (by flag or variable), so that a file value must not replace it.
fn user_set(matches: &ArgMatches, id: &str) -> bool {
    matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Fills `slot` from the file where the user did not set `id`.
fn fill<T>(slot: &mut T, matches: &ArgMatches, id: &str, value: Option<T>) {
    if let Some(v) = value {
        if !user_set(matches, id) {
            *slot = v;
        }
    }
}

/// Merges `file` under what the command line and environment said.
pub(crate) fn merge(cli: &mut Cli, matches: &ArgMatches, file: FileConfig) {
    fill(&mut cli.data, matches, "data", file.data.map(Some));
    fill(
        &mut cli.database_url,
        matches,
        "database_url",
        file.database_url.map(Some),
    );
    fill(
        &mut cli.log_format,
        matches,
        "log_format",
        file.log_format.map(Some),
    );
    // RUST_LOG is an environment setting too: it beats the file.
    if rust_log().is_none() {
        fill(
            &mut cli.log_level,
            matches,
            "log_level",
            file.log_level.map(Some),
        );
    }
    if let (Command::Serve(args), Some(m)) = (&mut cli.command, matches.subcommand_matches("serve"))
    {
        let s = file.serve;
        fill(&mut args.addr, m, "addr", s.addr);
        fill(&mut args.ask_rate, m, "ask_rate", s.ask_rate);
        fill(
            &mut args.secure_cookies,
            m,
            "secure_cookies",
            s.secure_cookies,
        );
        fill(&mut args.trust_proxy, m, "trust_proxy", s.trust_proxy);
        fill(&mut args.library, m, "library", s.library.map(Some));
        fill(
            &mut args.request_timeout,
            m,
            "request_timeout",
            s.request_timeout,
        );
    }
}

/// Reads the config file the user named, if any, and merges it into `cli`.
pub(crate) fn apply_file(cli: &mut Cli, matches: &ArgMatches) -> Result<()> {
    if let Some(path) = cli.config.clone() {
        merge(cli, matches, FileConfig::load(&path)?);
    }
    Ok(())
}

/// `RUST_LOG`, when set to something.
fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Sends `tracing` events to stderr (stdout stays the commands' output). `filter` is a level
/// or `RUST_LOG`-style directives; without one, `RUST_LOG`, else `info`.
pub(crate) fn init_logging(format: LogFormat, filter: Option<&str>) -> Result<()> {
    let directives = filter
        .map(str::to_string)
        .or_else(rust_log)
        .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_string());
    // The parser's message already repeats its cause: one line, no chain.
    let filter = tracing_subscriber::EnvFilter::try_new(&directives).map_err(|e| {
        anyhow::anyhow!("invalid log filter {directives:?} ({e}); use a level (error, warn, info, debug, trace) or directives such as evident_server=debug")
    })?;
    // A plain level ("info", the default) is a static filter: checked once per call site, not per
    // span enter and exit, which a streamed page does for every chunk it writes.
    let level = directives
        .trim()
        .parse::<tracing_subscriber::filter::LevelFilter>()
        .ok();
    macro_rules! install {
        ($builder:expr) => {
            match format {
                LogFormat::Text => $builder.try_init(),
                LogFormat::Json => $builder
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .try_init(),
            }
        };
    }
    let fmt = || tracing_subscriber::fmt().with_writer(std::io::stderr);
    let installed = match level {
        Some(level) => install!(fmt().with_max_level(level)),
        None => install!(fmt().with_env_filter(filter)),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot start logging: {e}"))
}

/// Creates `dir` and any missing parents readable by the owner only (0700 on Unix): the data
/// folder holds the article store with its password hashes and audit log. Folders that exist
/// keep their mode; nothing is loosened.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    let mut folders = std::fs::DirBuilder::new();
    folders.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folders, 0o700);
    folders
        .create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn parse(args: &[&str], file: &str) -> Cli {
        let matches = Cli::command()
            .try_get_matches_from(std::iter::once("evident").chain(args.iter().copied()))
            .unwrap();
        let mut cli = Cli::from_arg_matches(&matches).unwrap();
        merge(&mut cli, &matches, FileConfig::parse(file).unwrap());
        cli
    }

    fn serve(cli: &Cli) -> &crate::serve::ServeArgs {
        match &cli.command {
            Command::Serve(args) => args,
            _ => panic!("not serve"),
        }
    }

    const FILE: &str = r#"
data = "/srv/evident"
log_format = "json"

[serve]
addr = "0.0.0.0:9000"
ask_rate = 7
trust_proxy = true
"#;

    // One test for everything that reads EVIDENT_ASK_RATE, so no other test sees it set.
    #[test]
    fn defaults_then_file_then_env_then_flags() {
        std::env::remove_var("EVIDENT_ASK_RATE");
        let plain = parse(&["serve"], "");
        assert_eq!(serve(&plain).ask_rate, 30);
        assert_eq!(serve(&plain).addr.to_string(), "127.0.0.1:8080");
        assert!(!serve(&plain).trust_proxy);
        assert_eq!(plain.log_format, None);

        let filed = parse(&["serve"], FILE);
        assert_eq!(serve(&filed).ask_rate, 7);
        assert_eq!(serve(&filed).addr.to_string(), "0.0.0.0:9000");
        assert!(serve(&filed).trust_proxy);
        assert_eq!(filed.data.as_deref(), Some(Path::new("/srv/evident")));
        assert_eq!(filed.log_format, Some(LogFormat::Json));

        std::env::set_var("EVIDENT_ASK_RATE", "11");
        let env = parse(&["serve"], FILE);
        let flag = parse(&["serve", "--ask-rate", "13", "--data", "/x"], FILE);
        let global_first = parse(&["--log-format", "text", "serve"], FILE);
        std::env::remove_var("EVIDENT_ASK_RATE");
        assert_eq!(serve(&env).ask_rate, 11);
        assert_eq!(serve(&env).addr.to_string(), "0.0.0.0:9000");
        assert_eq!(serve(&flag).ask_rate, 13);
        assert_eq!(flag.data.as_deref(), Some(Path::new("/x")));
        assert_eq!(global_first.log_format, Some(LogFormat::Text));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = FileConfig::parse("data = \"d\"\ndatabase = \"x\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("database"), "{err:#}");
        let err = FileConfig::parse("[serve]\nask_rates = 3\n").unwrap_err();
        assert!(format!("{err:#}").contains("ask_rates"), "{err:#}");
        let err = FileConfig::parse("[serve]\nask_rate = \"many\"\n").unwrap_err();
        assert!(format!("{err:#}").contains("ask_rate"), "{err:#}");
    }

    #[test]
    fn relative_paths_are_taken_from_the_files_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evident.toml");
        std::fs::write(&path, "data = \"store\"\n[serve]\nlibrary = \"/abs/lib\"\n").unwrap();
        let file = FileConfig::load(&path).unwrap();
        assert_eq!(file.data, Some(dir.path().join("store")));
        assert_eq!(file.serve.library.as_deref(), Some(Path::new("/abs/lib")));
        let err = FileConfig::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(format!("{err:#}").contains("missing.toml"), "{err:#}");
    }

    /// Finding 13 of issue 13: folders in the data folder were created 0755.
    #[cfg(unix)]
    #[test]
    fn private_folders_are_the_owners_only_and_existing_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!((mode(&tmp.path().join("a")), mode(&dir)), (0o700, 0o700));
        assert_eq!(mode(tmp.path()), 0o755);
        create_private_dir(tmp.path()).unwrap();
        assert_eq!(mode(tmp.path()), 0o755);
    }
}
