#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    purrlist::cli::main()
}
