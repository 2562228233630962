//! A room's life under concurrent changes: uploads racing each other and the expiry, a host who
//! reloads, a room leaving memory and coming back, shutdown with people watching.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

use crate::helpers::{Person, next_of, send_json, spawn_app, spawn_app_with, webm_bytes};

/// About 1.4 s; the sweep looks every 0.2 s.
const SHORT_TTL_HOURS: f64 = 0.0004;

#[tokio::test]
async fn three_uploads_at_once_always_leave_a_video_that_plays_and_the_database_agrees() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let db = app.read_database().await;
    for round in 0..100 {
        let uploads = (0..3).map(|n| {
            let person = person.clone();
            let code = code.clone();
            tokio::spawn(async move {
                person
                    .upload(&code, &format!("r{round}-{n}.webm"), webm_bytes(1_000 + n))
                    .await
                    .status()
            })
        });
        for upload in uploads.collect::<Vec<_>>() {
            assert_eq!(upload.await.unwrap(), 201, "round {round}");
        }
        let room = person.room(&code).await;
        let url = room["video"]["url"].as_str().unwrap().to_string();
        assert_eq!(person.get(&url).await.status(), 200, "round {round}: {url}");
        let stored: (i64, String) = sqlx::query_as(
            "SELECT v.id, v.file_name FROM rooms r JOIN videos v ON v.id = r.video_id
             WHERE r.code = $1",
        )
        .bind(&code)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(stored.0, room["video"]["id"], "round {round}");
        assert_eq!(format!("/media/{}", stored.1), url, "round {round}");
        assert_eq!(app.media_files(), vec![stored.1], "round {round}: one file");
    }
}

