//! Subshells in the core: created, listed and deleted, each with its own count, input and turn,
//! driven without sockets through a mock interpreter.

mod core_support;

use bytes::Bytes;
use core_support::*;
use serde_json::json;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn subshells_are_created_listed_and_deleted_and_each_has_its_own_count() {
    let h = Harness::start(|_| {});
    let info = h.control("kernel_info_request", json!({})).await;
    assert_eq!(
        info.content["supported_features"],
        json!(["kernel subshells"])
    );
    let created = h.control("create_subshell_request", json!({})).await;
    assert_eq!(created.content["status"], "ok");
    let sub = created.content["subshell_id"].as_str().unwrap().to_owned();
    let listed = h.control("list_subshell_request", json!({})).await;
    assert_eq!(listed.content["subshell_id"], json!([sub]));

    let main = h.shell("execute_request", json!({"code": "a"}));
    h.idle_for(&main).await;
    let on_sub = h.subshell(&sub, "execute_request", json!({"code": "b"}));
    h.idle_for(&on_sub).await;
    // Each subshell counts its own cells (JEP 91), and its replies and outputs name it
    // through the parent header.
    assert_eq!(h.reply_to(&main).content["execution_count"], 1);
    let reply = h.reply_to(&on_sub);
    assert_eq!(reply.content["execution_count"], 1);
    assert_eq!(
        reply.parent_header.unwrap().extra["subshell_id"],
        json!(sub)
    );
    assert_eq!(
        h.for_parent(&on_sub),
        seq(&[
            ("iopub", "status:busy"),
            ("iopub", "execute_input"),
            ("iopub", "stream"),
            ("iopub", "execute_result"),
            ("shell", "execute_reply"),
            ("iopub", "status:idle"),
        ])
    );

    let deleted = h
        .control("delete_subshell_request", json!({"subshell_id": sub}))
        .await;
    assert_eq!(deleted.content["status"], "ok");
    let again = h
        .control("delete_subshell_request", json!({"subshell_id": sub}))
        .await;
    assert_eq!(again.content["status"], "error");
    assert_eq!(again.content["ename"], "UnknownSubshell");
    assert_eq!(
        h.control("list_subshell_request", json!({})).await.content["subshell_id"],
        json!([])
    );
    // A request for a deleted subshell gets an error reply, between busy and idle.
    let gone = h.subshell(&sub, "execute_request", json!({"code": "c"}));
    h.idle_for(&gone).await;
    assert_eq!(h.reply_to(&gone).content["ename"], "UnknownSubshell");
    assert_eq!(h.for_parent(&gone).first().unwrap().1, "status:busy");
}

