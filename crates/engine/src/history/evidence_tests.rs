use super::*;
use serde_json::json;

fn base(current: Value, origins: &[Value], default: Value) -> Option<Value> {
    let origins: Vec<Option<&Value>> = origins.iter().map(Some).collect();
    synthesize(Some(&current), &origins, Some(&default))
}

#[test]
fn a_key_the_pool_lacks_is_a_deletion_only_if_every_plausible_origin_had_it() {
    let current = json!({"a": 1});
    let every = [json!({"a": 1, "b": 2}), json!({"a": 1, "b": 3})];
    assert_eq!(
        base(current.clone(), &every, json!({})),
        Some(json!({"a": 1, "b": 2})),
        "every origin had b: the user deleted it (base holds the best origin's)"
    );
    let some = [json!({"a": 1, "b": 2}), json!({"a": 1})];
    assert_eq!(
        base(current, &some, json!({})),
        Some(json!({"a": 1})),
        "one origin never had b: not a deletion, so a default's b is an addition"
    );
}

#[test]
fn a_value_equal_to_any_plausible_origins_value_is_an_untouched_default() {
    let origins = [json!({"image": "prefect:2"}), json!({"image": "prefect:3"})];
    let current = json!({"image": "prefect:3"});
    assert_eq!(
        base(current.clone(), &origins, json!({"image": "prefect:4"})),
        Some(current),
        "equal to the second origin: untouched, so the merge takes upstream's"
    );
}

#[test]
fn anything_else_is_a_customisation_against_the_best_origin() {
    let origins = [json!({"image": "prefect:2"}), json!({"image": "prefect:3"})];
    assert_eq!(
        base(
            json!({"image": "mine:1"}),
            &origins,
            json!({"image": "prefect:4"})
        ),
        Some(json!({"image": "prefect:2"}))
    );
    assert_eq!(
        base(
            json!({"image": "mine:1", "extra": true}),
            &origins,
            json!({})
        ),
        Some(json!({"image": "prefect:2"})),
        "a key no origin has was added by the user: the base lacks it"
    );
}

#[test]
fn a_key_some_origin_lacks_is_kept_when_upstream_dropped_it() {
    // vertex-ai: a team added enable_web_access with the value a later release ships.
    let origins = [json!({"a": 1}), json!({"a": 1, "web": true})];
    let from_best = [json!({"a": 1, "web": true}), json!({"a": 1})];
    assert_eq!(
        base(json!({"a": 1, "web": true}), &from_best, json!({"a": 1})),
        Some(json!({"a": 1, "web": true})),
        "the best origin holds it: untouched, so it goes with upstream"
    );
    let current = json!({"a": 1, "web": true});
    assert_eq!(
        base(current.clone(), &origins, json!({"a": 1})),
        Some(json!({"a": 1})),
        "upstream lacks it: the base lacks it too, so the pool's key is kept"
    );
    assert_eq!(
        base(current.clone(), &origins, json!({"a": 1, "web": false})),
        Some(current),
        "upstream has it: untouched, so upstream's value is taken"
    );
}

#[test]
fn keyed_arrays_are_decided_element_by_element() {
    let origin = |resources: Value| json!({"containers": [{"name": "prefect-job", "image": "{{ image }}", "resources": resources}]});
    let with = origin(json!({"cpu": "{{ cpu }}"}));
    let without = json!({"containers": [{"name": "prefect-job", "image": "{{ image }}"}]});
    let current =
        json!({"containers": [{"name": "prefect-job", "image": "mine"}, {"name": "sidecar"}]});
    let got = base(current, &[with.clone(), without], json!({}));
    assert_eq!(
        got,
        Some(json!({"containers": [{"name": "prefect-job", "image": "{{ image }}"}]})),
        "the image is customised, resources not every origin had, the sidecar the user's"
    );
    let got = base(
        json!({"containers": [{"name": "prefect-job"}]}),
        std::slice::from_ref(&with),
        json!({}),
    );
    assert_eq!(
        got,
        Some(with),
        "one origin: its missing keys are the user's deletions"
    );
}

#[test]
fn no_origin_no_base() {
    assert_eq!(synthesize(Some(&json!(1)), &[None, None], None), None);
    assert_eq!(synthesize(None, &[Some(&json!(1)), None], None), None);
    assert_eq!(synthesize(None, &[Some(&json!(1))], None), Some(json!(1)));
}

#[test]
fn an_annotation_no_origin_holds_is_stale_not_customised() {
    let origins = [
        json!({"variables": {"image": {"description": "old", "default": "a"}}, "job_configuration": {"description": "x"}}),
    ];
    let current = json!({"variables": {"image": {"description": "older", "default": "mine"}}, "job_configuration": {"description": "mine"}});
    assert_eq!(
        base(current, &origins, json!({})),
        Some(
            json!({"variables": {"image": {"description": "older", "default": "a"}}, "job_configuration": {"description": "x"}})
        ),
        "the description takes upstream's; the default and job_configuration stay the user's"
    );
}
