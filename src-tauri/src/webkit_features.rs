//! WebKit features Skiff's page does without, turned off in each webview the app builds (the main
//! window at start, and each time it is shown again from the tray), and in the empty window
//! `make bench` measures Skiff against (`examples/empty_window.rs` includes this file).
//!
//! - **Async overflow scrolling.** With it, WebKitGTK gives every scrollable element of the page
//!   (the container list, the log view, each page's table) a composited layer of its own, tiled
//!   ahead of where it is scrolled, on top of the page's own tiles. Without it the element is
//!   painted into the page's layer like the rest. Measured (release, 1,000 containers on Podman,
//!   the web process's PSS 15 s after start, two runs each, 2026-12-05): 183.1 / 182.4 MiB with
//!   it, 171.2 / 170.5 without. What a user gives up: a scroll is composed on the page's main
//!   thread instead of WebKit's scrolling thread. Skiff's lists are virtual, so each scroll step
//!   renders its rows on that thread anyway; the tests scroll the list with the wheel.
//!
//! WebKitGTK names its features since 2.42 (`webkit_settings_get_all_features`). webkit2gtk-rs
//! 2.0 does not bind that API, so its six functions are looked up in the loaded library at run
//! time: with an older WebKitGTK, or a feature it renamed, nothing changes and the app runs as
//! before. With `trim.rs`'s one call, this is the shell's only `unsafe` code (the workspace
//! denies it everywhere else).
#![allow(unsafe_code)]

#[cfg(target_os = "linux")]
use std::ffi::{c_char, c_int, c_void, CStr};

/// The features turned off, by WebKit's identifier.
#[cfg(target_os = "linux")]
const OFF: &[&str] = &["AsyncOverflowScrolling"];

/// Turns `OFF` off in `window`'s webview settings, on the main thread (where GTK objects live),
/// before its page has laid anything out: the window was just built, and its web process starts
/// after this runs.
pub fn turn_off_unneeded<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    if let Err(e) = window.with_webview(|webview| {
        use webkit2gtk::glib::object::ObjectType;
        use webkit2gtk::WebViewExt;
        let Some(settings) = webview.inner().settings() else {
            return;
        };
        let Some(api) = FeatureApi::load() else {
            tracing::debug!("WebKitGTK before 2.42: its features are left as they are");
            return;
        };
        // SAFETY: `settings` is a live WebKitSettings (held by `settings` for this call).
        let off = unsafe { api.turn_off(settings.as_ptr().cast(), OFF) };
        tracing::debug!(?off, "WebKit features off");
    }) {
        tracing::debug!(error = %e, "the webview's features were left as they are");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// WebKitGTK's feature API (WebKitSettings, WebKitFeatureList, WebKitFeature), from the
/// library the process has loaded. Each field's type is the C signature of its function.
#[cfg(target_os = "linux")]
struct FeatureApi {
    /// `WebKitFeatureList* webkit_settings_get_all_features(void)`: a new reference.
    all: unsafe extern "C" fn() -> *mut c_void,
    /// `gsize webkit_feature_list_get_length(WebKitFeatureList*)`.
    len: unsafe extern "C" fn(*mut c_void) -> usize,
    /// `WebKitFeature* webkit_feature_list_get(WebKitFeatureList*, gsize)`: borrowed from the list.
    get: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
    /// `const char* webkit_feature_get_identifier(WebKitFeature*)`: borrowed from the feature.
    identifier: unsafe extern "C" fn(*mut c_void) -> *const c_char,
    /// `void webkit_settings_set_feature_enabled(WebKitSettings*, WebKitFeature*, gboolean)`.
    set_enabled: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int),
    /// `void webkit_feature_list_unref(WebKitFeatureList*)`.
    unref: unsafe extern "C" fn(*mut c_void),
}

#[cfg(target_os = "linux")]
impl FeatureApi {
    /// The API, if the loaded WebKitGTK has every function of it.
    fn load() -> Option<Self> {
        /// The function `name` of the loaded libraries, as a function pointer of type `F`.
        ///
        /// # Safety
        /// `F` must be the function's own C signature.
        unsafe fn function<F>(name: &CStr) -> Option<F> {
            const { assert!(size_of::<F>() == size_of::<*mut c_void>()) };
            // SAFETY: `name` is NUL-terminated; RTLD_DEFAULT searches the libraries loaded.
            let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            // SAFETY: a function's address, of the size of `F` (asserted above); the caller
            // vouches for the signature.
            (!address.is_null()).then(|| unsafe { std::mem::transmute_copy(&address) })
        }
        // SAFETY: each field's type is the C signature WebKitGTK documents for the function of
        // that name (API reference, "since 2.42").
        unsafe {
            Some(Self {
                all: function(c"webkit_settings_get_all_features")?,
                len: function(c"webkit_feature_list_get_length")?,
                get: function(c"webkit_feature_list_get")?,
                identifier: function(c"webkit_feature_get_identifier")?,
                set_enabled: function(c"webkit_settings_set_feature_enabled")?,
                unref: function(c"webkit_feature_list_unref")?,
            })
        }
    }

    /// Turns off each feature of `names` the library has, in `settings`; returns those it turned
    /// off.
    ///
    /// # Safety
    /// `settings` must be a live `WebKitSettings*`, used on the GTK main thread.
    unsafe fn turn_off(&self, settings: *mut c_void, names: &[&str]) -> Vec<String> {
        let mut off = Vec::new();
        let list = (self.all)();
        if list.is_null() {
            return off;
        }
        for i in 0..(self.len)(list) {
            let feature = (self.get)(list, i);
            if feature.is_null() {
                continue;
            }
            let name = (self.identifier)(feature);
            if name.is_null() {
                continue;
            }
            let name = CStr::from_ptr(name).to_string_lossy();
            if names.contains(&name.as_ref()) {
                (self.set_enabled)(settings, feature, 0);
                off.push(name.into_owned());
            }
        }
        (self.unref)(list);
        off
    }
}