#[tokio::test]
async fn a_shared_cell_runs_beside_a_busy_shell_and_an_exclusive_one_waits_its_turn() {
    let h = Harness::start(|_| {});
    let sub = h
        .control("create_subshell_request", json!({}))
        .await
        .content["subshell_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    // A shared cell on the subshell is answered while the main shell's cell still runs.
    let beside = h.subshell(&sub, "execute_request", json!({"code": "shared look"}));
    h.idle_for(&beside).await;
    assert_eq!(h.reply_to(&beside).content["status"], "ok");
    assert!(
        !h.for_parent(&blocked)
            .iter()
            .any(|(_, t)| t == "status:idle")
    );
    // An exclusive cell waits, and says so on its own stream.
    let queued = h.subshell(&sub, "execute_request", json!({"code": "rusty"}));
    h.sent_for(&queued, "stream").await;
    let note = h
        .log
        .find("iopub", "stream")
        .into_iter()
        .find(|m| m.parent_header.as_ref().unwrap().msg_id == queued)
        .unwrap();
    assert!(
        note.content["text"]
            .as_str()
            .unwrap()
            .contains("waiting for the Rust engine: it is running a cell of the main shell ([1])"),
        "{}",
        note.content["text"]
    );
    assert!(
        !h.for_parent(&queued)
            .iter()
            .any(|(_, t)| t == "execute_reply")
    );
    h.release.notify_one();
    h.idle_for(&queued).await;
    assert_eq!(h.reply_to(&queued).content["status"], "ok");
    assert_eq!(h.reply_to(&blocked).content["status"], "ok");
}

#[tokio::test]
async fn an_interrupt_stops_a_cell_waiting_for_its_turn() {
    let h = Harness::start(|_| {});
    let sub = h
        .control("create_subshell_request", json!({}))
        .await
        .content["subshell_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    let queued = h.subshell(&sub, "execute_request", json!({"code": "rusty"}));
    h.sent_for(&queued, "stream").await;
    h.control("interrupt_request", json!({})).await;
    h.idle_for(&queued).await;
    let reply = h.reply_to(&queued);
    assert_eq!(reply.content["status"], "error");
    assert_eq!(reply.content["ename"], "Interrupted");
    assert_eq!(h.interrupts.load(Ordering::SeqCst), 1);
    h.release.notify_one();
    h.idle_for(&blocked).await;
}

#[tokio::test]
async fn each_subshell_gets_its_own_input_from_the_front_end_that_sent_its_cell() {
    let h = Harness::start(|_| {});
    let mut subs = Vec::new();
    for _ in 0..2 {
        let created = h.control("create_subshell_request", json!({})).await;
        subs.push(created.content["subshell_id"].as_str().unwrap().to_owned());
    }
    let ask = json!({"code": "shared ask", "allow_stdin": true});
    let (frames, on_a) = h.request_from(b"front-a", Some(&subs[0]), "execute_request", ask.clone());
    h.shell.send(frames).unwrap();
    let (frames, on_b) = h.request_from(b"front-b", Some(&subs[1]), "execute_request", ask);
    h.shell.send(frames).unwrap();
    h.sent_for(&on_a, "input_request").await;
    h.sent_for(&on_b, "input_request").await;
    // Both wait at once, each asked on its own front end, its header naming its subshell.
    let (asked_a, asked_b) = (h.input_request_of(&on_a), h.input_request_of(&on_b));
    assert_eq!(asked_a.identities, vec![Bytes::from_static(b"front-a")]);
    assert_eq!(asked_b.identities, vec![Bytes::from_static(b"front-b")]);
    assert_eq!(asked_a.header.extra["subshell_id"], json!(subs[0]));
    assert_eq!(asked_b.header.extra["subshell_id"], json!(subs[1]));
    // A front end that was asked nothing answers nothing; b answers its request by parent.
    h.input_reply(b"front-c", None, "stray");
    h.input_reply(b"front-b", Some(&asked_b), "bee");
    h.idle_for(&on_b).await;
    assert_eq!(h.printed(&on_b), "got bee\n");
    assert!(
        !h.for_parent(&on_a).iter().any(|(c, _)| c == "shell"),
        "a still waits: neither the stray reply nor b's was its answer"
    );
    // a answers as jupyter_client's input() does: no parent, no subshell id.
    h.input_reply(b"front-a", None, "ay");
    h.idle_for(&on_a).await;
    assert_eq!(h.printed(&on_a), "got ay\n");
    assert_eq!(h.reply_to(&on_a).content["status"], "ok");
}

#[tokio::test]
async fn a_kernel_info_answered_while_a_shell_is_busy_publishes_its_idle_again() {
    let h = Harness::start(|_| {});
    let blocked = h.shell("execute_request", json!({"code": "block"}));
    h.sent_for(&blocked, "execute_input").await;
    // A new front end's kernel_info is answered at once; jupyter_server did not nudge its
    // IOPub, so the idle may go out before that front end has subscribed: it comes again.
    let info = h.shell("kernel_info_request", json!({}));
    h.idle_for(&info).await;
    h.sent_times_for(&info, "status:idle", 2).await;
    assert_eq!(h.log.find("shell", "kernel_info_reply").len(), 1);
    assert!(
        !h.for_parent(&blocked)
            .iter()
            .any(|(_, t)| t == "status:idle"),
        "all while the main shell's cell still ran"
    );
    h.release.notify_one();
    h.idle_for(&blocked).await;
}
