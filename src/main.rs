#![forbid(unsafe_code)]

/// mimalloc for every allocation in the process: Rust's, and (through the crate's
/// `override` feature) SQLite's malloc and free too. glibc's malloc cost about a fifth
/// of an import's CPU (bench/README.md, optimisation log).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    purrlist::cli::main()
}
