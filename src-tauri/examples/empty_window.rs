//! The baseline for Skiff's memory and idle figures (`benches/ui/idle.mjs`): an empty Tauri 2
//! window, built with the desktop app's own dependencies, features and release profile, so that
//! what Skiff adds is measured apart from what WebKit and Tauri cost in any app.
//!
//! It shows a one-line page in a window of Skiff's size: no UI, no core, no tray. It sets up
//! WebKit's environment and features as the app does (`src/webkit_env.rs`,
//! `src/webkit_features.rs`).
//!
//! `SKIFF_EMPTY_WINDOW_REPAINTS=N`: the page changes its line N times, 500 ms apart (its own
//! script, no IPC). From its second frame on, WebKit holds a second shared paint buffer and more
//! of the web process's own memory: ~10 MiB PSS here. The plain page paints that second frame in
//! some starts and not in others, so its PSS moves by that much from start to start; one that
//! repaints on purpose does not, and every real app repaints. `benches/ui/idle.mjs` measures both.

// The app's WebKit set-up, the same file: the baseline is WebKit as Skiff runs it.
#[path = "../src/webkit_env.rs"]
mod webkit_env;
// And its webview features.
#[path = "../src/webkit_features.rs"]
mod webkit_features;

fn main() {
    webkit_env::set_up();
    let repaints: u32 = match std::env::var("SKIFF_EMPTY_WINDOW_REPAINTS") {
        Ok(n) => n.parse().expect("SKIFF_EMPTY_WINDOW_REPAINTS is a count"),
        Err(_) => 0,
    };
    let page = page(repaints);
    let mut context = tauri::generate_context!();
    // Skiff's configured window would load Skiff's UI: this one opens its own instead.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        // A page of its own, served as Skiff's UI is (a custom protocol): not `about:blank`, which
        // WebKit shows without a web process, the process that is most of what a window costs.
        .register_uri_scheme_protocol("empty", move |_ctx, _request| {
            tauri::http::Response::builder()
                .header("content-type", "text/html")
                .body(page.clone().into_bytes())
                .expect("a static response")
        })
        .setup(|app| {
            let page = tauri::WebviewUrl::External("empty://localhost/".parse()?);
            let window = tauri::WebviewWindowBuilder::new(app, "main", page)
                .title("Empty")
                .inner_size(1180.0, 760.0)
                .build()?;
            webkit_features::turn_off_unneeded(&window);
            Ok(())
        })
        .run(context)
        .expect("the empty window runs");
}

/// The page: one line, which its script changes `repaints` times, 500 ms apart.
fn page(repaints: u32) -> String {
    let page = "<!doctype html><title>Empty</title><p>Empty</p>";
    if repaints == 0 {
        return page.to_owned();
    }
    format!(
        "{page}<script>let n = 0; const t = setInterval(() => {{ \
         document.querySelector('p').textContent = `Empty ${{++n}}`; \
         if (n >= {repaints}) clearInterval(t); }}, 500);</script>"
    )
}
