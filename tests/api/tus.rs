//! Resumable uploads over tus 1.0.0, spoken by hand: creation, offsets, chunks, termination,
//! expiry, the checks a one-request upload gets, and an upload that outlives a restart.

use std::time::{Duration, Instant};

use reqwest::{Method, Response};
use serde_json::Value;

use crate::helpers::{MAX_UPLOAD, Person, TestApp, spawn_app, spawn_app_with, webm_bytes};

/// About 1.4 s.
const SHORT_HOURS: f64 = 0.0004;

fn tus(person: &Person, method: Method, path: &str) -> reqwest::RequestBuilder {
    person
        .http
        .request(method, person.url(path))
        .header("Tus-Resumable", "1.0.0")
}

/// POSTs a creation request; returns the response.
async fn create(person: &Person, code: &str, length: usize, metadata: &str) -> Response {
    tus(person, Method::POST, &format!("/api/rooms/{code}/uploads"))
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", metadata)
        .send()
        .await
        .unwrap()
}

/// Creates an upload of `length` bytes named "film.webm"; returns its path.
async fn created(person: &Person, code: &str, length: usize) -> String {
    // "film.webm"
    let response = create(person, code, length, "filename ZmlsbS53ZWJt").await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let prefix = format!("/api/rooms/{code}/uploads/");
    let id = location.strip_prefix(&prefix).expect(&location);
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    location
}

async fn patch(person: &Person, path: &str, offset: usize, bytes: &[u8]) -> Response {
    tus(person, Method::PATCH, path)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// The Upload-Offset a HEAD answers, or its status when it is not 200.
async fn offset_of(person: &Person, path: &str) -> Result<u64, u16> {
    let response = tus(person, Method::HEAD, path).send().await.unwrap();
    match response.status().as_u16() {
        200 => Ok(header(&response, "upload-offset").parse().unwrap()),
        status => Err(status),
    }
}

fn header(response: &Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

async fn upload_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(&app.read_database().await)
        .await
        .unwrap()
}

async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn options_announce_the_version_the_extensions_and_the_limit() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let response = person
        .http
        .request(
            Method::OPTIONS,
            person.url(&format!("/api/rooms/{code}/uploads")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "tus-version"), "1.0.0");
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    assert_eq!(
        header(&response, "tus-extension"),
        "creation,termination,expiration"
    );
    assert_eq!(header(&response, "tus-max-size"), MAX_UPLOAD.to_string());
}

#[tokio::test]
async fn an_upload_sent_in_chunks_becomes_the_rooms_video() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(100_000);
    let response = create(&person, &code, bytes.len(), "filename ZmlsbS53ZWJt").await;
    assert_eq!(response.status(), 201);
    assert!(header(&response, "upload-expires").ends_with(" GMT"));
    let path = header(&response, "location");
    assert_eq!(offset_of(&person, &path).await, Ok(0));
    let head = tus(&person, Method::HEAD, &path).send().await.unwrap();
    assert_eq!(header(&head, "upload-length"), bytes.len().to_string());
    assert_eq!(header(&head, "cache-control"), "no-store");

    let mut sent = 0;
    for chunk in bytes.chunks(30_000) {
        let response = patch(&person, &path, sent, chunk).await;
        assert_eq!(response.status(), 204);
        sent += chunk.len();
        assert_eq!(header(&response, "upload-offset"), sent.to_string());
        if sent < bytes.len() {
            assert_eq!(offset_of(&person, &path).await, Ok(sent as u64));
        }
    }
    let room = person.room(&code).await;
    assert_eq!(room["video"]["url"], "/media/1.webm");
    assert_eq!(room["video"]["original_name"], "film.webm");
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
    assert_eq!(
        app.media_files(),
        vec!["1.webm"],
        "the upload's file is gone"
    );
    assert_eq!(upload_rows(&app).await, 0);
    assert_eq!(offset_of(&person, &path).await, Err(404));
}

