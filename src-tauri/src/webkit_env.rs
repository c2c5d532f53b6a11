//! WebKitGTK's environment, set before the first web context reads it: by the app's `main`, and
//! by the empty window `make bench` measures Skiff against (`examples/empty_window.rs` includes
//! this file), so that what Skiff adds is measured over the same WebKit set-up. Nothing here
//! depends on Tauri.

/// Sets WebKitGTK's environment for a light, quick window, leaving alone each variable the user
/// set themselves. Must run first in `main`, before any thread exists (the environment is not
/// thread-safe) and before the first web context reads it. Processes the app starts
/// (`xdg-open` and what it opens) inherit the variables.
///
/// - **The memory pressure monitor, off.** It is a thread of the app's own process (and a
///   handler in the web process) that reads `/proc/meminfo` and the cgroup files every 5 s, one
///   byte per `read`, for the life of the process, window or not. Measured with the empty window
///   (release, 60 s idle, two runs each, 2026-12-05): 26.8 / 27.6 CPU ms a minute with it (the
///   app's process 5.2 / 5.3, the web process 21.5 / 22.2), 2.1 / 2.7 without; the app closed
///   to the tray keeps only the first part. It makes WebKit drop its caches when the whole
///   system runs low on memory; Skiff's page is one small local document whose caches are worth
///   little, so a user loses nothing they would notice.
/// - **Painting on the CPU where there is no GPU** (no DRM render node: a VM, a container, a
///   remote desktop). WebKitGTK paints the page's layers with Skia on the GPU by default; without
///   one, Mesa emulates that GPU on the CPU (llvmpipe), compiling Skia's shaders through LLVM and
///   running them on two threads that take both cores here for ~0.3 s while the first rows are
///   painted. Skia's own CPU painter does the same work directly. Compositing stays on (the
///   layers are still put together with GL, so the list keeps up with its engine; turning
///   compositing off was measured and reverted for that). With a GPU, WebKit's default stays. A
///   user who wants it either way sets `WEBKIT_SKIA_ENABLE_CPU_RENDERING` themselves (`0` keeps
///   the GPU painter).
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
        env.push(("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"));
    }
    env
}

/// Whether a GPU can render: without a DRM render node, Mesa's GL is its software one.
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
    fn cpu_painting_only_without_a_gpu_and_the_monitor_always_off() {
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
                "WEBKIT_SKIA_ENABLE_CPU_RENDERING"
            ]
        );
        assert!(webkit_env(false).iter().all(|(_, value)| *value == "1"));
    }
}
