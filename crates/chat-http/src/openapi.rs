//! `GET /api/openapi.json`: the API as OpenAPI 3.1. The operations are written by hand in
//! `openapi.json` (tests hold them to the router both ways); the types under
//! `components/schemas` are derived from the service's own Rust types (`schemars`), so
//! what a response is documented to carry is what the code serialises.

use std::sync::LazyLock;

use axum::{
    Router,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use chat_core::{
    accounts::{ApiTokenInfo, PasskeyInfo, SecondFactorStatus, SessionInfo, TotpSetup, User},
    audit::SecurityEventInfo,
    conversations::{Ban, Conversation, Message, Report, RoomListing, SearchHit},
    users::{Friend, FriendList, FriendRequest, UserSummary},
};
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::AppState;

/// The document, built once per instance.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(serve))
}

async fn serve() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The hand-written operations with the derived schemas added to their components.
fn document() -> Value {
    // The file is part of the build; a test parses it, so it cannot be malformed here.
    let mut document: Value =
        serde_json::from_str(include_str!("openapi.json")).unwrap_or(Value::Null);
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.definitions_path = "/components/schemas/".into())
        .into_generator();
    generator.subschema_for::<User>();
    generator.subschema_for::<UserSummary>();
    generator.subschema_for::<Friend>();
    generator.subschema_for::<FriendRequest>();
    generator.subschema_for::<FriendList>();
    generator.subschema_for::<SessionInfo>();
    generator.subschema_for::<SecurityEventInfo>();
    generator.subschema_for::<ApiTokenInfo>();
    generator.subschema_for::<SecondFactorStatus>();
    generator.subschema_for::<TotpSetup>();
    generator.subschema_for::<PasskeyInfo>();
    generator.subschema_for::<Conversation>();
    generator.subschema_for::<Message>();
    generator.subschema_for::<RoomListing>();
    generator.subschema_for::<SearchHit>();
    generator.subschema_for::<Ban>();
    generator.subschema_for::<Report>();
    generator.subschema_for::<chat_core::attachments::Attachment>();
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.extend(generator.take_definitions(true));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` of a value, with where it was found.
    fn refs<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => found.push((at.clone(), target)),
                        _ => refs(inner, format!("{at}/{key}"), found),
                    }
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    refs(inner, format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_document_parses_and_every_reference_resolves() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0", "the hand-written part parses");
        let mut found = Vec::new();
        refs(&document, String::new(), &mut found);
        assert!(found.len() > 100, "{} references", found.len());
        for (at, target) in found {
            let pointer = target.trim_start_matches('#');
            assert!(
                document.pointer(pointer).is_some(),
                "{at} refers to {target}, which is not there"
            );
        }
    }

    #[test]
    fn the_types_carry_what_they_serialise() {
        let document = document();
        let conversation = &document["components"]["schemas"]["Conversation"];
        let required = conversation["required"].as_array().unwrap();
        for field in ["id", "kind", "role", "unread_count", "created_at"] {
            assert!(
                required.iter().any(|r| r == field),
                "Conversation requires {field}"
            );
        }
        assert!(
            !required.iter().any(|r| r == "members"),
            "members is left out of lists"
        );
        let invite = &conversation["properties"]["invite_code"]["type"];
        assert_eq!(invite, &serde_json::json!(["string", "null"]), "nullable");
        let roles: Vec<&Value> = document["components"]["schemas"]["Role"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|variant| &variant["const"])
            .collect();
        assert_eq!(roles, ["member", "moderator", "owner"]);
    }
}
