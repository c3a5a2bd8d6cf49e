//! The `medcode` command-line tool; all logic lives in the library.

fn main() -> std::process::ExitCode {
    medcode::cli::main()
}
