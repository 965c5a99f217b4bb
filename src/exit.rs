//! Process exit codes, documented in README.md and `--help`.

/// Everything worked; for a dry run, nothing would change.
pub const SUCCESS: u8 = 0;
/// Something failed: a request, a file, or a check that blocked a push.
pub const ERROR: u8 = 1;
/// The command line was wrong.
pub const USAGE: u8 = 2;
/// With `--detailed-exitcode`: the run succeeded and changes are pending (dry run).
pub const CHANGES_PENDING: u8 = 3;
/// The command was understood but refused: acting would lose or misplace data (a
/// rollback over later edits without `--force`, a backup of another pool or server).
pub const REFUSED: u8 = 4;
/// Interrupted by SIGINT (128 + 2): the report so far was printed.
pub const INTERRUPTED: u8 = 130;
/// Interrupted by SIGTERM (128 + 15): the report so far was printed.
pub const TERMINATED: u8 = 143;
