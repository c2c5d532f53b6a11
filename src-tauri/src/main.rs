//! Skiff desktop shell: a thin Tauri layer over the `skiff` core.
//!
//! It holds no domain logic: commands are one-line adapters onto the core (see `commands.rs`),
//! and everything they return is a type generated into the UI's TypeScript bindings.

// Hide the console window Windows would open next to the app in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SKIFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    if let Err(e) = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::list_containers])
        .run(tauri::generate_context!())
    {
        eprintln!("skiff-desktop: {e:#}");
        std::process::exit(1);
    }
}
