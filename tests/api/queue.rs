//! The queue: links and uploads wait their turn, in an order anyone (or, when locked, the host and
//! the owner) may change; the next plays when the host's page says the current one ended, or on a
//! skip; all of it kept across a restart.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Person, Socket, next_json, next_of, send_json, spawn_app, webm_bytes};

async fn queued_ids(person: &Person, code: &str) -> Vec<i64> {
    let queue = person.get_json(&format!("/api/rooms/{code}/queue")).await;
    queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["video"]["id"].as_i64().unwrap())
        .collect()
}

async fn queue_upload(person: &Person, code: &str, name: &str, size: usize) -> Value {
    let response = person
        .http
        .post(person.url(&format!("/api/rooms/{code}/video?name={name}&queue=true")))
        .header("content-type", "application/octet-stream")
        .body(webm_bytes(size))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The ids in the next `queue` message.
async fn heard_queue(socket: &mut Socket) -> Vec<i64> {
    next_of(socket, "queue").await["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["video"]["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn links_and_uploads_wait_in_an_order_that_can_change_and_survive_a_restart() {
    let app = spawn_app().await;
    let (owner, guest) = (app.person(), app.person());
    let code = owner.create_room().await;
    owner.put_json("/api/me", json!({"name": "Ada"})).await;
    let (mut watching, _) = guest.join(&code).await;
    let (_owner_socket, _) = owner.join(&code).await;
    assert_eq!(
        owner
            .upload(&code, "now.webm", webm_bytes(100))
            .await
            .status(),
        201
    );

    let link = owner
        .post_json(
            &format!("/api/rooms/{code}/queue"),
            json!({"url": "https://media.example.org/next.mp4"}),
        )
        .await;
    assert_eq!(link.status(), 201);
    let link: Value = link.json().await.unwrap();
    assert_eq!(link["video"]["kind"], "url");
    assert_eq!(link["added_by_name"], "Ada");
    let first = link["video"]["id"].as_i64().unwrap();
    assert_eq!(heard_queue(&mut watching).await, [first]);
    let upload = queue_upload(&guest, &code, "later.webm", 200).await;
    let second = upload["id"].as_i64().unwrap();
    assert_eq!(heard_queue(&mut watching).await, [first, second]);
    // A queued upload is kept and served (pages preload its start), not played.
    assert_eq!(
        owner.room(&code).await["video"]["original_name"],
        "now.webm"
    );
    assert_eq!(
        owner.get(upload["url"].as_str().unwrap()).await.status(),
        200
    );
    assert_eq!(app.media_files().len(), 2);

    let reorder = |ids: Value| {
        let owner = owner.clone();
        let path = format!("/api/rooms/{code}/queue");
        async move { owner.put_json(&path, json!({ "ids": ids })).await }
    };
    assert_eq!(
        reorder(json!([second])).await.status(),
        400,
        "not every one"
    );
    assert_eq!(reorder(json!([second, second])).await.status(), 400);
    assert_eq!(reorder(json!([second, first])).await.status(), 200);
    assert_eq!(heard_queue(&mut watching).await, [second, first]);

    let app = app.restart().await;
    let owner = Person {
        base: app.base.clone(),
        ..owner
    };
    assert_eq!(
        queued_ids(&owner, &code).await,
        [second, first],
        "kept in order"
    );

    // Out of the queue: its file goes too.
    let removed = owner
        .http
        .delete(owner.url(&format!("/api/rooms/{code}/queue/{second}")))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(queued_ids(&owner, &code).await, [first]);
    assert_eq!(app.media_files().len(), 1);
    let again = owner
        .http
        .delete(owner.url(&format!("/api/rooms/{code}/queue/{second}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn a_skip_plays_the_next_and_an_empty_queue_says_so() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "a.webm", webm_bytes(100)).await;
    let (mut socket, _) = person.join(&code).await;
    let queued = queue_upload(&person, &code, "b.webm", 100).await;
    send_json(&mut socket, json!({"type": "play", "position": 3})).await;
    next_of(&mut socket, "play").await;
    let skip = person.post(&format!("/api/rooms/{code}/queue/next")).await;
    assert_eq!(skip.status(), 204);
    let video = next_of(&mut socket, "video").await;
    assert_eq!(video["video"]["id"], queued["id"]);
    let play = next_of(&mut socket, "play").await;
    assert_eq!(
        play["position"], 0.0,
        "the room was playing: the next plays"
    );
    assert_eq!(
        app.media_files(),
        [queued["url"]
            .as_str()
            .unwrap()
            .trim_start_matches("/media/")]
    );
    let empty = person.post(&format!("/api/rooms/{code}/queue/next")).await;
    assert_eq!(empty.status(), 409);
    let body: Value = empty.json().await.unwrap();
    assert_eq!(body["code"], "queue_empty");
}

#[tokio::test]
async fn the_next_plays_when_the_hosts_page_says_the_current_one_ended_at_its_end() {
    let app = spawn_app().await;
    let (host, guest) = (app.person(), app.person());
    let code = host.create_room().await;
    let current: Value = host
        .upload(&code, "a.webm", webm_bytes(100))
        .await
        .json()
        .await
        .unwrap();
    let current_id = current["id"].as_i64().unwrap();
    let (mut host_socket, _) = host.join(&code).await;
    let (mut guest_socket, _) = guest.join(&code).await;
    let next = queue_upload(&host, &code, "b.webm", 100).await;
    send_json(&mut host_socket, json!({"type": "play", "position": 0})).await;
    next_of(&mut guest_socket, "play").await;

    // Not the host, another video, or long before the end: nothing happens.
    let ended = |video_id: i64, duration: f64| json!({"type": "ended", "video_id": video_id, "duration": duration});
    send_json(&mut guest_socket, ended(current_id, 0.5)).await;
    send_json(&mut host_socket, ended(current_id + 100, 0.5)).await;
    send_json(&mut host_socket, ended(current_id, 600.0)).await;
    while let Ok(message) =
        tokio::time::timeout(Duration::from_millis(300), next_json(&mut guest_socket)).await
    {
        assert_ne!(message["type"], "video", "{message}");
    }
    // At its end: the next video, playing, for everyone.
    send_json(&mut host_socket, ended(current_id, 1.0)).await;
    let video = next_of(&mut guest_socket, "video").await;
    assert_eq!(video["video"]["id"], next["id"]);
    assert_eq!(
        next_of(&mut guest_socket, "queue").await["queue"],
        json!([])
    );
    let play = next_of(&mut guest_socket, "play").await;
    assert_eq!(
        (play["position"].as_f64(), play["playing"].as_bool()),
        (Some(0.0), Some(true))
    );
    // A late second report about the old video changes nothing.
    send_json(&mut host_socket, ended(current_id, 1.0)).await;
    assert_eq!(guest.room(&code).await["video"]["id"], next["id"]);
}

#[tokio::test]
async fn with_host_controls_only_the_host_and_owner_change_the_queue() {
    let app = spawn_app().await;
    let (owner, guest) = (app.person(), app.person());
    let code = owner.create_room().await;
    let (_owner_socket, _) = owner.join(&code).await;
    let (_guest_socket, _) = guest.join(&code).await;
    let locked = owner
        .put_json(
            &format!("/api/rooms/{code}/settings"),
            json!({"controls": "host", "max_viewers": null}),
        )
        .await;
    assert_eq!(locked.status(), 200);
    let refused = guest
        .post_json(
            &format!("/api/rooms/{code}/queue"),
            json!({"url": "https://media.example.org/v.mp4"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let upload = guest
        .http
        .post(guest.url(&format!("/api/rooms/{code}/video?queue=true")))
        .header("content-type", "application/octet-stream")
        .body(webm_bytes(100))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    assert!(app.media_files().is_empty());
    assert_eq!(
        guest
            .post(&format!("/api/rooms/{code}/queue/next"))
            .await
            .status(),
        403
    );
    assert_eq!(
        owner
            .post_json(
                &format!("/api/rooms/{code}/queue"),
                json!({"url": "https://media.example.org/v.mp4"}),
            )
            .await
            .status(),
        201
    );
}
