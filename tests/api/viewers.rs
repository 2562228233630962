use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Person, Socket, TestApp, next_of, spawn_app};

async fn viewer_count(person: &Person, code: &str) -> u64 {
    let viewers: Value = person
        .get(&format!("/api/rooms/{code}/viewers"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        viewers["count"],
        viewers["viewers"].as_array().unwrap().len()
    );
    viewers["count"].as_u64().unwrap()
}

async fn wait_for_count(person: &Person, code: &str, expected: u64) {
    for _ in 0..100 {
        if viewer_count(person, code).await == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(viewer_count(person, code).await, expected);
}

/// `n` people in a new room, each with a socket open, once the room counts them all.
async fn crowd(app: &TestApp, n: u64) -> (Vec<Person>, String, Vec<Socket>) {
    let people: Vec<Person> = (0..n).map(|_| app.person()).collect();
    let code = people[0].create_room().await;
    let mut sockets = Vec::new();
    for person in &people {
        sockets.push(person.join(&code).await.0);
    }
    wait_for_count(&people[0], &code, n).await;
    (people, code, sockets)
}

#[tokio::test]
async fn viewers_are_counted_once_per_client_and_pushed_on_change() {
    let app = spawn_app().await;
    let (alice, bob) = (app.person(), app.person());
    let code = alice.create_room().await;
    let (mut a1, _) = alice.join(&code).await;
    let (a2, _) = alice.join(&code).await;
    assert_eq!(viewer_count(&alice, &code).await, 1, "two tabs, one viewer");

    let (b, _) = bob.join(&code).await;
    // Alice's own joins are announced too when they fall in an earlier batch (a slow machine).
    let pushed = loop {
        let pushed = next_of(&mut a1, "viewers").await;
        if pushed["count"] != 1 {
            break pushed;
        }
    };
    assert_eq!(pushed["count"], 2);
    let list = pushed["viewers"].as_array().unwrap();
    assert_eq!(list[0]["client_id"], alice.client_id().await.as_str());
    assert_eq!(list[0]["host"], true);
    assert_eq!(list[1]["client_id"], bob.client_id().await.as_str());
    assert!(list[1]["connected_since"].as_u64().is_some());

    drop(b);
    assert_eq!(next_of(&mut a1, "viewers").await["count"], 1);
    drop(a2);
    assert_eq!(
        viewer_count(&alice, &code).await,
        1,
        "one tab is still open"
    );
    drop(a1);
    wait_for_count(&alice, &code, 0).await;
}

#[tokio::test]
async fn sockets_dropped_without_a_close_frame_leave_the_room() {
    let app = spawn_app().await;
    let (people, code, sockets) = crowd(&app, 20).await;
    // Dropping the stream closes the TCP connection with no WebSocket close frame.
    drop(sockets);
    wait_for_count(&people[0], &code, 0).await;
}

#[tokio::test]
async fn socket_lists_stop_at_twenty_with_the_host_first_and_rest_lists_everyone() {
    let app = spawn_app().await;
    let (people, code, _sockets) = crowd(&app, 25).await;
    // The last to arrive takes the host: it still leads the cut list.
    let (mut late, snapshot) = people[24].join(&code).await;
    assert_eq!(snapshot["room"]["viewer_count"], 25);
    assert_eq!(snapshot["room"]["viewers"].as_array().unwrap().len(), 20);
    people[24]
        .post(&format!("/api/rooms/{code}/host"))
        .await
        .error_for_status()
        .unwrap();
    let newcomer = app.person();
    let (_newcomer_socket, _) = newcomer.join(&code).await;
    let pushed = loop {
        let pushed = next_of(&mut late, "viewers").await;
        if pushed["count"] == 26 {
            break pushed;
        }
    };
    let list = pushed["viewers"].as_array().unwrap();
    assert_eq!(list.len(), 20);
    assert_eq!(list[0]["client_id"], people[24].client_id().await.as_str());
    assert_eq!(list[0]["host"], true);
    assert_eq!(list[1]["client_id"], people[0].client_id().await.as_str());
    let newcomer_id = newcomer.client_id().await;
    assert!(
        list.iter().all(|v| v["client_id"] != newcomer_id.as_str()),
        "the latest arrival is past the cut"
    );
    assert_eq!(viewer_count(&people[0], &code).await, 26);
}
