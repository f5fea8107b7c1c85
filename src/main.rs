// The run is allocation-heavy (trees, decoded values, candidate fixes per
// round) and glibc's allocator showed as a quarter of a profile; mimalloc
// measured faster (see README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kestra_fix::cli::run()
}
