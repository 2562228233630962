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
