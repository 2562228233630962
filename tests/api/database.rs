//! Which database the server opens (`database_url`), and what a bad one does at start.

use goblet::config::Config;

use crate::helpers::spawn_app_with;

/// Runs the server with `database_url` in fresh folders until it fails to start; its error.
async fn start_error(database_url: &str) -> String {
    let dirs = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        media_dir: dirs.path().join("video"),
        data_dir: dirs.path().join("data"),
        database_url: database_url.into(),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = goblet::run(config, listener, std::future::pending())
        .await
        .expect_err("the server started");
    assert!(
        !dirs.path().join("data/goblet.db").exists(),
        "no database file is left behind"
    );
    format!("{error:#}")
}

#[tokio::test]
async fn a_database_url_of_another_kind_stops_start_up_naming_the_key() {
    let error = start_error("mysql://goblet@127.0.0.1/goblet").await;
    assert!(error.contains("database_url"), "{error}");
}

#[tokio::test]
async fn an_unreachable_postgres_server_stops_start_up_without_showing_the_password() {
    let error = start_error("postgres://goblet:hunter2@127.0.0.1:1/goblet").await;
    assert!(error.contains("127.0.0.1/goblet"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test]
async fn a_sqlite_url_puts_the_database_in_the_file_it_names() {
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("party #1.db");
    let url = format!("sqlite://{}", file.display());
    let app = spawn_app_with(|config| config.database_url = url.as_str().into()).await;
    let person = app.person();
    person.create_room().await;
    assert!(file.exists());
    assert!(!app.data_dir.join("goblet.db").exists());
}
