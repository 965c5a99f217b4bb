use clap::Parser;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    quiet_on_closed_pipe();
    one_malloc_arena();
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

/// One malloc arena for every thread (glibc): merges, backups and read-back confirmations run
/// on blocking threads and hand their values to the runtime's thread, and an arena per thread
/// keeps each thread's freed memory to itself (80 MiB peak over 2,000 pools instead of 51).
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before the runtime starts another thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