#[tokio::test]
async fn an_upload_that_stalls_past_the_expiry_is_refused_and_leaves_no_file_and_no_row() {
    let app = spawn_app_with(|config| config.room_ttl_hours = SHORT_TTL_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(5_000);
    let upload = person.upload_by_hand(&code);
    upload.chunks.send(bytes[..1_000].to_vec()).await.unwrap();
    // Nothing arrives for longer than the TTL: the room is deleted under the upload.
    let deadline = Instant::now() + Duration::from_secs(10);
    while person.get(&format!("/api/rooms/{code}")).await.status() != 404 {
        assert!(Instant::now() < deadline, "the room was never deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    upload.chunks.send(bytes[1_000..].to_vec()).await.unwrap();
    drop(upload.chunks);
    let (status, body) = upload.answer.await.unwrap();
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "room_not_found");
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.rows_for_room(&code).await, 0);
    assert_eq!(person.get("/media/1.webm").await.status(), 404);
}

#[tokio::test]
async fn an_upload_that_keeps_sending_keeps_its_room_alive_past_the_ttl() {
    let app = spawn_app_with(|config| config.room_ttl_hours = SHORT_TTL_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(20_000);
    let upload = person.upload_by_hand(&code);
    let started = Instant::now();
    for chunk in bytes.chunks(2_000) {
        upload.chunks.send(chunk.to_vec()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(upload.chunks);
    assert!(
        started.elapsed() > Duration::from_secs(2),
        "longer than the TTL"
    );
    let (status, body) = upload.answer.await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(person.room(&code).await["video"]["url"], "/media/1.webm");
    assert_eq!(
        person.get("/media/1.webm").await.bytes().await.unwrap(),
        bytes
    );
}

#[tokio::test]
async fn a_room_deleted_by_the_expiry_stays_deleted_for_every_request() {
    let app = spawn_app_with(|config| config.room_ttl_hours = SHORT_TTL_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "a.webm", webm_bytes(100)).await;
    // Requests keep arriving while the room expires (reads are not activity).
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while statuses.iter().filter(|s| **s == 404).count() < 50 {
        assert!(Instant::now() < deadline, "the room was never deleted");
        statuses.push(
            person
                .get(&format!("/api/rooms/{code}"))
                .await
                .status()
                .as_u16(),
        );
    }
    let first_404 = statuses.iter().position(|s| *s == 404).unwrap();
    assert!(
        statuses[first_404..].iter().all(|s| *s == 404),
        "a deleted room came back: {statuses:?}"
    );
    assert_eq!(person.get(&format!("/r/{code}")).await.status(), 404);
    assert_eq!(app.rows_for_room(&code).await, 0);
    assert!(app.media_files().is_empty());
}

#[tokio::test]
async fn a_host_who_reloads_twenty_times_stays_host() {
    // The default grace (5 s) and a host check every second: checks fall inside reloads.
    let app = spawn_app().await;
    let (host, guest) = (app.person(), app.person());
    let code = host.create_room().await;
    let host_id = host.client_id().await;
    let (mut host_socket, snapshot) = host.join(&code).await;
    assert_eq!(snapshot["room"]["host"], host_id.as_str());
    let (mut guest_socket, _) = guest.join(&code).await;
    for reload in 0..20 {
        host_socket.close(None).await.unwrap();
        drop(host_socket);
        // A page reload: the old page goes, the new one loads and connects.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (socket, snapshot) = host.join(&code).await;
        host_socket = socket;
        assert_eq!(
            snapshot["room"]["host"],
            host_id.as_str(),
            "reload {reload}"
        );
    }
    // The guest heard of no other host all along.
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(200), guest_socket.next()).await
    {
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "host" {
                assert_eq!(message["host"], host_id.as_str(), "{message}");
            }
        }
    }
    assert_eq!(guest.room(&code).await["host"], host_id.as_str());
}

#[tokio::test]
async fn an_idle_room_leaves_memory_and_loads_back_where_it_was() {
    let app = spawn_app_with(|config| config.room_unload_secs = 1).await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "a.webm", webm_bytes(100)).await;
    let (mut socket, _) = person.join(&code).await;
    send_json(&mut socket, json!({"type": "play", "position": 10.0})).await;
    let played = next_of(&mut socket, "play").await;
    let played_at = played["at"].as_u64().unwrap();
    socket.close(None).await.unwrap();
    drop(socket);

    // Still in memory for a while: playing on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(person.room(&code).await["playback"]["playing"], true);
    // Gone from memory after a second without sockets; loaded again by this request, paused
    // where the room had got to (as after a restart: nobody was watching).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let room = person.room(&code).await;
    assert_eq!(room["playback"]["playing"], false, "{room}");
    let position = room["playback"]["position"].as_f64().unwrap();
    let expected =
        10.0 + (room["playback"]["updated_at"].as_u64().unwrap() - played_at) as f64 / 1000.0;
    assert!(
        position > 12.0 && (position - expected).abs() < 1.5,
        "{position} vs {expected}"
    );
    assert_eq!(room["video"]["url"], "/media/1.webm");

    // And it works as before for everyone who comes back.
    let (mut first, _) = person.join(&code).await;
    let other = app.person();
    let (mut second, _) = other.join(&code).await;
    send_json(&mut first, json!({"type": "seek", "position": 3.0})).await;
    assert_eq!(next_of(&mut second, "seek").await["position"], 3.0);
}

#[tokio::test]
async fn shutdown_says_going_away_to_every_socket_and_keeps_the_rooms_state() {
    let mut app = spawn_app().await;
    let people: Vec<_> = (0..10).map(|_| app.person()).collect();
    let code = people[0].create_room().await;
    let mut sockets = Vec::new();
    for person in &people {
        for _ in 0..5 {
            sockets.push(person.join(&code).await.0);
        }
    }
    send_json(&mut sockets[0], json!({"type": "seek", "position": 42.0})).await;
    next_of(&mut sockets[1], "seek").await;
    app.stop().await;
    for (n, socket) in sockets.iter_mut().enumerate() {
        let close = loop {
            match tokio::time::timeout(Duration::from_secs(5), socket.next())
                .await
                .unwrap()
            {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("socket {n}: expected a close frame, got {other:?}"),
            }
        };
        assert_eq!(close.map(|f| f.code), Some(CloseCode::Away), "socket {n}");
    }
    // Nothing can have saved the seek after the database closed: it was saved before.
    let app = app.restart().await;
    let reader = Person {
        base: app.base.clone(),
        ..people[0].clone()
    };
    assert_eq!(reader.room(&code).await["playback"]["position"], 42.0);
}
