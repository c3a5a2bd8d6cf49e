//! The service's OpenAPI 3 document (`GET /openapi.json`), generated from
//! the handlers and their request and answer types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers;
use super::pay;

#[derive(OpenApi)]
#[openapi(
    info(title = "medcode verification service", description = "Verifies dynamic medical-insurance codes (signature, key, validity, revocation, one use per code)."),
    paths(
        handlers::verify,
        handlers::verify_image,
        handlers::verify_batch,
        handlers::healthz,
        handlers::readyz,
        handlers::metrics,
        handlers::openapi,
        pay::pay,
    ),
    modifiers(&BearerKey)
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

/// The document as JSON text.
pub(crate) fn document() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
}
