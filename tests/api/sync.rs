//! Sync in real networks: scheduled starts, status reports and the room that waits for a
//! buffering viewer.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::helpers::{next_of, send_json, spawn_app};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn a_play_is_scheduled_at_least_a_quarter_second_ahead_and_a_pause_is_not() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;

    send_json(&mut a, json!({"type": "play", "position": 4.0})).await;
    let play = next_of(&mut b, "play").await;
    let (sent, at) = (
        play["server_time"].as_u64().unwrap(),
        play["at"].as_u64().unwrap(),
    );
    assert!(at >= sent + 250, "{play}");
    assert!(at <= sent + 1000, "never more than a second: {play}");
    // The room's state is dated at the start, and holds the position until then.
    let (_c, snapshot) = app.person().join(&code).await;
    let playback = &snapshot["room"]["playback"];
    let snapshot_time = snapshot["server_time"].as_u64().unwrap();
    if snapshot_time < at {
        assert_eq!(playback["updated_at"], at, "{snapshot}");
        assert_eq!(playback["position"], 4.0, "{snapshot}");
    }

    send_json(&mut b, json!({"type": "pause", "position": 5.0})).await;
    let pause = next_of(&mut a, "pause").await;
    assert_eq!(pause["at"], pause["server_time"], "{pause}");
    assert_eq!(pause["by"], bob.client_id().await.as_str());
}

#[tokio::test]
async fn a_start_stored_before_it_began_loads_back_paused_at_its_position() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    send_json(&mut socket, json!({"type": "play", "position": 30.0})).await;
    next_of(&mut socket, "play").await;
    drop(socket);
    // The server stops at once, saving a state dated up to a quarter second ahead.
    let app = app.restart().await;
    let person = app.person();
    let room = person.room(&code).await;
    let playback = &room["playback"];
    assert_eq!(playback["playing"], false, "{room}");
    assert!(
        playback["updated_at"].as_u64().unwrap() <= now_ms(),
        "{room}"
    );
    let position = playback["position"].as_f64().unwrap();
    assert!((30.0..31.0).contains(&position), "{room}");
}
