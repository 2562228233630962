//! Subtitle tracks: uploaded SRT and WebVTT files served as WebVTT, the list and its socket
//! message, refusals that keep nothing, and tracks found inside an uploaded Matroska file.

use std::{process::Command, time::Duration};

use serde_json::{Value, json};

use crate::helpers::{Person, next_of, spawn_app, webm_bytes};

const SRT: &str = "1\r\n00:00:01,000 --> 00:00:02,500\r\nHello, <i>world</i>!\r\n\r\n\
                   2\r\n00:00:03,000 --> 00:00:04,000\r\n<font color=\"red\">Second</font> line\r\n";

async fn post_subtitles(
    person: &Person,
    code: &str,
    query: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    person
        .http
        .post(person.url(&format!("/api/rooms/{code}/subtitles?{query}")))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// A room with an uploaded video, owned by `person`.
async fn room_with_video(person: &Person) -> String {
    let code = person.create_room().await;
    assert_eq!(
        person
            .upload(&code, "a.webm", webm_bytes(1000))
            .await
            .status(),
        201
    );
    code
}

async fn list(person: &Person, code: &str) -> Value {
    let response = person.get(&format!("/api/rooms/{code}/subtitles")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The track's file: its content type and text.
async fn fetch_track(person: &Person, url: &str) -> (String, String) {
    let response = person.get(url).await;
    assert_eq!(response.status(), 200, "{url}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    (content_type, response.text().await.unwrap())
}

async fn stored_tracks(app: &crate::helpers::TestApp) -> i64 {
    let db = app.read_database().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM subtitles")
        .fetch_one(&db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_srt_upload_is_served_as_webvtt_and_listed() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;

    let response = post_subtitles(
        &alice,
        &code,
        "name=Movie.English.srt&language=en",
        SRT.into(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let track: Value = response.json().await.unwrap();
    assert_eq!(track["label"], "Movie.English");
    assert_eq!(track["language"], "en");
    let url = track["url"].as_str().unwrap();
    assert_eq!(url, format!("/api/rooms/{code}/subtitles/{}", track["id"]));

    let (content_type, vtt) = fetch_track(&alice, url).await;
    assert_eq!(content_type, "text/vtt; charset=utf-8");
    assert_eq!(
        vtt,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello, <i>world</i>!\n\n\
         00:00:03.000 --> 00:00:04.000\nSecond line\n"
    );
    assert_eq!(list(&alice, &code).await, json!([track]));
    assert_eq!(alice.room(&code).await["subtitles"], json!([track]));
}

#[tokio::test]
async fn a_latin1_srt_keeps_its_accents() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    // "Déjà vu, über café" in Latin-1 / Windows-1252.
    let mut srt = b"1\n00:00:01,000 --> 00:00:02,000\nD\xE9j\xE0 vu, \xFCber caf\xE9\n".to_vec();
    srt.extend_from_slice(b"\n2\n00:00:02,000 --> 00:00:03,000\nPrix : 5 \x80");

    let response = post_subtitles(&alice, &code, "name=fr.srt&language=fr", srt).await;
    assert_eq!(response.status(), 201);
    let track: Value = response.json().await.unwrap();
    let (content_type, vtt) = fetch_track(&alice, track["url"].as_str().unwrap()).await;
    assert_eq!(content_type, "text/vtt; charset=utf-8");
    assert!(vtt.starts_with("WEBVTT\n"), "{vtt}");
    assert!(vtt.contains("\nDéjà vu, über café\n"), "{vtt}");
    assert!(vtt.contains("\nPrix : 5 €\n"), "{vtt}");
}

#[tokio::test]
async fn a_webvtt_upload_in_utf16_is_checked_and_cleaned() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    let text = "WEBVTT\n\nNOTE kept out\n\n00:01.000 --> 00:02.000 align:start\n<v Zoë>Grüß dich</v><script>x</script>\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));

    let response = post_subtitles(&alice, &code, "name=de.vtt", utf16).await;
    assert_eq!(response.status(), 201);
    let track: Value = response.json().await.unwrap();
    assert_eq!(track["language"], Value::Null);
    let (_, vtt) = fetch_track(&alice, track["url"].as_str().unwrap()).await;
    assert_eq!(
        vtt,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start\n<v Zoë>Grüß dich</v>x\n"
    );
}

#[tokio::test]
async fn bad_files_get_clear_refusals_and_leave_nothing() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    let (mut socket, _) = alice.join(&code).await;

    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 256) as u8).collect();
    for (query, bytes) in [
        ("name=x.srt", garbage),
        (
            "name=notes.srt",
            b"just some words\nand no cue at all\n".to_vec(),
        ),
        ("name=x.vtt", SRT.into()),
        ("name=x.srt&language=en_US", SRT.into()),
    ] {
        let response = post_subtitles(&alice, &code, query, bytes).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        let expected = if query.contains("language") {
            "bad_language"
        } else {
            "bad_subtitles"
        };
        assert_eq!(body["code"], expected, "{query}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    let too_big = vec![b'a'; 2 * 1024 * 1024 + 1];
    let response = post_subtitles(&alice, &code, "name=big.srt", too_big).await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "too_large");

    assert_eq!(list(&alice, &code).await, json!([]));
    assert_eq!(stored_tracks(&app).await, 0);
    // Nothing was announced: the next message is the one for the good upload.
    post_subtitles(&alice, &code, "name=ok.srt", SRT.into()).await;
    let message = next_of(&mut socket, "subtitles").await;
    assert_eq!(message["tracks"][0]["label"], "ok");
}

#[tokio::test]
async fn unknown_rooms_rooms_without_video_and_youtube_are_refused() {
    let app = spawn_app().await;
    let alice = app.person();
    let response = post_subtitles(&alice, "ZZZZZZZZ", "name=a.srt", SRT.into()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        alice.get("/api/rooms/ZZZZZZZZ/subtitles").await.status(),
        404
    );
    assert_eq!(
        alice.get("/api/rooms/ZZZZZZZZ/subtitles/1").await.status(),
        404
    );

    let code = alice.create_room().await;
    let response = post_subtitles(&alice, &code, "name=a.srt", SRT.into()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "no_video");
    assert_eq!(
        alice
            .get(&format!("/api/rooms/{code}/subtitles/1"))
            .await
            .status(),
        404
    );

    let link = json!({"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"});
    let response = alice
        .post_json(&format!("/api/rooms/{code}/video/link"), link)
        .await;
    assert_eq!(response.status(), 201);
    let response = post_subtitles(&alice, &code, "name=a.srt", SRT.into()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(stored_tracks(&app).await, 0);
}

#[tokio::test]
async fn the_room_hears_changes_and_a_new_video_clears_the_list() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    let (mut socket, snapshot) = alice.join(&code).await;
    assert_eq!(snapshot["room"]["subtitles"], json!([]));

    let track: Value = post_subtitles(&alice, &code, "name=en.srt&language=en", SRT.into())
        .await
        .json()
        .await
        .unwrap();
    let message = next_of(&mut socket, "subtitles").await;
    assert_eq!(message["tracks"], json!([track]));
    // A late joiner gets them in the snapshot.
    let (_, snapshot) = app.person().join(&code).await;
    assert_eq!(snapshot["room"]["subtitles"], json!([track]));

    assert_eq!(
        alice
            .upload(&code, "b.webm", webm_bytes(500))
            .await
            .status(),
        201
    );
    let video = next_of(&mut socket, "video").await;
    assert_eq!(video["video"]["original_name"], "b.webm");
    let message = next_of(&mut socket, "subtitles").await;
    assert_eq!(message["tracks"], json!([]));
    assert_eq!(list(&alice, &code).await, json!([]));
    assert_eq!(
        alice.get(track["url"].as_str().unwrap()).await.status(),
        404
    );
    assert_eq!(stored_tracks(&app).await, 0);
}

#[tokio::test]
async fn the_uploader_host_or_owner_may_delete_a_track() {
    let app = spawn_app().await;
    let owner = app.person();
    let code = room_with_video(&owner).await;
    let (bob, carol) = (app.person(), app.person());
    let bobs: Value = post_subtitles(&bob, &code, "name=bob.srt", SRT.into())
        .await
        .json()
        .await
        .unwrap();
    let owners: Value = post_subtitles(&owner, &code, "name=own.srt", SRT.into())
        .await
        .json()
        .await
        .unwrap();
    let (mut socket, _) = carol.join(&code).await;

    let path = |track: &Value| format!("/api/rooms/{code}/subtitles/{}", track["id"]);
    let delete = |person: &Person, path: String| {
        let request = person.http.delete(person.url(&path));
        async move { request.send().await.unwrap().status() }
    };
    // Carol is host (the only one watching) but Bob is not: he may delete only his own.
    assert_eq!(delete(&bob, path(&owners)).await, 403);
    assert_eq!(delete(&bob, path(&bobs)).await, 204);
    let message = next_of(&mut socket, "subtitles").await;
    assert_eq!(message["tracks"], json!([owners]));
    assert_eq!(delete(&bob, path(&bobs)).await, 404);
    assert_eq!(delete(&carol, path(&owners)).await, 204);
    assert_eq!(list(&owner, &code).await, json!([]));
    assert_eq!(stored_tracks(&app).await, 0);

    // With only the host and the owner in control, Bob may not add any more.
    let settings = json!({"controls": "host", "max_viewers": null});
    assert_eq!(
        owner
            .put_json(&format!("/api/rooms/{code}/settings"), settings)
            .await
            .status(),
        200
    );
    let response = post_subtitles(&bob, &code, "name=bob.srt", SRT.into()).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_video_has_at_most_twenty_tracks() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    for n in 0..20 {
        let response = post_subtitles(&alice, &code, &format!("name={n}.srt"), SRT.into()).await;
        assert_eq!(response.status(), 201);
    }
    let response = post_subtitles(&alice, &code, "name=21.srt", SRT.into()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "too_many_subtitles"
    );
    assert_eq!(list(&alice, &code).await.as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn a_password_room_keeps_its_subtitles_from_outsiders() {
    let app = spawn_app().await;
    let owner = app.person();
    let code = room_with_video(&owner).await;
    let track: Value = post_subtitles(&owner, &code, "name=a.srt", SRT.into())
        .await
        .json()
        .await
        .unwrap();
    let settings = json!({"controls": "everyone", "max_viewers": null, "password": "open sesame"});
    assert_eq!(
        owner
            .put_json(&format!("/api/rooms/{code}/settings"), settings)
            .await
            .status(),
        200
    );

    let outsider = app.person();
    for path in [
        format!("/api/rooms/{code}/subtitles"),
        track["url"].as_str().unwrap().to_string(),
    ] {
        let response = outsider.get(&path).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "password_required"
        );
    }
    let response = post_subtitles(&outsider, &code, "name=b.srt", SRT.into()).await;
    assert_eq!(response.status(), 401);
    fetch_track(&owner, track["url"].as_str().unwrap()).await;
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    let response = alice
        .http
        .post(alice.url(&format!("/api/rooms/{code}/subtitles?name=a.srt")))
        .header("content-type", "application/octet-stream")
        .header("origin", "https://evil.example")
        .body(SRT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(stored_tracks(&app).await, 0);
}

/// A Matroska file (MPEG-4 video: it gets converted) with a French SubRip stream, made by ffmpeg
/// now.
fn mkv_with_subtitles(dir: &std::path::Path) -> Vec<u8> {
    video_with_subtitles(dir, "out.mkv", &["-c:v", "mpeg4", "-c:s", "srt"])
}

/// A WebM file (VP8: it plays as it is) with a French WebVTT stream, made by ffmpeg now.
fn webm_with_subtitles(dir: &std::path::Path) -> Vec<u8> {
    video_with_subtitles(
        dir,
        "out.webm",
        &["-c:v", "libvpx", "-deadline", "realtime", "-c:s", "webvtt"],
    )
}

fn video_with_subtitles(dir: &std::path::Path, name: &str, codecs: &[&str]) -> Vec<u8> {
    let srt = dir.join("in.srt");
    std::fs::write(&srt, "1\n00:00:00,500 --> 00:00:01,500\nBonjour à tous\n").unwrap();
    let mkv = dir.join(name);
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=64x48:rate=5",
        ])
        .arg("-i")
        .arg(&srt)
        .args(["-map", "0:v", "-map", "1:s"])
        .args(codecs)
        .args([
            "-metadata:s:s:0",
            "language=fre",
            "-metadata:s:s:0",
            "title=Français",
        ])
        .arg(&mkv)
        .status()
        .expect("ffmpeg is installed (test.sh installs it)");
    assert!(status.success());
    std::fs::read(mkv).unwrap()
}

#[tokio::test]
async fn text_subtitles_inside_an_uploaded_video_join_the_list() {
    for (name, video, status) in [
        (
            "movie.webm",
            webm_with_subtitles as fn(&std::path::Path) -> Vec<u8>,
            201,
        ),
        // Converted to MP4 (which keeps no subtitles): they are taken from the upload meanwhile.
        ("movie.mkv", mkv_with_subtitles, 202),
    ] {
        subtitles_inside_an_upload_join_the_list(name, video, status).await;
    }
}

async fn subtitles_inside_an_upload_join_the_list(
    name: &str,
    video: fn(&std::path::Path) -> Vec<u8>,
    status: u16,
) {
    let app = spawn_app().await;
    let alice = app.person();
    let code = alice.create_room().await;
    let (mut socket, _) = alice.join(&code).await;
    let dir = tempfile::tempdir().unwrap();

    let response = alice.upload(&code, name, video(dir.path())).await;
    assert_eq!(
        response.status(),
        status,
        "{name}: {:?}",
        response.text().await
    );
    let message = tokio::time::timeout(Duration::from_secs(30), next_of_tracks(&mut socket))
        .await
        .expect("the extracted track within 30 s");
    assert_eq!(message["tracks"][0]["label"], "Français");
    assert_eq!(message["tracks"][0]["language"], "fre");
    let (content_type, vtt) =
        fetch_track(&alice, message["tracks"][0]["url"].as_str().unwrap()).await;
    assert_eq!(content_type, "text/vtt; charset=utf-8");
    assert!(vtt.starts_with("WEBVTT\n"), "{vtt}");
    assert!(
        vtt.contains("00:00:00.500 --> 00:00:01.500\nBonjour à tous\n"),
        "{vtt}"
    );
    assert_eq!(list(&alice, &code).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn subtitles_inside_a_queued_upload_are_found_when_it_plays() {
    let app = spawn_app().await;
    let alice = app.person();
    let code = room_with_video(&alice).await;
    let (mut socket, _) = alice.join(&code).await;
    let dir = tempfile::tempdir().unwrap();

    let response = alice
        .http
        .post(alice.url(&format!(
            "/api/rooms/{code}/video?name=next.webm&queue=true"
        )))
        .header("content-type", "application/octet-stream")
        .body(webm_with_subtitles(dir.path()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        alice
            .post(&format!("/api/rooms/{code}/queue/next"))
            .await
            .status(),
        204
    );
    let message = tokio::time::timeout(Duration::from_secs(30), next_of_tracks(&mut socket))
        .await
        .expect("the extracted track within 30 s");
    assert_eq!(message["tracks"][0]["label"], "Français");
    let room = alice.room(&code).await;
    assert_eq!(room["video"]["original_name"], "next.webm");
    assert_eq!(room["subtitles"], message["tracks"]);
}

/// The next `subtitles` message that lists some track (next_of gives up after 5 s; ffmpeg on a
/// busy machine may take longer).
async fn next_of_tracks(socket: &mut crate::helpers::Socket) -> Value {
    loop {
        if let Ok(message) = tokio::time::timeout(Duration::from_secs(4), async {
            next_of(socket, "subtitles").await
        })
        .await
            && message["tracks"]
                .as_array()
                .is_some_and(|tracks| !tracks.is_empty())
        {
            return message;
        }
    }
}
