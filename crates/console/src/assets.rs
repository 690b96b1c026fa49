//! The pages' files, embedded in the binary: nothing is fetched from elsewhere.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../assets/index.html");
const STYLE: &str = include_str!("../assets/app.css");

/// The pages' script: ES modules, each served at `/js/NAME`; `main.js` is the entry.
const MODULES: &[(&str, &str)] = &[
    ("api.js", include_str!("../assets/js/api.js")),
    ("audit.js", include_str!("../assets/js/audit.js")),
    ("catalog.js", include_str!("../assets/js/catalog.js")),
    ("dataset.js", include_str!("../assets/js/dataset.js")),
    ("datasets.js", include_str!("../assets/js/datasets.js")),
    ("dom.js", include_str!("../assets/js/dom.js")),
    ("errors.js", include_str!("../assets/js/errors.js")),
    ("format.js", include_str!("../assets/js/format.js")),
    ("forms.js", include_str!("../assets/js/forms.js")),
    ("governance.js", include_str!("../assets/js/governance.js")),
    ("inbox.js", include_str!("../assets/js/inbox.js")),
    ("main.js", include_str!("../assets/js/main.js")),
    ("node.js", include_str!("../assets/js/node.js")),
    ("requests.js", include_str!("../assets/js/requests.js")),
    ("results.js", include_str!("../assets/js/results.js")),
    ("sign.js", include_str!("../assets/js/sign.js")),
    ("task.js", include_str!("../assets/js/task.js")),
    ("uploads.js", include_str!("../assets/js/uploads.js")),
    ("view.js", include_str!("../assets/js/view.js")),
    ("whoami.js", include_str!("../assets/js/whoami.js")),
];

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}

/// `GET /`.
pub(crate) async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

/// `GET /js/{name}`: one of [`MODULES`]; any other name is not found.
pub(crate) async fn module(Path(name): Path<String>) -> Response {
    match MODULES.iter().find(|(served, _)| *served == name) {
        Some((_, body)) => asset(body, "text/javascript; charset=utf-8"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /app.css`.
pub(crate) async fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The module names a script imports (`from './NAME'`).
    fn imports(script: &str) -> Vec<&str> {
        script
            .split("from './")
            .skip(1)
            .map(|rest| rest.split('\'').next().unwrap())
            .collect()
    }

    #[test]
    fn every_module_on_disk_is_served_and_every_import_names_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/js");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        on_disk.sort();
        let served: Vec<&str> = MODULES.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            on_disk, served,
            "the table serves exactly the files of assets/js"
        );
        assert!(INDEX.contains(r#"<script type="module" src="/js/main.js"></script>"#));
        for (name, script) in MODULES {
            for imported in imports(script) {
                assert!(
                    served.contains(&imported),
                    "{name} imports {imported}, which is not served"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_module_is_served_as_javascript_and_an_unknown_name_is_not_found() {
        let response = module(Path("main.js".to_owned())).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        for name in ["app.js", "missing.js", "../app.css", ""] {
            let response = module(Path(name.to_owned())).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{name}");
        }
    }
}
