use goblet::assets::Assets;

use crate::helpers::{spawn_app, spawn_app_with};

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

/// The repository's `assets/` file `name`, as the build embedded it.
fn repo_asset(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn without_an_assets_folder_the_embedded_client_is_served() {
    let missing = std::env::temp_dir().join("goblet-no-such-assets-folder");
    let app = spawn_app_with(|config| config.assets_dir = missing).await;
    let person = app.person();
    let code = person.create_room().await;
    let embedded = Assets::embedded();

    let page = person.get(&format!("/r/{code}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // A build made before `install.sh` fetched VideoJS embeds the setup page's reason to exist.
    let expected = match embedded.has_player() {
        true => repo_asset("room.html"),
        false => repo_asset("setup-needed.html"),
    };
    assert_eq!(html, expected.replace("{{static}}", &embedded.prefix()));

    let script = person
        .get(&format!("{}/js/room.js", embedded.prefix()))
        .await;
    assert_eq!(script.status(), 200);
    let kind = script.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.contains("javascript"), "{kind}");
    let cache = script.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cache.contains("immutable"), "{cache}");
    assert_eq!(script.text().await.unwrap(), repo_asset("js/room.js"));
    let missing = person
        .get(&format!("{}/js/no-such.js", embedded.prefix()))
        .await;
    assert_eq!(missing.status(), 404);

    // An empty folder is no client either.
    let empty = tempfile::tempdir().unwrap();
    let app = spawn_app_with(|config| config.assets_dir = empty.path().to_path_buf()).await;
    let landing = app.person().get("/").await.text().await.unwrap();
    let expected = match embedded.has_player() {
        true => repo_asset("index.html"),
        false => repo_asset("setup-needed.html"),
    };
    assert_eq!(landing, expected.replace("{{static}}", &embedded.prefix()));
}

#[tokio::test]
async fn an_assets_folder_with_a_client_overrides_the_embedded_one() {
    let app = spawn_app().await;
    let person = app.person();
    let assets = app.media_dir.parent().unwrap().join("assets");
    std::fs::create_dir_all(assets.join("js")).unwrap();
    std::fs::write(assets.join("js/room.js"), "// my own client").unwrap();

    assert_eq!(person.get("/").await.text().await.unwrap(), "landing");
    let code = person.create_room().await;
    let html = person
        .get(&format!("/r/{code}"))
        .await
        .text()
        .await
        .unwrap();
    let prefix = html
        .strip_prefix("<script src=\"")
        .and_then(|rest| rest.strip_suffix("/room.js\"></script>"))
        .unwrap()
        .to_string();
    assert_ne!(
        prefix,
        Assets::embedded().prefix(),
        "the folder's own version"
    );
    let script = person.get(&format!("{prefix}/js/room.js")).await;
    assert_eq!(script.text().await.unwrap(), "// my own client");
}
