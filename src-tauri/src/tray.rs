//! The tray icon: green / amber / red from `skiff::health::overall`, a tooltip with each
//! engine's state and counts, and a menu (Show Skiff, Retry all now, Quit).

use skiff::health::{self, Overall};
use skiff::registry::Registry;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

const CONNECTED: &[u8] = include_bytes!("../../icons/tray-connected.png");
const DEGRADED: &[u8] = include_bytes!("../../icons/tray-degraded.png");
const OFFLINE: &[u8] = include_bytes!("../../icons/tray-offline.png");

fn icon(overall: Overall) -> Option<Image<'static>> {
    let bytes = match overall {
        Overall::AllConnected => CONNECTED,
        Overall::Degraded => DEGRADED,
        Overall::NoneConnected => OFFLINE,
    };
    Image::from_bytes(bytes).ok()
}

pub fn install(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let show = MenuItem::with_id(app, "show", "Show Skiff", true, None::<&str>)?;
    let retry = MenuItem::with_id(app, "retry", "Retry all now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &retry, &quit])?;
    let mut builder = TrayIconBuilder::with_id("skiff")
        .menu(&menu)
        .tooltip("Skiff")
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.show();
                    let _ = window.set_focus();
                }
            }
            "retry" => {
                let _ = app.state::<Registry>().retry_now(None);
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(i) = icon(Overall::NoneConnected) {
        builder = builder.icon(i);
    }
    builder.build(app)
}

/// Re-reads the registry and updates the icon and tooltip.
pub fn refresh(app: &AppHandle, registry: &Registry) {
    let Some(tray) = app.tray_by_id("skiff") else {
        return;
    };
    let snapshot = registry.snapshot();
    let _ = tray.set_icon(icon(health::overall(&snapshot.engines)));
    let _ = tray.set_tooltip(Some(health::tooltip(
        &snapshot.engines,
        &snapshot.containers,
    )));
}
