//! How alerts read in a notification and the tray (the window words them itself).

use std::fmt::Write as _;

use crate::registry::{AlertRule, ContainerAlert, Detected};

/// One line: `web crashed (exit 3)`, `db was OOM-killed (found after reconnecting)`.
#[must_use]
pub fn line(alert: &ContainerAlert) -> String {
    let what = match alert.rule {
        AlertRule::Crashed => "crashed",
        AlertRule::OomKilled => "was OOM-killed",
        AlertRule::Unhealthy => "is unhealthy",
        AlertRule::RestartLoop => "is in a restart loop",
        AlertRule::Recovered => "recovered from its restart loop",
    };
    let mut text = format!("{} {what}", alert.container.name);
    if let Some(code) = alert
        .exit_code
        .filter(|_| alert.rule != AlertRule::Unhealthy)
    {
        let _ = write!(text, " (exit {code})");
    }
    match alert.detected {
        Detected::Live => {}
        Detected::Replay | Detected::Resync => text.push_str(" — while Skiff was not connected"),
    }
    text
}

/// One notification for alerts raised within a few seconds: (title, body).
#[must_use]
pub fn notification(alerts: &[ContainerAlert]) -> (String, String) {
    match alerts {
        [one] => (
            format!(
                "Container {}",
                line(one).split_once(' ').map_or("", |(_, w)| w)
            ),
            format!("{} on {}", one.container.name, one.engine),
        ),
        many => {
            let shown: Vec<String> = many.iter().take(5).map(line).collect();
            let more = many.len().saturating_sub(5);
            let mut body = shown.join("\n");
            if more > 0 {
                let _ = write!(body, "\nand {more} more");
            }
            (format!("{} container alerts", many.len()), body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::AlertedContainer;

    fn alert(name: &str, rule: AlertRule, detected: Detected) -> ContainerAlert {
        ContainerAlert {
            engine: "docker".into(),
            rule,
            container: AlertedContainer {
                id: "1".into(),
                name: name.into(),
            },
            exit_code: Some(3),
            detected,
            at: 0,
            log: Vec::new(),
        }
    }

    #[test]
    fn one_alert_is_one_line_and_several_are_grouped() {
        let web = alert("web", AlertRule::Crashed, Detected::Live);
        assert_eq!(line(&web), "web crashed (exit 3)");
        let late = alert("db", AlertRule::OomKilled, Detected::Resync);
        assert_eq!(
            line(&late),
            "db was OOM-killed (exit 3) — while Skiff was not connected"
        );
        let (title, body) = notification(std::slice::from_ref(&web));
        assert_eq!(
            (title.as_str(), body.as_str()),
            ("Container crashed (exit 3)", "web on docker")
        );
        let many: Vec<_> = (0..7)
            .map(|i| alert(&format!("c{i}"), AlertRule::Crashed, Detected::Live))
            .collect();
        let (title, body) = notification(&many);
        assert_eq!(title, "7 container alerts");
        assert!(body.ends_with("and 2 more"), "{body}");
    }
}
