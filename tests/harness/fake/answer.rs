//! What the fake API answers: pools read, listed and filtered, PATCHes stored (or
//! answered as scripted), the defaults, the CSRF token; anything else a 418 naming the
//! route.

use super::{CLOUD_DEFAULTS, Csrf, DEFAULTS, Patch, Read, State, route};
use crate::harness::fixtures;
use serde_json::{Value, json};
use std::collections::VecDeque;
use wiremock::{Request, ResponseTemplate};

fn json_reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// What the API answers `request`, from the state and its scripts.
pub(super) fn answer(state: &mut State, request: &Request) -> ResponseTemplate {
    let route = route(request);
    let (verb, path) = route.split_once(' ').unwrap_or_default();
    let pool = path.strip_prefix("/work_pools/").filter(|n| *n != "filter");
    if let Some(reply) = state.extra.get(&route) {
        return reply.clone();
    }
    match (verb, path, pool) {
        ("GET", _, Some(name)) => match state.echoes.get(name) {
            Some(echo) => echo(fixtures::header_is(request, "authorization").unwrap_or("none")),
            None => read(state, name),
        },
        ("POST", "/work_pools/filter", _) => filter(state, request),
        ("PATCH", _, Some(name)) => patch(state, name, request),
        ("GET", DEFAULTS | CLOUD_DEFAULTS, _) => state
            .defaults
            .clone()
            .unwrap_or_else(|| json_reply(404, json!({"detail": "Not Found"}))),
        ("GET", "/csrf-token", _) => csrf_token(state, request),
        ("POST", "/deployments/filter", _) => json_reply(200, json!([])),
        _ => json_reply(
            418,
            json!({"detail": format!("the fake does not serve {route}")}),
        ),
    }
}

fn read(state: &mut State, name: &str) -> ResponseTemplate {
    if state.vanish.remove(name) {
        state.pools.remove(name);
    }
    if let Some(reply) = state.always.get(name) {
        return reply.clone();
    }
    if let Some(reply) = scripted_read(state, name) {
        return reply;
    }
    match state.pools.get(name) {
        Some(pool) => json_reply(200, pool.clone()),
        None => json_reply(404, json!({"detail": "Work pool not found."})),
    }
}

/// Applies the pool's next scripted read to the state; returns a reply that replaces it.
fn scripted_read(state: &mut State, name: &str) -> Option<ResponseTemplate> {
    match state.reads.get_mut(name).and_then(VecDeque::pop_front)? {
        Read::Reply(reply) => return Some(reply),
        Read::EditedBy(template, updated) => {
            if let Some(pool) = state.pools.get_mut(name) {
                pool["base_job_template"] = template;
                pool["updated"] = json!(updated);
            }
        }
        Read::Deleted => {
            state.pools.remove(name);
        }
        Read::Stored => {}
    }
    None
}

/// Pages through the stored pools by name, keeping those the `type` and `name` filters allow.
fn filter(state: &mut State, request: &Request) -> ResponseTemplate {
    let body: Value = request.body_json().unwrap_or_default();
    let any = |field: &str| -> Option<Vec<Value>> {
        body["work_pools"][field]["any_"].as_array().cloned()
    };
    let (types, names) = (any("type"), any("name"));
    for name in names.iter().flatten().filter_map(Value::as_str) {
        if state.vanish.remove(name) {
            state.pools.remove(name);
        }
    }
    let offset = body["offset"].as_u64().unwrap_or(0) as usize;
    let limit = body["limit"].as_u64().unwrap_or(200) as usize;
    if names.is_none() && offset > 0 {
        for name in std::mem::take(&mut state.mid_listing) {
            state.pools.remove(&name);
        }
    }
    let listed: Vec<String> = state
        .pools
        .values()
        .filter(|p| types.as_ref().is_none_or(|t| t.contains(&p["type"])))
        .filter(|p| names.as_ref().is_none_or(|n| n.contains(&p["name"])))
        .skip(offset)
        .take(limit)
        .filter_map(|p| p["name"].as_str().map(String::from))
        .collect();
    let mut page = Vec::new();
    for name in listed {
        scripted_read(state, &name);
        page.extend(state.pools.get(&name).cloned());
    }
    json_reply(200, Value::Array(page))
}

fn patch(state: &mut State, name: &str, request: &Request) -> ResponseTemplate {
    if let Some(Csrf::Token(token)) = state.csrf {
        let sent = request
            .headers
            .get("prefect-csrf-token")
            .and_then(|v| v.to_str().ok());
        if sent != Some(token) {
            return json_reply(
                403,
                json!({"detail": "Invalid CSRF token or client identifier."}),
            );
        }
    }
    let scripted = state.patches.get_mut(name).and_then(VecDeque::pop_front);
    let (store, reply) = match scripted.unwrap_or(Patch::Store) {
        Patch::Store => (true, ResponseTemplate::new(204)),
        Patch::Reply(reply) => (false, reply),
        Patch::StoreAndReply(reply) => (true, reply),
    };
    let Some(pool) = state.pools.get_mut(name) else {
        return json_reply(404, json!({"detail": "Work pool not found."}));
    };
    if store {
        state.writes += 1;
        let body: Value = request.body_json().unwrap_or_default();
        pool["base_job_template"] = body["base_job_template"].clone();
        pool["updated"] = json!(format!("2024-01-02T00:00:{:02}Z", state.writes % 60));
    }
    reply
}

fn csrf_token(state: &mut State, request: &Request) -> ResponseTemplate {
    if let Some(reply) = state.csrf_replies.pop_front() {
        return reply;
    }
    match state.csrf.unwrap_or(Csrf::Disabled) {
        Csrf::Disabled => json_reply(422, json!({"detail": "CSRF protection is disabled."})),
        Csrf::Token(token) => {
            let client = request.url.query_pairs().find(|(k, _)| k == "client");
            match client {
                Some((_, client)) => json_reply(
                    200,
                    json!({"token": token, "client": client, "expiration": "2999-01-01T00:00:00Z"}),
                ),
                None => json_reply(422, json!({"detail": "missing client"})),
            }
        }
    }
}
