use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cartnudge::cli::parse();
    let quiet = cli.quiet;
    let code = match cartnudge::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if cartnudge::should_print(&err, quiet) {
                eprintln!("cartnudge: {err:#}");
            }
            cartnudge::exit_code_for(&err)
        }
    };
    ExitCode::from(code.code() as u8)
}
