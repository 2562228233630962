use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn rooms_are_created_with_random_codes_and_read_back() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
    assert_ne!(person.create_room().await, code);

    let room = person.room(&code).await;
    assert_eq!(room["code"], code.as_str());
    assert_eq!(room["video"], Value::Null);
    assert_eq!(room["playback"]["playing"], false);
    assert_eq!(room["playback"]["position"], 0.0);
    assert_eq!(room["viewer_count"], 0);
    assert_eq!(room["host"], Value::Null);
}

#[tokio::test]
async fn unknown_rooms_are_404_with_a_json_error() {
    let app = spawn_app().await;
    let person = app.person();
    for path in [
        "/api/rooms/NOSUCHRM",
        "/api/rooms/lowercase",
        "/api/rooms/NOSUCHRM/viewers",
        "/api/rooms/NOSUCHRM/spot",
    ] {
        let response = person.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "room_not_found", "{path}");
    }
    let response = person
        .post_json(
            "/api/rooms/NOSUCHRM/playback",
            serde_json::json!({"action": "play", "position": 1}),
        )
        .await;
    assert_eq!(response.status(), 404);
    assert!(
        person.connect("NOSUCHRM", None).await.is_err(),
        "no socket for an unknown room"
    );
}

#[tokio::test]
async fn state_changes_refuse_other_sites_and_get_requests() {
    let app = spawn_app().await;
    let person = app.person();
    let response = person
        .http
        .post(person.url("/api/rooms"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "cross_site");

    let same_site = person
        .http
        .post(person.url("/api/rooms"))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 201);

    // Changing state with GET is not possible.
    assert_eq!(person.get("/api/rooms/new").await.status(), 404);
    let code = person.create_room().await;
    let get_playback = person.get(&format!("/api/rooms/{code}/playback")).await;
    assert_eq!(get_playback.status(), 405);
}

#[tokio::test]
async fn malformed_bodies_get_a_json_400() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let response = person
        .http
        .post(person.url(&format!("/api/rooms/{code}/playback")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    for bad in [
        serde_json::json!({"action": "dance", "position": 1}),
        serde_json::json!({"action": "seek", "position": -5}),
        serde_json::json!({"action": "seek"}),
    ] {
        let response = person
            .post_json(&format!("/api/rooms/{code}/playback"), bad.clone())
            .await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}
