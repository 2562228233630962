use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::helpers::{MAX_UPLOAD, mp4_bytes, next_of, spawn_app, webm_bytes};

#[tokio::test]
async fn an_upload_becomes_the_rooms_video_under_the_next_number() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;

    let bytes = webm_bytes(50_000);
    let response = person.upload(&code, "My%20Film.webm", bytes.clone()).await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["url"], "/media/1.webm");
    assert_eq!(video["original_name"], "My Film.webm");
    assert_eq!(video["mime"], "video/webm");
    assert_eq!(video["size"], bytes.len());
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);

    let announced = next_of(&mut socket, "video").await;
    assert_eq!(announced["video"]["url"], "/media/1.webm");
    assert_eq!(announced["playback"]["playing"], false);
    assert_eq!(announced["playback"]["position"], 0.0);

    let served = person.get("/media/1.webm").await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "video/webm");
    assert_eq!(served.bytes().await.unwrap(), bytes);

    // The next upload gets the next number; the previous file is deleted.
    let response = person.upload(&code, "second.mp4", mp4_bytes(1000)).await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["url"], "/media/2.mp4");
    assert_eq!(app.media_files(), vec!["2.mp4"]);
    assert_eq!(person.get("/media/1.webm").await.status(), 404);
    assert_eq!(person.room(&code).await["video"]["url"], "/media/2.mp4");
}

#[tokio::test]
async fn numbers_keep_increasing_across_rooms_and_skip_files_put_there_by_hand() {
    let app = spawn_app().await;
    let person = app.person();
    let first = person.create_room().await;
    let second = person.create_room().await;
    std::fs::write(app.media_dir.join("2.webm"), b"placed by hand").unwrap();
    let a: Value = person
        .upload(&first, "a.webm", webm_bytes(10))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = person
        .upload(&second, "b.webm", webm_bytes(10))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["url"], "/media/1.webm");
    assert_eq!(b["url"], "/media/3.webm", "2.webm was taken");
    assert_eq!(
        std::fs::read(app.media_dir.join("2.webm")).unwrap(),
        b"placed by hand"
    );
}

/// The room has a video; every failure below must leave it and the media folder as they were.
async fn room_with_video() -> (
    crate::helpers::TestApp,
    crate::helpers::Person,
    String,
    Vec<u8>,
) {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let original = webm_bytes(4000);
    assert_eq!(
        person
            .upload(&code, "keep.webm", original.clone())
            .await
            .status(),
        201
    );
    (app, person, code, original)
}

async fn assert_untouched(
    app: &crate::helpers::TestApp,
    person: &crate::helpers::Person,
    code: &str,
    original: &[u8],
) {
    assert_eq!(app.media_files(), vec!["1.webm"], "no stray files");
    assert_eq!(person.room(code).await["video"]["url"], "/media/1.webm");
    assert_eq!(
        person.get("/media/1.webm").await.bytes().await.unwrap(),
        original
    );
}

#[tokio::test]
async fn oversized_uploads_are_413_announced_or_not() {
    let (app, person, code, original) = room_with_video().await;
    let too_big = webm_bytes(MAX_UPLOAD as usize);

    let response = person.upload(&code, "big.webm", too_big.clone()).await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_large");

    // Chunked: no Content-Length, so the server must count.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        too_big.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = person
        .http
        .post(person.url(&format!("/api/rooms/{code}/video?name=big.webm")))
        .header("content-type", "video/webm")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    // The server may answer before reading everything, and close the connection mid-body.
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
    }
    assert_untouched(&app, &person, &code, &original).await;
}

#[tokio::test]
async fn files_that_are_not_browser_video_are_415() {
    let (app, person, code, original) = room_with_video().await;
    for (name, bytes) in [
        ("notes.txt", b"just some text, nothing to see here".to_vec()),
        (
            "page.mp4",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        ("tiny.webm", b"\x1a\x45".to_vec()),
        ("empty.webm", Vec::new()),
    ] {
        let response = person.upload(&code, name, bytes).await;
        assert_eq!(response.status(), 415, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not_a_video", "{name}");
    }
    assert_untouched(&app, &person, &code, &original).await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_upload_leaves_nothing_behind() {
    let (app, person, code, original) = room_with_video().await;
    let address = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/rooms/{code}/video?name=cut.webm HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 200000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&webm_bytes(60_000)).await.unwrap();
    stream.flush().await.unwrap();
    // Let the server start writing the temporary file, then vanish.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.media_files().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.media_files().len(), 2, "the upload was being written");
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.media_files().len() > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_untouched(&app, &person, &code, &original).await;
}

#[tokio::test]
async fn file_names_are_display_text_only() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let response = person
        .upload(&code, "..%2F..%2Fetc%2Fpasswd%00.webm", webm_bytes(100))
        .await;
    assert_eq!(response.status(), 201);
    let video: Value = response.json().await.unwrap();
    assert_eq!(video["original_name"], "passwd.webm");
    assert_eq!(video["url"], "/media/1.webm");
    assert_eq!(app.media_files(), vec!["1.webm"]);
}

#[tokio::test]
async fn concurrent_uploads_in_many_rooms_all_succeed() {
    let app = spawn_app().await;
    let workers = (0..8).map(|_| {
        let person = app.person();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..10 {
                let code = person.create_room().await;
                for _ in 0..2 {
                    statuses.push(
                        person
                            .upload(&code, "v.webm", webm_bytes(2_000))
                            .await
                            .status(),
                    );
                }
                statuses.push(
                    person
                        .post(&format!("/api/rooms/{code}/refresh"))
                        .await
                        .status(),
                );
            }
            statuses
        })
    });
    for worker in workers.collect::<Vec<_>>() {
        for status in worker.await.unwrap() {
            assert!(status.is_success(), "got {status}");
        }
    }
    // 80 rooms, each keeping only its latest upload.
    assert_eq!(app.media_files().len(), 80);
}
