//! The tray icon: green / amber / red from `skiff::health::overall`, a tooltip with each
//! engine's state and counts, and a menu (the state in words, Show Skiff, Retry all now, Quit).
//!
//! Platform differences (the only `cfg` here):
//! - Linux: the tray is an AppIndicator (libayatana), which has no tooltips and sends no click
//!   events: every click opens the menu. The menu's first line carries the state instead.
//! - macOS and Windows: a left click shows the window (what users of Docker Desktop expect), a
//!   right click opens the menu; the tooltip lists each engine.

use skiff::health::{self, Overall};
use skiff::registry::{Consumer, Feed, Handled, Registry};
use skiff::shutdown::Shutdown;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
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

/// The menu's first, disabled line; kept in the app state so [`refresh`] can rewrite it.
struct StatusLine(MenuItem<tauri::Wry>);

/// The menu's line for the last container alert (opens the window's Alerts page).
struct AlertLine(MenuItem<tauri::Wry>);

/// The tray icon's id.
pub const ID: &str = "skiff";

pub fn install(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let status = MenuItem::with_id(app, "status", health::summary(&[]), false, None::<&str>)?;
    let alert = MenuItem::with_id(app, "alert", "No container alerts", false, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let show = MenuItem::with_id(app, "show", "Show Skiff", true, None::<&str>)?;
    let retry = MenuItem::with_id(app, "retry", "Retry all now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&status, &alert, &separator, &show, &retry, &quit])?;
    let mut builder = TrayIconBuilder::with_id(ID)
        .menu(&menu)
        .tooltip("Skiff")
        .on_menu_event(|app, event| match event.id().as_ref() {
            // The alert line opens the window (its Alerts are on the Health page).
            "show" | "alert" => crate::window::show(app),
            "retry" => {
                let _ = app.state::<Registry>().retry_now(None);
            }
            "quit" => app.exit(0),
            _ => {}
        });
    #[cfg(not(target_os = "linux"))]
    {
        use tauri::tray::{MouseButton, MouseButtonState, TrayIconEvent};
        builder = builder
            .show_menu_on_left_click(false)
            .on_tray_icon_event(|tray, event| {
                if let TrayIconEvent::Click {
                    button: MouseButton::Left,
                    button_state: MouseButtonState::Up,
                    ..
                } = event
                {
                    crate::window::show(tray.app_handle());
                }
            });
    }
    if let Some(i) = icon(Overall::NoneConnected) {
        builder = builder.icon(i);
    }
    let tray = builder.build(app)?;
    app.manage(StatusLine(status));
    app.manage(AlertLine(alert));
    // An alert raised before the line existed (the crash watch's first relist can come while
    // `setup` still builds the window) found nothing to write: read once the line is there, so
    // an alert is either kept here or sent to the line, never neither.
    if let Some(last) = app.try_state::<Registry>().and_then(|r| r.alerts().pop()) {
        show_alert(app, &last);
    }
    Ok(tray)
}

/// Keeps the tray in step with the registry, as the `tray` handler, until `shutdown`.
///
/// The tooltip's counts change with every container change, but repainting the tray per event
/// would cost a snapshot each: a change arms a one-second timer, and the repaint it brings covers
/// every change of that second; engine state changes (the icon colour) repaint it at once.
///
/// Subscribes at once (before the future is first polled). The first repaint is `setup`'s, once
/// the tray is installed.
pub fn follow(
    app: AppHandle,
    registry: &Registry,
    shutdown: &Shutdown,
) -> impl std::future::Future<Output = ()> + Send {
    let consuming = registry.consume(
        "tray",
        shutdown.clone(),
        Tray {
            app,
            registry: registry.clone(),
            dirty: false,
        },
    );
    async move {
        let Ok(()) = consuming.await;
    }
}

/// The `tray` consumer.
struct Tray {
    app: AppHandle,
    registry: Registry,
    /// Containers changed since the last repaint.
    dirty: bool,
}

impl Consumer for Tray {
    type Error = std::convert::Infallible;

    fn handle(&mut self, feed: Feed) -> Result<Handled, Self::Error> {
        match feed {
            Feed::Engine(_) | Feed::Resync { .. } => refresh(&self.app, &self.registry),
            Feed::Object(_) => {}
            Feed::Alert(alert) => show_alert(&self.app, &alert),
            Feed::Delta(_) => self.dirty = true,
        }
        Ok(Handled::Ok)
    }

    /// Armed by the first change after a repaint: an idle app has no tray timer at all.
    fn tick_every(&self) -> Option<std::time::Duration> {
        self.dirty.then_some(std::time::Duration::from_secs(1))
    }

    fn tick(&mut self) -> Result<Handled, Self::Error> {
        if std::mem::take(&mut self.dirty) {
            refresh(&self.app, &self.registry);
        }
        Ok(Handled::Ok)
    }
}

/// The menu's alert line says `alert`.
fn show_alert(app: &AppHandle, alert: &skiff::registry::ContainerAlert) {
    if let Some(line) = app.try_state::<AlertLine>() {
        let _ = line.0.set_text(skiff::crash_watch::words::line(alert));
        let _ = line.0.set_enabled(true);
    }
}

/// Re-reads the registry and updates the icon and tooltip.
pub fn refresh(app: &AppHandle, registry: &Registry) {
    let Some(tray) = app.tray_by_id(ID) else {
        return;
    };
    let snapshot = registry.snapshot();
    let _ = tray.set_icon(icon(health::overall(&snapshot.engines)));
    if let Some(line) = app.try_state::<StatusLine>() {
        let _ = line.0.set_text(health::summary(&snapshot.engines));
    }
    let _ = tray.set_tooltip(Some(health::tooltip(
        &snapshot.engines,
        &snapshot.containers,
    )));
}
