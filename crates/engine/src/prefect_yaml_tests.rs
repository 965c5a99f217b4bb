//! Reading deployments out of prefect.yaml text: anchors, aliases, merge keys, and errors
//! that name the line.

use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

const SHAPES: &str = r#"
definitions:
  work_pools:
    k8s: &k8s
      name: k8s-prod
      work_queue_name: default
      job_variables: &k8s_vars
        image: "{{ build-image.image }}"
        namespace: etl
deployments:
  - name: plain
    entrypoint: flows/a.py:a
    work_pool: *k8s
  - name: merged
    entrypoint: flows/b.py:b
    work_pool:
      <<: *k8s
      job_variables:
        <<: *k8s_vars
        memory: 12Gi
  - name: other-pool
    work_pool:
      name: docker
"#;

#[test]
fn aliases_and_merge_keys_resolve() {
    let found = deployments(SHAPES).expect("parses");
    let summary: Vec<(&str, usize, &str, Value)> = found
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.index,
                d.pool.as_str(),
                d.job_variables.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "plain",
                0,
                "k8s-prod",
                json!({"image": "{{ build-image.image }}", "namespace": "etl"})
            ),
            (
                "merged",
                1,
                "k8s-prod",
                json!({"memory": "12Gi", "image": "{{ build-image.image }}", "namespace": "etl"})
            ),
            ("other-pool", 2, "docker", json!({})),
        ]
    );
}

#[test]
fn no_deployments_is_none() {
    assert_eq!(deployments("name: x\n"), Ok(vec![]));
}

#[test]
fn malformed_yaml_names_the_line() {
    let error = deployments("deployments:\n  - name: \"a\n    work_pool: {name: p}\n").unwrap_err();
    assert!(error.contains("at line 2 column 11"), "{error}");
}

#[test]
fn a_deployment_without_a_work_pool_names_its_line() {
    let text = "deployments:\n  - name: a\n    work_pool: {name: p}\n  - name: b\n    entrypoint: f.py:f\n";
    let error = deployments(text).unwrap_err();
    assert!(
        error.contains("deployments[1] (\"b\") at line 4: the deployment has no work_pool"),
        "{error}"
    );
    assert!(error.contains("line 4"), "{error}");
}

#[test]
fn job_variables_that_are_not_a_mapping_name_the_line() {
    let text = "deployments:\n  - name: a\n    work_pool:\n      name: p\n      job_variables:\n        - memory\n";
    let error = deployments(text).unwrap_err();
    assert!(
        error.contains("at line 5: its work_pool.job_variables must be a mapping"),
        "{error}"
    );
    assert!(error.ends_with("not a list"), "{error}");
}
