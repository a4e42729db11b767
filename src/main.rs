//! The `cluster-atlas` binary: parse, set up logging, run, map the result to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cluster_atlas::cli::Cli::parse();
    cluster_atlas::telemetry::init();
    match cluster_atlas::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
