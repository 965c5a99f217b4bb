use super::*;
use pretty_assertions::assert_eq;

const AWS: &str = "123456789012";
const PREFECT: &str = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e";

fn expect() -> Expect {
    Expect {
        aws_account: Some(AWS.into()),
        prefect_account: Some(PREFECT.into()),
    }
}

#[test]
fn generated_policy_lints_clean() {
    assert_eq!(lint(&generate(AWS, PREFECT), &expect()), vec![]);
    assert_eq!(lint(&generate(AWS, PREFECT), &Expect::default()), vec![]);
}
