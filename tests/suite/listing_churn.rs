//! Pools deleted during `update --all` on the real server. Offset paging shifts when pools
//! before the offset go away: deleting ten pools of the first page just before the second
//! page is read makes that page skip ten pools; pools created then, early in the order, are
//! behind the offset too. The second page no longer starts on the first page's last pool, so
//! the listing pages once more from the start and must find them all, and every listed pool
//! gets exactly one outcome. A forwarding proxy deletes and creates at that exact point.

use crate::harness::live::{api_url, create_pool, delete_pool, read_template, send};
use crate::harness::own_pools::OwnPools;
use crate::harness::proxy;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// More than one listing page (200).
const POOLS: usize = 230;
const DELETED: usize = 10;
const CREATED: usize = 3;

/// The names of the first listing page of pools of `kind`, as the server orders them.
fn first_page(kind: &str) -> Vec<String> {
    let url = format!("{}/work_pools/filter", api_url());
    let body = json!({"limit": 200, "offset": 0, "work_pools": {"type": {"any_": [kind]}}});
    let (response, _) = send("list the first page", |c| c.post(&url).json(&body));
    let pools: Vec<Value> = response.json().expect("pools");
    pools
        .iter()
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect()
}

/// Whether a request is a listing page after the first (a filter by type, offset > 0).
fn is_later_page(sent: &crate::harness::raw::Sent) -> bool {
    let body: Value = serde_json::from_slice(&sent.body).unwrap_or(Value::Null);
    let later = body["offset"].as_u64().is_some_and(|offset| offset > 0);
    sent.line.starts_with("POST /api/work_pools/filter") && later
}

#[test]
fn pools_deleted_during_a_batch_make_paging_skip_none_of_the_others() {
    let pools = OwnPools::create("churn", POOLS);
    let (kind, names, want) = (&pools.kind, &pools.names, &pools.want);

    // Sorted among the first pools, so only the re-list can see them.
    let created: Vec<String> = (0..CREATED).map(|i| format!("{kind}-{i:03}-new")).collect();
    let deleted: Arc<Mutex<Vec<String>>> = Arc::default();
    let url = {
        let (deleted, kind, created) = (deleted.clone(), kind.clone(), created.clone());
        proxy::forward(move |sent| {
            let mut deleted = deleted.lock().expect("lock");
            if is_later_page(sent) && deleted.is_empty() {
                for name in first_page(&kind).into_iter().take(DELETED) {
                    delete_pool(&name);
                    deleted.push(name);
                }
                for name in &created {
                    create_pool(name, &kind, &json!({}));
                }
            }
            None
        })
    };
    let out = pools.update_all(&url);
    let stderr = &out.stderr;
    let (lines, summary) = out.batch();
    let deleted = deleted.lock().expect("lock").clone();
    assert_eq!(
        deleted.len(),
        DELETED,
        "the second page was never read: {stderr}"
    );

    let mut outcomes: BTreeMap<String, String> = BTreeMap::new();
    for line in &lines {
        let pool = line["pool"].as_str().expect("pool").to_string();
        let outcome = line["outcome"].as_str().expect("outcome").to_string();
        assert!(
            outcomes.insert(pool.clone(), outcome).is_none(),
            "{pool} twice"
        );
    }
    for name in names.iter().chain(&created) {
        let outcome = outcomes.get(name).map(String::as_str);
        if deleted.contains(name) {
            // Gone before or after its turn: updated, or failed as not found.
            assert!(
                matches!(outcome, Some("updated" | "failed")),
                "{name}: {outcome:?}"
            );
        } else {
            assert_eq!(outcome, Some("updated"), "{name} missed; {stderr}");
            assert_eq!(&read_template(name), want, "{name} not updated");
        }
    }
    let want_count = POOLS + CREATED;
    assert_eq!(
        outcomes.len(),
        want_count,
        "only the pools of this test, each once"
    );
    // The summary counts what was processed: the same outcomes as the lines.
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for outcome in outcomes.values() {
        *tally.entry(outcome.clone()).or_default() += 1;
    }
    let counted: BTreeMap<String, u64> = summary["outcomes"]
        .as_object()
        .expect("outcomes")
        .iter()
        .filter_map(|(k, n)| n.as_u64().filter(|n| *n != 0).map(|n| (k.clone(), n)))
        .collect();
    assert_eq!(counted, tally, "{summary}");
    let failed = outcomes.values().filter(|o| *o == "failed").count();
    assert_eq!(
        out.status,
        Some(if failed == 0 { 0 } else { 1 }),
        "{stderr}"
    );
    pools.delete(&created);
}
