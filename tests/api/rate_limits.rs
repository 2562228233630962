//! Rate limits: a flood of commands, refreshes, chat through fresh cookies, room creation,
//! uploads and new client IDs are each cut to their configured rate, per client, room or address.
//! Addresses other than 127.0.0.1 come from `X-Forwarded-For`, believed because the test's
//! connections come from loopback, a trusted proxy by default (as the ngrok agent is).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{next_json, next_of, send_json, spawn_app_with, webm_bytes};

#[tokio::test]
async fn a_command_flood_is_cut_to_the_rate_and_the_listeners_hear_no_more() {
    let app = spawn_app_with(|config| {
        config.command_rate_count = 5;
        config.command_rate_secs = 60;
    })
    .await;
    let (flooder, listener) = (app.person(), app.person());
    let code = flooder.create_room().await;
    let (mut flood, _) = flooder.join(&code).await;
    let (mut listening, _) = listener.join(&code).await;
    for n in 0..200 {
        send_json(&mut flood, json!({"type": "seek", "position": n})).await;
    }
    // The flooder hears its own five seeks and an error for each of the rest, with a snapshot of
    // where the room really is (its page had moved already), and stays open.
    let (mut echoes, mut refusals, mut snapshots) = (0, 0, 0);
    while echoes + refusals < 200 {
        let message = next_json(&mut flood).await;
        match message["type"].as_str().unwrap() {
            "seek" => echoes += 1,
            "error" => {
                assert_eq!(message["code"], "rate_limited", "{message}");
                refusals += 1;
            }
            "snapshot" => {
                assert_eq!(message["room"]["playback"]["position"], 4.0);
                snapshots += 1;
            }
            _ => {}
        }
    }
    assert_eq!((echoes, refusals), (5, 195));
    assert!((1..=5).contains(&snapshots), "{snapshots} snapshots");
    send_json(&mut flood, json!({"type": "ping", "client_time": 1})).await;
    next_of(&mut flood, "pong").await;
    // The listener heard exactly the five that passed, the first five.
    let mut heard = Vec::new();
    while let Ok(message) =
        tokio::time::timeout(Duration::from_millis(500), next_json(&mut listening)).await
    {
        if message["type"] == "seek" {
            heard.push(message["position"].as_f64().unwrap());
        }
    }
    assert_eq!(heard, [0.0, 1.0, 2.0, 3.0, 4.0]);
    // The REST route shares the client's bucket, and says when to come back.
    let response = flooder
        .post_json(
            &format!("/api/rooms/{code}/playback"),
            json!({"action": "play", "position": 1}),
        )
        .await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "one token per 12 s: {retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Someone else in the room is not held back.
    let ok = listener
        .post_json(
            &format!("/api/rooms/{code}/playback"),
            json!({"action": "play", "position": 1}),
        )
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn refreshes_are_limited_per_room() {
    let app = spawn_app_with(|config| {
        config.refresh_rate_count = 2;
        config.refresh_rate_secs = 60;
    })
    .await;
    let (a, b) = (app.person(), app.person());
    let code = a.create_room().await;
    let other = a.create_room().await;
    for room in [&code, &other] {
        a.upload(room, "v.webm", webm_bytes(100)).await;
    }
    let refresh = |room: &str| format!("/api/rooms/{room}/refresh");
    assert_eq!(a.post(&refresh(&code)).await.status(), 204);
    assert_eq!(b.post(&refresh(&code)).await.status(), 204);
    let refused = a.post(&refresh(&code)).await;
    assert_eq!(refused.status(), 429, "a third, whoever asks");
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(a.post(&refresh(&other)).await.status(), 204, "another room");
}

#[tokio::test]
async fn chat_through_fresh_cookies_still_meets_the_limit_per_address() {
    let app = spawn_app_with(|config| {
        config.chat_rate_messages = 5;
        config.chat_rate_address_messages = 8;
        config.chat_rate_secs = 60;
    })
    .await;
    let code = app.person_at("198.51.100.7").create_room().await;
    let mut accepted = 0;
    let mut refused = 0;
    // A new cookie every three messages, all from one address.
    for round in 0..6 {
        let spammer = app.person_at("198.51.100.7");
        let (mut socket, _) = spammer.join(&code).await;
        next_of(&mut socket, "history").await;
        for n in 0..3 {
            let text = format!("spam {round}.{n}");
            send_json(&mut socket, json!({"type": "chat", "text": text})).await;
            let answer = loop {
                let message = next_json(&mut socket).await;
                if message["type"] == "error"
                    || (message["type"] == "chat" && message["text"] == text)
                {
                    break message;
                }
            };
            if answer["type"] == "chat" {
                accepted += 1;
            } else {
                assert_eq!(answer["code"], "rate_limited");
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (8, 10));
    // Someone at another address still gets through.
    let neighbour = app.person_at("203.0.113.20");
    let (mut socket, _) = neighbour.join(&code).await;
    send_json(&mut socket, json!({"type": "chat", "text": "hello"})).await;
    assert_eq!(next_of(&mut socket, "chat").await["text"], "hello");
    let page: Value = neighbour
        .get_json(&format!("/api/rooms/{code}/messages"))
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn room_creation_is_limited_per_address_and_only_trusted_proxies_name_one() {
    let app = spawn_app_with(|config| {
        config.room_rate_count = 3;
        config.room_rate_secs = 3600;
    })
    .await;
    let person = app.person_at("198.51.100.7");
    for _ in 0..3 {
        assert_eq!(person.post("/api/rooms").await.status(), 201);
    }
    let refused = person.post("/api/rooms").await;
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        app.person_at("198.51.100.8")
            .post("/api/rooms")
            .await
            .status(),
        201,
        "another address"
    );

    // With no trusted proxy the header is a client's claim, and ignored.
    let app = spawn_app_with(|config| {
        config.room_rate_count = 3;
        config.room_rate_secs = 3600;
        config.trusted_proxies = Vec::new();
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..4 {
        let claimed = app.person_at(&format!("198.51.100.{n}"));
        statuses.push(claimed.post("/api/rooms").await.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_address_runs_a_limited_number_of_uploads_at_once() {
    let app = spawn_app_with(|config| config.uploads_per_address = 1).await;
    let person = app.person_at("198.51.100.7");
    let code = person.create_room().await;
    let bytes = webm_bytes(3_000);
    let slow = person.upload_by_hand(&code);
    slow.chunks.send(bytes[..1_000].to_vec()).await.unwrap();
    // Wait until the server is receiving it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.media_files().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = person.upload(&code, "b.webm", webm_bytes(100)).await;
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["code"], "too_many_uploads");
    let elsewhere = app.person_at("198.51.100.8");
    assert_eq!(
        elsewhere
            .upload(&code, "c.webm", webm_bytes(100))
            .await
            .status(),
        201,
        "another address is not held back"
    );
    slow.chunks.send(bytes[1_000..].to_vec()).await.unwrap();
    drop(slow.chunks);
    assert_eq!(slow.answer.await.unwrap().0, 201);
    assert_eq!(
        person
            .upload(&code, "d.webm", webm_bytes(100))
            .await
            .status(),
        201,
        "the slot came back"
    );
}

#[tokio::test]
async fn new_client_ids_are_limited_per_address_and_known_ones_keep_working() {
    let app = spawn_app_with(|config| {
        config.client_rate_count = 3;
        config.client_rate_secs = 3600;
    })
    .await;
    // The server's own start-up check used one ID from 127.0.0.1; these come from elsewhere.
    let people: Vec<_> = (0..3).map(|_| app.person_at("198.51.100.7")).collect();
    for person in &people {
        assert_eq!(person.get("/api/me").await.status(), 200);
    }
    let newcomer = app.person_at("198.51.100.7");
    let refused = newcomer.get("/api/me").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(
        !refused.headers().contains_key("set-cookie"),
        "no ID was given"
    );
    for person in &people {
        assert_eq!(person.get("/api/me").await.status(), 200, "known IDs work");
    }
    assert_eq!(
        app.person_at("198.51.100.8").get("/api/me").await.status(),
        200
    );
}

#[tokio::test]
async fn an_ipv6_address_counts_by_its_64_bit_network() {
    let app = spawn_app_with(|config| {
        config.room_rate_count = 2;
        config.room_rate_secs = 3600;
    })
    .await;
    for address in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
        let person = app.person_at(address);
        assert_eq!(person.post("/api/rooms").await.status(), 201, "{address}");
    }
    let same_block = app.person_at("2001:db8:1:2:abcd::7");
    assert_eq!(
        same_block.post("/api/rooms").await.status(),
        429,
        "another address of the same /64"
    );
    let next_block = app.person_at("2001:db8:1:3::1");
    assert_eq!(next_block.post("/api/rooms").await.status(), 201);
}
