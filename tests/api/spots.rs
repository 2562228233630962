use serde_json::{Value, json};

use crate::helpers::{spawn_app, webm_bytes};

#[tokio::test]
async fn each_client_saves_and_reads_its_own_spot() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let spot = format!("/api/rooms/{code}/spot");

    let no_video = alice.put_json(&spot, json!({"position": 1})).await;
    assert_eq!(no_video.status(), 409);
    alice.upload(&code, "v.webm", webm_bytes(100)).await;

    assert_eq!(alice.get(&spot).await.status(), 404);
    let saved = alice.put_json(&spot, json!({"position": 61.5})).await;
    assert_eq!(saved.status(), 200);
    let again = alice.put_json(&spot, json!({"position": 75.25})).await;
    assert_eq!(again.status(), 200);
    let read: Value = alice.get(&spot).await.json().await.unwrap();
    assert_eq!(read["position"], 75.25);
    assert_eq!(read["video_id"], 1);
    assert_eq!(bob.get(&spot).await.status(), 404, "spots are per client");

    let bad = alice.put_json(&spot, json!({"position": "<script>"})).await;
    assert_eq!(bad.status(), 400);
    let bad = alice.put_json(&spot, json!({"position": -4})).await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "errors are JSON, never HTML"
    );

    // A new video starts with no spot.
    alice.upload(&code, "w.webm", webm_bytes(100)).await;
    assert_eq!(alice.get(&spot).await.status(), 404);
}
