//! Release binaries on Linux keep the line tables their backtraces need, with the debug sections
//! compressed (zlib) at link time; the standard library's backtrace reads them as they are.
//! Debug and test builds are left alone (compressing would only slow their links).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if release && linux {
        println!("cargo:rustc-link-arg-bins=-Wl,--compress-debug-sections=zlib");
    }
}
