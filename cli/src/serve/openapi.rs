//! The service's OpenAPI 3 document (`GET /openapi.json`), generated from
//! the handlers and their request and answer types.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::handlers::{health, pay, usage, verify};

#[derive(OpenApi)]
#[openapi(
    info(title = "medcode verification service", description = "Verifies dynamic medical-insurance codes (signature, key, validity, revocation, one use per code)."),
    paths(
        verify::verify,
        verify::verify_image,
        verify::verify_batch,
        health::healthz,
        health::readyz,
        health::metrics,
        openapi,
        pay::pay,
        usage::usage,
    ),
    modifiers(&BearerKey, &KeyOnlyWithApiKeys, &ImageBytes, &SharedProblems)
)]
struct ApiDoc;

/// The `api_key` security scheme: `Authorization: Bearer KEY`, required on
/// `/v1/` routes when the service runs with `--api-keys`.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The key is needed only when the service runs with `--api-keys`: every
/// operation that names the `api_key` scheme also accepts a request
/// without one (the empty requirement `{}`), as a service without
/// `--api-keys` (loopback only) does. Schemathesis checks the answers
/// against this.
struct KeyOnlyWithApiKeys;

impl Modify for KeyOnlyWithApiKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                if let Some(security) = &mut op.security
                    && !security.is_empty()
                    && !security.contains(&SecurityRequirement::default())
                {
                    security.push(SecurityRequirement::default());
                }
            }
        }
    }
}

/// `POST /v1/verify/image` takes the image's bytes (PNG or JPEG), not a
/// JSON array of numbers, which is what utoipa makes of a `Vec<u8>` body:
/// the body is described as a binary string under both media types.
struct ImageBytes;

impl Modify for ImageBytes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(body) = openapi
            .paths
            .paths
            .get_mut("/v1/verify/image")
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut())
        else {
            return;
        };
        let bytes = |media: &str| {
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .content_media_type(media)
                .build();
            Content::new(Some(RefOr::T(Schema::Object(schema))))
        };
        body.content.clear();
        for media in ["image/png", "image/jpeg"] {
            body.content.insert(media.to_owned(), bytes(media));
        }
    }
}

/// The answers that the routes share, written once: every operation that
/// names the `api_key` scheme answers 401 without a valid key, and every
/// JSON `POST` for an organisation answers 403 for another organisation's
/// `org_id`, 413 over 64 KiB and 415 for a body not `application/json`.
/// An operation that describes one of them itself keeps its own words.
struct SharedProblems;

impl Modify for SharedProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    Content::new(Some(RefOr::Ref(Ref::from_schema_name("ProblemBody")))),
                )
                .build()
        };
        for (path, item) in &mut openapi.paths.paths {
            for (op, json_post) in [(&mut item.get, false), (&mut item.post, true)] {
                let Some(op) = op else { continue };
                let mut shared = Vec::new();
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    shared.push(("401", "A valid API key is required"));
                }
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                if json_post && json_body && path.starts_with("/v1/") {
                    shared.extend([
                        ("403", "org_id names another organisation"),
                        ("413", "Body over 64 KiB"),
                        ("415", "Not application/json"),
                    ]);
                }
                for (status, description) in shared {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(problem(description)));
                }
            }
        }
    }
}

/// The document as JSON text.
pub(crate) fn document() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// This document.
#[utoipa::path(get, tag = "handlers", path = "/openapi.json", responses((status = 200, description = "The OpenAPI 3 document of this service")))]
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}
