//! The listing of pools: one page of `POST /work_pools/filter`, read pool by pool: one pool
//! that cannot be parsed (say a template nested deeper than the JSON parser's 128 levels)
//! becomes an entry naming it and the cause, and every other pool on the page is still read.

use super::{WorkPool, window_end};
use crate::api::endpoints::Client;
use crate::api::endpoints::PAGE_SIZE;
use crate::api::transport::Redactor;
use crate::error::{Error, Result};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::time::Instant;

/// One entry of a listing page.
#[derive(Debug)]
pub(crate) enum Listed {
    /// A pool that parsed.
    Pool(WorkPool),
    /// A pool that did not parse: its name (or a description of where it was) and why.
    Unreadable {
        /// The pool's name, when a shallow read finds it.
        name: String,
        /// Why it could not be read.
        error: Error,
    },
}

impl Listed {
    /// The pool's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Listed::Pool(pool) => &pool.name,
            Listed::Unreadable { name, .. } => name,
        }
    }
}

impl Client {
    /// One page of at most `limit` pools (at most [`PAGE_SIZE`]) of `POST
    /// /work_pools/filter`, optionally only pools of `types`, with the end of the page's
    /// window (see [`window_end`]). Each pool is parsed on its own: one that cannot be read
    /// is an [`Listed::Unreadable`] entry.
    pub(crate) async fn filter_pools(
        &self,
        types: &[String],
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Listed>, Instant)> {
        let sent = Instant::now();
        let path = "/work_pools/filter";
        let limit = limit.clamp(1, PAGE_SIZE);
        let mut body = json!({"limit": limit, "offset": offset});
        if !types.is_empty() {
            body["work_pools"] = json!({"type": {"any_": types}});
        }
        let reply = self.send(Method::POST, path, Some(&body)).await?;
        let by = window_end(reply.took);
        if reply.status == StatusCode::NOT_FOUND {
            let error = self.transport.status_error(Method::POST, path, &reply);
            return Err(self.transport.not_found(error).await);
        }
        if !reply.status.is_success() {
            return Err(self.transport.status_error(Method::POST, path, &reply));
        }
        let input = format!("the response to POST {}{path}", self.transport.base());
        let page = parse_page(&reply.body, offset, &input, self.transport.redactor())
            .map_err(|source| self.json_error(input, source))?;
        self.trips().record_listing(sent.elapsed());
        Ok((page, by))
    }
}

/// Only the name: every other field is skipped without depth limits.
#[derive(Deserialize)]
struct Named {
    name: String,
}

/// Splits a page into its pools and parses each on its own. `offset` is the page's offset
/// (for naming a pool with no readable name); `input` names the response for errors.
fn parse_page(
    body: &[u8],
    offset: usize,
    input: &str,
    redactor: &Redactor,
) -> serde_json::Result<Vec<Listed>> {
    // Skipping a value (as RawValue does) has no depth limit; only the split is parsed here.
    let items: Vec<Box<RawValue>> = serde_json::from_slice(body)?;
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_one(item.get(), offset + i, input, redactor))
        .collect())
}

fn parse_one(text: &str, position: usize, input: &str, redactor: &Redactor) -> Listed {
    let source = match serde_json::from_str::<WorkPool>(text) {
        Ok(pool) => {
            let wide = poolsync_engine::big_integers::find(text);
            if wide.is_empty() {
                return Listed::Pool(pool);
            }
            return Listed::Unreadable {
                error: Error::Shape {
                    input: format!("work pool {:?} in {input}", pool.name),
                    message: poolsync_engine::big_integers::refusal(&wide),
                },
                name: pool.name,
            };
        }
        Err(source) => source,
    };
    let source = redactor.apply(&source.to_string());
    let name = serde_json::from_str::<Named>(text)
        .map(|n| redactor.apply(&n.name))
        .unwrap_or_else(|_| format!("(unnamed pool #{} of the listing)", position + 1));
    let message = if source.to_string().contains("recursion limit") {
        format!(
            "cannot be read ({source}): its template is nested deeper than 128 levels; \
             flatten it with `prefect work-pool update --base-job-template`"
        )
    } else {
        format!(
            "is not a work pool as poolsync reads them ({source}); check it with `prefect work-pool inspect`"
        )
    };
    Listed::Unreadable {
        error: Error::Shape {
            input: format!("work pool {name:?} in {input}"),
            message,
        },
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn one_unreadable_pool_does_not_hide_the_others() {
        let ok = json!({"name": "a", "type": "process", "base_job_template": {}}).to_string();
        let deep = format!(
            r#"{{"name": "deep", "type": "process", "base_job_template": {{"x": {}}}}}"#,
            nested(200)
        );
        let nameless = r#"{"type": 7}"#;
        let body = format!("[{ok}, {deep}, {nameless}, {ok}]");
        let page = parse_page(body.as_bytes(), 200, "POST /filter", &Redactor::default()).unwrap();
        let names: Vec<_> = page.iter().map(Listed::name).collect();
        assert_eq!(
            names,
            ["a", "deep", "(unnamed pool #203 of the listing)", "a"]
        );
        assert!(matches!(&page[0], Listed::Pool(p) if p.pool_type == "process"));
        let Listed::Unreadable { error, .. } = &page[1] else {
            panic!("{:?}", page[1]);
        };
        let text = error.to_string();
        assert!(
            text.contains("\"deep\"") && text.contains("128 levels"),
            "{text}"
        );
        assert!(matches!(&page[2], Listed::Unreadable { .. }));
    }

    #[test]
    fn a_page_that_is_not_an_array_is_an_error() {
        let none = Redactor::default();
        assert!(parse_page(b"{\"detail\": 1}", 0, "x", &none).is_err());
        assert!(parse_page(b"[1", 0, "x", &none).is_err());
    }
}
