use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn rest_commands_update_the_authoritative_state() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let path = format!("/api/rooms/{code}/playback");
    let played: serde_json::Value = person
        .post_json(&path, json!({"action": "play", "position": 20}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(played["playing"], true);
    assert_eq!(played["position"], 20.0);
    // The start is scheduled a little ahead (250 ms here), then the position runs.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let room = person.room(&code).await;
    assert_eq!(room["playback"]["playing"], true);
    let position = room["playback"]["position"].as_f64().unwrap();
    assert!(
        position > 20.2 && position < 21.0,
        "the position advances: {position}"
    );

    person
        .post_json(&path, json!({"action": "pause", "position": 25}))
        .await;
    let room = person.room(&code).await;
    assert_eq!(room["playback"]["playing"], false);
    assert_eq!(room["playback"]["position"], 25.0);
}
