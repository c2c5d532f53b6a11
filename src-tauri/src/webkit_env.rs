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
/// - **JavaScriptCore's optimizing tier (DFG) for code that runs a lot**, not for code that runs a
///   little. By default a function or loop is compiled again by the DFG JIT once its execution
///   count reaches ~1,000 (a loop over 1,000 rows, once); here at 100,000, a count that code which
///   keeps running still reaches soon (a `cat` in the terminal, a sort of every row after each
///   change at 10k rows). What the page does once or now and then stays in the baseline JIT,
///   without the DFG's compiled code and its compiler's memory. Measured (release, 1,000 containers
///   on Podman, read 20 s after start, three starts of each in turn, 2026-12-06): the app 295.8 →
///   291.3 MiB PSS (the DFG tier off altogether: 290.9; at 10,000: 294.4), and with a fresh link
///   order 290.7 → 285.9; the terminal's 20 MB `cat` 2.30 → 2.55 s (medians of 6 runs; the DFG off:
///   ~3×); the 10k snapshot and event → pixel the same within their noise. A user's own `JSC_`
///   setting wins. `docs/benchmarks.md` has the runs.
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

/// The execution count after which JavaScriptCore's DFG JIT compiles a function or loop
/// (100 times its default of 1,000).
const DFG_AFTER: &str = "100000";

/// The variables `set_up` sets when the user has not, for a machine with or without a GPU.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn webkit_env(gpu: bool) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![("WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR", "1")];
    // Each of the counts after which the DFG JIT compiles (JavaScriptCore reads `JSC_<option>`).
    for option in [
        "JSC_thresholdForOptimizeAfterWarmUp",
        "JSC_thresholdForOptimizeAfterLongWarmUp",
        "JSC_thresholdForOptimizeSoon",
    ] {
        env.push((option, DFG_AFTER));
    }
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

    fn names(gpu: bool) -> Vec<&'static str> {
        webkit_env(gpu).into_iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn cpu_painting_only_without_a_gpu_and_the_monitor_always_off() {
        assert!(!names(true).contains(&"WEBKIT_SKIA_ENABLE_CPU_RENDERING"));
        assert!(names(false).contains(&"WEBKIT_SKIA_ENABLE_CPU_RENDERING"));
        for gpu in [true, false] {
            assert_eq!(names(gpu)[0], "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR");
            assert!(webkit_env(gpu)
                .iter()
                .filter(|(name, _)| name.starts_with("WEBKIT_"))
                .all(|(_, value)| *value == "1"));
        }
    }

    #[test]
    fn the_dfg_tier_comes_after_100_times_its_default_count_either_way() {
        for gpu in [true, false] {
            let jsc: Vec<_> = webkit_env(gpu)
                .into_iter()
                .filter(|(name, _)| name.starts_with("JSC_"))
                .collect();
            assert_eq!(
                jsc,
                [
                    ("JSC_thresholdForOptimizeAfterWarmUp", "100000"),
                    ("JSC_thresholdForOptimizeAfterLongWarmUp", "100000"),
                    ("JSC_thresholdForOptimizeSoon", "100000"),
                ]
            );
        }
    }
}
