//! The tests, a module per feature. Real-server modules use `crate::support`; the fault,
//! safety, secret and batch modules on the fake API use `crate::fake`.

mod bases;
mod batch;
mod csrf_server;
mod diff;
mod faults;
mod faults_batch;
mod faults_wire;
mod first_run;
mod first_run_workers;
mod hardening;
mod hardening_backups;
mod hardening_server;
mod help;
mod history;
mod interrupts;
mod listing_churn;
mod markdown_report;
mod mock_api;
mod mock_retry;
mod offline;
mod pacing;
mod pipes;
mod precommit;
mod properties;
mod properties_checks;
mod rollback_checks;
mod safety;
mod secrets;
mod server_harness;
mod three_way;
mod trust_policy;
mod update;
mod verbatim;
