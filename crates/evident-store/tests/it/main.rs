//! Store test suite: every test is written once, as a function of a [`TestDb`], and runs on
//! SQLite (a temporary file) and on PostgreSQL (a schema of its own, dropped afterwards).
//!
//! PostgreSQL: `EVIDENT_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it does not answer, the PostgreSQL variants say "skipped" and pass, unless
//! `EVIDENT_REQUIRE_POSTGRES=1`.

mod common;

/// `both_backends!(module_fn, …)` makes `sqlite::module_fn` and `postgres::module_fn` tests
/// that call `module_fn(&TestDb)`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let db = $crate::common::TestDb::sqlite();
                    super::$name(&db);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(db) = $crate::common::TestDb::postgres() else { return };
                    super::$name(&db);
                }
            )*
        }
    };
}

mod accounts;
mod auth;
mod backup;
mod concurrency;
mod crash;
mod guards;
mod lifecycle;
mod props;
mod reuse;
mod users;
