//! Sync in real networks: scheduled starts, status reports and the room that waits for a
//! buffering viewer.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::helpers::{Person, Socket, next_json, next_of, send_json, spawn_app};

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

/// The viewer `client_id` as the REST list shows them, once their status is `state`.
async fn status_shown(person: &Person, code: &str, client_id: &str, state: &str) -> Value {
    for _ in 0..100 {
        let list = person.get_json(&format!("/api/rooms/{code}/viewers")).await;
        let viewer = list["viewers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["client_id"] == client_id)
            .cloned();
        if let Some(viewer) = viewer
            && viewer["status"]["state"] == state
        {
            return viewer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{client_id} never showed as {state}");
}

async fn report(socket: &mut Socket, state: &str, drift_ms: Value, rtt_ms: Value) {
    let status = json!({"type": "status", "state": state, "drift_ms": drift_ms, "rtt_ms": rtt_ms});
    send_json(socket, status).await;
}

#[tokio::test]
async fn a_start_waits_twice_the_slowest_reported_round_trip() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;
    let bob_id = bob.client_id().await;
    report(&mut a, "ready", json!(0), json!(40)).await;
    report(&mut b, "ready", json!(12.5), json!(300)).await;
    let shown = status_shown(&alice, &code, &bob_id, "ready").await;
    assert_eq!(
        shown["status"],
        json!({"state": "ready", "drift_ms": 12.5, "rtt_ms": 300.0})
    );

    send_json(&mut a, json!({"type": "play", "position": 0})).await;
    let play = next_of(&mut b, "play").await;
    let lead = play["at"].as_u64().unwrap() - play["server_time"].as_u64().unwrap();
    assert_eq!(lead, 600, "twice Bob's 300 ms: {play}");

    send_json(&mut b, json!({"type": "seek", "position": 50})).await;
    let seek = next_of(&mut a, "seek").await;
    let lead = seek["at"].as_u64().unwrap() - seek["server_time"].as_u64().unwrap();
    assert_eq!(lead, 600, "a seek while playing is scheduled too: {seek}");
}

#[tokio::test]
async fn statuses_reach_the_pushed_viewer_list() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a, snapshot) = alice.join(&code).await;
    assert_eq!(
        snapshot["room"]["viewers"][0]["status"],
        Value::Null,
        "{snapshot}"
    );
    let (mut b, _) = bob.join(&code).await;
    let bob_id = bob.client_id().await;
    report(&mut b, "blocked", Value::Null, json!(20)).await;
    loop {
        let viewers = next_of(&mut a, "viewers").await;
        let bob = viewers["viewers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["client_id"] == bob_id.as_str())
            .cloned();
        if let Some(bob) = bob
            && !bob["status"].is_null()
        {
            assert_eq!(
                bob["status"],
                json!({"state": "blocked", "drift_ms": null, "rtt_ms": 20.0})
            );
            break;
        }
    }
}

#[tokio::test]
async fn status_reports_over_two_a_second_are_refused_without_a_snapshot() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    for n in 0..20 {
        report(&mut socket, "playing", json!(n), json!(50)).await;
    }
    send_json(&mut socket, json!({"type": "ping", "client_time": 1})).await;
    let mut refused = 0;
    loop {
        let msg = next_json(&mut socket).await;
        assert_ne!(msg["type"], "snapshot", "a dropped report needs no resync");
        match msg["type"].as_str() {
            Some("error") => {
                assert_eq!(msg["code"], "rate_limited", "{msg}");
                refused += 1;
            }
            Some("pong") => break,
            _ => {}
        }
    }
    assert!(
        refused >= 5,
        "a burst of 4 at most gets through: {refused} refused"
    );
}

#[tokio::test]
async fn bad_status_reports_are_refused_and_not_kept() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    for (state, drift, rtt) in [
        ("dancing", json!(0), json!(10)),
        ("ready", json!(2e7), json!(10)),
        ("ready", json!(0), json!(-1)),
        ("ready", json!(0), json!(60001)),
    ] {
        report(&mut socket, state, drift, rtt).await;
        let error = next_of(&mut socket, "error").await;
        assert_eq!(error["code"], "bad_status", "{state} {error}");
    }
    send_json(&mut socket, json!({"type": "status", "state": 3})).await;
    assert_eq!(next_of(&mut socket, "error").await["code"], "bad_message");
    let list = person.get_json(&format!("/api/rooms/{code}/viewers")).await;
    assert_eq!(list["viewers"][0]["status"], Value::Null, "{list}");
}
