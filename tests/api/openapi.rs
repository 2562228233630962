use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_spec_describes_every_endpoint_and_the_docs_are_served() {
    let app = spawn_app().await;
    let person = app.person();
    let spec: Value = person.get("/api/openapi.json").await.json().await.unwrap();
    assert_eq!(spec["servers"][0]["url"], "/api");
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/me", "get"),
        ("/rooms", "post"),
        ("/rooms/{code}", "get"),
        ("/rooms/{code}/video", "post"),
        ("/rooms/{code}/playback", "post"),
        ("/rooms/{code}/host", "post"),
        ("/rooms/{code}/viewers", "get"),
        ("/rooms/{code}/spot", "put"),
        ("/rooms/{code}/spot", "get"),
        ("/rooms/{code}/refresh", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let upload = &paths["/rooms/{code}/video"]["post"]["responses"];
    for status in ["201", "404", "413", "415"] {
        assert!(upload.get(status).is_some(), "upload documents {status}");
    }
    let docs = person.get("/api/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn the_spec_declares_nullable_fields_and_enforced_limits() {
    let app = spawn_app().await;
    let person = app.person();
    let spec: Value = person.get("/api/openapi.json").await.json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    let field = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    for (schema, name) in [
        ("RoomView", "name"),
        ("RoomView", "video"),
        ("RoomView", "host"),
        ("Me", "name"),
        ("ViewerView", "name"),
        ("ChatView", "name"),
        ("VideoView", "youtube_id"),
        ("RoomName", "name"),
        ("Host", "host"),
    ] {
        assert_eq!(field(schema, name)["nullable"], true, "{schema}.{name}");
    }
    for schema in ["Command", "NewSpot"] {
        let position = field(schema, "position");
        assert_eq!(position["minimum"], 0.0, "{schema}");
        assert_eq!(position["maximum"], 1.0e7, "{schema}");
    }
    let name = field("NewName", "name");
    assert_eq!(name["minLength"], 1);
    assert!(
        name["pattern"].as_str().unwrap().contains("{0,30}"),
        "{name}"
    );
    assert!(
        field("RoomName", "name")["pattern"]
            .as_str()
            .unwrap()
            .contains("{0,62}")
    );
    assert!(field("NewLink", "url")["pattern"].is_string());
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow_and_text_fields_take_only_strings() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    for (method, path, allow) in [
        (
            reqwest::Method::DELETE,
            "/api/me".to_string(),
            "GET, HEAD, PUT",
        ),
        (reqwest::Method::GET, "/api/rooms".to_string(), "POST"),
        (
            reqwest::Method::PATCH,
            format!("/api/rooms/{code}/spot"),
            "GET, HEAD, PUT",
        ),
        (
            reqwest::Method::POST,
            "/media/1.webm".to_string(),
            "GET, HEAD",
        ),
    ] {
        let response = person
            .http
            .request(method.clone(), person.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
    }
    let response = person
        .put_json("/api/me", serde_json::json!({"name": 12}))
        .await;
    assert_eq!(response.status(), 400, "a number is not a name");
}
