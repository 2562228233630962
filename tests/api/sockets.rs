use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

use crate::helpers::{next_of, send_json, spawn_app, webm_bytes};

#[tokio::test]
async fn a_socket_starts_with_a_snapshot_of_the_room() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "v.webm", webm_bytes(100)).await;
    let (_socket, snapshot) = person.join(&code).await;
    assert_eq!(snapshot["you"], person.client_id().await.as_str());
    assert_eq!(snapshot["room"]["code"], code.as_str());
    assert_eq!(snapshot["room"]["video"]["url"], "/media/1.webm");
    assert_eq!(snapshot["room"]["viewer_count"], 1);
    assert_eq!(snapshot["room"]["host"], snapshot["you"]);
    assert!(snapshot["server_time"].as_u64().unwrap() > 1_700_000_000_000);
}

#[tokio::test]
async fn malformed_messages_get_an_error_and_the_socket_keeps_working() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;

    for (bad, code) in [
        ("hello", "bad_message"),
        (r#"{"type":"seek","position":"a-b-c-d"}"#, "bad_message"),
        (r#"{"type":"teleport"}"#, "bad_message"),
        (r#"{"type":"seek","position":-1}"#, "bad_position"),
    ] {
        socket.send(Message::Text(bad.into())).await.unwrap();
        let error = next_of(&mut socket, "error").await;
        assert_eq!(error["code"], code, "{bad}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    socket
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(next_of(&mut socket, "error").await["code"], "bad_message");

    send_json(&mut socket, json!({"type": "ping", "client_time": 123.5})).await;
    let pong = next_of(&mut socket, "pong").await;
    assert_eq!(pong["client_time"], 123.5);
    assert!(pong["server_time"].as_u64().is_some());
}

#[tokio::test]
async fn an_oversized_message_closes_the_socket_with_policy_violation() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    let huge = format!(
        r#"{{"type":"ping","client_time":1,"pad":"{}"}}"#,
        "x".repeat(4096)
    );
    socket.send(Message::Text(huge.into())).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Policy);
                break;
            }
            Some(Ok(Message::Text(_) | Message::Ping(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn sockets_from_other_sites_are_refused() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let refused = person.connect(&code, Some("https://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {other:?}"),
    }
    let host = app.base.trim_start_matches("http://");
    let own = person.connect(&code, Some(&format!("http://{host}"))).await;
    assert!(own.is_ok());
}

#[tokio::test]
async fn play_pause_and_seek_reach_everyone_with_sender_and_time() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;
    let alice_id = alice.client_id().await;

    for (kind, position, playing) in [
        ("play", 3.0, true),
        ("seek", 7.25, true),
        ("pause", 8.0, false),
    ] {
        send_json(&mut a, json!({"type": kind, "position": position})).await;
        for socket in [&mut b, &mut a] {
            let msg = next_of(socket, kind).await;
            assert_eq!(msg["position"], position);
            assert_eq!(msg["playing"], playing);
            assert_eq!(msg["by"], alice_id.as_str());
            let sent = msg["server_time"].as_u64().unwrap();
            let at = msg["at"].as_u64().unwrap();
            match playing {
                // A start is scheduled ahead, so every page hears it first.
                true => assert!(at >= sent + 250, "{msg}"),
                false => assert_eq!(at, sent, "{msg}"),
            }
        }
    }
    let room = alice.room(&code).await;
    assert_eq!(room["playback"]["playing"], false);
    assert_eq!(room["playback"]["position"], 8.0);
}

#[tokio::test]
async fn the_rest_echo_reaches_sockets() {
    let app = spawn_app().await;
    let (alice, script) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut socket, _) = alice.join(&code).await;
    let response = script
        .post_json(
            &format!("/api/rooms/{code}/playback"),
            json!({"action": "seek", "position": 42.5}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let state: serde_json::Value = response.json().await.unwrap();
    assert_eq!(state["position"], 42.5);
    let msg = next_of(&mut socket, "seek").await;
    assert_eq!(msg["position"], 42.5);
    assert_eq!(msg["by"], script.client_id().await.as_str());
}

#[tokio::test]
async fn a_late_joiner_lands_where_the_host_is_now() {
    let app = spawn_app().await;
    let (host, late) = (app.person(), app.person());
    let code = host.create_room().await;
    let (mut h, _) = host.join(&code).await;
    send_json(&mut h, json!({"type": "play", "position": 10.0})).await;
    next_of(&mut h, "play").await;
    // Heartbeats until a second after the scheduled start (250 ms ahead with no round trip
    // reported) are ignored as stale; this one comes later.
    tokio::time::sleep(Duration::from_millis(1400)).await;
    send_json(
        &mut h,
        json!({"type": "heartbeat", "position": 11.15, "playing": true}),
    )
    .await;
    next_of(&mut h, "heartbeat").await;
    tokio::time::sleep(Duration::from_millis(900)).await;

    let (_l, snapshot) = late.join(&code).await;
    let playback = &snapshot["room"]["playback"];
    assert_eq!(playback["playing"], true);
    assert_eq!(playback["updated_at"], snapshot["server_time"]);
    // The host has been playing for about 1.8 s since position 10 (the first 0.25 s waited).
    let position = playback["position"].as_f64().unwrap();
    assert!((position - 12.05).abs() < 0.5, "late joiner got {position}");
}

#[tokio::test]
async fn heartbeats_are_relayed_from_the_host_only() {
    let app = spawn_app().await;
    let (host, guest) = (app.person(), app.person());
    let code = host.create_room().await;
    let (mut h, _) = host.join(&code).await;
    let (mut g, _) = guest.join(&code).await;
    send_json(&mut g, json!({"type": "play", "position": 0})).await;
    next_of(&mut h, "play").await;
    // Too soon after the play: possibly sent before the host applied it.
    send_json(
        &mut h,
        json!({"type": "heartbeat", "position": 0.5, "playing": true}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1400)).await;

    send_json(
        &mut g,
        json!({"type": "heartbeat", "position": 99.0, "playing": true}),
    )
    .await;
    send_json(
        &mut h,
        json!({"type": "heartbeat", "position": 5.0, "playing": true}),
    )
    .await;
    let beat = next_of(&mut g, "heartbeat").await;
    assert_eq!(
        beat["position"], 5.0,
        "the early one and the guest's were ignored"
    );
    assert_eq!(beat["by"], host.client_id().await.as_str());
}

#[tokio::test]
async fn refresh_tells_everyone_to_reload_past_caches() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    assert_eq!(
        person
            .post(&format!("/api/rooms/{code}/refresh"))
            .await
            .status(),
        409
    );
    person.upload(&code, "v.webm", webm_bytes(100)).await;
    let (mut socket, _) = person.join(&code).await;
    assert_eq!(
        person
            .post(&format!("/api/rooms/{code}/refresh"))
            .await
            .status(),
        204
    );
    let msg = next_of(&mut socket, "refresh").await;
    let url = msg["url"].as_str().unwrap();
    assert!(url.starts_with("/media/1.webm?v="), "{url}");
    assert_eq!(
        person.get(url).await.status(),
        200,
        "the query is ignored by the server"
    );
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let mut app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    app.stop().await;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Away);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
