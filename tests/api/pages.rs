use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_are_served_with_versioned_static_urls() {
    let app = spawn_app().await;
    let person = app.person();
    let code = person.create_room().await;
    let page = person.get(&format!("/r/{code}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let start = html
        .find("/static/")
        .expect("the static prefix was filled in");
    let src = &html[start..html[start..].find('"').unwrap() + start];
    assert!(!html.contains("{{static}}"));

    let script = person.get(src).await;
    assert_eq!(
        script.status(),
        404,
        "room.js does not exist in the test assets"
    );
    let videojs = person
        .get(&src.replace("room.js", "videojs/video.min.js"))
        .await;
    assert_eq!(videojs.status(), 200);
    let cache = videojs.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cache.contains("immutable"), "{cache}");

    assert_eq!(person.get("/r/NOSUCHRM").await.status(), 404);
    assert_eq!(person.get("/").await.status(), 200);
}

#[tokio::test]
async fn without_videojs_the_pages_say_how_to_install_it() {
    let app = spawn_app().await;
    let person = app.person();
    let assets = app.media_dir.parent().unwrap().join("assets");
    std::fs::remove_dir_all(assets.join("videojs")).unwrap();
    std::fs::write(assets.join("setup-needed.html"), "run ./install.sh").unwrap();
    let page = person.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("install.sh"));
}
