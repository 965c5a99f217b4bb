//! Reading a [`WorkPool`] from JSON field by field: the four fields poolsync uses, and every
//! other into `rest`. What `#[serde(flatten)]` would do, without its detour: flatten first
//! buffers the whole object, the template included, then reads the fields from that copy
//! (a tenth of a batch's CPU went to reading pools back).

use super::WorkPool;
use serde::Deserialize;
use serde::de::{Deserializer, Error, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

impl<'de> Deserialize<'de> for WorkPool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WorkPool, D::Error> {
        deserializer.deserialize_map(Fields)
    }
}

struct Fields;

impl<'de> Visitor<'de> for Fields {
    type Value = WorkPool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct WorkPool")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WorkPool, A::Error> {
        let mut name: Option<String> = None;
        let mut pool_type: Option<String> = None;
        let mut template: Option<Value> = None;
        let mut updated: Option<Option<String>> = None;
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => once(&mut name, "name", map.next_value()?)?,
                "type" => once(&mut pool_type, "type", map.next_value()?)?,
                "base_job_template" => {
                    once(&mut template, "base_job_template", map.next_value()?)?;
                }
                "updated" => once(&mut updated, "updated", map.next_value()?)?,
                _ => {
                    rest.insert(key, map.next_value()?);
                }
            }
        }
        Ok(WorkPool {
            name: name.ok_or_else(|| A::Error::missing_field("name"))?,
            pool_type: pool_type.ok_or_else(|| A::Error::missing_field("type"))?,
            base_job_template: template.unwrap_or_default(),
            updated: updated.flatten(),
            rest,
        })
    }
}

/// Sets a field read once; a second time is an error, as a derived struct's.
fn once<T, E: Error>(slot: &mut Option<T>, field: &'static str, value: T) -> Result<(), E> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(E::duplicate_field(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::WorkPool;
    use serde_json::json;

    #[test]
    fn the_fields_poolsync_uses_are_read_and_every_other_is_kept_in_rest() {
        let text = json!({"id": "x", "name": "p", "type": "k8s", "base_job_template": {"a": 1},
                          "updated": "2026-01-01", "status": "READY"});
        let pool: WorkPool = serde_json::from_value(text.clone()).expect("a pool");
        assert_eq!(pool.name, "p");
        assert_eq!(pool.pool_type, "k8s");
        assert_eq!(pool.base_job_template, json!({"a": 1}));
        assert_eq!(pool.updated.as_deref(), Some("2026-01-01"));
        assert_eq!(pool.rest.keys().collect::<Vec<_>>(), ["id", "status"]);
        // Written back, it is the object read (the fields in their serialised order).
        let back = serde_json::to_value(&pool).expect("serialises");
        assert_eq!(back.as_object().map(|o| o.len()), Some(6));
        assert_eq!(back["status"], "READY");
    }

    #[test]
    fn a_missing_name_a_null_updated_and_a_repeated_field_read_as_a_derived_struct_would() {
        let missing = serde_json::from_str::<WorkPool>(r#"{"type": "k8s"}"#);
        assert!(format!("{:?}", missing.err()).contains("missing field `name`"));
        let pool: WorkPool =
            serde_json::from_str(r#"{"name": "p", "type": "k8s", "updated": null}"#)
                .expect("a pool");
        assert_eq!(
            (pool.updated, pool.base_job_template),
            (None, serde_json::Value::Null)
        );
        let twice = serde_json::from_str::<WorkPool>(r#"{"name": "p", "name": "q", "type": "k"}"#);
        assert!(format!("{:?}", twice.err()).contains("duplicate field `name`"));
        let wrong = serde_json::from_str::<WorkPool>(r#"{"name": 1, "type": "k"}"#);
        assert!(
            format!("{:?}", wrong.err()).contains("invalid type: integer `1`, expected a string")
        );
        let not_an_object = serde_json::from_str::<WorkPool>(r#""p""#);
        assert!(format!("{:?}", not_an_object.err()).contains("expected struct WorkPool"));
    }
}
