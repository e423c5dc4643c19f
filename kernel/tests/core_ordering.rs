//! The core's ordering rules, driven without sockets through a mock interpreter.

mod core_support;

use bytes::Bytes;
use core_support::*;
use serde_json::json;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn execute_outputs_come_between_busy_and_idle_and_the_reply_before_idle() {
    let h = Harness::start(|_| {});
    let id = h.shell(
        "execute_request",
        json!({"code": "x", "user_expressions": {"e": "abc"}}),
    );
    h.idle_for(&id).await;
    assert_eq!(
        h.for_parent(&id),
        seq(&[
            ("iopub", "status:busy"),
            ("iopub", "execute_input"),
            ("iopub", "stream"),
            ("iopub", "execute_result"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle"),
        ])
    );
    let reply = &h.log.find("shell", "execute_reply")[0];
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(reply.content["execution_count"], 1);
    assert_eq!(
        reply.content["user_expressions"]["e"]["data"]["text/plain"],
        "ABC"
    );
    assert_eq!(reply.identities, vec![Bytes::from_static(b"client-1")]);
    // The first message the kernel ever sent is `starting`, with no parent.
    assert_eq!(h.log.types()[0], "iopub:status");
    assert_eq!(
        h.log.0.lock().unwrap()[0].1.content["execution_state"],
        "starting"
    );
}

#[tokio::test]
async fn every_request_type_gets_busy_and_idle_even_unknown_ones() {
    let h = Harness::start(|_| {});
    for (t, content) in [
        ("kernel_info_request", json!({})),
        ("comm_info_request", json!({})),
        ("complete_request", json!({"code": "a", "cursor_pos": 1})),
        ("is_complete_request", json!({"code": "a"})),
        (
            "history_request",
            json!({"hist_access_type": "tail", "n": 3}),
        ),
        ("frobnicate_request", json!({})),
    ] {
        let id = h.shell(t, content);
        h.idle_for(&id).await;
        let events = h.for_parent(&id);
        assert_eq!(events.first().unwrap().1, "status:busy", "{t}");
        assert_eq!(events.last().unwrap().1, "status:idle", "{t}");
        let replies = events.iter().filter(|(c, _)| c == "shell").count();
        assert_eq!(
            replies,
            if t == "frobnicate_request" { 0 } else { 1 },
            "{t}"
        );
    }
}

#[tokio::test]
async fn an_error_aborts_the_queued_executes_but_not_other_requests() {
    let h = Harness::start(|h| {
        h.shell("execute_request", json!({"code": "fail"}));
        h.shell("execute_request", json!({"code": "a"}));
        h.shell("kernel_info_request", json!({}));
        h.shell("execute_request", json!({"code": "b"}));
    });
    let last = h.shell("execute_request", json!({"code": "after"}));
    h.idle_for(&last).await;
    let replies = h.log.find("shell", "execute_reply");
    let statuses: Vec<&str> = replies
        .iter()
        .map(|r| r.content["status"].as_str().unwrap())
        .collect();
    // `after` may or may not have been queued when the error happened; the first four are fixed.
    assert_eq!(&statuses[..3], &["error", "aborted", "aborted"]);
    assert_eq!(h.log.find("shell", "kernel_info_reply").len(), 1);
    assert_eq!(replies[0].content["ename"], "Boom");
    assert_eq!(h.log.find("iopub", "error").len(), 1);
}

#[tokio::test]
async fn a_request_sent_after_the_error_was_seen_runs_though_the_shell_has_not_moved_on() {
    let h = Harness::start(|_| {});
    // The error reply goes out, but its sender is held there: the window in which a fast
    // client's next request used to reach the queue before the abort drained it.
    h.hold.arm();
    let failing = h.shell("execute_request", json!({"code": "fail"}));
    h.sent_for(&failing, "error").await;
    // The client saw the error and sends the next cell.
    let after = h.shell("execute_request", json!({"code": "after"}));
    // The router answers a shell kernel_info at once, in arrival order: once it is
    // answered, `after` waits in the main shell's queue.
    let probe = h.shell("kernel_info_request", json!({}));
    h.sent_for(&probe, "kernel_info_reply").await;
    assert!(
        !h.for_parent(&failing)
            .iter()
            .any(|(_, t)| t == "status:idle"),
        "the failing cell's shell is still sending its reply"
    );
    h.hold.release();
    h.idle_for(&after).await;
    assert_eq!(h.reply_to(&failing).content["status"], "error");
    assert_eq!(h.reply_to(&after).content["status"], "ok");
    assert_eq!(h.reply_to(&after).content["execution_count"], 2);
}

#[tokio::test]
async fn silent_requests_publish_nothing_and_do_not_count() {
    let h = Harness::start(|_| {});
    let id = h.shell("execute_request", json!({"code": "x", "silent": true}));
    h.idle_for(&id).await;
    assert_eq!(
        h.for_parent(&id),
        seq(&[
            ("iopub", "status:busy"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle")
        ])
    );
    let id = h.shell("execute_request", json!({"code": "y"}));
    h.idle_for(&id).await;
    let replies = h.log.find("shell", "execute_reply");
    assert_eq!(replies[0].content["execution_count"], 0);
    assert_eq!(replies[1].content["execution_count"], 1);
}

#[tokio::test]
async fn badly_signed_and_garbage_messages_are_dropped_and_the_kernel_keeps_serving() {
    let h = Harness::start(|h| {
        let (mut frames, _) = h.request("execute_request", json!({"code": "evil"}));
        frames[2] = Bytes::from_static(b"00ff");
        h.shell.send(frames).unwrap();
        h.shell.send(vec![Bytes::from_static(b"garbage")]).unwrap();
        h.control
            .send(vec![Bytes::from_static(b"<IDS|MSG>"), Bytes::new()])
            .unwrap();
        let (frames, _) = h.request("execute_request", json!({"no_code": true}));
        h.shell.send(frames).unwrap();
    });
    let id = h.shell("execute_request", json!({"code": "fine"}));
    h.idle_for(&id).await;
    let replies = h.log.find("shell", "execute_reply");
    assert_eq!(replies.len(), 1, "only the good request is answered");
    assert_eq!(replies[0].content["status"], "ok");
    let busy = h
        .log
        .find("iopub", "status")
        .iter()
        .filter(|m| m.content["execution_state"] == "busy")
        .count();
    assert_eq!(busy, 1, "dropped messages get no busy/idle either");
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_reply() {
    let h = Harness::start(|_| {});
    let id = h.shell("execute_request", json!({"code": "panic"}));
    h.idle_for(&id).await;
    let reply = &h.log.find("shell", "execute_reply")[0];
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "KernelPanic");
    let id = h.shell("execute_request", json!({"code": "next"}));
    h.idle_for(&id).await;
    assert_eq!(
        h.log.find("shell", "execute_reply")[1].content["status"],
        "ok"
    );
}

#[tokio::test]
async fn control_answers_interrupt_and_shutdown() {
    let h = Harness::start(|_| {});
    let (frames, id) = h.request("interrupt_request", json!({}));
    h.control.send(frames).unwrap();
    h.idle_for(&id).await;
    assert_eq!(h.interrupts.load(Ordering::SeqCst), 1);
    assert_eq!(
        h.log.find("control", "interrupt_reply")[0].content["status"],
        "ok"
    );
    let (frames, id) = h.request("kernel_info_request", json!({}));
    h.control.send(frames).unwrap();
    h.idle_for(&id).await;
    let info = &h.log.find("control", "kernel_info_reply")[0];
    assert_eq!(info.content["protocol_version"], "5.5");
    assert_eq!(info.content["language_info"]["name"], "mock");
    let (frames, _) = h.request("shutdown_request", json!({"restart": true}));
    h.control.send(frames).unwrap();
    let restart = tokio::time::timeout(std::time::Duration::from_secs(5), h.done)
        .await
        .unwrap()
        .unwrap();
    assert!(restart);
    assert_eq!(
        h.log.find("control", "shutdown_reply")[0].content["restart"],
        true
    );
}
