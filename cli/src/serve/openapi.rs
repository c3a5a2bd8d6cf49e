//! The service's OpenAPI 3 document (`GET /openapi.json`), generated from
//! the handlers and their request and answer types.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, RefOr, Schema};
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
    modifiers(&BearerKey, &KeyOnlyWithApiKeys, &ImageBytes)
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
