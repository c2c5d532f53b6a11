fn main() {
    // Listing the app's commands makes Tauri generate an `allow-<command>` permission for each
    // and deny any command a capability does not grant (see capabilities/default.json).
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "snapshot",
            "retry_now",
            "container_action",
            "events_history",
            "telemetry_report",
            "set_telemetry_consent",
            "clear_telemetry_queue",
            "ping",
            "recent_alerts",
            "get_settings",
            "save_settings",
            "podman_setup",
            "start_podman",
            "build_info",
            "log_folder",
            "choose_kubeconfig",
            "reset_kubeconfig",
            "open_log_folder",
            "open_logs",
            "close_logs",
            "inspect_container",
            "save_log",
            "older_logs",
            "open_stats",
            "show_stats",
            "close_stats",
            "open_terminal",
            "terminal_input",
            "terminal_resize",
            "terminal_ack",
            "close_terminal",
        ]),
    ))
    .expect("tauri build script");
}
