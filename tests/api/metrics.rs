//! `GET /metrics` and `GET /healthz`: what a scraper and a balancer see after real traffic.

use std::{collections::HashMap, time::Duration};

use serde_json::json;

use crate::helpers::{Person, next_of, send_json, spawn_app, spawn_app_with, webm_bytes};

/// One scrape, read by a real exposition-format parser: every sample line must be one it
/// understood. Keyed by series name and labels as `name{label="value"}`.
async fn scrape(person: &Person) -> HashMap<String, f64> {
    let response = person.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let sample_lines = text.lines().filter(|line| !line.starts_with('#')).count();
    for comment in text.lines().filter(|line| line.starts_with('#')) {
        assert!(
            ["# HELP ", "# TYPE ", "# UNIT "]
                .iter()
                .any(|start| comment.starts_with(start))
                || comment == "# EOF",
            "{comment}"
        );
    }
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert_eq!(
        parsed.samples.len(),
        sample_lines,
        "a line did not parse:\n{text}"
    );
    parsed
        .samples
        .into_iter()
        .map(|sample| {
            let mut labels: Vec<_> = sample.labels.iter().collect();
            labels.sort();
            let labels: Vec<_> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            let key = match labels.is_empty() {
                true => sample.metric,
                false => format!("{}{{{}}}", sample.metric, labels.join(",")),
            };
            let value = match sample.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                other => panic!("unexpected {other:?}"),
            };
            (key, value)
        })
        .collect()
}

fn value(figures: &HashMap<String, f64>, series: &str) -> f64 {
    figures.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_move_with_sockets_seeks_and_uploads() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let before = scrape(&alice).await;
    assert_eq!(value(&before, "goblet_sockets_open"), 0.0);
    assert_eq!(value(&before, "goblet_rooms_live"), 0.0);
    assert_eq!(value(&before, "goblet_lease_changes_total"), 0.0);
    assert_eq!(value(&before, "goblet_redis_errors_total"), 0.0);
    let version = format!(
        "goblet_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value(&before, &version), 1.0, "{before:?}");

    let code = alice.create_room().await;
    let video = webm_bytes(5000);
    let uploaded = alice.upload(&code, "v.webm", video.clone()).await;
    assert!(uploaded.status().is_success(), "{}", uploaded.status());
    let (mut alice_socket, _) = alice.join(&code).await;
    let (mut bob_socket, _) = bob.join(&code).await;
    send_json(&mut alice_socket, json!({"type": "seek", "position": 12.5})).await;
    assert_eq!(next_of(&mut bob_socket, "seek").await["position"], 12.5);
    next_of(&mut alice_socket, "seek").await;

    let after = scrape(&alice).await;
    assert_eq!(value(&after, "goblet_sockets_open"), 2.0);
    assert_eq!(value(&after, "goblet_rooms_live"), 1.0);
    assert_eq!(
        value(&after, "goblet_room_commands_total{kind=\"seek\"}"),
        1.0
    );
    assert_eq!(
        value(&after, "goblet_room_commands_total{kind=\"join\"}"),
        2.0
    );
    assert_eq!(
        value(&after, "goblet_uploads_finished_total{outcome=\"stored\"}"),
        1.0
    );
    assert_eq!(
        value(&after, "goblet_upload_bytes_total"),
        video.len() as f64
    );
    // Two snapshots and the seek to both, at least (viewer announcements come on top).
    let delivered = value(&after, "goblet_messages_delivered_total")
        - value(&before, "goblet_messages_delivered_total");
    assert!(delivered >= 4.0, "{delivered}");

    drop((alice_socket, bob_socket));
    // The sockets' tasks end once they notice their peers have gone.
    let mut open = 2.0;
    for _ in 0..100 {
        open = value(&scrape(&alice).await, "goblet_sockets_open");
        if open == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(open, 0.0);
}

#[tokio::test]
async fn an_upload_refused_after_it_arrived_counts_as_failed() {
    // ffprobe (which test.sh installs) finds this Matroska header over garbage unreadable.
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let mut corrupt = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska".to_vec();
    corrupt.extend((0..20_000).map(|i| (i * 7 % 256) as u8));
    let refused = person.upload(&code, "broken.mkv", corrupt.clone()).await;
    assert_eq!(refused.status(), 415);

    let figures = scrape(&person).await;
    let outcome = |name: &str| format!("goblet_uploads_finished_total{{outcome=\"{name}\"}}");
    assert_eq!(value(&figures, &outcome("failed")), 1.0, "{figures:?}");
    assert_eq!(value(&figures, &outcome("stored")), 0.0);
    assert_eq!(
        value(&figures, "goblet_upload_bytes_total"),
        corrupt.len() as f64
    );
}

#[tokio::test]
async fn metrics_ask_for_the_token_when_one_is_set() {
    let app = spawn_app_with(|config| config.metrics_token = "a-long-scrape-token".into()).await;
    let person = app.person();
    for authorization in [
        None,
        Some("Bearer wrong-token"),
        Some("a-long-scrape-token"),
    ] {
        let mut request = person.http.get(person.url("/metrics"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    let response = person
        .http
        .get(person.url("/metrics"))
        .header("authorization", "Bearer a-long-scrape-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("goblet_sockets_open")
    );
}

#[tokio::test]
async fn metrics_and_healthz_stay_out_of_the_openapi_document() {
    let app = spawn_app().await;
    let spec = app.person().get_json("/api/openapi.json").await;
    let paths = spec["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    assert!(
        paths
            .keys()
            .all(|path| !path.contains("metrics") && !path.contains("healthz"))
    );
}

#[tokio::test]
async fn pollers_get_no_cookie_and_use_up_no_allowance() {
    let app = spawn_app_with(|config| config.client_rate_count = 2).await;
    for _ in 0..5 {
        for path in ["/healthz", "/metrics"] {
            let response = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert!(!response.headers().contains_key("set-cookie"), "{path}");
        }
    }
    // spawn_app's own first request took one ID; the allowance has one left.
    assert_eq!(app.person().get("/api/me").await.status(), 200);
}

#[tokio::test]
async fn healthz_reports_the_database_and_a_single_node() {
    let app = spawn_app().await;
    let response = app.person().get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "database": "ok", "redis": "disabled"})
    );
}
