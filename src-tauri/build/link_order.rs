//! Laying out the code a start runs: release builds of the app hand `link-order.txt` (made by
//! `scripts/link-order.sh` from an instrumented start) to the linker, which puts those functions
//! side by side at the front of `.text`. A start then faults in ~7 MiB of the binary's code
//! instead of ~14: the kernel reads 64 KiB around every first touch, and unordered, the ~2,300
//! functions a start runs are spread over all 18 MB of code (measured: docs/benchmarks.md).
//!
//! Only lld reads an ordering file (`--symbol-ordering-file`); GNU ld, the default before Rust
//! 1.90, has no such option, and macOS's and Windows' linkers take other ones. So the option is
//! tried on a tiny program first with the target's own linker and flags, and left out (with a
//! warning) where that link fails: the app then builds as before, only without the layout.
//!
//! A name the list holds and the binary lacks (a function renamed, a dependency upgraded: the
//! names carry hashes) is skipped silently (`--no-warn-symbol-ordering`): a stale list only loses
//! its effect, never breaks a build. `SKIFF_LINK_ORDER=0` leaves it out, for A/B measurements.
//!
//! That loss is checked where the package is built: `scripts/bundle.sh` sets `SKIFF_LINK_MAP` to
//! a path, and the linker writes its map of the app there (every input section and symbol by
//! name); `scripts/link-order-check.sh` counts the list's names the map holds, since the
//! package's own binary is stripped of them.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn apply(bin: &str) {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=SKIFF_LINK_ORDER");
    println!("cargo:rerun-if-env-changed=SKIFF_LINK_MAP");
    // Debug builds are not what users run, and their names differ from release ones anyway.
    if env::var("PROFILE").as_deref() != Ok("release")
        || env::var("SKIFF_LINK_ORDER").as_deref() == Ok("0")
        || env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux")
    {
        return;
    }
    let list = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("link-order.txt");
    if !list.is_file() {
        return;
    }
    let args = [
        format!("-Wl,--symbol-ordering-file={}", list.display()),
        "-Wl,--no-warn-symbol-ordering".to_owned(),
    ];
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it"));
    match probe(&out, &args) {
        Ok(()) => {
            for arg in args {
                println!("cargo:rustc-link-arg-bin={bin}={arg}");
            }
            // Written only when asked: the map of the whole app is ~20 MB.
            if let Some(map) = env::var_os("SKIFF_LINK_MAP").filter(|m| !m.is_empty()) {
                let map = map.to_string_lossy();
                println!("cargo:rustc-link-arg-bin={bin}=-Wl,--Map={map}");
            }
        }
        Err(why) => println!(
            "cargo:warning=link-order.txt not used (the linker is not lld?): {why}; the app builds \
             without it, with ~7 MiB more of its code resident"
        ),
    }
}

/// Why the linker cannot be given the list.
enum Unusable {
    /// The probe could not be written or rustc not run.
    Io(&'static str, std::io::Error),
    /// The probe's link failed: the linker's complaint.
    Refused(String),
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unusable::Io(what, e) => write!(f, "{what}: {e}"),
            Unusable::Refused(why) => f.write_str(why),
        }
    }
}

/// Links an empty program with `args` the way this build links: same rustc, target, linker and
/// flags. Takes ~0.2 s, once per release build of this crate.
fn probe(out: &Path, args: &[String]) -> Result<(), Unusable> {
    let src = out.join("link_order_probe.rs");
    std::fs::write(&src, "fn main() {}\n").map_err(|e| Unusable::Io("writing the probe", e))?;
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let mut cmd = Command::new(rustc);
    cmd.arg("--edition=2021")
        .arg("--crate-type=bin")
        .arg("--target")
        .arg(env::var("TARGET").expect("cargo sets it"))
        .arg("-o")
        .arg(out.join("link_order_probe"))
        .arg(&src);
    if let Ok(linker) = env::var("RUSTC_LINKER") {
        cmd.arg("-C").arg(format!("linker={linker}"));
    }
    // The flags this build passes rustc (RUSTFLAGS, config's rustflags): a `-C linker-flavor` or
    // `-C link-arg=-fuse-ld=…` there decides which linker runs.
    if let Ok(flags) = env::var("CARGO_ENCODED_RUSTFLAGS") {
        cmd.args(flags.split('\x1f').filter(|f| !f.is_empty()));
    }
    for arg in args {
        cmd.arg("-C").arg(format!("link-arg={arg}"));
    }
    let output = cmd.output().map_err(|e| Unusable::Io("running rustc", e))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The linker's own complaint (GNU ld: "unrecognized option '--symbol-ordering-file=…'"), not
    // rustc's echo of the whole command line.
    let why = stderr
        .lines()
        .map(|l| l.trim().trim_start_matches("= note:").trim())
        .filter(|l| !l.starts_with('"'))
        .find(|l| {
            ["unrecognized", "unknown option", "unknown argument"]
                .iter()
                .any(|w| l.contains(w))
        })
        .or_else(|| stderr.lines().find(|l| l.starts_with("error")))
        .unwrap_or("the probe's link failed");
    Err(Unusable::Refused(why.to_owned()))
}
