//! Sync in real networks: scheduled starts, status reports and the room that waits for a
//! buffering viewer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::helpers::{
    Person, Socket, TestApp, next_json, next_of, send_json, spawn_app, spawn_app_with,
};

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

/// A room where Alice and Bob (named) watch, playing for over a second: past the start's own
/// loading, so a buffering report makes the room wait.
async fn playing_room(app: &TestApp) -> (String, (Person, Socket), (Person, Socket, String)) {
    let (alice, bob) = (app.person(), app.person());
    bob.put_json("/api/me", json!({"name": "Bob"})).await;
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (b, _) = bob.join(&code).await;
    let bob_id = bob.client_id().await;
    start_playing(&mut a).await;
    (code, (alice, a), (bob, b, bob_id))
}

/// Plays from 10 s, and returns once the start is over a second old.
async fn start_playing(socket: &mut Socket) {
    send_json(socket, json!({"type": "play", "position": 10})).await;
    next_of(socket, "play").await;
    tokio::time::sleep(Duration::from_millis(1400)).await;
}

/// Sends a report, then waits for the answer to a ping: by then the room has applied the report.
async fn report_applied(socket: &mut Socket, state: &str) {
    report(socket, state, json!(0), Value::Null).await;
    send_json(socket, json!({"type": "ping", "client_time": 0})).await;
    next_of(socket, "pong").await;
}

async fn is_playing(person: &Person, code: &str) -> bool {
    person.room(code).await["playback"]["playing"]
        .as_bool()
        .unwrap()
}

/// The next `wait` message, checked to name Bob alone.
async fn wait_for_bob(socket: &mut Socket, bob_id: &str) -> Value {
    let pause = next_of(socket, "pause").await;
    assert_eq!(pause["by"], Value::Null, "the server paused: {pause}");
    assert_eq!(pause["playing"], false);
    let wait = next_of(socket, "wait").await;
    assert_eq!(
        wait["waiting_for"],
        json!([{"client_id": bob_id, "name": "Bob"}]),
        "{wait}"
    );
    wait
}

/// The next `wait_over`, with its reason, and the scheduled play that follows.
async fn resumed(socket: &mut Socket, reason: &str) -> Value {
    let over = next_of(socket, "wait_over").await;
    assert_eq!(over["reason"], reason, "{over}");
    let play = next_of(socket, "play").await;
    assert_eq!(play["by"], Value::Null, "the server resumed: {play}");
    assert!(
        play["at"].as_u64().unwrap() >= play["server_time"].as_u64().unwrap() + 250,
        "scheduled: {play}"
    );
    play
}

