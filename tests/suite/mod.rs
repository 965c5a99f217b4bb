//! The tests, a module per feature. Each runs the binary through
//! [`Run`](crate::harness::Run), on the backend its scenario needs: none, the fake Prefect
//! API, a raw or TLS server, or the real Prefect server.

mod auth_headers;
mod backups;
mod base_choice;
mod batch_faults;
mod closed_pipes;
mod cloud;
mod conflict_window;
mod csrf;
mod cut_replies;
mod deployments;
mod diff;
mod dot_pool_names;
mod embedded_history;
mod error_messages;
mod first_run;
mod harness_smoke;
mod help;
mod history_file;
mod history_inference;
mod hostile_servers;
mod input_bounds;
mod interrupts;
mod keep_alive;
mod listing_churn;
mod listing_pages;
mod markdown_report;
mod offline_commands;
mod pacing;
mod precommit;
mod prefect_yaml;
mod properties;
mod retries;
mod rollback;
mod secrets;
mod three_way;
mod tls;
mod trust_policy;
mod update;
mod update_batch;
mod update_outcomes;
mod write_answers;
mod write_faults;
