//! Who may drive a room: the owner (its creator), the settings (controls for everyone or the host,
//! a viewer cap), handing ownership on, and kicks.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};

use crate::helpers::{
    Person, Socket, next_json, next_of, send_json, spawn_app, spawn_app_with, webm_bytes,
};

/// Reads until the socket closes; returns the `error` codes it was sent and the close frame's code.
async fn until_closed(socket: &mut Socket) -> (Vec<String>, Option<CloseCode>) {
    let mut errors = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("the socket closes within 5 s")
        {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["type"] == "error" {
                    errors.push(message["code"].as_str().unwrap().to_string());
                }
            }
            Some(Ok(Message::Close(frame))) => return (errors, frame.map(|f| f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return (errors, None),
        }
    }
}

async fn lock(owner: &Person, code: &str, max_viewers: Option<u32>) -> reqwest::Response {
    owner
        .put_json(
            &format!("/api/rooms/{code}/settings"),
            json!({"controls": "host", "max_viewers": max_viewers}),
        )
        .await
}

#[tokio::test]
async fn the_creator_owns_the_room_and_is_host_when_present() {
    let app = spawn_app().await;
    let (owner, guest) = (app.person(), app.person());
    let code = owner.create_room().await;
    let owner_id = owner.client_id().await;
    let room = owner.room(&code).await;
    assert_eq!(room["owner"], owner_id.as_str());
    assert_eq!(
        room["settings"],
        json!({"controls": "everyone", "max_viewers": null, "has_password": false})
    );

    let (mut guest_socket, snapshot) = guest.join(&code).await;
    let guest_id = guest.client_id().await;
    assert_eq!(snapshot["room"]["host"], guest_id.as_str(), "first in");
    let (_owner_socket, snapshot) = owner.join(&code).await;
    assert_eq!(
        snapshot["room"]["host"],
        owner_id.as_str(),
        "the owner arrives"
    );
    // The guest heard itself become host when it came, then the owner take over.
    assert_eq!(
        next_of(&mut guest_socket, "host").await["host"],
        guest_id.as_str()
    );
    assert_eq!(
        next_of(&mut guest_socket, "host").await["host"],
        owner_id.as_str()
    );
    let viewers = next_of(&mut guest_socket, "viewers").await;
    let marked: Vec<(bool, bool)> = viewers["viewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["host"].as_bool().unwrap(), v["owner"].as_bool().unwrap()))
        .collect();
    assert_eq!(marked, [(true, true), (false, false)]);
}

#[tokio::test]
async fn only_the_owner_changes_the_settings_and_everyone_hears() {
    let app = spawn_app().await;
    let (owner, guest) = (app.person(), app.person());
    let code = owner.create_room().await;
    let (mut guest_socket, _) = guest.join(&code).await;
    let refused = lock(&guest, &code, None).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "not_allowed");
    let bad = owner
        .put_json(
            &format!("/api/rooms/{code}/settings"),
            json!({"controls": "anyone", "max_viewers": null}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(lock(&owner, &code, Some(10)).await.status(), 200);
    let heard = next_of(&mut guest_socket, "settings").await;
    let expected = json!({"controls": "host", "max_viewers": 10, "has_password": false});
    assert_eq!(heard["settings"], expected);
    let read = guest.get_json(&format!("/api/rooms/{code}/settings")).await;
    assert_eq!(read, expected);
}

#[tokio::test]
async fn with_host_controls_a_guest_moves_nobody() {
    let app = spawn_app().await;
    let (owner, guest) = (app.person(), app.person());
    let code = owner.create_room().await;
    owner.upload(&code, "a.webm", webm_bytes(100)).await;
    let (mut owner_socket, _) = owner.join(&code).await;
    let (mut guest_socket, _) = guest.join(&code).await;
    assert_eq!(lock(&owner, &code, None).await.status(), 200);
    next_of(&mut owner_socket, "settings").await;
    next_of(&mut guest_socket, "settings").await;

    // Over the socket: the guest hears why and where the room really is; the owner hears nothing.
    send_json(&mut guest_socket, json!({"type": "play", "position": 30})).await;
    assert_eq!(
        next_of(&mut guest_socket, "error").await["code"],
        "not_allowed"
    );
    let snapshot = next_of(&mut guest_socket, "snapshot").await;
    assert_eq!(snapshot["room"]["playback"]["playing"], false);
    // Over REST, every way to drive the room is refused.
    let forbidden = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_allowed");
    };
    forbidden(
        guest
            .post_json(
                &format!("/api/rooms/{code}/playback"),
                json!({"action": "seek", "position": 9}),
            )
            .await,
    )
    .await;
    forbidden(guest.post(&format!("/api/rooms/{code}/refresh")).await).await;
    forbidden(guest.upload(&code, "b.webm", webm_bytes(100)).await).await;
    forbidden(
        guest
            .post_json(
                &format!("/api/rooms/{code}/video/link"),
                json!({"url": "https://media.example.org/v.mp4"}),
            )
            .await,
    )
    .await;
    forbidden(guest.post(&format!("/api/rooms/{code}/host")).await).await;
    assert_eq!(
        app.media_files(),
        vec!["1.webm"],
        "the refused upload left nothing"
    );

    // The owner drives; the guest follows.
    send_json(&mut owner_socket, json!({"type": "play", "position": 5})).await;
    assert_eq!(next_of(&mut guest_socket, "play").await["position"], 5.0);
    let room = guest.room(&code).await;
    assert_eq!(room["playback"]["playing"], true);
    assert_eq!(room["video"]["url"], "/media/1.webm");
    // Nothing the guest tried reached the owner.
    while let Ok(message) =
        tokio::time::timeout(Duration::from_millis(200), next_json(&mut owner_socket)).await
    {
        assert_ne!(message["type"], "seek", "{message}");
        assert_ne!(message["type"], "video", "{message}");
        assert_ne!(message["type"], "refresh", "{message}");
    }
}

#[tokio::test]
async fn ownership_is_handed_to_someone_watching_who_then_drives() {
    let app = spawn_app().await;
    let (owner, guest, outsider) = (app.person(), app.person(), app.person());
    let code = owner.create_room().await;
    let (mut owner_socket, _) = owner.join(&code).await;
    let (mut guest_socket, _) = guest.join(&code).await;
    assert_eq!(lock(&owner, &code, None).await.status(), 200);
    let (guest_id, outsider_id) = (guest.client_id().await, outsider.client_id().await);
    let hand = |by: &Person, to: &str| {
        let (by, to) = (by.clone(), to.to_string());
        let path = format!("/api/rooms/{code}/owner");
        async move { by.post_json(&path, json!({"owner": to})).await.status() }
    };
    assert_eq!(hand(&guest, &guest_id).await, 403, "not the owner");
    assert_eq!(hand(&owner, &outsider_id).await, 403, "not watching");
    assert_eq!(hand(&owner, &guest_id).await, 200);
    assert_eq!(
        next_of(&mut owner_socket, "owner").await["owner"],
        guest_id.as_str()
    );
    assert_eq!(
        next_of(&mut owner_socket, "host").await["host"],
        guest_id.as_str()
    );
    send_json(&mut owner_socket, json!({"type": "seek", "position": 3})).await;
    assert_eq!(
        next_of(&mut owner_socket, "error").await["code"],
        "not_allowed"
    );
    send_json(&mut guest_socket, json!({"type": "seek", "position": 7})).await;
    assert_eq!(next_of(&mut owner_socket, "seek").await["position"], 7.0);
    assert_eq!(owner.room(&code).await["owner"], guest_id.as_str());
}

#[tokio::test]
async fn a_full_room_refuses_newcomers_with_a_reason_but_not_the_owner() {
    let app = spawn_app().await;
    let (owner, first, second, third) = (app.person(), app.person(), app.person(), app.person());
    let code = owner.create_room().await;
    assert_eq!(
        owner
            .put_json(
                &format!("/api/rooms/{code}/settings"),
                json!({"controls": "everyone", "max_viewers": 2}),
            )
            .await
            .status(),
        200
    );
    let (_a, _) = first.join(&code).await;
    let (_b, _) = second.join(&code).await;
    let (_b2, _) = second.join(&code).await;
    let mut refused = third.connect(&code, None).await.unwrap();
    let (errors, close) = until_closed(&mut refused).await;
    assert_eq!(errors, ["room_full"]);
    assert_eq!(close, Some(CloseCode::Policy));
    let (_owner_socket, _) = owner.join(&code).await;
    assert_eq!(owner.room(&code).await["viewer_count"], 3);
}

#[tokio::test]
async fn a_kick_closes_every_tab_of_the_client_and_keeps_it_out_even_after_a_restart() {
    let app = spawn_app().await;
    let (owner, guest, other) = (app.person(), app.person(), app.person());
    let code = owner.create_room().await;
    let (_owner_socket, _) = owner.join(&code).await;
    let (mut tab_one, _) = guest.join(&code).await;
    let (mut tab_two, _) = guest.join(&code).await;
    let (mut watching, _) = other.join(&code).await;
    let (guest_id, owner_id) = (guest.client_id().await, owner.client_id().await);
    let kick = |by: &Person, target: &str| {
        let (by, target) = (by.clone(), target.to_string());
        let path = format!("/api/rooms/{code}/kick");
        async move {
            by.post_json(&path, json!({"client_id": target}))
                .await
                .status()
        }
    };
    assert_eq!(kick(&other, &guest_id).await, 403, "a guest cannot kick");
    assert_eq!(kick(&other, &owner_id).await, 403);
    assert_eq!(kick(&owner, &guest_id).await, 204);
    for tab in [&mut tab_one, &mut tab_two] {
        let (errors, close) = until_closed(tab).await;
        assert_eq!(errors, ["kicked"]);
        assert_eq!(close, Some(CloseCode::Policy));
    }
    let told = next_of(&mut watching, "kicked").await;
    assert_eq!(told["client_id"], guest_id.as_str());
    let mut again = guest.connect(&code, None).await.unwrap();
    assert_eq!(until_closed(&mut again).await.0, ["kicked"]);

    let app = app.restart().await;
    let guest = Person {
        base: app.base.clone(),
        ..guest
    };
    let mut after_restart = guest.connect(&code, None).await.unwrap();
    assert_eq!(until_closed(&mut after_restart).await.0, ["kicked"]);
}

async fn set_password(owner: &Person, code: &str, password: Value) -> reqwest::Response {
    owner
        .put_json(
            &format!("/api/rooms/{code}/settings"),
            json!({"controls": "everyone", "max_viewers": null, "password": password}),
        )
        .await
}

async fn enter(person: &Person, code: &str, password: &str) -> reqwest::Response {
    person
        .post_json(
            &format!("/api/rooms/{code}/join"),
            json!({"password": password}),
        )
        .await
}

#[tokio::test]
async fn a_password_room_answers_only_its_members_and_never_tells_the_password() {
    let app = spawn_app().await;
    let (owner, watcher, stranger) = (app.person(), app.person(), app.person());
    let code = owner.create_room().await;
    owner.upload(&code, "a.webm", webm_bytes(500)).await;
    let (_watching, _) = watcher.join(&code).await;
    let response = set_password(&owner, &code, json!("open sesame")).await;
    assert_eq!(response.status(), 200);
    let answer = response.text().await.unwrap();
    assert!(answer.contains("\"has_password\":true"), "{answer}");
    assert!(
        !answer.contains("sesame") && !answer.contains("argon2"),
        "{answer}"
    );

    // Strangers: no state, no socket, no video, no chat.
    for path in [
        format!("/api/rooms/{code}"),
        format!("/api/rooms/{code}/messages"),
        format!("/api/rooms/{code}/viewers"),
        "/media/1.webm".to_string(),
    ] {
        let refused = stranger.get(&path).await;
        assert_eq!(refused.status(), 401, "{path}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "password_required", "{path}");
    }
    assert!(stranger.connect(&code, None).await.is_err(), "no socket");
    // The owner, and whoever was watching when the password was set, carry on.
    assert_eq!(owner.get(&format!("/api/rooms/{code}")).await.status(), 200);
    assert_eq!(watcher.get("/media/1.webm").await.status(), 200);
    let room = owner
        .get(&format!("/api/rooms/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!room.contains("sesame") && !room.contains("argon2"));

    // The wrong password, then the right one: a member from then on, in every tab.
    let wrong = enter(&stranger, &code, "open barley").await;
    assert_eq!(wrong.status(), 403);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["code"], "wrong_password");
    assert_eq!(enter(&stranger, &code, "open sesame").await.status(), 204);
    assert_eq!(
        stranger.get(&format!("/api/rooms/{code}")).await.status(),
        200
    );
    assert_eq!(stranger.get("/media/1.webm").await.status(), 200);
    let (_first_tab, _) = stranger.join(&code).await;
    let (_second_tab, _) = stranger.join(&code).await;

    // Removing the password opens the room again.
    assert_eq!(set_password(&owner, &code, Value::Null).await.status(), 200);
    assert_eq!(
        app.person()
            .get(&format!("/api/rooms/{code}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn membership_survives_a_restart_and_password_tries_are_limited() {
    let app = spawn_app_with(|config| {
        config.password_rate_count = 3;
        config.password_rate_secs = 3600;
    })
    .await;
    let (owner, guesser) = (app.person(), app.person());
    // Elsewhere: the guesser's address gets its own tries.
    let member = app.person_at("198.51.100.5");
    let code = owner.create_room().await;
    assert_eq!(
        set_password(&owner, &code, json!("hunter2")).await.status(),
        200
    );
    assert_eq!(enter(&member, &code, "hunter2").await.status(), 204);
    for guess in ["a", "b", "c"] {
        assert_eq!(enter(&guesser, &code, guess).await.status(), 403);
    }
    let limited = enter(&guesser, &code, "hunter2").await;
    assert_eq!(
        limited.status(),
        429,
        "even the right one, once over the limit"
    );
    assert!(limited.headers().contains_key("retry-after"));

    let app = app.restart().await;
    let member = Person {
        base: app.base.clone(),
        ..member
    };
    assert_eq!(
        member.get(&format!("/api/rooms/{code}")).await.status(),
        200
    );
    let stranger = app.person();
    assert_eq!(
        stranger.get(&format!("/api/rooms/{code}")).await.status(),
        401
    );
}

#[tokio::test]
async fn in_a_password_room_a_kicked_address_does_not_get_back_in_with_a_new_cookie() {
    let app = spawn_app().await;
    let owner = app.person();
    let code = owner.create_room().await;
    assert_eq!(
        set_password(&owner, &code, json!("hunter2")).await.status(),
        200
    );
    let (_owner_socket, _) = owner.join(&code).await;
    let pest = app.person_at("198.51.100.66");
    assert_eq!(enter(&pest, &code, "hunter2").await.status(), 204);
    let (mut pest_socket, _) = pest.join(&code).await;
    let pest_id = pest.client_id().await;
    let kicked = owner
        .post_json(
            &format!("/api/rooms/{code}/kick"),
            json!({"client_id": pest_id}),
        )
        .await;
    assert_eq!(kicked.status(), 204);
    assert_eq!(until_closed(&mut pest_socket).await.0, ["kicked"]);
    assert_eq!(pest.get(&format!("/api/rooms/{code}")).await.status(), 401);
    // A fresh cookie, the same address, the right password: still out.
    let disguised = app.person_at("198.51.100.66");
    let refused = enter(&disguised, &code, "hunter2").await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "kicked");
    assert_eq!(
        enter(&app.person_at("198.51.100.67"), &code, "hunter2")
            .await
            .status(),
        204,
        "another address"
    );
}
