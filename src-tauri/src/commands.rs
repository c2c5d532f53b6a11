//! Tauri commands: validate arguments, call the core, return generated IPC types.
//!
//! Every argument from the webview is treated as hostile: engine ids must name a watched
//! engine, container ids must be hex, and errors come back typed (`{kind, message}`).

use skiff::ipc::order::NameOrder;
use skiff::ipc::wire;
use skiff::ipc::IpcError;
use skiff::registry::{Action, ActionError, ActionOutcome, Registry};
use tauri::State;

use skiff::settings::Settings;
use skiff::telemetry::{TelemetryReport, TelemetrySwitch};

use crate::prepared::Prepared;
use crate::trim::Trimmer;

/// The whole registry, for first paint, reloads and after a gap in deltas: sent to the page
/// that asked as a script its receiver takes, with the page's `token` (`skiff::ipc::wire`
/// says why not as this command's response). With `places`, the page's name order
/// (`skiff::ipc::order`), the rows come by name in it: the list's default order.
///
/// On the command thread pool, not the main thread (where sync commands run): copying and
/// serializing 10k rows takes milliseconds the main thread needs for painting, above all while
/// the window starts. The JSON is written once, from the stores, or was written while the page
/// loaded and is sent when it still holds (`crate::prepared`).
#[tauri::command(async)]
pub fn snapshot<R: tauri::Runtime>(
    webview: tauri::Webview<R>,
    registry: State<'_, Registry>,
    trimmer: State<'_, Trimmer>,
    prepared: State<'_, Prepared>,
    token: u32,
    places: Option<Vec<u8>>,
) -> Result<(), IpcError> {
    let order = places
        .map(|p| NameOrder::new(&p))
        .transpose()
        .map_err(|e| IpcError::invalid_argument(e.to_string()))?;
    let ready = prepared.take(order.as_ref());
    let script = wire::snapshot_script(&registry, token, order.as_ref(), ready)
        .map_err(|e| IpcError::unavailable(format!("the snapshot could not be written: {e}")))?;
    let sent = webview.eval(script).map_err(|e| {
        IpcError::unavailable(format!("the snapshot could not be sent to the window: {e}"))
    });
    trimmer.poke();
    sent
}

/// "Retry now": skips the reconnect timer of one engine, or of all with `null`.
#[tauri::command]
pub fn retry_now(registry: State<'_, Registry>, engine: Option<String>) -> Result<usize, IpcError> {
    if let Some(e) = &engine {
        known_engine(&registry, e)?;
    }
    Ok(registry.retry_now(engine.as_deref()))
}

/// Runs an action and resolves once the engine confirmed it.
#[tauri::command]
pub async fn container_action(
    registry: State<'_, Registry>,
    telemetry: State<'_, TelemetrySwitch>,
    engine: String,
    id: String,
    action: Action,
    force: Option<bool>,
) -> Result<ActionOutcome, ActionError> {
    known_engine(&registry, &engine).map_err(|e| ActionError {
        kind: skiff::registry::ActionErrorKind::NotFound,
        message: e.message,
    })?;
    container_id(&id).map_err(|e| ActionError {
        kind: skiff::registry::ActionErrorKind::Invalid,
        message: e.message,
    })?;
    let result = registry
        .act(&engine, &id, action, force.unwrap_or(false))
        .await;
    if let Err(e) = &result {
        // Low cardinality only: which action, which class of failure. Never the container.
        telemetry.handle().record(
            "action_failed",
            serde_json::json!({"action": action, "kind": e.kind}),
        );
    }
    result
}

/// Container ids are hex; pod uids are hex with dashes (an RFC 4122 UUID).
pub(crate) fn container_id(id: &str) -> Result<(), IpcError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(IpcError::invalid_argument(
            "container id must be 1 to 64 hexadecimal characters (a pod uid may have dashes)",
        ));
    }
    Ok(())
}

