//! The one error type of poolsync. Every variant carries the context a user needs to act:
//! the pool, the URL, the HTTP status, the file, the JSON pointer. Messages are lowercase
//! and end with the fix where there is one. No variant ever holds a secret.

mod signal;

use poolsync_engine::finding::Finding;
pub use signal::Signal;
use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in poolsync.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No API URL from flag, environment or profile.
    #[error(
        "no prefect api url is set; pass --api-url, set PREFECT_API_URL, or run \
         `prefect config set PREFECT_API_URL=...` to store it in your active profile"
    )]
    NoApiUrl,

    /// A setting (flag, environment variable, profile entry) has a bad value.
    #[error("invalid {name}: {message}")]
    Setting {
        /// The setting's name, e.g. `PREFECT_CLIENT_CUSTOM_HEADERS`.
        name: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A file could not be read or written.
    #[error("failed to {action} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// An input document is not valid JSON.
    #[error("{input} is not valid json: {source}")]
    Json {
        /// Where the document came from (a file name, `stdin`, a URL).
        input: String,
        /// The parser error, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// A document the template engine cannot use (the embedded history, a history file).
    #[error(transparent)]
    Engine(#[from] poolsync_engine::Error),

    /// An input document parsed but has the wrong shape.
    #[error("{input}: {message}")]
    Shape {
        /// Where the document came from.
        input: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The request never got an HTTP answer (connection refused, timeout, TLS...).
    #[error("{method} {url} failed{}: {cause}; {hint}", tries_note(*tries))]
    Transport {
        /// HTTP method.
        method: String,
        /// Request URL.
        url: String,
        /// The cause, flattened from the error chain.
        cause: String,
        /// What to check.
        hint: &'static str,
        /// How many times the request was sent.
        tries: u32,
    },

    /// The server answered with an error status.
    #[error("{method} {url} returned {status}{}: {detail}", tries_note(*tries))]
    Status {
        /// HTTP method.
        method: String,
        /// Request URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The server's explanation, taken from the body.
        detail: String,
        /// How many times the request was sent.
        tries: u32,
    },

    /// A response body is larger than poolsync reads.
    #[error(
        "the response to {method} {url} is larger than {limit_mib} MiB, far more than any \
         prefect answer; check that the api url points at a prefect server"
    )]
    ResponseTooLarge {
        /// HTTP method.
        method: String,
        /// Request URL.
        url: String,
        /// The cap, in MiB.
        limit_mib: usize,
    },

    /// `update --all`'s listing was cut short: the server's pages repeat or never end.
    #[error(
        "the listing of work pools at {url} was stopped: {why}; the pools listed before were \
         processed; check that the api url points at a prefect server, or name the pools"
    )]
    ListingStopped {
        /// The listing URL.
        url: String,
        /// What the pages did.
        why: String,
    },

    /// The pool does not exist on the server.
    #[error(
        "work pool {pool:?} was not found at {url}; check the name with `prefect work-pool ls`"
    )]
    PoolNotFound {
        /// The pool name.
        pool: String,
        /// The API URL asked.
        url: String,
    },

    /// The api url lacks the `/api` path: the server answers `/api/health` below it.
    #[error(
        "the api url {url} answers 404 to api requests, but {url}/api/health answers: the \
         url lacks its /api path; set PREFECT_API_URL (or --api-url) to {url}/api"
    )]
    ApiUrlWithoutApi {
        /// The api url given.
        url: String,
    },

    /// A request for a pool named `.` or `..` that would have to pass a proxy.
    #[error(
        "{url} cannot be sent through a proxy: its path holds a dot segment (a pool named \
         `.` or `..`), which a proxy may resolve and send elsewhere; add the api host to \
         NO_PROXY for this run, or recreate the pool under another name"
    )]
    UnaddressablePool {
        /// The request URL.
        url: String,
    },

    /// Prefect refuses template changes to pools whose name starts with `prefect`.
    #[error(
        "work pool {pool:?} has a reserved name (starts with \"prefect\"); the server refuses \
         changes to its base job template"
    )]
    ReservedPool {
        /// The pool name.
        pool: String,
    },

    /// The server has no default template for a pool type.
    #[error(
        "no default base job template for work pool type {pool_type:?} at {url}; \
         pass --template FILE with the template to merge in"
    )]
    NoDefault {
        /// The pool type.
        pool_type: String,
        /// Where defaults were looked up.
        url: String,
    },

    /// A template failed the placeholder or federated identity checks.
    #[error("{subject} is invalid{}:{}", if *blocked { ", nothing was pushed" } else { "" }, list(violations))]
    Invalid {
        /// What was checked, e.g. `merged template for work pool "x"`.
        subject: String,
        /// Whether a push was stopped by it.
        blocked: bool,
        /// Each problem, with pointer and fix.
        violations: Vec<Finding>,
    },

    /// The pool changed on the server between poolsync's read and its write.
    #[error(
        "work pool {pool:?} changed on the server while poolsync worked on it ({what}); \
         nothing was written; run poolsync again to merge the new state"
    )]
    Conflict {
        /// The pool name.
        pool: String,
        /// What changed.
        what: String,
    },

    /// The template read back after a write differs from what was sent.
    #[error(
        "work pool {pool:?} does not hold what poolsync sent; the server changed it: {difference}; \
         the previous state is in the backup {}", backup.display()
    )]
    Verify {
        /// The pool name.
        pool: String,
        /// The JSON Patch from what was sent to what is stored.
        difference: String,
        /// The backup written before the write.
        backup: PathBuf,
    },

    /// A PATCH was answered, but reading the pool back to confirm it failed.
    #[error(
        "the PATCH of work pool {pool:?} was answered {answer}, but reading the pool back failed \
         ({cause}), so the write is unconfirmed: it may have landed; check the pool with \
         `poolsync update {pool:?} --dry-run` (the state it replaced is in the backup {})",
        backup.display()
    )]
    Unconfirmed {
        /// The pool name.
        pool: String,
        /// What the PATCH was answered: `with success`, or its error.
        answer: String,
        /// Why the read-back failed.
        cause: std::sync::Arc<Error>,
        /// The backup written before the write.
        backup: PathBuf,
    },

    /// A PATCH that never found a moment to leave within one round trip of a re-read.
    #[error(
        "the PATCH of work pool {pool:?} could not leave within one round trip of its re-read, \
         {rounds} times (other writes held the slots or the pace); nothing was written; run \
         poolsync again"
    )]
    Unsent {
        /// The pool name.
        pool: String,
        /// How many re-reads it took.
        rounds: u32,
    },

    /// No folder to write backups to.
    #[error("no folder for backups: neither --backup-dir nor XDG_STATE_HOME nor HOME is set")]
    NoBackupDir,

    /// The embedded history has no default of a pool type, or not of a release.
    #[error(
        "poolsync knows no released default of work pool type {pool_type:?}{}; it knows {known}; \
         run `poolsync default --type {pool_type}` against a server for its current one",
        release.as_ref().map(|r| format!(" shipped in prefect {r}")).unwrap_or_default()
    )]
    NoHistory {
        /// The pool type asked for.
        pool_type: String,
        /// The release asked for, if any.
        release: Option<String>,
        /// What it knows (types, or the type's releases).
        known: String,
    },

    /// `explain` found no base to compare the template with.
    #[error("no base to explain {subject} against: {reason}")]
    NoBase {
        /// What was to be explained.
        subject: String,
        /// Why there is none, ending with the fix.
        reason: String,
    },

    /// One failure shared by every pool that needed the same thing (the defaults fetch).
    #[error(transparent)]
    Shared(std::sync::Arc<Error>),

    /// The run was interrupted before this pool's write started.
    #[error(
        "interrupted by {signal} before this pool was written; nothing was sent; run poolsync again"
    )]
    Interrupted {
        /// The signal that stopped the run.
        signal: Signal,
    },

    /// Some of several files given to one check failed (each failure was reported above).
    #[error("{failed} of {total} files failed {check}; fix the files named in the errors above")]
    FilesFailed {
        /// What was checked: `validation`, `the trust policy lint`.
        check: &'static str,
        /// How many failed.
        failed: usize,
        /// How many were given.
        total: usize,
    },

    /// One side of `poolsync diff` could not be read.
    #[error("{side} side {spec}: {source}")]
    Side {
        /// `left` or `right`.
        side: &'static str,
        /// The side as given, e.g. `prod:my-pool`.
        spec: String,
        /// Why.
        #[source]
        source: Box<Error>,
    },

    /// A prefect.yaml that cannot be read as one; the message names the line.
    #[error("{}: {message}", path.display())]
    PrefectYaml {
        /// The file.
        path: PathBuf,
        /// What is wrong, where, and how to fix it.
        message: String,
    },

    /// Bad combination of arguments that clap cannot express.
    #[error("{0}")]
    Usage(String),

    /// poolsync understood the command but refuses to act on it, because acting would lose
    /// or misplace data (a rollback over later edits, a backup of another pool or server).
    /// The message says what to do instead.
    #[error("{0}")]
    Refused(String),
}

