//! The examples that end each command's `--help`.

pub(super) const UPDATE: &str = "\
Examples:
  poolsync update my-pool --check-deployments --dry-run
  poolsync update --all --type kubernetes --exclude 'test-*' --output json
  poolsync update my-pool --api-url http://127.0.0.1:4200/api";

pub(super) const DEFAULT: &str = "\
Examples:
  poolsync default --type kubernetes
  poolsync default --type ecs > ecs-default.json";

pub(super) const MERGE: &str = "\
Examples:
  poolsync merge --default default.json --current current.json
  curl -s \"$PREFECT_API_URL/work_pools/my-pool\" | jq .base_job_template \\
    | poolsync merge --default default.json --current - --strategy jq";

pub(super) const VALIDATE: &str = "\
Examples:
  poolsync validate my-pool --deployments
  poolsync validate --file templates/k8s.json
  poolsync validate --file templates/k8s.json --pool k8s-prod --prefect-yaml prefect.yaml";

pub(super) const SCHEMA: &str = "\
Examples:
  poolsync schema > federated-identity.schema.json
  poolsync schema | jq '.properties | keys'";

pub(super) const ROLLBACK: &str = "\
Examples:
  poolsync rollback my-pool --latest --dry-run
  poolsync rollback my-pool --to ~/.local/state/poolsync/backups/127.0.0.1_4200/my-pool/20260101T120000.000000Z.json";

pub(super) const BACKUPS: &str = "\
Examples:
  poolsync backups
  poolsync backups my-pool --backup-dir ./backups";

pub(super) const TRUST_POLICY: &str = "\
Examples:
  poolsync trust-policy --aws-account 123456789012 --prefect-account 9c0a5c36-2b38-4a43-9e77-1f2f8e3c1a01
  poolsync trust-policy --check policy.json
  poolsync trust-policy --check main.tf --issuer app.crewai.com --audience sts.amazonaws.com";

pub(super) const COMPLETIONS: &str = "\
Examples:
  poolsync completions bash > ~/.local/share/bash-completion/completions/poolsync
  poolsync completions zsh > \"${fpath[1]}/_poolsync\"";

pub(super) const SPRINGBOARD: &str = "\
Examples:
  poolsync springboard --from-role arn:aws:iam::111111111111:role/prefect-managed \\
    --to-role arn:aws:iam::222222222222:role/deployer
  poolsync springboard --from-role ARN --to-role ARN --check-trust trust.json \\
    --check-permissions permissions.json";

pub(super) const EXPLAIN: &str = "\
Examples:
  poolsync explain my-pool
  poolsync explain --file current.json --type kubernetes";
