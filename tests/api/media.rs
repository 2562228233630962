//! Making any common file playable: probing, remuxing and converting uploads with ffmpeg (which
//! test.sh installs), and what happens without it. Test files are made on the spot with ffmpeg.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Person, Socket, TestApp, mp4_bytes, next_json, spawn_app_with};

/// Conversions of these small files take well under this, even on a busy machine.
const JOB_WAIT: Duration = Duration::from_secs(120);
const LARGE_UPLOADS: u64 = 64 * 1024 * 1024;

/// A file made by ffmpeg from its test sources: `inputs` (lavfi sources), then `codecs` (output
/// options), written as `name` (its extension picks the container).
async fn make(name: &str, seconds: u32, size: &str, codecs: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let video = format!("testsrc=size={size}:rate=15:duration={seconds}");
    let audio = format!("sine=frequency=440:duration={seconds}");
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(["-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio])
        .args(codecs)
        .args(["-shortest"])
        .arg(&path)
        .status()
        .await
        .expect("ffmpeg is installed (test.sh installs it)");
    assert!(status.success(), "ffmpeg could not make {name}");
    std::fs::read(&path).unwrap()
}

const H264_AAC: &[&str] = &[
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
];
const HEVC_AC3: &[&str] = &[
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-x265-params",
    "log-level=error",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "ac3",
];
const MPEG2: &[&str] = &["-c:v", "mpeg2video", "-q:v", "4", "-c:a", "mp2"];

/// What ffprobe says of a file: (container names, codec names in stream order).
async fn probe(bytes: &[u8]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("served");
    std::fs::write(&path, bytes).unwrap();
    let output = tokio::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(&path)
        .output()
        .await
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let codecs = json["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stream| stream["codec_name"].as_str().unwrap().to_string())
        .collect();
    (
        json["format"]["format_name"].as_str().unwrap().to_string(),
        codecs,
    )
}

async fn upload(
    person: &Person,
    code: &str,
    name: &str,
    bytes: Vec<u8>,
    queue: bool,
) -> (u16, Value) {
    let path = format!("/api/rooms/{code}/video?name={name}&queue={queue}");
    let response = person
        .http
        .post(person.url(&path))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The next `processing` message about `job` whose state is one of `states`; panics after
/// [`JOB_WAIT`]. Every `processing` message seen on the way is kept in `seen`.
async fn wait_job(
    socket: &mut Socket,
    job: &Value,
    states: &[&str],
    seen: &mut Vec<Value>,
) -> Value {
    let deadline = tokio::time::Instant::now() + JOB_WAIT;
    loop {
        let msg = tokio::time::timeout_at(deadline, next_json_patiently(socket))
            .await
            .unwrap_or_else(|_| panic!("job {job} never reached {states:?}; saw {seen:?}"));
        if msg["type"] != "processing" {
            continue;
        }
        seen.push(msg.clone());
        if &msg["job"] == job && states.contains(&msg["state"].as_str().unwrap()) {
            return msg;
        }
    }
}

/// Like `next_json`, for waits longer than its 5 s (a socket may be quiet a while).
async fn next_json_patiently(socket: &mut Socket) -> Value {
    loop {
        if let Ok(msg) = tokio::time::timeout(Duration::from_secs(4), next_json(socket)).await {
            return msg;
        }
    }
}

async fn delete(person: &Person, path: &str) -> u16 {
    let response = person.http.delete(person.url(path)).send().await.unwrap();
    response.status().as_u16()
}

async fn app() -> TestApp {
    spawn_app_with(|config| config.max_upload_bytes = LARGE_UPLOADS).await
}

/// Files in the media folder other than `keep`: what a job left behind.
fn leftovers(app: &TestApp, keep: &[&str]) -> Vec<String> {
    app.media_files()
        .into_iter()
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[tokio::test]
async fn an_h264_aac_mkv_is_remuxed_to_mp4_with_its_details_and_a_poster() {
    let app = app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    let mkv = make("clip.mkv", 2, "160x120", H264_AAC).await;

    let (status, job) = upload(&person, &code, "clip.mkv", mkv, false).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["state"], "queued");
    assert_eq!(job["kind"], "remux");
    assert_eq!(job["name"], "clip.mkv");
    let mut seen = Vec::new();
    let ready = wait_job(
        &mut socket,
        &job["job"],
        &["ready", "failed", "cancelled"],
        &mut seen,
    )
    .await;
    assert_eq!(ready["state"], "ready", "{ready}");

    let video = person.room(&code).await["video"].clone();
    assert_eq!(video["mime"], "video/mp4", "{video}");
    assert_eq!(video["original_name"], "clip.mkv");
    assert_eq!(video["codecs"], "h264,aac");
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(160), Some(120))
    );
    let duration = video["duration"].as_f64().unwrap();
    assert!((1.5..=2.5).contains(&duration), "{duration}");
    let url = video["url"].as_str().unwrap();
    assert!(url.ends_with(".mp4"), "{url}");
    let served = person.get(url).await;
    assert_eq!(served.status(), 200);
    let (format, codecs) = probe(&served.bytes().await.unwrap()).await;
    assert!(format.contains("mp4"), "{format}");
    assert_eq!(codecs, vec!["h264", "aac"]);

    let poster = person.get(video["poster"].as_str().unwrap()).await;
    assert_eq!(poster.status(), 200);
    assert_eq!(poster.headers()["content-type"], "image/jpeg");
    assert!(
        poster.bytes().await.unwrap().starts_with(b"\xff\xd8"),
        "a JPEG"
    );
    // Nothing but the video and its poster is left.
    let file = url.trim_start_matches("/media/");
    let poster_file = video["poster"]
        .as_str()
        .unwrap()
        .trim_start_matches("/media/");
    assert!(
        leftovers(&app, &[file, poster_file]).is_empty(),
        "{:?}",
        app.media_files()
    );
}

#[tokio::test]
async fn an_hevc_ac3_file_is_converted_to_h264_aac_with_progress() {
    let app = app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    let mkv = make("film.mkv", 2, "320x240", HEVC_AC3).await;

    let (status, job) = upload(&person, &code, "film.mkv", mkv, false).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["kind"], "transcode");
    let mut seen = Vec::new();
    let end = wait_job(
        &mut socket,
        &job["job"],
        &["ready", "failed", "cancelled"],
        &mut seen,
    )
    .await;
    assert_eq!(end["state"], "ready", "{end}");
    assert!(
        seen.iter().any(|msg| msg["state"] == "progress"),
        "progress was reported: {seen:?}"
    );
    let percents: Vec<f64> = seen
        .iter()
        .filter_map(|msg| msg["percent"].as_f64())
        .collect();
    assert!(
        percents.iter().all(|p| (0.0..=100.0).contains(p)),
        "{percents:?}"
    );

    let video = person.room(&code).await["video"].clone();
    assert_eq!(video["codecs"], "h264,aac", "{video}");
    let served = person.get(video["url"].as_str().unwrap()).await;
    let (format, codecs) = probe(&served.bytes().await.unwrap()).await;
    assert!(format.contains("mp4"), "{format}");
    assert_eq!(codecs, vec!["h264", "aac"]);
}

#[tokio::test]
async fn one_job_runs_at_a_time_and_a_cancel_leaves_the_old_video_and_no_files() {
    // A slow preset on a longer file: the first job is still running when it is cancelled.
    let app = spawn_app_with(|config| {
        config.max_upload_bytes = LARGE_UPLOADS;
        config.transcode_preset = "placebo".into();
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    assert_eq!(
        person
            .upload(&code, "old.mp4", mp4_bytes(1000))
            .await
            .status(),
        201
    );
    let old = person.room(&code).await["video"].clone();

    let long = make("long.ts", 20, "640x360", MPEG2).await;
    let short = make("short.mkv", 1, "160x120", HEVC_AC3).await;
    let (status, first) = upload(&person, &code, "long.ts", long, false).await;
    assert_eq!(status, 202, "{first}");
    let (status, second) = upload(&person, &code, "short.mkv", short, true).await;
    assert_eq!(status, 202, "{second}");
    assert_eq!(second["queue"], true);

    let mut seen = Vec::new();
    wait_job(&mut socket, &first["job"], &["progress"], &mut seen).await;
    wait_job(&mut socket, &second["job"], &["queued"], &mut seen).await;
    // A late joiner hears of both.
    let (_, snapshot) = app.person().join(&code).await;
    let listed: Vec<&Value> = snapshot["processing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| &job["job"])
        .collect();
    assert_eq!(listed, vec![&first["job"], &second["job"]], "{snapshot}");

    // Only the uploader, the host or the owner may cancel.
    let stranger = app.person();
    stranger.join(&code).await;
    let path = format!("/api/rooms/{code}/processing/{}", first["job"]);
    assert_eq!(delete(&stranger, &path).await, 403);
    let unknown = format!("/api/rooms/{code}/processing/999");
    assert_eq!(delete(&person, &unknown).await, 404);
    assert_eq!(delete(&person, &path).await, 204);
    let end = wait_job(
        &mut socket,
        &first["job"],
        &["ready", "failed", "cancelled"],
        &mut seen,
    )
    .await;
    assert_eq!(end["state"], "cancelled", "{end}");

    // The second job started only after the first ended, then went to the queue.
    let first_end = seen
        .iter()
        .position(|msg| msg["job"] == first["job"] && msg["state"] == "cancelled")
        .unwrap();
    let second_start = seen
        .iter()
        .position(|msg| msg["job"] == second["job"] && msg["state"] != "queued");
    let end = wait_job(
        &mut socket,
        &second["job"],
        &["ready", "failed", "cancelled"],
        &mut seen,
    )
    .await;
    assert_eq!(end["state"], "ready", "{end}");
    let second_start = second_start.unwrap_or_else(|| {
        seen.iter()
            .position(|msg| msg["job"] == second["job"] && msg["state"] != "queued")
            .unwrap()
    });
    assert!(first_end < second_start, "{seen:?}");

    let room = person.room(&code).await;
    assert_eq!(
        room["video"]["url"], old["url"],
        "the old video still plays"
    );
    assert_eq!(room["queue"][0]["video"]["mime"], "video/mp4", "{room}");
    let queued = room["queue"][0]["video"]["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("/media/")
        .to_string();
    let poster = room["queue"][0]["video"]["poster"]
        .as_str()
        .unwrap()
        .trim_start_matches("/media/")
        .to_string();
    let old_file = old["url"].as_str().unwrap().trim_start_matches("/media/");
    assert!(
        leftovers(&app, &[old_file, &queued, &poster]).is_empty(),
        "{:?}",
        app.media_files()
    );
}

#[tokio::test]
async fn a_corrupt_file_with_a_valid_header_is_refused_with_a_reason_and_changes_nothing() {
    let app = app().await;
    let person = app.person();
    let code = person.create_room().await;
    assert_eq!(
        person
            .upload(&code, "old.mp4", mp4_bytes(1000))
            .await
            .status(),
        201
    );
    let old = person.room(&code).await["video"].clone();

    let mut corrupt = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska".to_vec();
    corrupt.extend((0..20_000).map(|i| (i * 7 % 256) as u8));
    let (status, error) = upload(&person, &code, "broken.mkv", corrupt, false).await;
    assert_eq!(status, 415, "{error}");
    assert_eq!(error["code"], "unreadable_video");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{error}"
    );
    assert!(
        !error["message"]
            .as_str()
            .unwrap()
            .contains(&*app.media_dir.to_string_lossy())
    );
    assert_eq!(person.room(&code).await["video"], old);
    assert_eq!(
        app.media_files(),
        vec![old["url"].as_str().unwrap().trim_start_matches("/media/")]
    );
}

#[tokio::test]
async fn a_file_cut_short_after_its_header_fails_its_job_with_a_reason_and_changes_nothing() {
    let app = app().await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    assert_eq!(
        person
            .upload(&code, "old.mp4", mp4_bytes(1000))
            .await
            .status(),
        201
    );
    let old = person.room(&code).await["video"].clone();
    // The header (tracks, codecs, duration) is whole: ffprobe reads it; no frame follows.
    let mut cut = make("cut.mkv", 2, "320x240", HEVC_AC3).await;
    cut.truncate(4000);

    let (status, job) = upload(&person, &code, "cut.mkv", cut, false).await;
    assert_eq!(status, 202, "{job}");
    let mut seen = Vec::new();
    let end = wait_job(
        &mut socket,
        &job["job"],
        &["ready", "failed", "cancelled"],
        &mut seen,
    )
    .await;
    assert_eq!(end["state"], "failed", "{end}");
    let reason = end["reason"].as_str().unwrap();
    assert!(
        reason.contains("nothing in the file could be converted"),
        "{reason}"
    );
    assert!(
        !reason.contains(&*app.media_dir.to_string_lossy()),
        "{reason}"
    );
    assert_eq!(person.room(&code).await["video"], old);
    let old_file = old["url"].as_str().unwrap().trim_start_matches("/media/");
    assert_eq!(app.media_files(), vec![old_file]);
}

#[tokio::test]
async fn without_ffmpeg_an_avi_is_refused_saying_ffmpeg_would_help_and_mp4_still_works() {
    let app = spawn_app_with(|config| {
        config.max_upload_bytes = LARGE_UPLOADS;
        config.ffmpeg_path = "/nonexistent/ffmpeg".into();
        config.ffprobe_path = "/nonexistent/ffprobe".into();
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let avi = make(
        "clip.avi",
        1,
        "160x120",
        &["-c:v", "mpeg4", "-c:a", "pcm_s16le"],
    )
    .await;
    let (status, error) = upload(&person, &code, "clip.avi", avi, false).await;
    assert_eq!(status, 415, "{error}");
    assert_eq!(error["code"], "needs_ffmpeg");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("AVI") && message.contains("installing ffmpeg"),
        "{message}"
    );
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());

    // A real MP4 goes live as it is, with nothing probed.
    let mp4 = make("clip.mp4", 1, "160x120", H264_AAC).await;
    let (status, video) = upload(&person, &code, "clip.mp4", mp4, false).await;
    assert_eq!(status, 201, "{video}");
    assert_eq!(video["mime"], "video/mp4");
    assert_eq!(video["duration"], Value::Null);
    assert_eq!(video["poster"], Value::Null);
}

#[tokio::test]
async fn a_browser_playable_mp4_goes_live_at_once_with_its_details() {
    let app = app().await;
    let person = app.person();
    let code = person.create_room().await;
    let mp4 = make("clip.mp4", 1, "160x120", H264_AAC).await;
    let (status, video) = upload(&person, &code, "clip.mp4", mp4, false).await;
    assert_eq!(status, 201, "{video}");
    assert_eq!(video["codecs"], "h264,aac");
    assert_eq!(video["width"], 160);
    assert!(video["duration"].as_f64().unwrap() > 0.5);
    let poster_url = video["poster"].as_str().unwrap();
    assert_eq!(person.get(poster_url).await.status(), 200);
    // The poster is served by the same members-only rule as the video, and goes with it.
    let password = json!({"controls": "everyone", "max_viewers": null, "password": "open sesame"});
    let settings = format!("/api/rooms/{code}/settings");
    assert_eq!(person.put_json(&settings, password).await.status(), 200);
    let stranger = app.person();
    assert_eq!(stranger.get(poster_url).await.status(), 401);
    assert_eq!(person.get(poster_url).await.status(), 200);
    let replaced = make("other.mp4", 1, "160x120", H264_AAC).await;
    assert_eq!(
        upload(&person, &code, "other.mp4", replaced, false).await.0,
        201
    );
    assert_eq!(
        person.get(video["poster"].as_str().unwrap()).await.status(),
        404
    );
}

#[tokio::test]
async fn a_restart_mid_job_forgets_the_job_and_deletes_its_files() {
    let app = spawn_app_with(|config| {
        config.max_upload_bytes = LARGE_UPLOADS;
        config.transcode_preset = "placebo".into();
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    let long = make("long.ts", 20, "640x360", MPEG2).await;
    let (status, job) = upload(&person, &code, "long.ts", long, false).await;
    assert_eq!(status, 202, "{job}");
    let mut seen = Vec::new();
    wait_job(&mut socket, &job["job"], &["progress"], &mut seen).await;
    assert!(
        app.media_files()
            .iter()
            .any(|name| name.starts_with(".upload-"))
    );
    drop(socket);

    let app = app.restart().await;
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    let person = app.person();
    let (_, snapshot) = person.join(&code).await;
    assert_eq!(snapshot["processing"], serde_json::json!([]));
    assert_eq!(snapshot["room"]["video"], Value::Null);
}