pub(crate) fn known_engine(registry: &Registry, engine: &str) -> Result<(), IpcError> {
    if registry.engine_ids().iter().any(|e| e == engine) {
        Ok(())
    } else {
        Err(IpcError::invalid_argument(format!(
            "unknown engine {:?}",
            engine.chars().take(64).collect::<String>()
        )))
    }
}

/// The health report (engines, handlers, telemetry counters, this process).
#[tauri::command]
pub fn ping(
    registry: State<'_, Registry>,
    telemetry: State<'_, TelemetrySwitch>,
    probe: State<'_, parking_lot::Mutex<skiff::health::ProcessProbe>>,
) -> skiff::health::PingReport {
    skiff::health::ping(&registry, &telemetry.handle(), &mut probe.lock())
}

/// What telemetry recorded, queued and sent, and the consent.
#[tauri::command]
pub fn telemetry_report(
    telemetry: State<'_, TelemetrySwitch>,
) -> Result<TelemetryReport, IpcError> {
    Ok(telemetry.report()?)
}

/// The consent switch (the first-run banner and the Telemetry page).
#[tauri::command]
pub fn set_telemetry_consent(
    telemetry: State<'_, TelemetrySwitch>,
    enabled: bool,
) -> Result<(), IpcError> {
    Ok(telemetry.set_consent(enabled)?)
}

/// "Delete queued events" on the Telemetry page (with consent on or off).
#[tauri::command]
pub fn clear_telemetry_queue(telemetry: State<'_, TelemetrySwitch>) -> Result<(), IpcError> {
    Ok(telemetry.clear_queued()?)
}

/// The container alerts kept (oldest first), for the Alerts page.
#[tauri::command]
pub fn container_alerts(registry: State<'_, Registry>) -> Vec<skiff::registry::ContainerAlert> {
    registry.alerts()
}

/// Empties the Alerts page's list.
#[tauri::command]
pub fn clear_container_alerts(registry: State<'_, Registry>) {
    registry.clear_alerts();
}

/// Recent alerts (shown as notifications or not), newest first, for the Health page.
#[tauri::command]
pub fn recent_alerts(
    notifications: State<'_, crate::notifications::Notifications>,
) -> Vec<skiff::health::alerts::AlertRecord> {
    notifications.recent()
}

/// The shared `settings.json` (the CLI reads the same file).
#[tauri::command]
pub fn get_settings() -> Result<Settings, IpcError> {
    Ok(Settings::load()?)
}

/// Validates and saves the Settings page. Notifications switch at once; endpoints and backoff
/// apply at the next start (the page says so).
#[tauri::command]
pub fn save_settings(
    notifications: State<'_, crate::notifications::Notifications>,
    logging: State<'_, skiff::logs::Logging>,
    settings: Settings,
) -> Result<Settings, IpcError> {
    settings.validate()?;
    let merged = Settings::update(|current| *current = current.clone().with_edit(settings))?;
    notifications.set_enabled(merged.notifications);
    logging.set_level(merged.log_level)?;
    Ok(merged)
}

/// The Docker contexts and Podman connections this user has, and whether each is watched under
/// the saved settings, for the Settings page's switches.
#[tauri::command]
pub fn tool_engines() -> Result<Vec<skiff::engine::configured::ToolEngine>, IpcError> {
    let settings = Settings::load()?;
    let dirs = skiff::engine::discovery::DiscoveryContext::current().tools;
    Ok(skiff::engine::configured::tool_engines(
        &dirs,
        &settings.tool_engines,
    ))
}

/// "Choose…" next to the kubeconfig on the Settings page: a native file dialog, opened here, so
/// that the path Skiff will read credentials from is one the user picked, never one a page sent.
/// Saves the choice and returns it; `None` when the user cancelled.
#[tauri::command]
pub async fn choose_kubeconfig(app: tauri::AppHandle) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Choose a kubeconfig file")
        .pick_file(move |picked| {
            let _ = tx.send(picked);
        });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| IpcError::invalid_argument(format!("not a local file: {e}")))?;
    let path = path.display().to_string();
    Settings::update(|s| s.kubernetes.kubeconfig = Some(path.clone()))?;
    Ok(Some(path))
}

