//! `update --all` against a server on this host: the listing comes in pages the write keeps
//! up with, not all at once. The first page holds 50 pools, not 200, and each page after it
//! is read once the write has nearly run through the pools listed before it, so each pool's
//! PATCH can go within its page's window. A recording proxy shows the pages. (When each page
//! goes depends on the machine's pace; the unit tests of `Backlog` and `Pace` hold the wait
//! and the sizes.)

use crate::harness::live::read_template;
use crate::harness::own_pools::OwnPools;
use crate::harness::proxy;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// More than two first pages (the pages after the first fit the write's pace: 10 to 200).
const POOLS: usize = 120;

/// A request's first line, and its limit when it is a listing page.
type Seen = Vec<(String, Option<u64>)>;

#[test]
fn a_local_servers_listing_comes_in_pages_the_write_keeps_up_with() {
    let pools = OwnPools::create("pages", POOLS);
    let (names, want) = (&pools.names, &pools.want);
    // Every request, in the order it came: a listing page's limit, or none for the rest.
    let sent: Arc<Mutex<Seen>> = Arc::default();
    let url = {
        let sent = sent.clone();
        proxy::forward(move |request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let limit = body.get("offset").and(body["limit"].as_u64());
            let line = request.line.clone();
            sent.lock().expect("lock").push((line, limit));
            None
        })
    };
    let out = pools.update_all(&url);
    let (_, summary) = out.batch();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(summary["outcomes"]["updated"], json!(POOLS), "{summary}");
    for name in [&names[0], &names[POOLS / 2], &names[POOLS - 1]] {
        assert_eq!(&read_template(name), want, "{name} not updated");
    }

    let sent = sent.lock().expect("lock").clone();
    let pages: Vec<(usize, u64)> = (sent.iter().enumerate())
        .filter_map(|(i, (_, limit))| limit.map(|limit| (i, limit)))
        .collect();
    let shown: Vec<String> = sent.iter().map(|(l, n)| format!("{l} {n:?}")).collect();
    assert_eq!(pages.first().map(|p| p.1), Some(50), "{shown:#?}");
    assert!(
        pages.len() >= 3,
        "120 pools in pages of 50 and fewer: {shown:#?}"
    );
    pools.delete(&[]);
}
