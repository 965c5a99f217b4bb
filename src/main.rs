use clap::Parser;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    quiet_on_closed_pipe();
    two_malloc_arenas();
    let cli = poolsync::cli::Cli::parse();
    match poolsync::run(cli).await {
        Ok(code) => ExitCode::from(code),
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.shown());
            ExitCode::from(error.exit_code())
        }
    }
}

/// Dies of SIGPIPE, silently, when the reader of stdout goes away (`poolsync backups | head`),
/// as coreutils do; Rust ignores SIGPIPE by default, which turns `println!` into a panic.
/// Sockets are unaffected: the standard library sends with `MSG_NOSIGNAL` / `SO_NOSIGPIPE`.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Two malloc arenas (glibc): merges, backups and read-back confirmations run on blocking
/// threads and hand their values to the runtime's thread. An arena per thread keeps each
/// thread's freed memory to itself (80 MiB peak over 2,000 pools instead of 51; over 10,000,
/// 69 MiB with 8 arenas, 63-64 with 3). One arena for all makes the runtime's thread, which
/// sends the PATCHes, wait on its lock while a merge allocates: over the bench's 10,000
/// fake pools, in turn, 33.7-37.6 s with one arena and 57-59 MiB, 29.1-32.9 s with two and
/// 60-63 MiB.
fn two_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before the runtime starts another thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