#[tokio::test]
async fn a_buffering_viewer_pauses_the_room_until_they_are_ready() {
    let app = spawn_app().await;
    let (code, (alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    let asked_at = now_ms();
    report(&mut b, "buffering", json!(-900), json!(30)).await;
    let wait = wait_for_bob(&mut a, &bob_id).await;
    let until = wait["until"].as_u64().unwrap();
    assert!(
        until >= asked_at + 7_000 && until <= now_ms() + 8_000,
        "8 s at most: {wait}"
    );
    assert!(!is_playing(&alice, &code).await);
    let waiting = status_shown(&alice, &code, &bob_id, "buffering").await;
    assert_eq!(waiting["status"]["drift_ms"], -900.0);

    report(&mut b, "ready", json!(0), json!(30)).await;
    let play = resumed(&mut a, "ready").await;
    let paused_at = play["position"].as_f64().unwrap();
    assert!(
        paused_at > 10.5 && paused_at < 13.0,
        "where it paused: {play}"
    );
    assert!(is_playing(&alice, &code).await);
}

#[tokio::test]
async fn who_joins_during_a_wait_finds_it_in_the_snapshot() {
    let app = spawn_app().await;
    let (code, (_alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    let (_, before) = app.person().join(&code).await;
    assert_eq!(before["wait"], Value::Null, "no wait yet: {before}");
    report(&mut b, "buffering", json!(0), Value::Null).await;
    let wait = wait_for_bob(&mut a, &bob_id).await;

    let (_, during) = app.person().join(&code).await;
    assert_eq!(
        during["wait"]["waiting_for"], wait["waiting_for"],
        "{during}"
    );
    assert_eq!(during["wait"]["until"], wait["until"], "{during}");
    assert_eq!(during["room"]["playback"]["playing"], false);

    report(&mut b, "ready", json!(0), Value::Null).await;
    resumed(&mut a, "ready").await;
    let (_, after) = app.person().join(&code).await;
    assert_eq!(after["wait"], Value::Null, "the wait is over: {after}");
}

#[tokio::test]
async fn a_wait_ends_at_its_deadline_and_who_still_buffers_is_left_to_catch_up() {
    let app = spawn_app_with(|config| config.buffer_wait_secs = 1).await;
    let (code, (alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    report(&mut b, "buffering", json!(0), Value::Null).await;
    let wait = wait_for_bob(&mut a, &bob_id).await;
    resumed(&mut a, "deadline").await;
    assert!(
        now_ms() >= wait["until"].as_u64().unwrap() - 50,
        "not before: {wait}"
    );
    assert!(is_playing(&alice, &code).await);

    // Still buffering well after the start: the room does not wait for Bob again...
    tokio::time::sleep(Duration::from_millis(1400)).await;
    report_applied(&mut b, "buffering").await;
    assert!(is_playing(&alice, &code).await, "no second wait");
    // ...and his recovery shows like any report.
    report_applied(&mut b, "playing").await;
    status_shown(&alice, &code, &bob_id, "playing").await;
}

#[tokio::test]
async fn the_third_wait_within_five_minutes_does_not_happen_and_the_viewer_catches_up() {
    let app = spawn_app().await;
    let (code, (alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    for _ in 0..2 {
        report(&mut b, "buffering", json!(0), Value::Null).await;
        wait_for_bob(&mut a, &bob_id).await;
        report(&mut b, "ready", json!(0), Value::Null).await;
        resumed(&mut a, "ready").await;
        tokio::time::sleep(Duration::from_millis(1400)).await;
    }
    report(&mut b, "buffering", json!(0), Value::Null).await;
    let told = next_of(&mut b, "catch_up").await;
    assert!(
        told["message"].as_str().unwrap().contains("catches up"),
        "{told}"
    );
    assert!(is_playing(&alice, &code).await, "the room plays on");
}

#[tokio::test]
async fn a_waited_for_viewer_who_leaves_ends_the_wait() {
    let app = spawn_app().await;
    let (code, (alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    report(&mut b, "buffering", json!(0), Value::Null).await;
    wait_for_bob(&mut a, &bob_id).await;
    b.close(None).await.unwrap();
    drop(b);
    resumed(&mut a, "left").await;
    assert!(is_playing(&alice, &code).await);
}

#[tokio::test]
async fn a_person_who_plays_pauses_or_seeks_cancels_the_wait() {
    let app = spawn_app().await;
    let (code, (alice, mut a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    report(&mut b, "buffering", json!(0), Value::Null).await;
    wait_for_bob(&mut a, &bob_id).await;
    send_json(&mut a, json!({"type": "seek", "position": 60})).await;
    let over = next_of(&mut b, "wait_over").await;
    assert_eq!(over["reason"], "cancelled");
    let seek = next_of(&mut b, "seek").await;
    assert_eq!(seek["by"], alice.client_id().await.as_str());
    assert_eq!(seek["playing"], true, "the room plays from there");
    assert!(
        seek["at"].as_u64().unwrap() > seek["server_time"].as_u64().unwrap(),
        "{seek}"
    );
    assert!(is_playing(&alice, &code).await);
}

#[tokio::test]
async fn with_buffer_wait_off_the_room_plays_on() {
    let app = spawn_app_with(|config| config.buffer_wait = false).await;
    let (code, (alice, _a), (_bob, mut b, bob_id)) = playing_room(&app).await;
    report_applied(&mut b, "buffering").await;
    status_shown(&alice, &code, &bob_id, "buffering").await;
    assert!(is_playing(&alice, &code).await);
}

#[tokio::test]
async fn a_stall_said_as_the_room_starts_makes_it_wait_once_the_start_is_a_second_old() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    bob.put_json("/api/me", json!({"name": "Bob"})).await;
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;
    let bob_id = bob.client_id().await;
    send_json(&mut a, json!({"type": "play", "position": 10})).await;
    let at = next_of(&mut a, "play").await["at"].as_u64().unwrap();
    // Within the start's grace: the start's own loading, so far. Bob says nothing more.
    report_applied(&mut b, "buffering").await;
    let wait = wait_for_bob(&mut a, &bob_id).await;
    assert!(
        wait["until"].as_u64().unwrap() >= at + 1_000 + 8_000,
        "not before the start is a second old: {wait}"
    );
    report(&mut b, "ready", json!(0), Value::Null).await;
    resumed(&mut a, "ready").await;
}

#[tokio::test]
async fn a_viewer_whose_start_loaded_within_the_grace_is_not_waited_for() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;
    send_json(&mut a, json!({"type": "play", "position": 10})).await;
    next_of(&mut a, "play").await;
    report_applied(&mut b, "buffering").await;
    report_applied(&mut b, "ready").await;
    // Past the start's grace (up to 1 s of lead, then 1 s): the room still plays.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(is_playing(&alice, &code).await, "no wait");
}
