//! The CPU cost of a first run's per-pool engine work: [`infer`] then [`merge3`], per pool.
//!
//! Pools are made as `scripts/seed_pools.py` makes the bench's: per type, an older released
//! default (its `ORIGINS`) customised as a team does (image, env, one integer raised), merged
//! into the type's newest default. Prints ns per pool for each step.
//!
//! ```text
//! cargo run --release -p poolsync-engine --example infer_merge_cost -- [POOLS] [--jsonb] [--golden FILE]
//! ```
//!
//! `--jsonb` stores each pool's keys as PostgreSQL's JSONB returns them (shorter keys first,
//! then bytewise), so they no longer come in the defaults' order.
//!
//! `--golden FILE` also writes every result (and those of some harder pools: a deleted
//! variable, an added one, an edited `job_configuration`, an up-to-date pool) as JSON lines to
//! FILE, for comparing two builds byte for byte.

use poolsync_engine::history::{History, embedded, infer};
use poolsync_engine::merge::{Strategy, merge3};
use serde_json::{Value, json};
use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// The pool types the bench seeds.
const TYPES: [&str; 5] = ["kubernetes", "ecs", "docker", "cloud-run", "cloud-run-v2"];

/// Per type, the releases whose defaults the bench's pools are born from (seed_pools.py).
fn origins(pool_type: &str) -> &'static [&'static str] {
    match pool_type {
        "kubernetes" => &["2.14.13", "prefect-kubernetes==0.5.4"],
        "ecs" => &["prefect-aws==0.3.2", "2.16.3"],
        _ => &["2.14.13", "2.19.0"],
    }
}

/// Whether a variable's schema takes an integer (its type, or one of its `anyOf` branches).
fn numeric(schema: &Value) -> bool {
    let branches = schema.get("anyOf").and_then(Value::as_array);
    schema.get("type") == Some(&json!("integer"))
        || branches.is_some_and(|b| b.iter().any(|b| b.get("type") == Some(&json!("integer"))))
}

/// seed_pools.py's `customise`: the team's image, its env, one integer setting raised.
fn customise(template: &Value, pool_type: &str, index: usize) -> Value {
    let mut t = template.clone();
    let Some(props) = t
        .pointer_mut("/variables/properties")
        .and_then(Value::as_object_mut)
    else {
        return t;
    };
    if let Some(image) = props.get_mut("image").and_then(Value::as_object_mut) {
        let value = format!("registry.example.com/{pool_type}/flows:{}", index % 7);
        image.insert("default".into(), json!(value));
    }
    if let Some(env) = props.get_mut("env").and_then(Value::as_object_mut) {
        let value = json!({"TEAM": format!("team-{}", index % 5), "POOL_INDEX": index.to_string()});
        env.insert("default".into(), value);
    }
    let mut integers: Vec<String> = props
        .iter()
        .filter(|(_, s)| numeric(s) && s.get("maximum").is_none())
        .map(|(n, _)| n.clone())
        .collect();
    integers.sort();
    if !integers.is_empty() {
        let name = &integers[index % integers.len()];
        if let Some(schema) = props.get_mut(name).and_then(Value::as_object_mut) {
            let start = schema.get("default").and_then(Value::as_i64).unwrap_or(0);
            let minimum = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let raised = start.max(minimum) + 1 + (index % 3) as i64;
            schema.insert("default".into(), json!(raised));
        }
    }
    t
}

/// Harder edits, for the golden file only: `variant` 1 deletes a variable, 2 adds one of
/// the user's own, 3 edits a `job_configuration` value.
fn vary(mut t: Value, variant: usize, index: usize) -> Value {
    match variant {
        1 => {
            let name = t
                .pointer("/variables/properties")
                .and_then(Value::as_object)
                .and_then(|p| p.keys().nth(index % p.len().max(1)).cloned());
            if let (Some(name), Some(Value::Object(p))) =
                (name, t.pointer_mut("/variables/properties"))
            {
                p.remove(&name);
            }
        }
        2 => {
            if let Some(Value::Object(p)) = t.pointer_mut("/variables/properties") {
                p.insert(
                    "team_label".into(),
                    json!({"type": "string", "default": "x"}),
                );
            }
        }
        _ => {
            if let Some(Value::Object(jc)) = t.pointer_mut("/job_configuration") {
                jc.insert("name".into(), json!(format!("pool-{index}")));
            }
        }
    }
    t
}

