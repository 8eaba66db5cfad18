//! Test fixtures: databases on both backends, users of every role, and hand-built answers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use evident_core::{
    Answer, AnswerSection, Audience, Citation, QuestionAnalysis, QuestionKind, ReviewState, Role,
    SourceKind, Statement, ANSWER_SCHEMA_VERSION,
};
use evident_store::{Article, AuditEntry, Error, NewArticle, Seen, Store, User, Version};

/// A password the store's policy accepts, for the test users.
pub const PASSWORD: &str = "a long test password";

pub fn pg_url() -> String {
    std::env::var("EVIDENT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Whether PostgreSQL answers; asked once per test run.
pub fn pg_available() -> bool {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let up = UP.get_or_init(|| {
        postgres::Client::connect(&pg_url(), postgres::NoTls)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    match up {
        Ok(()) => true,
        Err(e) if std::env::var("EVIDENT_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!(
                "PostgreSQL not reachable at {} ({e}) and EVIDENT_REQUIRE_POSTGRES=1",
                pg_url()
            )
        }
        Err(e) => {
            eprintln!(
                "skipped: PostgreSQL not reachable at {} ({e}); set EVIDENT_TEST_DATABASE_URL",
                pg_url()
            );
            false
        }
    }
}

/// A fresh, empty store. SQLite: a file in a temporary folder. PostgreSQL: a schema of its own,
/// dropped when the `TestDb` is.
pub struct TestDb {
    pub store: Store,
    pub kind: Backend,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evident.db");
        TestDb {
            store: Store::open_sqlite(&path).unwrap(),
            kind: Backend::Sqlite(path),
            _dir: Some(dir),
        }
    }

    /// `None` (after saying so) when PostgreSQL is not reachable.
    pub fn postgres() -> Option<TestDb> {
        if !pg_available() {
            return None;
        }
        let schema = unique_schema();
        let store = Store::open_postgres(&pg_url(), Some(&schema)).unwrap();
        Some(TestDb {
            store,
            kind: Backend::Postgres(schema),
            _dir: None,
        })
    }

    /// Another store on the same database (a second process would see this).
    pub fn reopen(&self) -> Store {
        match &self.kind {
            Backend::Sqlite(path) => Store::open_sqlite(path).unwrap(),
            Backend::Postgres(schema) => Store::open_postgres(&pg_url(), Some(schema)).unwrap(),
        }
    }

    /// A second, empty store of the same backend.
    pub fn sibling(&self) -> TestDb {
        match self.kind {
            Backend::Sqlite(_) => TestDb::sqlite(),
            Backend::Postgres(_) => TestDb::postgres().expect("PostgreSQL answered a moment ago"),
        }
    }

    /// Runs SQL straight on the database, past the store (as an operator with a SQL shell).
    pub fn raw_execute(&self, sql: &str) -> Result<usize, String> {
        match &self.kind {
            Backend::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute(sql, [])
                .map_err(|e| e.to_string()),
            Backend::Postgres(schema) => {
                let mut client = postgres::Client::connect(&pg_url(), postgres::NoTls).unwrap();
                client
                    .batch_execute(&format!("SET search_path TO \"{schema}\""))
                    .unwrap();
                client.execute(sql, &[]).map(|n| n as usize).map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_string())
                        .unwrap_or(e.to_string())
                })
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Backend::Postgres(_))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Backend::Postgres(schema) = &self.kind {
            if let Ok(mut client) = postgres::Client::connect(&pg_url(), postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
            }
        }
    }
}

pub fn unique_schema() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "evident_test_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Users of every role, made through the store (as the operator).
pub struct Cast {
    pub reader: User,
    pub clinician: User,
    pub reviewer: User,
    pub reviewer2: User,
    pub editor: User,
    pub admin: User,
}

impl Cast {
    pub fn new(store: &Store) -> Cast {
        let add = |name: &str, role| store.create_user(None, name, name, PASSWORD, role).unwrap();
        Cast {
            reader: add("rita", Role::Reader),
            clinician: add("carl", Role::Clinician),
            reviewer: add("rosa", Role::Reviewer),
            reviewer2: add("ravi", Role::Reviewer),
            editor: add("eddie", Role::Editor),
            admin: add("ada", Role::Admin),
        }
    }
}

