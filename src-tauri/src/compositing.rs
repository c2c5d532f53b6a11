//! How WebKitGTK draws the page: on the CPU, or composited with OpenGL only while the page
//! holds a terminal (whose renderer is WebGL).
//!
//! WebKitGTK composites every page with OpenGL since 2.40 (policy "always"; the "on demand"
//! policy is now ignored: setting it leaves "always"). For Skiff's page, text in tables, that
//! costs memory and buys nothing a user sees. Measured with 1,000 containers under Xvfb
//! (Mesa's llvmpipe): the web process held 222–239 MiB PSS composited, 136 MiB drawn on the CPU,
//! with the same pixels. A GPU driver's buffers cost the same order of memory.
//!
//! xterm.js's WebGL renderer works either way, but drawn on the CPU each of its frames is read
//! back from the GL context and copied into the page; composited, the compositor shows it as it
//! is. So the page asks for the compositor while a terminal is open (`set_compositing`, counted
//! in `ui/src/lib/ipc/`). Every page load starts without it, so a reload with a terminal open
//! cannot leave it on. A user who sets `WEBKIT_FORCE_COMPOSITING_MODE` or
//! `WEBKIT_DISABLE_COMPOSITING_MODE` keeps what they set.

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::Webview;

/// The environment variables by which a user chooses WebKit's compositing themselves.
#[cfg(target_os = "linux")]
const USER_CHOICE: [&str; 2] = [
    "WEBKIT_FORCE_COMPOSITING_MODE",
    "WEBKIT_DISABLE_COMPOSITING_MODE",
];

/// Every page starts drawn on the CPU.
pub fn on_page_load(webview: &Webview, payload: &PageLoadPayload<'_>) {
    if payload.event() == PageLoadEvent::Started {
        apply(webview, false);
    }
}

/// Composites the page with OpenGL (`on`) or draws it on the CPU. The page turns it on while a
/// terminal is open.
#[tauri::command]
pub fn set_compositing(webview: Webview, on: bool) {
    apply(&webview, on);
}

#[cfg(target_os = "linux")]
fn apply(webview: &Webview, on: bool) {
    if USER_CHOICE.iter().any(|v| std::env::var_os(v).is_some()) {
        return;
    }
    let applied = webview.with_webview(move |platform| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        let policy = if on {
            HardwareAccelerationPolicy::Always
        } else {
            HardwareAccelerationPolicy::Never
        };
        if let Some(settings) = WebViewExt::settings(&platform.inner()) {
            if settings.hardware_acceleration_policy() != policy {
                settings.set_hardware_acceleration_policy(policy);
            }
        }
    });
    if let Err(e) = applied {
        tracing::debug!(error = %e, on, "compositing not changed");
    }
}

/// Other platforms' webviews choose for themselves.
#[cfg(not(target_os = "linux"))]
fn apply(_webview: &Webview, _on: bool) {}