fn tries_note(tries: u32) -> String {
    match tries {
        0 | 1 => String::new(),
        n => format!(" after {n} tries"),
    }
}

fn list(violations: &[Finding]) -> String {
    violations.iter().map(|v| format!("\n  - {v}")).collect()
}

impl Error {
    /// The same transport failure, noting how many times the request was sent.
    pub(crate) fn after(mut self, sent: u32) -> Error {
        if let Error::Transport { tries, .. } = &mut self {
            *tries = sent;
        }
        self
    }

    /// Writing stdout failed because its reader went away (`poolsync ... | head`): not an
    /// error to report, the run ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The message as shown on a terminal: its own line breaks kept, any control character
    /// or bidi override that came from outside (a path, a name) escaped.
    pub fn shown(&self) -> String {
        poolsync_engine::display::escape_text(&self.to_string()).into_owned()
    }

    /// The process exit code this error maps to (see README, "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            // A setting that cannot work is a usage error whatever is wrong with it.
            Error::Usage(_) | Error::Setting { .. } => crate::exit::USAGE,
            Error::Refused(_) => crate::exit::REFUSED,
            _ => crate::exit::ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_refusal_and_failure_exit_with_their_own_codes() {
        assert_eq!(Error::Usage("u".into()).exit_code(), crate::exit::USAGE);
        assert_eq!(Error::Refused("r".into()).exit_code(), crate::exit::REFUSED);
        assert_eq!(crate::exit::REFUSED, 4);
        assert_eq!(Error::NoBackupDir.exit_code(), crate::exit::ERROR);
        let interrupted = Error::Interrupted {
            signal: Signal::Terminate,
        };
        assert!(
            interrupted
                .to_string()
                .starts_with("interrupted by SIGTERM ")
        );
        assert_eq!(
            serde_json::to_value(Signal::Interrupt).ok(),
            Some(serde_json::json!("SIGINT"))
        );
    }
}
