//! The database: SQLite in `data_dir` by default, or PostgreSQL when `database_url` names one. One
//! `sqlx::Any` pool, migrations at start, plain async functions per table.
//! Video files live in the media folder; everything else that must survive a restart lives here.
//!
//! Every query is written once, with `$1` placeholders (SQLite reads them as numbered too) and
//! SQL both dialects share; what differs stays in this file (SQLite's pragmas and `BEGIN
//! IMMEDIATE`) and in the two sets of migrations.

pub mod clients;
pub mod messages;
pub mod queue;
pub mod rooms;
pub mod spots;
pub mod subtitles;
pub mod uploads;
mod values;
pub mod videos;
pub mod visits;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::{Context, bail};
use sqlx::{
    Connection as _, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
};

pub(crate) use values::{Flag, OptionalF64};

pub type Db = sqlx::AnyPool;
/// One connection, as a transaction derefs to.
pub type Connection = sqlx::AnyConnection;

const DB_FILE: &str = "goblet.db";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the data lives, from the `database_url` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file: `goblet.db` in `data_dir` unless `sqlite://PATH` names another.
    Sqlite(PathBuf),
    /// A PostgreSQL server: the URL as given.
    Postgres(String),
}

impl Location {
    /// Reads `database_url`: empty for the file in `data_dir`, `sqlite://PATH` or
    /// `postgres://...` (`postgresql://` too).
    pub fn parse(database_url: &str, data_dir: &Path) -> anyhow::Result<Self> {
        let url = database_url.trim();
        if url.is_empty() {
            return Ok(Self::Sqlite(data_dir.join(DB_FILE)));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                bail!("database_url: sqlite:// needs a file path, as in sqlite://data/goblet.db");
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        bail!("database_url must be empty, sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
    }

    fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            // Only the host and database: the URL may hold a password.
            Self::Postgres(url) => url::Url::parse(url)
                .map(|url| format!("{}{}", url.host_str().unwrap_or_default(), url.path()))
                .unwrap_or_else(|_| "PostgreSQL".into()),
        }
    }
}

/// Whether `db` is a SQLite database (else PostgreSQL).
pub fn is_sqlite(db: &Db) -> bool {
    db.connect_options().database_url.scheme() == "sqlite"
}

/// Starts a transaction that writes. On SQLite `BEGIN IMMEDIATE` takes the write lock up front: a
/// deferred transaction that reads first fails at once with "database is locked" when it later
/// tries to write beside another writer, where this one waits its turn (up to the busy timeout).
/// PostgreSQL locks rows as they are written, so a plain `BEGIN` does.
pub async fn begin_write(db: &Db) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
    if is_sqlite(db) {
        db.begin_with("BEGIN IMMEDIATE").await
    } else {
        db.begin().await
    }
}

/// Opens the database `database_url` names (creating a SQLite file when missing) and brings its
/// schema up to date.
pub async fn open(database_url: &str, data_dir: &Path) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let location = Location::parse(database_url, data_dir)?;
    let described = location.describe();
    let (db, migrator) = match &location {
        Location::Sqlite(path) => (open_sqlite(path).await, &SQLITE_MIGRATIONS),
        Location::Postgres(url) => (open_postgres(url).await, &POSTGRES_MIGRATIONS),
    };
    let db = db.with_context(|| format!("while opening the database {described}"))?;
    migrator
        .run(&db)
        .await
        .with_context(|| format!("while migrating the database {described}"))?;
    Ok(db)
}

async fn open_sqlite(path: &Path) -> anyhow::Result<Db> {
    let path = std::path::absolute(path).context("while finding the database's folder")?;
    // Percent-encoded, as sqlx decodes the path: a folder may hold `?` or `#`.
    let file_url = url::Url::from_file_path(&path)
        .map_err(|()| anyhow::anyhow!("not a file path: {}", path.display()))?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        file_url.as_str().trim_start_matches("file://")
    );
    let options = AnyConnectOptions::from_str(&url)?;
    let db = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|connection, _| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; NORMAL is durable across a crash of
                // the app; a writer waits up to 5 s for another's lock.
                connection
                    .execute(
                        "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;
                         PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
                    )
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(db)
}

async fn open_postgres(url: &str) -> anyhow::Result<Db> {
    let options = AnyConnectOptions::from_str(url)?;
    // One connection first: a server that is down or refuses us fails start-up at once, where the
    // pool would keep trying for its acquire timeout (30 s).
    sqlx::AnyConnection::connect_with(&options)
        .await?
        .close()
        .await?;
    Ok(AnyPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_url_means_the_file_in_the_data_folder() {
        let location = Location::parse("", Path::new("/srv/goblet")).unwrap();
        assert_eq!(location, Location::Sqlite("/srv/goblet/goblet.db".into()));
    }

    #[test]
    fn sqlite_and_postgres_urls_are_read() {
        let data = Path::new("data");
        assert_eq!(
            Location::parse("sqlite://other/party.db", data).unwrap(),
            Location::Sqlite("other/party.db".into())
        );
        let url = "postgres://goblet:secret@db.example:5432/goblet";
        assert_eq!(
            Location::parse(url, data).unwrap(),
            Location::Postgres(url.into())
        );
        assert_eq!(
            Location::parse(url, data).unwrap().describe(),
            "db.example/goblet"
        );
    }

    #[test]
    fn other_urls_are_refused() {
        for url in ["mysql://localhost/goblet", "goblet.db", "sqlite://"] {
            assert!(Location::parse(url, Path::new("data")).is_err(), "{url}");
        }
    }
}
