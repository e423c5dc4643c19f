//! `%%call`: a raw scheduler (or operator) Call in Mesos JSON, sent as written; the master's
//! answer is shown verbatim.

use super::subscribe::{Started, start_session};
use super::{Body, MagicResult, mesos_error, no_positional, usage};
use crate::interpreter::magics::args::Args;
use crate::interpreter::magics::registry::{ArgKind, FlagSpec, MagicContext, MagicKind, MagicSpec};
use crate::interpreter::rust::errors::simple;
use crate::protocol::content::{ErrorContent, MimeBundle};
use mesos_lib::httpcli::RawReply;
use mesos_lib::v1::master;
use mesos_lib::v1::scheduler::{Call, CallType};

pub(super) static MAGICS: &[(MagicSpec, Body)] = &[(
    MagicSpec {
        name: "call",
        kind: MagicKind::Cell,
        usage: "%%call [--operator]",
        summary: "Send the cell body, a scheduler (or operator) Call in Mesos JSON, as is.",
        help: "Scheduler calls go on the session: framework_id (when absent) and the \
               Mesos-Stream-Id header come from it; the HTTP status and Mesos's answer are shown \
               verbatim, and a non-2xx answer is the cell's error. A SUBSCRIBE body does not \
               open a second stream: it becomes this kernel's one session (like %subscribe, \
               with the body's FrameworkInfo), or shows the existing one. --operator sends the \
               body to the operator API (e.g. {\"type\": \"GET_HEALTH\"}); its streaming \
               SUBSCRIBE is for %watch.",
        flags: &[FlagSpec {
            name: "operator",
            value: ArgKind::None,
            help: "the body is an operator API Call",
        }],
        positional: ArgKind::None,
    },
    |args, ctx| Box::pin(call(args, ctx)),
)];

fn spec() -> &'static MagicSpec {
    &MAGICS[0].0
}