#[tokio::test]
async fn queue_in_the_metadata_puts_the_video_in_the_queue() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(1_000);
    // "next.webm", "true"
    let response = create(
        &person,
        &code,
        bytes.len(),
        "filename bmV4dC53ZWJt,queue dHJ1ZQ==",
    )
    .await;
    let path = header(&response, "location");
    assert_eq!(patch(&person, &path, 0, &bytes).await.status(), 204);
    let room = person.room(&code).await;
    assert!(room["video"].is_null(), "{room}");
    assert_eq!(room["queue"][0]["video"]["original_name"], "next.webm");
}

#[tokio::test]
async fn a_wrong_offset_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    assert_eq!(
        patch(&person, &path, 0, &bytes[..4_000]).await.status(),
        204
    );
    for wrong in [0, 3_999, 4_001] {
        let response = patch(&person, &path, wrong, &bytes[wrong..wrong + 10]).await;
        assert_eq!(response.status(), 409, "{wrong}");
        assert_eq!(error_code(response).await, "offset_mismatch");
    }
    assert_eq!(offset_of(&person, &path).await, Ok(4_000));
    let response = patch(&person, &path, 4_000, &bytes[4_000..]).await;
    assert_eq!(response.status(), 204);
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}

#[tokio::test]
async fn a_body_past_the_length_is_413_and_nothing_of_it_is_kept() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    assert_eq!(
        patch(&person, &path, 0, &bytes[..4_000]).await.status(),
        204
    );
    let mut too_long = bytes[4_000..].to_vec();
    too_long.extend_from_slice(b"one byte too many, and more");
    // Announced in Content-Length, and streamed without it.
    let response = patch(&person, &path, 4_000, &too_long).await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response).await, "too_long");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = too_long
        .chunks(1_000)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let response = tus(&person, Method::PATCH, &path)
        .header("Upload-Offset", "4000")
        .header("Content-Type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(offset_of(&person, &path).await, Ok(4_000));
    let partial: Vec<String> = app.media_files();
    assert_eq!(partial.len(), 1, "{partial:?}");
    let on_disk = std::fs::metadata(app.media_dir.join(&partial[0])).unwrap();
    assert_eq!(on_disk.len(), 4_000, "nothing written past the offset");
    assert_eq!(
        patch(&person, &path, 4_000, &bytes[4_000..]).await.status(),
        204
    );
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}

#[tokio::test]
async fn bad_creations_are_refused_and_leave_nothing() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let uploads = format!("/api/rooms/{code}/uploads");

    let response = person
        .http
        .post(person.url(&uploads))
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "100")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(header(&response, "tus-version"), "1.0.0");
    assert_eq!(error_code(response).await, "tus_version");

    let response = create(&person, &code, MAX_UPLOAD as usize + 1, "").await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response).await, "too_large");

    let response = tus(&person, Method::POST, &uploads).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "missing_length");

    let response = create(&person, &code, 100, "filename ***").await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "bad_metadata");

    let response = create(&person, "ZZZZZZZZ", 100, "").await;
    assert_eq!(response.status(), 404);

    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(upload_rows(&app).await, 0);
}

#[tokio::test]
async fn patches_need_the_version_and_the_offset_content_type() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let path = created(&person, &code, 1_000).await;
    let response = person
        .http
        .patch(person.url(&path))
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(webm_bytes(100))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 412);
    let response = tus(&person, Method::PATCH, &path)
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/octet-stream")
        .body(webm_bytes(100))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(offset_of(&person, &path).await, Ok(0));
}

#[tokio::test]
async fn first_bytes_that_are_no_video_are_415_and_the_upload_is_gone() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let path = created(&person, &code, 10_000).await;
    // Fewer bytes than it takes to tell: kept for now.
    let text = b"just some text, certainly not a video container header".repeat(20);
    assert_eq!(patch(&person, &path, 0, &text[..20]).await.status(), 204);
    let response = patch(&person, &path, 20, &text[20..]).await;
    assert_eq!(response.status(), 415);
    assert_eq!(error_code(response).await, "not_a_video");
    assert_eq!(offset_of(&person, &path).await, Err(404));
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(upload_rows(&app).await, 0);
}

