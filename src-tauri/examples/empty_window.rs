//! The baseline for Skiff's memory and idle figures (`benches/ui/idle.mjs`): an empty Tauri 2
//! window, built with the desktop app's own dependencies, features and release profile, so that
//! what Skiff adds is measured apart from what WebKit and Tauri cost in any app.
//!
//! It shows a one-line page in a window of Skiff's size: no UI, no core, no tray. It sets up
//! WebKit's environment and features as the app does (`src/webkit_env.rs`,
//! `src/webkit_features.rs`).

// The app's WebKit set-up, the same file: the baseline is WebKit as Skiff runs it.
#[path = "../src/webkit_env.rs"]
mod webkit_env;
// And its webview features.
#[path = "../src/webkit_features.rs"]
mod webkit_features;

fn main() {
    webkit_env::set_up();
    let mut context = tauri::generate_context!();
    // Skiff's configured window would load Skiff's UI: this one opens its own instead.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        // A page of its own, served as Skiff's UI is (a custom protocol): not `about:blank`, which
        // WebKit shows without a web process, the process that is most of what a window costs.
        .register_uri_scheme_protocol("empty", |_ctx, _request| {
            tauri::http::Response::builder()
                .header("content-type", "text/html")
                .body(b"<!doctype html><title>Empty</title><p>Empty</p>".to_vec())
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
