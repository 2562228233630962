use std::time::{Duration, Instant};

use crate::helpers::{HOST_CHECK_SECS, next_of, spawn_app, spawn_app_with};

/// Shorter than the default, so the test waits less for the role to move on.
const HOST_GRACE_SECS: u64 = 1;

#[tokio::test]
async fn the_host_is_reassigned_after_the_grace_and_can_be_claimed_back() {
    let app = spawn_app_with(|config| config.host_grace_secs = HOST_GRACE_SECS).await;
    let (first, second, third) = (app.person(), app.person(), app.person());
    let code = first.create_room().await;
    let (f, snapshot) = first.join(&code).await;
    let first_id = first.client_id().await;
    assert_eq!(
        snapshot["room"]["host"],
        first_id.as_str(),
        "the first viewer is host"
    );
    let (mut s, _) = second.join(&code).await;
    let (mut t, _) = third.join(&code).await;
    let second_id = second.client_id().await;

    drop(f);
    let left = Instant::now();
    let msg = next_of(&mut t, "host").await;
    assert_eq!(
        msg["host"],
        second_id.as_str(),
        "the longest-connected viewer"
    );
    let waited = left.elapsed();
    assert!(
        waited >= Duration::from_millis(HOST_GRACE_SECS * 1000 - 100),
        "not before the grace: reassigned after {waited:?}"
    );
    assert!(
        waited <= Duration::from_secs(HOST_GRACE_SECS + HOST_CHECK_SECS + 1),
        "reassigned after {waited:?}"
    );
    assert_eq!(third.room(&code).await["host"], second_id.as_str());

    assert_eq!(next_of(&mut s, "host").await["host"], second_id.as_str());

    let third_id = third.client_id().await;
    let claimed = third.post(&format!("/api/rooms/{code}/host")).await;
    assert_eq!(claimed.status(), 200);
    assert_eq!(next_of(&mut s, "host").await["host"], third_id.as_str());
    assert_eq!(second.room(&code).await["host"], third_id.as_str());
}

#[tokio::test]
async fn only_a_viewer_in_the_room_can_claim_host() {
    let app = spawn_app().await;
    let (watcher, outsider) = (app.person(), app.person());
    let code = watcher.create_room().await;
    let (_socket, _) = watcher.join(&code).await;
    let refused = outsider.post(&format!("/api/rooms/{code}/host")).await;
    assert_eq!(refused.status(), 409);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "not_watching");
    assert_eq!(
        watcher.room(&code).await["host"],
        watcher.client_id().await.as_str()
    );
}