/// "Use the default" next to the kubeconfig: back to `$KUBECONFIG`, then `~/.kube/config`.
#[tauri::command]
pub fn reset_kubeconfig() -> Result<(), IpcError> {
    Settings::update(|s| s.kubernetes.kubeconfig = None)?;
    Ok(())
}

/// The folder holding the log files, for the About page (`None`: logging to stderr only).
#[tauri::command]
pub fn log_folder(logging: State<'_, skiff::logs::Logging>) -> Option<String> {
    logging.dir().map(|d| d.display().to_string())
}

/// Opens the log folder in the platform's file manager. The path is Skiff's own, never one
/// from the webview.
#[tauri::command]
pub fn open_log_folder(logging: State<'_, skiff::logs::Logging>) -> Result<(), IpcError> {
    let dir = logging
        .dir()
        .ok_or_else(|| IpcError::unavailable("Skiff is logging to stderr only (no log folder)"))?;
    tauri_plugin_opener::open_path(dir, None::<&str>)
        .map_err(|e| IpcError::unavailable(format!("cannot open {}: {e}", dir.display())))
}

/// Opens a port a container publishes in the browser (`http://localhost:PORT`). Only a port the
/// registry's row publishes: the window cannot make Skiff open an arbitrary URL.
#[tauri::command]
pub fn open_port(
    registry: State<'_, Registry>,
    engine: String,
    id: String,
    port: u16,
) -> Result<(), IpcError> {
    let url = registry
        .container(&engine, &id)
        .and_then(|c| c.published_url(port))
        .ok_or_else(|| {
            IpcError::invalid_argument(format!("{engine}/{id} publishes no port {port}"))
        })?;
    tauri_plugin_opener::open_url(&url, None::<&str>)
        .map_err(|e| IpcError::unavailable(format!("cannot open {url}: {e}")))
}

/// Version and build of this Skiff, for the About page.
#[tauri::command]
pub fn build_info() -> skiff::build_info::BuildInfo {
    skiff::build_info::current()
}

/// Whether the "Start Podman" remedy can be offered.
#[tauri::command]
pub fn podman_setup() -> skiff::engine::podman_service::PodmanSetup {
    skiff::engine::podman_service::setup()
}

/// Starts a user Podman service and watches it; returns the engine id.
#[tauri::command]
pub async fn start_podman(runtime: State<'_, crate::EngineRuntime>) -> Result<String, IpcError> {
    use skiff::engine::podman_service;
    let _one_at_a_time = runtime.podman_start.lock().await;
    let socket = podman_service::socket_path()?;
    let log = skiff::settings::data_dir()?.join("podman-service.log");
    podman_service::start(&socket, &log, std::time::Duration::from_secs(20)).await?;
    Ok(runtime
        .core
        .ensure_watched(skiff::engine::Endpoint::Unix(socket), "podman"))
}

