//! The cashier's page of `medcode serve` without a browser: `GET /` and its
//! assets, each with its content type, `Cache-Control` and the strict
//! `Content-Security-Policy`; no inline script; and a reason in plain words
//! for every reason the library has (the browser tests: page_browser.rs).

mod support;

use support::root;
use support::service::{Service, agent, args};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Status, content type, cache-control, CSP and body of a GET.
fn fetch(svc: &Service, path: &str) -> (u16, String, String, String, String) {
    let mut resp = agent()
        .get(format!("{}{path}", svc.url))
        .call()
        .expect("an answer");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let parts = (
        resp.status().as_u16(),
        header("content-type"),
        header("cache-control"),
        header("content-security-policy"),
    );
    let body = resp.body_mut().read_to_string().unwrap();
    (parts.0, parts.1, parts.2, parts.3, body)
}

#[test]
fn the_page_and_its_assets_load_with_their_types_and_the_strict_policy() {
    let trust = root().join("keys/trust.json");
    let svc = Service::start(&args(&[
        "--trust",
        trust.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]));

    let (status, ctype, cache, csp, html) = fetch(&svc, "/");
    assert_eq!(
        (status, ctype.as_str(), cache.as_str(), csp.as_str()),
        (200, "text/html; charset=utf-8", "no-cache", CSP)
    );
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(r#"<script src="/page.js" defer></script>"#));
    assert!(html.contains(r#"<link rel="stylesheet" href="/page.css">"#));
    // No inline script or style, no event-handler attribute, nothing from elsewhere.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(
        !html.contains("<style") && !html.contains(" style="),
        "{html}"
    );
    let handler = html.split(" on").skip(1).find(|rest| {
        let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    });
    assert_eq!(handler, None, "an event-handler attribute");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(html.contains(r#"aria-live="assertive""#));

    let (status, ctype, cache, csp, css) = fetch(&svc, "/page.css");
    assert_eq!(
        (status, ctype.as_str(), cache.as_str(), csp.as_str()),
        (200, "text/css; charset=utf-8", "no-cache", CSP)
    );
    assert!(css.contains(".verdict"), "{css}");

    let (status, ctype, cache, csp, js) = fetch(&svc, "/page.js");
    assert_eq!(
        (status, ctype.as_str(), cache.as_str(), csp.as_str()),
        (200, "text/javascript; charset=utf-8", "no-cache", CSP)
    );
    assert!(js.contains("/v1/verify"), "{js}");
    assert!(
        !js.contains("localStorage"),
        "the page keeps nothing after it is closed"
    );
    assert!(
        !js.contains("innerHTML"),
        "the service's text is never parsed as HTML"
    );

    // A plain-words reason for every reason of the library, and for the
    // device codes' two.
    let reasons = medcode::Reason::ALL
        .iter()
        .map(|r| r.as_str())
        .chain(["credential_expired", "quota_exceeded"]);
    for reason in reasons {
        assert!(
            js.contains(&format!("\n    {reason}: [\"")),
            "page.js has no words for {reason}"
        );
    }

    // Elsewhere the JSON 404 of the service, not the page.
    let (status, ctype, _, _, _) = fetch(&svc, "/page.html");
    assert_eq!((status, ctype.as_str()), (404, "application/json"));
    assert_eq!(svc.stop(), 0);
}
