use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: see BENCHMARKS.md ("Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cartnudge::cli::parse();
    let (quiet, json) = (cli.quiet, cli.wants_json());
    let code = match cartnudge::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let code = cartnudge::exit_code_for(&err);
            if cartnudge::should_print(&err, quiet) {
                if json {
                    // Wrappers asked for JSON: the error is one JSON object on stderr.
                    let obj =
                        serde_json::json!({"error": format!("{err:#}"), "exit_code": code.code()});
                    eprintln!("{obj}");
                } else {
                    eprintln!("cartnudge: {err:#}");
                }
            }
            code
        }
    };
    ExitCode::from(code.code() as u8)
}