/// The passages our hand-built answers cite: written for these tests.
pub const PASSAGE_A: &str = "Start with lifestyle measures. Offer drug X at 10 mg once daily \
    when measures fail. Review after four weeks.";
pub const PASSAGE_B: &str = "Drug X can cause mild headache. Stop drug X if a rash appears.";

fn citation(number: u32, source: &str, passage: &str) -> Citation {
    Citation {
        number,
        passage_id: format!("{source}#p{number}"),
        source_id: source.to_string(),
        title: format!("Test source {source}"),
        publisher: None,
        year: Some(2024),
        kind: SourceKind::Guideline,
        kind_label: "Guideline".into(),
        url: None,
        trail: vec!["Treatment".into()],
        grade: None,
        passage: passage.to_string(),
    }
}

pub fn statement(text: &str, citations: Vec<u32>) -> Statement {
    Statement {
        text: text.to_string(),
        citations,
        glosses: vec![],
        editor_written: false,
        model_written: false,
        check: None,
    }
}

/// A verified answer to `question` citing `test:a` and `test:b`; `extra` adds a section
/// statement (from passage A) so revisions differ.
pub fn answer(question: &str, audience: Audience, extra: Option<&str>) -> Answer {
    let mut statements = vec![statement(
        "Offer drug X at 10 mg once daily when measures fail.",
        vec![1],
    )];
    if let Some(extra) = extra {
        statements.push(statement(extra, vec![1]));
    }
    let answer = Answer {
        schema_version: ANSWER_SCHEMA_VERSION,
        id: format!("test-{}", question.len()),
        question: question.to_string(),
        audience,
        analysis: QuestionAnalysis::default(),
        abstained: false,
        abstention_reason: None,
        nearest_topics: vec![],
        urgent_notice: None,
        title: question.to_string(),
        lead: vec![statement("Start with lifestyle measures.", vec![1])],
        sections: vec![
            AnswerSection {
                heading: "Treatment".into(),
                statements,
            },
            AnswerSection {
                heading: "Side effects".into(),
                statements: vec![statement("Drug X can cause mild headache.", vec![2])],
            },
        ],
        citations: vec![
            citation(1, "test:a", PASSAGE_A),
            citation(2, "test:b", PASSAGE_B),
        ],
        questions_to_ask: vec![],
        reading_grade: None,
        disclaimer: "Test disclaimer.".into(),
        composer: "test".into(),
        generation: None,
        took_ms: 0.0,
    };
    answer.verify().expect("test answers verify");
    answer
}

pub fn analysis(focus: &str, kind: QuestionKind) -> QuestionAnalysis {
    QuestionAnalysis {
        kind,
        focus: Some(focus.to_string()),
        qualifiers: vec![],
        query: focus.to_string(),
        follows: None,
    }
}

pub fn new_article(question: &str) -> NewArticle {
    NewArticle {
        question: question.to_string(),
        analysis: analysis("drug x", QuestionKind::Treatment),
        answers: vec![
            answer(question, Audience::Clinician, None),
            answer(question, Audience::Patient, None),
        ],
        parent_id: None,
    }
}

/// What someone loading article `id` now would see: act on the article as it is.
pub fn seen(store: &Store, id: i64) -> Seen {
    store
        .article(id)
        .unwrap()
        .expect("the article exists")
        .seen()
}

/// Claims article `id` as `reviewer` and approves it, each on the state as it is then.
pub fn claim_and_approve(store: &Store, reviewer: &User, id: i64) -> Article {
    store.claim(Some(reviewer), id, seen(store, id)).unwrap();
    store.approve(Some(reviewer), id, seen(store, id)).unwrap()
}

/// The outcome of racing actions on one seen state: exactly one won. Returns the winner's
/// state and the first loser's error.
pub fn one_winner(results: &[Result<ReviewState, Error>], round: usize) -> (ReviewState, &Error) {
    let wins: Vec<ReviewState> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(wins.len(), 1, "round {round}: {results:?}");
    let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    (wins[0], loser)
}

/// Everything stored about an article, to show that a refused action changed nothing.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub article: Option<Article>,
    pub versions: Vec<Version>,
    pub audit: Vec<AuditEntry>,
}

pub fn snapshot(store: &Store, admin: &User, id: i64) -> Snapshot {
    Snapshot {
        article: store.article(id).unwrap(),
        versions: store.versions(id).unwrap(),
        audit: store.audit_log(Some(admin), 0).unwrap(),
    }
}
