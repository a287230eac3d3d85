#![deny(unsafe_code)]

/// mimalloc for every allocation in the process: Rust's, and (through the crate's
/// `override` feature) SQLite's malloc and free too. glibc's malloc cost about a fifth
/// of an import's CPU (bench/README.md, optimisation log).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h, v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// How long freed pages stay with the process before they go back to the OS, in ms.
/// mimalloc v3 waits 1 s; after a burst of bulk upserts that left ~15 MB more resident
/// than needed (M1 in bench/README.md). 10 ms (mimalloc v2's default) cost S2's PUTs
/// ~15% in madvise and page faults; 100 ms did not (bench/README.md, log 23).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

fn main() -> std::process::ExitCode {
    purrlist::cli::main(return_freed_memory_sooner)
}

/// Sets mimalloc's purge delay for `purrlist serve` (a command such as `import` is short
/// and keeps v3's delay: returning pages at once cost it more system time). The
/// environment's `MIMALLOC_PURGE_DELAY` still wins: this only runs when it is unset.
#[allow(unsafe_code)]
fn return_freed_memory_sooner() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set only stores a number in mimalloc's option table. It is not
    // thread safe, and `cli::main` calls this before any other thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}