/// The commands through Tauri's mock runtime: the same IPC path as the window (argument
/// deserialization, state injection, typed errors), without a webview.
#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use skiff::registry::Registry;
    use skiff::settings::Settings;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, MockRuntime};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

    use crate::notifications::Notifications;
    use skiff::telemetry::TelemetrySwitch;

    fn window(registry: &Registry) -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
        let app = mock_builder()
            .invoke_handler(tauri::generate_handler![
                super::snapshot,
                super::retry_now,
                super::container_action,
                super::get_settings,
                super::save_settings,
                super::podman_setup,
                super::log_folder,
                crate::details::inspect_container,
                crate::details::close_logs,
            ])
            // The app's own context: its capabilities decide what the window may call, as in
            // the real app.
            .build(tauri::generate_context!())
            .expect("mock app");
        let (_trigger, shutdown) = skiff::shutdown::channel();
        app.manage(registry.clone());
        app.manage(crate::details::LogViews::default());
        app.manage(TelemetrySwitch::start(
            &Settings::default(),
            registry,
            &shutdown,
            tauri::async_runtime::handle().inner(),
        ));
        app.manage(Notifications::detached(true));
        app.manage(crate::trim::Trimmer::start(&shutdown));
        app.manage(crate::prepared::Prepared::default());
        // A logger that is not installed: its level switch and folder work the same. The level
        // switch needs its subscriber alive (else "the logger is gone"): it lives as long as
        // this test process.
        let (subscriber, logging) = skiff::logs::Logging::build(
            Some(&skiff::settings::data_dir().expect("data dir").join("logs")),
            skiff::logs::LogLevel::Info,
            None,
        )
        .expect("logging");
        std::mem::forget(subscriber);
        app.manage(logging);
        let window = WebviewWindowBuilder::new(&app, "main", tauri::WebviewUrl::default())
            .build()
            .expect("mock window");
        (app, window)
    }

    fn invoke(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            w,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Json(args),
                headers: tauri::http::HeaderMap::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().expect("json"))
    }

    /// The detail view's commands: the same checks before the engine is asked.
    fn detail_view_checks_its_arguments(w: &WebviewWindow<MockRuntime>) {
        let err = invoke(
            w,
            "inspect_container",
            json!({"engine": "podman", "id": "../../x"}),
        )
        .unwrap_err();
        assert_eq!(err["kind"], "invalid", "{err}");
        let err = invoke(
            w,
            "inspect_container",
            json!({"engine": "podman", "id": "abcdef"}),
        )
        .unwrap_err();
        assert_eq!(
            err["kind"], "not_found",
            "a container Skiff does not show: {err}"
        );
        assert_eq!(invoke(w, "close_logs", json!({"view": 7})), Ok(Value::Null));
        assert!(invoke(w, "close_logs", json!({"view": "x"})).is_err());
    }

    /// The page's name order (`skiff::ipc::order`): one place for each printable ASCII
    /// character, none 0, or none at all.
    fn name_order_is_checked(w: &WebviewWindow<MockRuntime>) {
        let places: Vec<u8> = (1..=95).collect();
        let ok = invoke(w, "snapshot", json!({"token": 7, "places": places}));
        assert_eq!(ok, Ok(Value::Null));
        let ok = invoke(w, "snapshot", json!({"token": 7, "places": null}));
        assert_eq!(ok, Ok(Value::Null));
        for places in [json!([1, 2, 3]), json!([]), json!(vec![0; 95])] {
            let err = invoke(w, "snapshot", json!({"token": 7, "places": places})).unwrap_err();
            assert_eq!(err["kind"], "invalid_argument", "{places}: {err}");
            assert!(
                err["message"].as_str().unwrap().contains("name order"),
                "{err}"
            );
        }
        // Not bytes at all: refused before the command runs.
        for places in [json!(vec![300; 95]), json!("abc"), json!([-1])] {
            let err = invoke(w, "snapshot", json!({"token": 7, "places": places})).unwrap_err();
            assert!(err.to_string().contains("places"), "{places}: {err}");
        }
    }

    /// One test: the commands read `SKIFF_CONFIG_DIR`, which is process-wide.
    #[test]
    fn commands_validate_hostile_arguments_and_return_typed_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::env::set_var("SKIFF_CONFIG_DIR", dir.path());
        std::env::set_var("SKIFF_DATA_DIR", dir.path());
        let registry = Registry::new();
        tauri::async_runtime::block_on(async {
            skiff::app::watch_engines(
                &registry,
                &[skiff::engine::DiscoveredEngine {
                    id: "podman".into(),
                    endpoint: "unix:///nonexistent/podman.sock".parse().expect("endpoint"),
                    source: skiff::engine::DiscoverySource::Flag,
                }],
                &skiff::watcher::WatcherConfig::default(),
                &skiff::shutdown::Shutdown::never(),
            );
        });
        let (_app, w) = window(&registry);

        // The snapshot is sent to the window as a script (`skiff::ipc::wire`'s tests read it);
        // the command answers once it is on its way, and wants the page's token.
        assert_eq!(invoke(&w, "snapshot", json!({"token": 7})), Ok(Value::Null));
        for token in [json!(-1), json!("7"), json!(1u64 << 33), Value::Null] {
            let err = invoke(&w, "snapshot", json!({ "token": token })).unwrap_err();
            assert!(err.to_string().contains("token"), "{token}: {err}");
        }
        name_order_is_checked(&w);

        // Unknown engines, malformed ids, unknown actions: typed errors, the engine never asked.
        let err = invoke(&w, "retry_now", json!({"engine": "../../etc"})).unwrap_err();
        assert_eq!(err["kind"], "invalid_argument", "{err}");
        assert_eq!(
            invoke(&w, "retry_now", json!({"engine": "podman"})),
            Ok(json!(1))
        );
        let bad_id = invoke(
            &w,
            "container_action",
            json!({"engine": "podman", "id": "abc; rm -rf /", "action": "stop"}),
        )
        .unwrap_err();
        assert_eq!(bad_id["kind"], "invalid", "{bad_id}");
        assert!(bad_id["message"].as_str().unwrap().contains("hexadecimal"));
        let unknown_engine = invoke(
            &w,
            "container_action",
            json!({"engine": "nope", "id": "abcdef", "action": "stop"}),
        )
        .unwrap_err();
        assert_eq!(unknown_engine["kind"], "not_found", "{unknown_engine}");
        // An action outside the enum is refused by deserialization, before the command runs.
        let unknown_action = invoke(
            &w,
            "container_action",
            json!({"engine": "podman", "id": "abcdef", "action": "format-disk"}),
        );
        assert!(unknown_action.is_err());
        detail_view_checks_its_arguments(&w);

        // Settings: invalid input names the field and writes nothing; valid input round-trips.
        let mut settings = serde_json::to_value(Settings::default()).expect("json");
        settings["endpoints"] = json!([{"name": "x", "url": "ftp://nowhere", "enabled": true}]);
        let err = invoke(&w, "save_settings", json!({"settings": settings})).unwrap_err();
        assert_eq!(err["kind"], "invalid_argument");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("endpoints[0].url"),
            "{err}"
        );
        assert!(!dir.path().join("settings.json").exists());
        settings["endpoints"] = json!([]);
        // A log level outside the enum is refused by deserialization.
        settings["log_level"] = json!("verbose");
        assert!(invoke(&w, "save_settings", json!({"settings": settings})).is_err());
        assert!(!dir.path().join("settings.json").exists());
        settings["log_level"] = json!("debug");
        settings["theme"] = json!("dark");
        settings["notifications"] = json!(false);
        let saved = invoke(&w, "save_settings", json!({"settings": settings})).expect("saved");
        assert_eq!(saved["theme"], "dark");
        assert_eq!(saved["log_level"], "debug");
        assert_eq!(
            invoke(&w, "log_folder", json!({})),
            Ok(json!(dir.path().join("logs").display().to_string()))
        );
        assert_eq!(
            invoke(&w, "get_settings", json!({})).expect("read")["theme"],
            "dark"
        );
        assert!(
            !w.state::<Notifications>().is_enabled(),
            "the switch applies at once"
        );

        // Nothing beyond Skiff's own commands: a core window command is not granted.
        let close = invoke(&w, "plugin:window|close", json!({"label": "main"}));
        assert!(close.is_err(), "{close:?}");

        let podman = invoke(&w, "podman_setup", json!({})).expect("setup");
        assert!(podman["installed"].is_boolean());
    }
}
