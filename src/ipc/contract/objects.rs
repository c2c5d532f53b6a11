//! The commands of the images, volumes, networks and pods pages (and, registered after them,
//! the alerts' and the Settings page's list of contexts and connections).

use ts_rs::Config;

use super::{command, ts, CommandSpec};
use crate::objects::actions::{DiskUse, PruneReport, PruneTarget, PullProgress};
use crate::objects::pods::PodAction;
use crate::objects::Kind;
use crate::registry::ContainerAlert;

/// The images, volumes, networks and pods pages' commands.
pub(super) fn object_commands(cfg: &Config) -> Vec<CommandSpec> {
    let cmd = |name, args, result| command(cfg, name, args, result);
    vec![
        cmd(
            "pull_image",
            vec![
                ("engine", ts::<String>(cfg)),
                ("reference", ts::<String>(cfg)),
                ("progress", format!("Channel<{}>", ts::<PullProgress>(cfg))),
            ],
            ts::<String>(cfg),
        ),
        cmd(
            "remove_object",
            vec![
                ("engine", ts::<String>(cfg)),
                ("kind", ts::<Kind>(cfg)),
                ("id", ts::<String>(cfg)),
                ("force", ts::<bool>(cfg)),
            ],
            ts::<Vec<String>>(cfg),
        ),
        cmd(
            "prune_objects",
            vec![
                ("engine", ts::<String>(cfg)),
                ("target", ts::<PruneTarget>(cfg)),
                ("all", ts::<bool>(cfg)),
            ],
            ts::<PruneReport>(cfg),
        ),
        cmd(
            "pod_action",
            vec![
                ("engine", ts::<String>(cfg)),
                ("id", ts::<String>(cfg)),
                ("action", ts::<PodAction>(cfg)),
            ],
            ts::<()>(cfg),
        ),
        cmd("disk_use", vec![], ts::<Vec<DiskUse>>(cfg)),
        cmd(
            "create_volume",
            vec![("engine", ts::<String>(cfg)), ("name", ts::<String>(cfg))],
            ts::<String>(cfg),
        ),
        cmd(
            "tag_image",
            vec![
                ("engine", ts::<String>(cfg)),
                ("image", ts::<String>(cfg)),
                ("target", ts::<String>(cfg)),
            ],
            ts::<()>(cfg),
        ),
        cmd(
            "open_port",
            vec![
                ("engine", ts::<String>(cfg)),
                ("id", ts::<String>(cfg)),
                ("port", ts::<u16>(cfg)),
            ],
            ts::<()>(cfg),
        ),
        cmd("container_alerts", vec![], ts::<Vec<ContainerAlert>>(cfg)),
        cmd("clear_container_alerts", vec![], ts::<()>(cfg)),
        cmd(
            "tool_engines",
            vec![],
            ts::<Vec<crate::engine::configured::ToolEngine>>(cfg),
        ),
        cmd(
            "project_action",
            vec![
                ("engine", ts::<String>(cfg)),
                ("project", ts::<String>(cfg)),
                ("action", ts::<crate::engine::Action>(cfg)),
            ],
            ts::<usize>(cfg),
        ),
    ]
}
