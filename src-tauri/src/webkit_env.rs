//! WebKitGTK's environment, set before the first web context reads it: by the app's `main`,
//! and by the empty window `make bench` measures Skiff against
//! (`examples/empty_window.rs`, which includes this file), so that what Skiff adds is measured
//! over the same WebKit set-up. Nothing here depends on Tauri.

/// Sets WebKitGTK's environment for a light window, leaving alone each variable the user set
/// themselves. Must run first in `main`, before any thread exists (the environment is not
/// thread-safe) and before the first web context reads it. Processes the app starts (`xdg-open`
/// and what it opens) inherit the variables.
///
/// - **The memory pressure monitor, off.** It is a thread of the app's own process (and a
///   handler in the web process) that reads `/proc/meminfo` and the cgroup files every 5 s, one
///   byte per `read`, for the life of the process, window or not: 4.6 CPU ms a minute, a third
///   of what the app cost closed to the tray. It makes WebKit drop its caches when the whole
///   system runs low on memory; Skiff's page is one small local document whose caches are worth
///   little, so a user loses nothing they would notice.
/// - **Compositing, off where there is no GPU** (no DRM render node: a VM, a container, a
///   remote desktop). WebKit then composites the page with Mesa's software GL (llvmpipe), which
///   maps LLVM and keeps GL buffers for each layer: measured with 1,000 containers, the web
///   process took 227 MiB PSS composited and 128 MiB not (the empty window of `make bench`: 150
///   and 91), the cold start was the same (median 724–890 vs 810–849 ms to the first rows, 6
///   starts each), and 10k rows were painted ~40 ms later after a reload. With a GPU, WebKit's
///   own default stays. A user who wants it either way sets `WEBKIT_DISABLE_COMPOSITING_MODE`
///   themselves (`0` keeps compositing).
#[cfg(target_os = "linux")]
pub fn set_up() {
    for (name, value) in webkit_env(has_gpu()) {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set_up() {}

/// The variables `set_up` sets when the user has not, for a machine with or without a GPU.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn webkit_env(gpu: bool) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![("WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR", "1")];
    if !gpu {
        env.push(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"));
    }
    env
}

/// Whether a GPU can render: Mesa falls back to software GL when there is no DRM render node.
#[cfg(target_os = "linux")]
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|nodes| {
        nodes
            .flatten()
            .any(|node| node.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::webkit_env;

    #[test]
    fn compositing_is_turned_off_only_without_a_gpu_and_the_monitor_always() {
        let names = |gpu| {
            webkit_env(gpu)
                .into_iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(true), ["WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR"]);
        assert_eq!(
            names(false),
            [
                "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR",
                "WEBKIT_DISABLE_COMPOSITING_MODE"
            ]
        );
        assert!(webkit_env(false).iter().all(|(_, value)| *value == "1"));
    }
}
