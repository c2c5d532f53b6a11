//! The app's telemetry: started with consent, switchable from the UI, inspectable.

use std::sync::Mutex;

use skiff::registry::Registry;
use skiff::settings::Settings;
use skiff::shutdown::Shutdown;
use skiff::telemetry::{Telemetry, TelemetryReport, TelemetryRun};

pub struct TelemetryState {
    telemetry: Mutex<Telemetry>,
    run: Mutex<Option<TelemetryRun>>,
    shutdown: Shutdown,
}

impl TelemetryState {
    pub fn start(settings: &Settings, registry: &Registry, shutdown: &Shutdown) -> Self {
        let (telemetry, run) = skiff::telemetry::start_if_allowed(settings, shutdown);
        telemetry.follow(registry);
        Self {
            telemetry: Mutex::new(telemetry),
            run: Mutex::new(run),
            shutdown: shutdown.clone(),
        }
    }

    pub fn handle(&self) -> Telemetry {
        self.telemetry.lock().expect("lock").clone()
    }

    pub fn report(&self) -> Result<TelemetryReport, skiff::settings::SettingsError> {
        self.telemetry.lock().expect("lock").report()
    }

    /// Saves the answer; off takes effect at once, on starts telemetry now if it is not running.
    pub fn set_consent(
        &self,
        enabled: bool,
        registry: &Registry,
    ) -> Result<(), skiff::settings::SettingsError> {
        let mut settings = Settings::load()?;
        settings.telemetry = Some(enabled);
        settings.save()?;
        let mut telemetry = self.telemetry.lock().expect("lock");
        if !enabled {
            telemetry.stop_recording();
        } else if !telemetry.is_enabled() {
            let (t, run) = skiff::telemetry::start_if_allowed(&settings, &self.shutdown);
            t.follow(registry);
            *telemetry = t;
            *self.run.lock().expect("lock") = run;
        }
        Ok(())
    }
}
