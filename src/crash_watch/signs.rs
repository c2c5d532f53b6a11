//! What an engine's event or list row says about an exit.

use crate::engine::events::RawEvent;

/// The exit code an exit event carries (Docker `exitCode`; Podman also `containerExitCode`).
pub(super) fn exit_code(event: &RawEvent) -> Option<i64> {
    event
        .attribute("exitCode")
        .or_else(|| event.attribute("containerExitCode"))
        .and_then(|c| c.parse().ok())
}

/// The code in a list's status: `Exited (137) 5 seconds ago` (both engines).
pub(super) fn status_exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest[..rest.find(')')?].parse().ok()
}

/// Whether the engine restarts the container of an exit with `code`, from its inspect: Docker
/// says so (`State.Restarting` from the exit until its restart delay ends); Podman restarts from
/// conmon's exit command, so its `HostConfig.RestartPolicy` tells. A container running again has
/// been restarted already.
pub(super) fn restarts(inspect: &serde_json::Value, code: Option<i64>) -> bool {
    let flag = |pointer| {
        inspect
            .pointer(pointer)
            .and_then(serde_json::Value::as_bool)
    };
    if flag("/State/Restarting") == Some(true) || flag("/State/Running") == Some(true) {
        return true;
    }
    let policy = |field| inspect.pointer(&format!("/HostConfig/RestartPolicy/{field}"));
    let retries = |value: Option<&serde_json::Value>| value.and_then(serde_json::Value::as_u64);
    match policy("Name").and_then(serde_json::Value::as_str) {
        Some("always" | "unless-stopped") => true,
        Some("on-failure") => {
            let max = retries(policy("MaximumRetryCount")).unwrap_or(0);
            let done = retries(inspect.pointer("/RestartCount")).unwrap_or(0);
            code != Some(0) && (max == 0 || done < max)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::restarts;

    #[test]
    fn the_engine_or_the_policy_says_whether_an_exit_is_restarted() {
        let docker_waiting = json!({"State": {"Restarting": true, "Running": false},
            "HostConfig": {"RestartPolicy": {"Name": "always"}}});
        assert!(restarts(&docker_waiting, Some(1)));
        let up_again = json!({"State": {"Restarting": false, "Running": true}});
        assert!(restarts(&up_again, Some(1)));
        let podman_always = json!({"State": {"Running": false},
            "HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}}});
        assert!(restarts(&podman_always, Some(1)));
        let none = json!({"State": {"Running": false},
            "HostConfig": {"RestartPolicy": {"Name": "no"}}});
        assert!(!restarts(&none, Some(1)));
        assert!(!restarts(&json!({}), Some(1)));
        let on_failure = |count: u64| {
            json!({"State": {"Running": false}, "RestartCount": count,
                "HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}})
        };
        assert!(restarts(&on_failure(2), Some(1)));
        assert!(!restarts(&on_failure(3), Some(1)), "its retries are spent");
        assert!(
            !restarts(&on_failure(0), Some(0)),
            "on-failure leaves a clean exit"
        );
    }
}
