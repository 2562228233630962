use serde_json::{Value, json};

use crate::helpers::{next_of, send_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn chat_reaches_everyone_in_the_room_with_author_and_time() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    alice.put_json("/api/me", json!({"name": "Alice"})).await;
    let code = alice.create_room().await;
    let (mut a, _) = alice.join(&code).await;
    let (mut b, _) = bob.join(&code).await;

    send_json(
        &mut a,
        json!({"type": "chat", "text": "  hello <b>there</b>  "}),
    )
    .await;
    for socket in [&mut b, &mut a] {
        let msg = next_of(socket, "chat").await;
        assert_eq!(msg["text"], "hello <b>there</b>", "trimmed, kept as text");
        assert_eq!(msg["name"], "Alice");
        assert_eq!(msg["client_id"], alice.client_id().await.as_str());
        assert!(msg["color"].as_str().unwrap().starts_with("hsl("));
        assert!(msg["id"].as_i64().unwrap() > 0);
        assert!(msg["sent_at"].as_u64().unwrap() > 1_700_000_000_000);
    }

    // Another room hears nothing.
    let other = bob.create_room().await;
    let (mut elsewhere, _) = bob.join(&other).await;
    send_json(&mut a, json!({"type": "chat", "text": "second"})).await;
    assert_eq!(next_of(&mut b, "chat").await["text"], "second");
    send_json(&mut elsewhere, json!({"type": "ping", "client_time": 1})).await;
    let next = crate::helpers::next_json(&mut elsewhere).await;
    assert_ne!(next["type"], "chat", "{next}");
}

#[tokio::test]
async fn empty_and_overlong_messages_are_refused() {
    let app = spawn_app_with(|config| config.max_ws_message_bytes = 16 * 1024).await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    for (text, code) in [
        ("   ", "empty_message"),
        (&*"x".repeat(2001), "message_too_long"),
    ] {
        send_json(&mut socket, json!({"type": "chat", "text": text})).await;
        assert_eq!(next_of(&mut socket, "error").await["code"], code);
    }
    send_json(
        &mut socket,
        json!({"type": "chat", "text": "y".repeat(2000)}),
    )
    .await;
    let accepted = next_of(&mut socket, "chat").await;
    assert_eq!(accepted["text"].as_str().unwrap().len(), 2000);
    let history: Value = person
        .get_json(&format!("/api/rooms/{code}/messages"))
        .await;
    assert_eq!(
        history["messages"].as_array().unwrap().len(),
        1,
        "refused ones were not stored"
    );
}

#[tokio::test]
async fn a_client_sending_too_fast_is_refused_and_nothing_is_stored() {
    let app = spawn_app_with(|config| {
        config.chat_rate_messages = 3;
        config.chat_rate_secs = 60;
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut first_tab, _) = person.join(&code).await;
    let (mut second_tab, _) = person.join(&code).await;
    for n in 0..3 {
        send_json(
            &mut first_tab,
            json!({"type": "chat", "text": format!("m{n}")}),
        )
        .await;
        next_of(&mut first_tab, "chat").await;
    }
    // A second tab shares the same limit.
    send_json(
        &mut second_tab,
        json!({"type": "chat", "text": "one too many"}),
    )
    .await;
    assert_eq!(
        next_of(&mut second_tab, "error").await["code"],
        "rate_limited"
    );
    let history: Value = person
        .get_json(&format!("/api/rooms/{code}/messages"))
        .await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["m0", "m1", "m2"]);
}

#[tokio::test]
async fn history_survives_a_restart_and_pages_back() {
    let app = spawn_app_with(|config| config.chat_rate_messages = 1000).await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    for n in 0..120 {
        send_json(
            &mut socket,
            json!({"type": "chat", "text": format!("message {n}")}),
        )
        .await;
    }
    loop {
        if next_of(&mut socket, "chat").await["text"] == "message 119" {
            break;
        }
    }
    drop(socket);
    let app = app.restart().await;
    let person = crate::helpers::Person {
        base: app.base.clone(),
        ..person
    };

    // Joining shows the last 50.
    let (mut socket, _) = person.join(&code).await;
    let history = next_of(&mut socket, "history").await;
    let messages = history["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 50);
    assert_eq!(messages[0]["text"], "message 70");
    assert_eq!(messages[49]["text"], "message 119");

    // Paging back from the oldest one shown.
    let before = messages[0]["id"].as_i64().unwrap();
    let page: Value = person
        .get_json(&format!(
            "/api/rooms/{code}/messages?before={before}&limit=60"
        ))
        .await;
    let older = page["messages"].as_array().unwrap();
    assert_eq!(older.len(), 60);
    assert_eq!(older[0]["text"], "message 10");
    assert_eq!(older[59]["text"], "message 69");
    assert_eq!(page["has_more"], true);
    let before = older[0]["id"].as_i64().unwrap();
    let last: Value = person
        .get_json(&format!(
            "/api/rooms/{code}/messages?before={before}&limit=200"
        ))
        .await;
    assert_eq!(last["messages"].as_array().unwrap().len(), 10);
    assert_eq!(last["has_more"], false);

    let too_many = person
        .get(&format!("/api/rooms/{code}/messages?limit=201"))
        .await;
    assert_eq!(too_many.status(), 400);
}

#[tokio::test]
async fn a_join_history_of_long_messages_is_cut_to_fit_and_says_there_is_more() {
    let app = spawn_app_with(|config| {
        config.chat_rate_messages = 1000;
        config.max_ws_message_bytes = 16 * 1024;
    })
    .await;
    let person = app.person();
    let code = person.create_room().await;
    let (mut socket, _) = person.join(&code).await;
    for n in 0..10 {
        let text = format!("{n} {}", "long words ".repeat(180));
        send_json(&mut socket, json!({"type": "chat", "text": text})).await;
    }
    loop {
        if next_of(&mut socket, "chat").await["text"]
            .as_str()
            .unwrap()
            .starts_with("9 ")
        {
            break;
        }
    }

    let (mut late, _) = app.person().join(&code).await;
    let history = next_of(&mut late, "history").await;
    let messages = history["messages"].as_array().unwrap();
    assert!(
        (1..10).contains(&messages.len()),
        "{} of 10 messages of 2 KB",
        messages.len()
    );
    assert!(history.to_string().len() <= 9 * 1024);
    let newest = messages.last().unwrap()["text"].as_str().unwrap();
    assert!(newest.starts_with("9 "), "the newest message is kept");
    assert_eq!(history["has_more"], true);

    // A short history is whole.
    let quiet = app.person().create_room().await;
    let (mut socket, _) = person.join(&quiet).await;
    send_json(&mut socket, json!({"type": "chat", "text": "hello"})).await;
    next_of(&mut socket, "chat").await;
    let (mut late, _) = app.person().join(&quiet).await;
    let history = next_of(&mut late, "history").await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
    assert_eq!(history["has_more"], false);
}
