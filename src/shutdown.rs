//! Shutdown passed in, as in mini-redis: long-running parts take a [`Shutdown`] and end when it
//! fires, so tests end them the same way the app does.

use tokio::sync::watch;

/// The side that ends everything (held by `main`, the app, or a test).
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// The side that waits; cheap to clone into every task.
#[derive(Debug, Clone)]
pub struct Shutdown(Option<watch::Receiver<bool>>);

/// A connected trigger and listener.
#[must_use]
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(Some(rx)))
}

impl ShutdownTrigger {
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

impl Drop for ShutdownTrigger {
    fn drop(&mut self) {
        self.fire();
    }
}

impl Shutdown {
    /// Resolves once shutdown is triggered (or the trigger is dropped).
    pub async fn wait(self) {
        match self.0 {
            // An error means the trigger is gone, which is a shutdown too.
            Some(mut rx) => {
                let _ = rx.wait_for(|fired| *fired).await;
            }
            None => std::future::pending().await,
        }
    }

    /// A shutdown that never fires, for one-shot tools that end by returning.
    #[must_use]
    pub fn never() -> Self {
        Self(None)
    }
}
