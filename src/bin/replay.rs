//! Replays scenario scripts (docs/scenarios.md) against cpm-pf.
//!
//! ```text
//! cargo run --features cli --bin replay -- FILE...          print each script's trace
//! cargo run --features cli --bin replay -- --check FILE...  compare each script with its expectations
//! cargo run --features cli --bin replay -- --help           usage, options and exit codes
//! ```
//!
//! Exit codes: 0 all passed, 1 a step differed, 2 a script error, an unreadable file or bad
//! usage. All the work is done by [`cpm_pf::script::replay`].

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = cpm_pf::script::replay(&args, &mut stdout.lock(), &mut stderr.lock());
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
