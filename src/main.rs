use clap::Parser;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    quiet_on_closed_pipe();
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
