//! The video route also takes a `multipart/form-data` body, as `curl -F file=@film.mp4` sends it.

use serde_json::Value;

use crate::helpers::{MAX_UPLOAD, Person, spawn_app, webm_bytes};

const BOUNDARY: &str = "----goblet-test-boundary";

enum Part<'a> {
    File(&'a str, &'a [u8]),
    Text(&'a str, &'a str),
}

fn form(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
            Part::Text(name, value) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                    .as_bytes(),
            ),
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_form(person: &Person, path: &str, body: Vec<u8>) -> (u16, Value) {
    let response = person
        .http
        .post(person.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_form_with_one_file_becomes_the_rooms_video_under_the_parts_name() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(100_000);
    let body = form(&[
        Part::Text("note", "ignored"),
        Part::File("Holiday Film.webm", &bytes),
    ]);
    let (status, video) = post_form(&person, &format!("/api/rooms/{code}/video"), body).await;
    assert_eq!(status, 201, "{video}");
    assert_eq!(video["original_name"], "Holiday Film.webm");
    assert_eq!(video["size"], bytes.len());
    assert_eq!(std::fs::read(app.media_dir.join("1.webm")).unwrap(), bytes);
    assert_eq!(person.room(&code).await["video"]["url"], "/media/1.webm");

    // ?name wins over the part's file name; ?queue works as for a raw body.
    let body = form(&[Part::File("ignored.webm", &bytes)]);
    let path = format!("/api/rooms/{code}/video?name=Chosen.webm&queue=true");
    let (status, video) = post_form(&person, &path, body).await;
    assert_eq!(status, 201, "{video}");
    assert_eq!(video["original_name"], "Chosen.webm");
    assert_eq!(
        person.room(&code).await["queue"][0]["video"]["original_name"],
        "Chosen.webm"
    );
}

#[tokio::test]
async fn forms_with_no_file_two_files_or_no_video_are_refused_and_leave_nothing() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let path = format!("/api/rooms/{code}/video");
    let bytes = webm_bytes(10_000);
    let cases = [
        (form(&[Part::Text("name", "x")]), 400, "no_file"),
        (
            form(&[Part::File("a.webm", &bytes), Part::File("b.webm", &bytes)]),
            400,
            "two_files",
        ),
        (
            form(&[Part::File(
                "notes.txt",
                b"just some text, not a video at all, really not",
            )]),
            415,
            "not_a_video",
        ),
        (
            form(&[Part::File("big.webm", &webm_bytes(MAX_UPLOAD as usize))]),
            413,
            "too_large",
        ),
        (b"not a form at all".to_vec(), 400, "bad_form"),
    ];
    for (body, status, code_name) in cases {
        let (got, error) = post_form(&person, &path, body).await;
        assert_eq!(
            (got, error["code"].as_str()),
            (status, Some(code_name)),
            "{error}"
        );
    }
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert!(person.room(&code).await["video"].is_null());
    assert_eq!(app.rows_for_room(&code).await, 1, "the room's own row only");
}
