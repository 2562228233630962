use serde_json::{Value, json};

use crate::helpers::{next_of, send_json, spawn_app, webm_bytes};

#[tokio::test]
async fn a_restart_keeps_rooms_videos_spots_position_and_the_counter() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(2_000);
    person.upload(&code, "keep.webm", bytes.clone()).await;
    let spot = format!("/api/rooms/{code}/spot");
    person.put_json(&spot, json!({"position": 33.5})).await;
    let (mut socket, _) = person.join(&code).await;
    send_json(&mut socket, json!({"type": "seek", "position": 12.0})).await;
    next_of(&mut socket, "seek").await;
    drop(socket);
    let cookie_key = std::fs::read(app.data_dir.join("cookie.key")).unwrap();

    let app = app.restart().await;
    assert_eq!(
        std::fs::read(app.data_dir.join("cookie.key")).unwrap(),
        cookie_key
    );
    // Same cookie jar, new port: re-point the person at the new server.
    let person = crate::helpers::Person {
        base: app.base.clone(),
        ..person
    };
    let room = person.room(&code).await;
    assert_eq!(room["video"]["url"], "/media/1.webm");
    assert_eq!(room["video"]["original_name"], "keep.webm");
    assert_eq!(room["playback"]["position"], 12.0);
    assert_eq!(room["playback"]["playing"], false);
    assert_eq!(
        person.get("/media/1.webm").await.bytes().await.unwrap(),
        bytes
    );
    let read: Value = person.get(&spot).await.json().await.unwrap();
    assert_eq!(read["position"], 33.5);

    let next: Value = person
        .upload(&code, "next.webm", webm_bytes(10))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["url"], "/media/2.webm", "the counter survived");
}