/// Decodes the cell body, pointing at the line and column of the first mistake.
fn decode<T: serde::de::DeserializeOwned>(body: &str, what: &str) -> Result<T, ErrorContent> {
    serde_json::from_str(body).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let why = full.strip_suffix(&suffix).unwrap_or(&full);
        simple(
            "JSONError",
            format!(
                "the cell body is not a valid {what}: {why} (body line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })
}

async fn call(args: Args, ctx: &MagicContext<'_>) -> MagicResult {
    no_positional(spec(), &args)?;
    let body = args.body.as_deref().unwrap_or_default();
    if body.trim().is_empty() {
        return Err(usage(
            spec(),
            "the cell body is the Call in JSON, e.g. {\"type\": \"REVIVE\"}",
        ));
    }
    if args.has("operator") {
        operator_call(body, ctx).await
    } else {
        scheduler_call(body, ctx).await
    }
}

/// The answer as a bundle: status line and body as text, and the body as JSON when it is.
fn answer(reply: &RawReply, note: Option<String>) -> MimeBundle {
    let json: Option<serde_json::Value> = serde_json::from_str(&reply.body).ok();
    let mut text = reply.status_line();
    if let Some(j) = &json {
        text.push('\n');
        text.push_str(&serde_json::to_string_pretty(j).unwrap_or_else(|_| reply.body.clone()));
    } else if !reply.body.is_empty() {
        text.push('\n');
        text.push_str(&reply.body);
    }
    if let Some(n) = note {
        text.push('\n');
        text.push_str(&n);
    }
    let bundle = MimeBundle::text(text);
    match json {
        Some(j) => bundle.with("application/json", j),
        None => bundle,
    }
}

/// A non-2xx answer as the cell's error: status and Mesos's reason, verbatim.
fn refused(reply: &RawReply) -> ErrorContent {
    simple(
        "MesosError",
        format!("{}: {}", reply.status_line(), reply.body.trim_end()),
    )
}

async fn scheduler_call(body: &str, ctx: &MagicContext<'_>) -> MagicResult {
    let mut call: Call = decode(body, "scheduler Call")?;
    if call.call_type == CallType::Subscribe {
        return subscribe(call, ctx).await;
    }
    let s = ctx.mesos.scheduler().map_err(mesos_error)?;
    let mut note = None;
    if call.framework_id.is_none() {
        call.framework_id = s.framework_id();
        note = call
            .framework_id
            .as_ref()
            .map(|f| format!("(framework_id {f} filled in from the session)"));
    }
    let teardown = call.call_type == CallType::Teardown;
    let reply = s
        .call_raw(&call)
        .await
        .map_err(|e| mesos_error(format!("{} could not be sent: {e}", call.call_type)))?;
    if !reply.is_success() {
        return Err(refused(&reply));
    }
    if teardown {
        // The session closed itself; forget it the way %teardown does.
        let id = s
            .framework_id()
            .map(|f| f.value)
            .unwrap_or_else(|| "?".into());
        ctx.mesos.take_scheduler(Some(id));
    }
    Ok(Some(answer(&reply, note)))
}

/// SUBSCRIBE from a body: the kernel's one session, never a second stream.
async fn subscribe(call: Call, ctx: &MagicContext<'_>) -> MagicResult {
    let Some(sub) = call.subscribe.as_ref() else {
        return Err(mesos_error(
            "a SUBSCRIBE call needs a \"subscribe\": {\"framework_info\": {...}} section",
        ));
    };
    let sent = serde_json::to_value(&call).map_err(mesos_error)?;
    let started = start_session(
        ctx,
        sub.framework_info.clone(),
        sub.suppressed_roles.clone(),
    )
    .await?;
    let (mut t, caption) = match started {
        Started::New(t) => {
            let c = format!(
                "{}; SUBSCRIBE sent as the kernel's session (the JSON view shows the call)",
                t.caption.clone().unwrap_or_default()
            );
            (t, c)
        }
        Started::Existing(t) => (
            t,
            "already subscribed: the body was not sent; showing the existing session (no second \
             framework)"
                .to_owned(),
        ),
    };
    t.caption = Some(caption);
    Ok(Some(t.to_bundle().with("application/json", sent)))
}

async fn operator_call(body: &str, ctx: &MagicContext<'_>) -> MagicResult {
    let call: master::Call = decode(body, "operator Call")?;
    if call.call_type == master::CallType::Subscribe {
        return Err(mesos_error(
            "the operator SUBSCRIBE is an endless event stream, not a call: use %watch to follow it",
        ));
    }
    let conn = ctx.mesos.connection().map_err(mesos_error)?;
    let reply = conn
        .operator
        .call_raw(&call)
        .await
        .map_err(|e| mesos_error(format!("master {}: {e}", conn.target.url())))?;
    if !reply.is_success() {
        return Err(refused(&reply));
    }
    Ok(Some(answer(&reply, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_points_at_line_and_column() {
        let e = decode::<Call>(
            "{\"type\": \"REVIVE\",\n  \"framework_id\": }",
            "scheduler Call",
        )
        .unwrap_err();
        assert_eq!(e.ename, "JSONError");
        assert!(e.evalue.contains("body line 2, column 19"), "{}", e.evalue);
        assert!(!e.evalue.contains(" at line "), "{}", e.evalue);
    }

    #[test]
    fn answers_show_status_and_json() {
        let r = RawReply {
            status: 200,
            body: "{\"type\":\"GET_HEALTH\",\"get_health\":{\"healthy\":true}}".into(),
        };
        let b = answer(&r, None);
        assert!(
            b.data["text/plain"]
                .as_str()
                .unwrap()
                .starts_with("200 OK\n")
        );
        assert_eq!(b.data["application/json"]["get_health"]["healthy"], true);
        let e = refused(&RawReply {
            status: 400,
            body: "Expecting 'decline' to be present".into(),
        });
        assert_eq!(
            e.evalue,
            "400 Bad Request: Expecting 'decline' to be present"
        );
    }
}
