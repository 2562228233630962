use serde_json::{Value, json};

use crate::helpers::{next_of, spawn_app, spawn_app_with, webm_bytes};

#[tokio::test]
async fn links_replace_the_video_and_uploads_are_cleaned_up() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "v.webm", webm_bytes(100)).await;
    let (mut socket, _) = person.join(&code).await;
    let link = format!("/api/rooms/{code}/video/link");

    let response = person
        .post_json(&link, json!({"url": "https://youtu.be/dQw4w9WgXcQ"}))
        .await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["kind"], "youtube");
    assert_eq!(video["youtube_id"], "dQw4w9WgXcQ");
    let announced = next_of(&mut socket, "video").await;
    assert_eq!(announced["video"]["youtube_id"], "dQw4w9WgXcQ");
    assert!(
        app.media_files().is_empty(),
        "the replaced upload was deleted"
    );

    let direct = "http://203.0.113.9:9/films/clip.mp4?sig=abc";
    let response = person.post_json(&link, json!({"url": direct})).await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["kind"], "url");
    assert_eq!(video["url"], direct);
    assert_eq!(video["mime"], "video/mp4");
    assert_eq!(video["original_name"], "clip.mp4");
    assert_eq!(person.room(&code).await["video"]["url"], direct);

    // A link survives a restart like an upload.
    let app = app.restart().await;
    let person = crate::helpers::Person {
        base: app.base.clone(),
        ..person
    };
    assert_eq!(person.room(&code).await["video"]["kind"], "url");
}

#[tokio::test]
async fn other_schemes_and_non_video_youtube_links_are_refused() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    person.upload(&code, "v.webm", webm_bytes(100)).await;
    for bad in [
        "javascript:alert(1)",
        "data:video/mp4;base64,AAAA",
        "file:///etc/passwd",
        "ftp://example.org/a.mp4",
        "https://www.youtube.com/channel/UCabcdefghijk",
        "not a url",
    ] {
        let response = person
            .post_json(
                &format!("/api/rooms/{code}/video/link"),
                json!({"url": bad}),
            )
            .await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_link", "{bad}");
    }
    assert_eq!(
        person.room(&code).await["video"]["url"],
        "/media/1.webm",
        "unchanged"
    );
}

#[tokio::test]
async fn links_to_this_machine_or_the_local_network_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let link = format!("/api/rooms/{code}/video/link");
    for private in [
        "http://127.0.0.1:5000/v.mp4",
        "http://192.168.1.1/v.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/v.mp4",
        "http://[::ffff:127.0.0.1]/v.mp4",
        "http://0x7f000001/v.mp4",
        "http://2130706433/v.mp4",
        "http://127.1/v.mp4",
        "http://localhost:5000/v.mp4",
        "http://media.localhost/v.mp4",
    ] {
        let response = person.post_json(&link, json!({"url": private})).await;
        assert_eq!(response.status(), 400, "{private}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "private_address", "{private}");
    }
    assert!(person.room(&code).await["video"].is_null(), "unchanged");

    let allowed = spawn_app_with(|config| config.allow_private_links = true).await;
    let person = allowed.person();
    let code = person.create_room().await;
    let response = person
        .post_json(
            &format!("/api/rooms/{code}/video/link"),
            json!({"url": "http://192.168.1.1/v.mp4"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["url"], "http://192.168.1.1/v.mp4");
}
