use crate::helpers::{Person, TestApp, spawn_app, webm_bytes};

async fn app_with_video(size: usize) -> (TestApp, Person, Vec<u8>) {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let bytes = webm_bytes(size);
    assert_eq!(
        person.upload(&code, "v.webm", bytes.clone()).await.status(),
        201
    );
    (app, person, bytes)
}

async fn get_with(person: &Person, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = person.http.get(person.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn byte_ranges_are_served_with_206() {
    let (_app, person, bytes) = app_with_video(10_000).await;
    let len = bytes.len();

    let full = person.get("/media/1.webm").await;
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    assert_eq!(full.headers()["content-length"], len.to_string().as_str());

    for (range, start, end) in [
        ("bytes=0-99", 0, 100),
        ("bytes=1000-", 1000, len),
        ("bytes=-500", len - 500, len),
        ("bytes=9000-999999", 9000, len),
    ] {
        let response = get_with(&person, "/media/1.webm", &[("range", range)]).await;
        assert_eq!(response.status(), 206, "{range}");
        assert_eq!(
            response.headers()["content-range"],
            format!("bytes {start}-{}/{len}", end - 1).as_str(),
            "{range}"
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            &bytes[start..end],
            "{range}"
        );
    }

    let unsatisfiable = get_with(&person, "/media/1.webm", &[("range", "bytes=999999-")]).await;
    assert_eq!(unsatisfiable.status(), 416);
    assert_eq!(
        unsatisfiable.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );
}

#[tokio::test]
async fn conditional_requests_use_etag_and_last_modified() {
    let (app, person, bytes) = app_with_video(5_000).await;
    let first = person.get("/media/1.webm").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();

    let cached = get_with(&person, "/media/1.webm", &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), 304);
    let cached = get_with(
        &person,
        "/media/1.webm",
        &[("if-modified-since", &modified)],
    )
    .await;
    assert_eq!(cached.status(), 304);
    let failed = get_with(
        &person,
        "/media/1.webm",
        &[("if-match", "\"something-else\"")],
    )
    .await;
    assert_eq!(failed.status(), 412);

    // A range with a current validator is honoured; with a stale one the whole file comes back.
    let current = get_with(
        &person,
        "/media/1.webm",
        &[("range", "bytes=0-9"), ("if-range", &etag)],
    )
    .await;
    assert_eq!(current.status(), 206);
    let stale = get_with(
        &person,
        "/media/1.webm",
        &[("range", "bytes=0-9"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.unwrap().len(), bytes.len());

    // Replacing the file by hand changes the validators.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(app.media_dir.join("1.webm"), webm_bytes(6_000)).unwrap();
    let replaced = get_with(&person, "/media/1.webm", &[("if-none-match", &etag)]).await;
    assert_eq!(replaced.status(), 200);
    assert_ne!(replaced.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn head_answers_with_headers_only() {
    let (_app, person, bytes) = app_with_video(3_000).await;
    let response = person
        .http
        .head(person.url("/media/1.webm"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn only_registered_videos_are_served() {
    let (app, person, _) = app_with_video(100).await;
    std::fs::write(app.media_dir.join("7.webm"), b"not registered").unwrap();
    std::fs::write(app.media_dir.join(".upload-x.part"), b"temporary").unwrap();
    std::fs::write(app.media_dir.join("goblet.db"), b"SQLite format 3").unwrap();
    for path in [
        "/media/7.webm",
        "/media/.upload-x.part",
        "/media/goblet.db",
        "/media/..%2Fdata%2Fcookie.key",
        "/media/%2E%2E%2Fdata%2Fgoblet.db",
        "/media/..%2F..%2F..%2Fetc%2Fpasswd",
        "/media/%2Fetc%2Fpasswd",
        "/media/../data/cookie.key",
        "/media/",
    ] {
        let status = person.get(path).await.status();
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_registered_name_that_became_a_symlink_is_not_followed() {
    let (app, person, _) = app_with_video(100).await;
    let video = app.media_dir.join("1.webm");
    std::fs::remove_file(&video).unwrap();
    std::os::unix::fs::symlink(app.data_dir.join("cookie.key"), &video).unwrap();
    assert_eq!(person.get("/media/1.webm").await.status(), 404);
}

/// Bytes this process has read through system calls so far (the server runs in this process).
fn bytes_read_by_process() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap();
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_range_at_the_end_of_a_4_gb_file_does_not_read_from_the_start() {
    let (app, person, _) = app_with_video(100).await;
    // Replace the video by hand with a sparse 4 GiB file whose last bytes are known.
    let size: u64 = 4 << 30;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(app.media_dir.join("1.webm"))
        .unwrap();
    file.set_len(size - 16).unwrap();
    use std::io::{Seek, Write};
    let mut file = file;
    file.seek(std::io::SeekFrom::End(0)).unwrap();
    file.write_all(b"the-last-16-byte").unwrap();
    drop(file);

    let before = bytes_read_by_process();
    let response = get_with(&person, "/media/1.webm", &[("range", "bytes=-16")]).await;
    assert_eq!(response.status(), 206);
    assert_eq!(
        response.headers()["content-range"],
        format!("bytes {}-{}/{size}", size - 16, size - 1).as_str()
    );
    assert_eq!(response.bytes().await.unwrap(), &b"the-last-16-byte"[..]);
    let read = bytes_read_by_process() - before;
    // Other tests run in this process too; reading from the start would be 4 GiB.
    assert!(read < 256 << 20, "read {read} bytes for a 16-byte range");
}
