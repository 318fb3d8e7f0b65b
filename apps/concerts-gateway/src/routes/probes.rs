//! The gateway's readiness: it asks the services. (`/health` is served by
//! `bootstrap` like every process's; the OpenAPI document describes it too.)

use axum::Json;
use axum::extract::State;
use exceptions::{ErrorBody, HttpError};
use serde_json::{Value, json};

use crate::state::State as Shared;

/// Readiness: every service answers its own readiness probe. `following`
/// says how far the gateway has applied the concerts' change log (`null`
/// while it cannot follow it): against the service's own `GET /changes`,
/// its lag; and where it reads the changes from (`nats` or `log`).
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Every service is ready", example = json!({"status": "ready", "services": {"bands": "ready", "venues": "ready", "concerts": "ready"}, "following": {"concerts": 7, "from": "log"}})),
        (status = 503, description = "A service is not ready", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"],
                "errors": [{"code": "service_unavailable", "message": "the venues service is unreachable"}]})),
    )
)]
pub(crate) async fn ready(State(gateway): State<Shared>) -> Result<Json<Value>, HttpError> {
    let readiness = gateway.services.readiness().await;
    let problems: Vec<String> = readiness
        .iter()
        .filter_map(|(name, verdict)| verdict.as_ref().err().map(|why| format!("the {name} service {why}")))
        .collect();
    if !problems.is_empty() {
        return Err(HttpError::ServiceUnavailable(problems.join("; ")));
    }
    let services: serde_json::Map<String, Value> =
        readiness.into_iter().map(|(name, _)| (name.to_owned(), json!("ready"))).collect();
    let following = json!({ "concerts": gateway.follower.applied(), "from": gateway.follower.source() });
    Ok(Json(json!({ "status": "ready", "services": services, "following": following })))
}
