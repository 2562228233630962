use crate::helpers::spawn_app;

#[tokio::test]
async fn a_client_gets_a_signed_http_only_id_that_sticks() {
    let app = spawn_app().await;
    let person = app.person();
    let first = person.get("/api/me").await;
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let id = first.json::<serde_json::Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36);
    assert_eq!(
        person.client_id().await,
        id,
        "the same cookie gives the same id"
    );
    assert_ne!(
        app.person().client_id().await,
        id,
        "another person gets another id"
    );
}

#[tokio::test]
async fn a_tampered_or_forged_cookie_is_replaced() {
    let app = spawn_app().await;
    let victim = app.person().client_id().await;
    let raw = reqwest::Client::new();
    for forged in [
        format!("goblet_client={victim}"),
        format!("goblet_client=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D{victim}"),
    ] {
        let response = raw
            .get(format!("{}/api/me", app.base))
            .header("cookie", forged)
            .send()
            .await
            .unwrap();
        assert!(
            response.headers().contains_key("set-cookie"),
            "a new cookie is issued"
        );
        let me: serde_json::Value = response.json().await.unwrap();
        assert_ne!(me["client_id"], victim.as_str());
    }
}
