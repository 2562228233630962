use serde_json::{Value, json};

use crate::helpers::{next_of, spawn_app};

#[tokio::test]
async fn a_name_change_reaches_the_rooms_the_client_is_in() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (_a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;

    let response = alice
        .put_json("/api/me", json!({"name": "  Alice 🎬  "}))
        .await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["name"], "Alice 🎬");

    let msg = next_of(&mut b, "name").await;
    assert_eq!(msg["client_id"], alice.client_id().await.as_str());
    assert_eq!(msg["name"], "Alice 🎬");
    assert_eq!(msg["color"], me["color"]);
    let viewers = next_of(&mut b, "viewers").await;
    assert!(
        viewers["viewers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "Alice 🎬")
    );

    let me: Value = alice.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["name"], "Alice 🎬", "kept for the client ID");
}

#[tokio::test]
async fn bad_names_are_refused() {
    let app = spawn_app().await;
    let person = app.person();
    for bad in ["", "    ", &"n".repeat(33), "tab\there", "new\nline"] {
        let response = person.put_json("/api/me", json!({"name": bad})).await;
        assert_eq!(response.status(), 400, "{bad:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_name");
    }
    let me: Value = person.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["name"], Value::Null);
}

#[tokio::test]
async fn rooms_can_be_named_and_are_listed_for_their_visitors() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let first = alice.create_room().await;
    let second = alice.create_room().await;
    let (mut a, _) = alice.join(&first).await;
    drop(alice.join(&second).await);

    let named = alice
        .put_json(
            &format!("/api/rooms/{first}/name"),
            json!({"name": "Movie night"}),
        )
        .await;
    assert_eq!(named.status(), 200);
    assert_eq!(next_of(&mut a, "room_name").await["name"], "Movie night");
    assert_eq!(alice.room(&first).await["name"], "Movie night");
    let too_long = alice
        .put_json(
            &format!("/api/rooms/{first}/name"),
            json!({"name": "x".repeat(65)}),
        )
        .await;
    assert_eq!(too_long.status(), 400);

    let recent: Value = alice.get("/api/me/rooms").await.json().await.unwrap();
    let rooms = recent["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 2);
    assert_eq!(rooms[0]["code"], second.as_str(), "most recent first");
    assert_eq!(rooms[1]["name"], "Movie night");
    let none: Value = bob.get("/api/me/rooms").await.json().await.unwrap();
    assert!(none["rooms"].as_array().unwrap().is_empty());
}
