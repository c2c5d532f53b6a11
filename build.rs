//! Build info for `skiff --version` and the About page: the commit Skiff was built from
//! (`unknown` outside a git checkout, e.g. from a source tarball).

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
    println!("cargo:rustc-env=SKIFF_COMMIT={commit}");
    // A commit or a checkout moves HEAD's log; nothing else needs a rerun.
    println!("cargo:rerun-if-changed=.git/logs/HEAD");
    println!("cargo:rerun-if-changed=build.rs");
}
