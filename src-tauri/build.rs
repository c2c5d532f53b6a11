#[path = "build/link_order.rs"]
mod link_order;

fn main() {
    link_order::apply("skiff-desktop");
    // Listing the app's commands makes Tauri generate an `allow-<command>` permission for each
    // and deny any command a capability does not grant (see capabilities/default.json).
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "snapshot",
            "retry_now",
            "container_action",
            "open_events",
            "close_events",
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
            "pull_image",
            "remove_object",
            "prune_objects",
            "pod_action",
            "disk_use",
            "create_volume",
            "tag_image",
            "open_port",
            "project_action",
            "container_alerts",
            "clear_container_alerts",
            "tool_engines",
        ]),
    ))
    .expect("tauri build script");
}
