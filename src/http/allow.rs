//! The `Allow` header on 405 answers (RFC 9110 requires it): poem's router answers 405 without
//! one. The methods of each path come from the OpenAPI document, plus the routes outside it.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, header},
};

/// Path templates (`/api/rooms/{code}`) and the methods each answers.
#[derive(Debug, Default)]
pub struct AllowedMethods {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl AllowedMethods {
    /// The paths of an OpenAPI document (JSON) served under `prefix`.
    pub fn from_spec(spec: &str, prefix: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let mut allowed = Self::default();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, operations) in paths {
                let methods: Vec<String> = operations
                    .as_object()
                    .map(|operations| operations.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                allowed = allowed.route(&format!("{prefix}{path}"), methods.as_slice());
            }
        }
        allowed
    }

    /// Adds a path template and its methods (`HEAD` is added with `GET`, as poem answers it).
    pub fn route(mut self, template: &str, methods: &[impl AsRef<str>]) -> Self {
        let mut methods: Vec<String> = methods.iter().map(|m| m.as_ref().to_string()).collect();
        if methods.iter().any(|m| m == "GET") && !methods.iter().any(|m| m == "HEAD") {
            methods.push("HEAD".into());
        }
        self.routes.push((segments(template), methods));
        self
    }

    /// The `Allow` value for a request path, when a route matches it. Like the router, a literal
    /// segment wins over a parameter: `/queue/next` is not `/queue/{id}`.
    fn for_path(&self, path: &str) -> Option<String> {
        let path = segments(path);
        let is_param = |t: &String| t.starts_with('{') && t.ends_with('}');
        let matching: Vec<_> = self
            .routes
            .iter()
            .filter(|(template, _)| {
                template.len() == path.len()
                    && template
                        .iter()
                        .zip(&path)
                        .all(|(t, p)| t == p || is_param(t))
            })
            .collect();
        let params = |template: &Vec<String>| template.iter().filter(|t| is_param(t)).count();
        let fewest = matching
            .iter()
            .map(|(template, _)| params(template))
            .min()?;
        let mut methods: Vec<&str> = matching
            .iter()
            .filter(|(template, _)| params(template) == fewest)
            .flat_map(|(_, methods)| methods.iter().map(String::as_str))
            .collect();
        methods.sort_unstable();
        methods.dedup();
        (!methods.is_empty()).then(|| methods.join(", "))
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Middleware: a 405 answer gets the `Allow` header of its path.
pub async fn add_allow<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    allowed: Arc<AllowedMethods>,
) -> Result<Response> {
    let path = req.uri().path().to_string();
    let mut response = match next.call(req).await {
        Ok(response) => response.into_response(),
        Err(error) => error.into_response(),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::ALLOW)
        && let Some(value) = allowed
            .for_path(&path)
            .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_the_spec_and_templates_match_one_segment() {
        let spec = r#"{"paths": {
            "/me": {"get": {}, "put": {}},
            "/rooms/{code}": {"get": {}},
            "/rooms/{code}/spot": {"put": {}, "get": {}}
        }}"#;
        let allowed = AllowedMethods::from_spec(spec, "/api").route("/media/{file}", &["GET"]);
        assert_eq!(allowed.for_path("/api/me").unwrap(), "GET, HEAD, PUT");
        assert_eq!(
            allowed.for_path("/api/rooms/ABCDEFGH").unwrap(),
            "GET, HEAD"
        );
        assert_eq!(
            allowed.for_path("/api/rooms/ABCDEFGH/spot").unwrap(),
            "GET, HEAD, PUT"
        );
        assert_eq!(allowed.for_path("/media/1.mp4").unwrap(), "GET, HEAD");
        assert_eq!(allowed.for_path("/api/rooms"), None);
        assert_eq!(allowed.for_path("/api/rooms/A/B/C"), None);
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let spec = r#"{"paths": {
            "/rooms/{code}/queue/next": {"post": {}},
            "/rooms/{code}/queue/{id}": {"delete": {}}
        }}"#;
        let allowed = AllowedMethods::from_spec(spec, "/api");
        assert_eq!(
            allowed.for_path("/api/rooms/ABCDEFGH/queue/next").unwrap(),
            "POST"
        );
        assert_eq!(
            allowed.for_path("/api/rooms/ABCDEFGH/queue/7").unwrap(),
            "DELETE"
        );
    }
}
