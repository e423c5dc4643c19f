//! The master listener's endpoints, found by libprocess's path rules (`crate::http::libprocess`):
//! the processes a real master runs, their endpoints, and the router on canonical paths.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Extension, Router};

use super::{Ctx, legacy, maintenance, operator_api, scheduler_api};
use crate::http::auth::Realm;
use crate::http::libprocess::{self, DelegatedPath, Process, Processes};
use crate::http::{empty, give_back, json_ok, not_carried_out, not_found, plain, redirect};

/// The master's endpoints (`route(...)` in Mesos's `master.cpp`), its web UI assets, and the
/// processes beside it that the embedded master serves; any other first segment goes to the
/// master, as libprocess delegates it.
static PROCESSES: Processes = Processes {
    delegate: "master",
    list: &[
        Process {
            id: "master",
            endpoints: &[
                "api/v1",
                "api/v1/scheduler",
                "create-volumes",
                "destroy-volumes",
                "frameworks",
                "flags",
                "health",
                "redirect",
                "reserve",
                "roles",
                "teardown",
                "slaves",
                "state",
                "state-summary",
                "tasks",
                "maintenance/schedule",
                "maintenance/status",
                "machine/down",
                "machine/up",
                "unreserve",
                "weights",
                "quota",
            ],
            assets: &["", "app", "assets"],
        },
        Process {
            id: "version",
            endpoints: &[""],
            assets: &[],
        },
        Process {
            id: "metrics",
            endpoints: &["snapshot"],
            assets: &[],
        },
    ],
    verbatim: &["__local"],
};

/// Routes of one master listener.
pub(crate) fn router(ctx: Ctx) -> Router {
    // Each group of endpoints sits in its own authentication realm, as on a real master;
    // /version, /health and /redirect are never authenticated.
    let auth = ctx.master.cfg.http_auth.clone();
    let guarded = |r: Router<Ctx>, realm: Realm| {
        r.route_layer(axum::middleware::from_fn_with_state(
            (auth.clone(), realm),
            crate::http::auth::require,
        ))
    };
    let scheduler = Router::new().route("/master/api/v1/scheduler", any(scheduler_api::handle));
    let mut readwrite = Router::new()
        .route("/master/api/v1", any(operator_api::handle))
        .route("/master/weights", any(weights))
        .route("/master/quota", any(quota))
        .route(
            "/master/maintenance/schedule",
            any(maintenance::schedule_endpoint),
        )
        .route("/master/machine/down", any(maintenance::machine_down))
        .route("/master/machine/up", any(maintenance::machine_up));
    for (endpoint, instead) in [
        ("create-volumes", "CREATE_VOLUMES"),
        ("destroy-volumes", "DESTROY_VOLUMES"),
        ("reserve", "RESERVE_RESOURCES"),
        ("unreserve", "UNRESERVE_RESOURCES"),
        ("teardown", "TEARDOWN"),
    ] {
        readwrite = readwrite.route(
            &format!("/master/{endpoint}"),
            any(move || async move {
                not_carried_out(
                    &format!("/master/{endpoint}"),
                    &format!("use the operator API's {instead}"),
                )
            }),
        );
    }
    let readonly = Router::new()
        .route("/metrics/snapshot", get(legacy::metrics_snapshot))
        .route("/master/state", get(legacy::state))
        .route("/master/state-summary", get(legacy::summary))
        .route("/master/tasks", get(legacy::tasks))
        .route("/master/frameworks", get(legacy::frameworks))
        .route("/master/slaves", get(legacy::slaves))
        .route("/master/roles", get(legacy::roles))
        .route("/master/flags", get(legacy::flags))
        .route(
            "/master/maintenance/status",
            get(maintenance::status_endpoint),
        );
    let open = Router::new()
        .route("/version", get(legacy::version))
        .route("/master/redirect", get(redirect_to_leader))
        .route("/master/health", get(|| async { empty(StatusCode::OK) }));
    let canonical = open
        .merge(guarded(scheduler, Realm::Scheduler))
        .merge(guarded(readwrite, Realm::ReadWrite))
        .merge(guarded(readonly, Realm::ReadOnly))
        .merge(crate::admin::router())
        .fallback(|| async { not_found() })
        .layer(axum::middleware::map_response(give_back::after_large))
        .with_state(ctx);
    libprocess::serve(&PROCESSES, canonical)
}

/// `/master/redirect` answers 307 to the leader's root; a longer path under it is 404, so
/// that a redirect can never loop.
async fn redirect_to_leader(
    State(ctx): State<Ctx>,
    delegated: Option<Extension<DelegatedPath>>,
) -> Response {
    let loops = delegated.is_some_and(|Extension(DelegatedPath(p))| p != "/master/redirect");
    if loops {
        return not_found();
    }
    match ctx.leader_location() {
        Some(loc) => redirect(&loc),
        None => plain(StatusCode::SERVICE_UNAVAILABLE, "No leader elected"),
    }
}

/// GET on a read-write endpoint answers what the master holds; any other method would
/// change it, which the embedded master does not carry out.
fn read_or_refuse(
    ctx: &Ctx,
    req: &Request,
    path: &str,
    holds: serde_json::Value,
    why: &str,
) -> Response {
    if let Some(r) = ctx.follower_response(path) {
        return r;
    }
    if req.method() == Method::GET {
        return json_ok(&holds);
    }
    not_carried_out(&format!("{} /master{path}", req.method()), why)
}

/// `/master/weights`: GET lists the weights set (`--weights`, UPDATE_WEIGHTS); the legacy
/// PUT that would set them is refused: UPDATE_WEIGHTS on `/api/v1` carries that out.
async fn weights(State(ctx): State<Ctx>, req: Request) -> Response {
    let holds = super::weights::weights_json(&ctx.master.lock());
    read_or_refuse(
        &ctx,
        &req,
        "/weights",
        holds,
        "its legacy PUT /master/weights is not served: use UPDATE_WEIGHTS on /api/v1",
    )
}

/// `/master/quota`: GET is the quota status (`{}` without quota); the legacy POST/DELETE
/// that would set or remove quota are refused: UPDATE_QUOTA on `/api/v1` carries that out.
async fn quota(State(ctx): State<Ctx>, req: Request) -> Response {
    let holds = super::quota::status(&ctx.master.lock());
    read_or_refuse(
        &ctx,
        &req,
        "/quota",
        holds,
        "its legacy quota requests on /master/quota are not served: use UPDATE_QUOTA on /api/v1",
    )
}
