// Store test suite: run against SQLite and (when it answers) PostgreSQL.
