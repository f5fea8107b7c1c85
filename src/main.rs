fn main() -> std::process::ExitCode {
    kestra_fix::cli::run()
}
