//! The embedded SQLite database: one pool, migrations at start, plain async functions per table.
//! Video files live in the media folder; everything else that must survive a restart lives here.

pub mod clients;
pub mod messages;
pub mod queue;
pub mod rooms;
pub mod spots;
pub mod subtitles;
pub mod uploads;
pub mod videos;
pub mod visits;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Db = sqlx::SqlitePool;

const DB_FILE: &str = "goblet.db";

/// Starts a transaction that writes. `BEGIN IMMEDIATE` takes the write lock up front: a deferred
/// transaction that reads first fails at once with "database is locked" when it later tries to
/// write beside another writer, where this one waits its turn (up to the busy timeout).
pub async fn begin_write(db: &Db) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    db.begin_with("BEGIN IMMEDIATE").await
}

/// Opens (creating when missing) the database in `data_dir` and brings its schema up to date.
pub async fn open(data_dir: &Path) -> anyhow::Result<Db> {
    let path = data_dir.join(DB_FILE);
    let options = SqliteConnectOptions::from_str("sqlite://")
        .context("while preparing database options")?
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true)
        // WAL lets readers run beside the one writer; NORMAL is durable across a crash of the app.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let db = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .with_context(|| format!("while opening the database {}", path.display()))?;
    sqlx::migrate!("./migrations")
        .run(&db)
        .await
        .context("while migrating the database")?;
    Ok(db)
}