/// `value` with every object's keys in JSONB's order: by length, then bytewise.
fn jsonb(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), jsonb(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(jsonb).collect()),
        other => other.clone(),
    }
}

/// One pool: its type, its template, the new default.
struct Pool<'a> {
    pool_type: &'static str,
    current: Value,
    default: &'a Value,
}

/// The bench's pools: type `i % 5`, its origins taken in turn.
fn pools(history: &History, count: usize) -> Vec<Pool<'_>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let pool_type = TYPES[i % TYPES.len()];
        let defaults = history.defaults(pool_type);
        let Some(newest) = defaults.last() else {
            continue;
        };
        let older: Vec<&Value> = origins(pool_type)
            .iter()
            .filter_map(|r| history.at(pool_type, r))
            .map(|d| &d.template)
            .filter(|t| **t != newest.template)
            .collect();
        if older.is_empty() {
            continue;
        }
        let origin = older[(i / TYPES.len()) % older.len()];
        out.push(Pool {
            pool_type,
            current: customise(origin, pool_type, i),
            default: &newest.template,
        });
    }
    out
}

/// One pool's results as one JSON line.
fn result(history: &History, pool: &Pool<'_>) -> String {
    let base = infer(history, pool.pool_type, &pool.current, pool.default);
    let merged = merge3(
        base.template.as_ref(),
        pool.default,
        &pool.current,
        Strategy::Schema,
    );
    let line = json!({
        "type": pool.pool_type,
        "base": base.template,
        "origin": base.origin.to_json(),
        "template": merged.template,
        "warnings": merged.warnings,
        "upstream": merged.upstream,
        "kept_out": merged.kept_out,
    });
    line.to_string()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000usize);
    let golden = args
        .iter()
        .position(|a| a == "--golden")
        .and_then(|i| args.get(i + 1));
    let history = embedded()?;
    let mut pools = pools(history, count);
    if args.iter().any(|a| a == "--jsonb") {
        for pool in &mut pools {
            pool.current = jsonb(&pool.current);
        }
    }

    if let Some(path) = golden {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (i, pool) in pools.iter().enumerate() {
            writeln!(file, "{}", result(history, pool))?;
            if i % 4 != 0 {
                let harder = Pool {
                    current: vary(pool.current.clone(), i % 4, i),
                    ..*pool
                };
                writeln!(file, "{}", result(history, &harder))?;
            }
        }
        for pool_type in TYPES {
            if let Some(newest) = history.defaults(pool_type).last() {
                let fresh = Pool {
                    pool_type,
                    current: newest.template.clone(),
                    default: &newest.template,
                };
                writeln!(file, "{}", result(history, &fresh))?;
            }
        }
    }

    // Warm up: the candidates' features are worked out once per process, as in a real run.
    for pool in pools.iter().take(TYPES.len()) {
        black_box(infer(history, pool.pool_type, &pool.current, pool.default));
    }
    let rounds = 3;
    let (mut inferring, mut merging) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let (mut i_total, mut m_total) = (Duration::ZERO, Duration::ZERO);
        for pool in &pools {
            let start = Instant::now();
            let base = infer(history, pool.pool_type, &pool.current, pool.default);
            let inferred = Instant::now();
            let merged = merge3(
                base.template.as_ref(),
                pool.default,
                &pool.current,
                Strategy::Schema,
            );
            let done = Instant::now();
            black_box((base, merged));
            i_total += inferred - start;
            m_total += done - inferred;
        }
        inferring = inferring.min(i_total);
        merging = merging.min(m_total);
    }
    let per = |d: Duration| d.as_nanos() / pools.len().max(1) as u128;
    println!(
        "{} pools, best of {rounds}: infer {} ns/pool, merge3 {} ns/pool, total {} ns/pool",
        pools.len(),
        per(inferring),
        per(merging),
        per(inferring + merging)
    );
    Ok(())
}
