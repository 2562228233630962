use std::time::Duration;

use serde_json::json;

use crate::helpers::{send_json, spawn_app_with, webm_bytes};

#[tokio::test]
async fn rooms_nobody_watches_are_deleted_with_their_video_chat_and_spots() {
    // A TTL of about 1.4 s; the sweep runs every ~0.2 s.
    let app = spawn_app_with(|config| config.room_ttl_hours = 0.0004).await;
    let person = app.person();
    let idle = person.create_room().await;
    let watched = person.create_room().await;
    person.upload(&idle, "a.webm", webm_bytes(100)).await;
    person.upload(&watched, "b.webm", webm_bytes(100)).await;
    person
        .put_json(&format!("/api/rooms/{idle}/spot"), json!({"position": 3}))
        .await;
    let (mut chat, _) = person.join(&idle).await;
    send_json(&mut chat, json!({"type": "chat", "text": "bye"})).await;
    crate::helpers::next_of(&mut chat, "chat").await;
    drop(chat);
    let (_watching, _) = person.join(&watched).await;
    assert_eq!(app.media_files(), vec!["1.webm", "2.webm"]);

    let mut deleted = false;
    for _ in 0..100 {
        if person.get(&format!("/api/rooms/{idle}")).await.status() == 404 {
            deleted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(deleted, "the idle room was deleted");
    assert_eq!(app.media_files(), vec!["2.webm"], "its video file is gone");
    assert_eq!(person.get("/media/1.webm").await.status(), 404);
    assert_eq!(
        person.room(&watched).await["video"]["url"],
        "/media/2.webm",
        "the watched room stays"
    );

    // The rows are gone too: nothing is left in the database for the idle room.
    assert_eq!(app.rows_for_room(&idle).await, 0);
}