#[tokio::test]
async fn without_ffmpeg_a_container_browsers_cannot_play_is_415_and_the_upload_is_gone() {
    let app = spawn_app_with(|config| {
        config.ffmpeg_path = "/nonexistent/ffmpeg".into();
        config.ffprobe_path = "/nonexistent/ffprobe".into();
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let path = created(&person, &code, 10_000).await;
    let mut avi = b"RIFF\x24\0\0\0AVI LIST".to_vec();
    avi.resize(1_000, 0);
    let response = patch(&person, &path, 0, &avi).await;
    assert_eq!(response.status(), 415);
    assert_eq!(error_code(response).await, "needs_ffmpeg");
    assert_eq!(offset_of(&person, &path).await, Err(404));
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(upload_rows(&app).await, 0);
}

#[tokio::test]
async fn delete_terminates_the_upload_and_leaves_nothing() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    assert_eq!(
        patch(&person, &path, 0, &bytes[..5_000]).await.status(),
        204
    );
    let response = tus(&person, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "tus-resumable"), "1.0.0");
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(upload_rows(&app).await, 0);
    assert_eq!(offset_of(&person, &path).await, Err(404));
    assert_eq!(
        patch(&person, &path, 5_000, &bytes[5_000..]).await.status(),
        404
    );
    let response = tus(&person, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn another_client_cannot_see_or_touch_an_upload() {
    let app = spawn_app().await;
    let owner = app.person();
    let stranger = app.person();
    let code = owner.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&owner, &code, bytes.len()).await;
    assert_eq!(patch(&owner, &path, 0, &bytes[..5_000]).await.status(), 204);
    assert_eq!(offset_of(&stranger, &path).await, Err(404));
    assert_eq!(
        patch(&stranger, &path, 5_000, &bytes[5_000..])
            .await
            .status(),
        404
    );
    let response = tus(&stranger, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
    // Nor from another room's path.
    let other = owner.create_room().await;
    let elsewhere = path.replace(&code, &other);
    assert_eq!(offset_of(&owner, &elsewhere).await, Err(404));
    assert_eq!(offset_of(&owner, &path).await, Ok(5_000));
}

#[tokio::test]
async fn another_site_cannot_patch_or_delete() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let path = created(&person, &code, 1_000).await;
    let response = tus(&person, Method::PATCH, &path)
        .header("Origin", "https://evil.example")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(webm_bytes(100))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = tus(&person, Method::DELETE, &path)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(offset_of(&person, &path).await, Ok(0));
}

#[tokio::test]
async fn an_upload_whose_room_was_deleted_is_404_and_leaves_nothing() {
    // A TTL of a few seconds: the first PATCH must land before the room expires, even on a busy
    // machine with PostgreSQL.
    let app = spawn_app_with(|config| config.room_ttl_hours = 3.0 * SHORT_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    assert_eq!(
        patch(&person, &path, 0, &bytes[..5_000]).await.status(),
        204
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while person.get(&format!("/api/rooms/{code}")).await.status() != 404 {
        assert!(Instant::now() < deadline, "the room was never deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let response = patch(&person, &path, 5_000, &bytes[5_000..]).await;
    assert_eq!(response.status(), 404);
    assert_eq!(offset_of(&person, &path).await, Err(404));
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(upload_rows(&app).await, 0);
}

#[tokio::test]
async fn an_idle_upload_expires_and_the_sweep_deletes_it() {
    let app = spawn_app_with(|config| config.upload_expiry_hours = SHORT_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    let path = created(&person, &code, 10_000).await;
    assert_eq!(
        patch(&person, &path, 0, &webm_bytes(1_000)).await.status(),
        204
    );
    // Nobody asks about it: the sweep alone deletes it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.media_files().is_empty() || upload_rows(&app).await != 0 {
        assert!(Instant::now() < deadline, "the upload never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offset_of(&person, &path).await, Err(404));
}

#[tokio::test]
async fn an_unfinished_upload_survives_a_restart_and_its_video_plays() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(100_000);
    let path = created(&person, &code, bytes.len()).await;
    assert_eq!(
        patch(&person, &path, 0, &bytes[..50_000]).await.status(),
        204
    );

    let app = app.restart().await;
    // The same client (its cookie) at the new address.
    let person = Person {
        base: app.base.clone(),
        ..person
    };
    assert_eq!(offset_of(&person, &path).await, Ok(50_000));
    assert_eq!(
        patch(&person, &path, 50_000, &bytes[50_000..])
            .await
            .status(),
        204
    );
    let room = person.room(&code).await;
    let url = room["video"]["url"].as_str().unwrap().to_string();
    let response = person
        .http
        .get(person.url(&url))
        .header("Range", "bytes=49990-50009")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 206);
    assert_eq!(response.bytes().await.unwrap(), bytes[49_990..50_010]);
}

#[tokio::test]
async fn a_new_patch_takes_over_a_hanging_one_and_the_offset_stays_true() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(20_000);
    let path = created(&person, &code, bytes.len()).await;
    // A PATCH whose client went quiet without the server noticing: 5,000 bytes, then nothing.
    let (chunks, mut feed) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let body = futures_util::stream::poll_fn(move |cx| {
        feed.poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, std::io::Error>))
    });
    let hanging = tokio::spawn(
        tus(&person, Method::PATCH, &path)
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    chunks.send(bytes[..5_000].to_vec()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let on_disk = |app: &TestApp| {
        app.media_files()
            .first()
            .map(|name| std::fs::metadata(app.media_dir.join(name)).unwrap().len())
    };
    while on_disk(&app) != Some(5_000) {
        assert!(Instant::now() < deadline, "the first bytes never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The hanging PATCH has not ended: the server does not count its bytes yet.
    assert_eq!(offset_of(&person, &path).await, Ok(0));
    // The client starts over from 0: its PATCH stops the hanging one, whose bytes then count, so
    // this one no longer starts at the end and is refused rather than written at the wrong place.
    let response = patch(&person, &path, 0, &bytes).await;
    assert_eq!(response.status(), 409);
    assert_eq!(error_code(response).await, "offset_mismatch");
    assert_eq!(offset_of(&person, &path).await, Ok(5_000));
    drop(chunks);
    let _ = hanging.await;
    assert_eq!(
        patch(&person, &path, 5_000, &bytes[5_000..]).await.status(),
        204
    );
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}

/// Starts a PATCH from 0 whose body the test feeds by hand; returns the sender and the answer.
fn hand_fed_patch(
    person: &Person,
    path: &str,
) -> (
    tokio::sync::mpsc::Sender<Vec<u8>>,
    tokio::task::JoinHandle<reqwest::Result<Response>>,
) {
    let (chunks, mut feed) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let body = futures_util::stream::poll_fn(move |cx| {
        feed.poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, std::io::Error>))
    });
    let answer = tokio::spawn(
        tus(person, Method::PATCH, path)
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    (chunks, answer)
}

#[tokio::test]
async fn a_stalled_patch_is_408_and_keeps_the_bytes_before_the_stall() {
    let app = spawn_app_with(|config| config.upload_stall_secs = 1).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    let (chunks, answer) = hand_fed_patch(&person, &path);
    chunks.send(bytes[..3_000].to_vec()).await.unwrap();
    // Nothing more comes, and the connection stays open.
    let response = answer.await.unwrap().unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (408, &"upload_stalled".into()),
        "{body}"
    );
    drop(chunks);
    assert_eq!(offset_of(&person, &path).await, Ok(3_000));
    assert_eq!(
        patch(&person, &path, 3_000, &bytes[3_000..]).await.status(),
        204
    );
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}

#[tokio::test]
async fn a_patch_holds_one_of_its_addresss_upload_slots() {
    let app = spawn_app_with(|config| config.uploads_per_address = 1).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let first = created(&person, &code, bytes.len()).await;
    let second = created(&person, &code, bytes.len()).await;
    let (chunks, answer) = hand_fed_patch(&person, &first);
    chunks.send(bytes[..3_000].to_vec()).await.unwrap();
    // Once the first PATCH runs (its bytes reach the disk), the second finds no free slot.
    let id = first.rsplit('/').next().unwrap();
    let file = app.media_dir.join(format!(".tus-{id}.part"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) < 3_000 {
        assert!(Instant::now() < deadline, "the first PATCH never wrote");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let response = patch(&person, &second, 0, &bytes).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(error_code(response).await, "too_many_uploads");
    assert_eq!(offset_of(&person, &second).await, Ok(0));
    chunks.send(bytes[3_000..].to_vec()).await.unwrap();
    drop(chunks);
    assert_eq!(answer.await.unwrap().unwrap().status(), 204);
    // The slot is free again.
    assert_eq!(patch(&person, &second, 0, &bytes).await.status(), 204);
}

#[tokio::test]
async fn a_password_room_keeps_its_uploads_to_members() {
    let app = spawn_app().await;
    let owner = app.person();
    let stranger = app.person();
    let code = owner.create_room().await;
    let response = owner
        .put_json(
            &format!("/api/rooms/{code}/settings"),
            serde_json::json!({"controls": "everyone", "max_viewers": null, "password": "open sesame"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let response = create(&stranger, &code, 1_000, "").await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "password_required");
    let path = created(&owner, &code, 1_000).await;
    assert_eq!(offset_of(&stranger, &path).await, Err(401));
    assert_eq!(offset_of(&owner, &path).await, Ok(0));
    assert_eq!(upload_rows(&app).await, 1);
}

#[tokio::test]
async fn a_patch_that_keeps_sending_keeps_its_room_alive_past_the_ttl() {
    let app = spawn_app_with(|config| config.room_ttl_hours = SHORT_HOURS).await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(30_000);
    let path = created(&person, &code, bytes.len()).await;
    let (chunks, answer) = hand_fed_patch(&person, &path);
    // About three TTLs of a chunk every 0.2 s.
    let deadline = Instant::now() + Duration::from_millis(4_200);
    let mut sent = 0;
    while Instant::now() < deadline {
        let next = (sent + 1_000).min(bytes.len() - 1);
        chunks.send(bytes[sent..next].to_vec()).await.unwrap();
        sent = next;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    chunks.send(bytes[sent..].to_vec()).await.unwrap();
    drop(chunks);
    assert_eq!(answer.await.unwrap().unwrap().status(), 204);
    assert_eq!(person.room(&code).await["video"]["url"], "/media/1.webm");
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}

#[tokio::test]
async fn the_bytes_of_a_patch_running_at_shutdown_count_after_the_restart() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(10_000);
    let path = created(&person, &code, bytes.len()).await;
    let (chunks, answer) = hand_fed_patch(&person, &path);
    chunks.send(bytes[..4_000].to_vec()).await.unwrap();
    let id = path.rsplit('/').next().unwrap();
    let file = app.media_dir.join(format!(".tus-{id}.part"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) < 4_000 {
        assert!(Instant::now() < deadline, "the PATCH never wrote");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server stops while the PATCH still waits for bytes: it tells the client to come back.
    let app = app.restart().await;
    if let Ok(response) = answer.await.unwrap() {
        assert_eq!(response.status(), 503);
    }
    drop(chunks);
    let person = Person {
        base: app.base.clone(),
        ..person
    };
    assert_eq!(offset_of(&person, &path).await, Ok(4_000));
    assert_eq!(
        patch(&person, &path, 4_000, &bytes[4_000..]).await.status(),
        204
    );
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
}
