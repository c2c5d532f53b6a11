// Generated from src/ipc/contract.rs (`make bindings`); do not edit.
import type { Action } from "./Action";
import type { ActionError } from "./ActionError";
import type { ActionOutcome } from "./ActionOutcome";
import type { AlertRecord } from "./AlertRecord";
import type { BuildInfo } from "./BuildInfo";
import type { Channel } from "@tauri-apps/api/core";
import type { ContainerAlert } from "./ContainerAlert";
import type { ContainerRef } from "./ContainerRef";
import type { Delta } from "./Delta";
import type { DiskUse } from "./DiskUse";
import type { EngineStatus } from "./EngineStatus";
import type { HistoryPage } from "./HistoryPage";
import type { IpcError } from "./IpcError";
import type { LogLine } from "./LogLine";
import type { ObjectDelta } from "./ObjectDelta";
import type { ObjectKind } from "./ObjectKind";
import type { PingReport } from "./PingReport";
import type { PodAction } from "./PodAction";
import type { PodmanSetup } from "./PodmanSetup";
import type { PruneReport } from "./PruneReport";
import type { PruneTarget } from "./PruneTarget";
import type { PullProgress } from "./PullProgress";
import type { Settings } from "./Settings";
import type { StatsSample } from "./StatsSample";
import type { TelemetryReport } from "./TelemetryReport";
import type { TerminalOpened } from "./TerminalOpened";
import type { TerminalOptions } from "./TerminalOptions";
import type { ToolEngine } from "./ToolEngine";

/** Every command: its arguments, result and error. */
export interface Commands {
  snapshot: { args: { token: number; places: Array<number> | null }; result: null; error: IpcError };
  retry_now: { args: { engine: string | null }; result: number; error: IpcError };
  container_action: { args: { engine: string; id: string; action: Action; force: boolean | null }; result: ActionOutcome; error: ActionError };
  open_events: { args: { pages: Channel<HistoryPage> }; result: number; error: IpcError };
  close_events: { args: { view: number }; result: null; error: IpcError };
  telemetry_report: { args: Record<string, never>; result: TelemetryReport; error: IpcError };
  ping: { args: Record<string, never>; result: PingReport; error: IpcError };
  set_telemetry_consent: { args: { enabled: boolean }; result: null; error: IpcError };
  clear_telemetry_queue: { args: Record<string, never>; result: null; error: IpcError };
  recent_alerts: { args: Record<string, never>; result: Array<AlertRecord>; error: IpcError };
  get_settings: { args: Record<string, never>; result: Settings; error: IpcError };
  save_settings: { args: { settings: Settings }; result: Settings; error: IpcError };
  podman_setup: { args: Record<string, never>; result: PodmanSetup; error: IpcError };
  start_podman: { args: Record<string, never>; result: string; error: IpcError };
  build_info: { args: Record<string, never>; result: BuildInfo; error: IpcError };
  log_folder: { args: Record<string, never>; result: string | null; error: IpcError };
  choose_kubeconfig: { args: Record<string, never>; result: string | null; error: IpcError };
  reset_kubeconfig: { args: Record<string, never>; result: null; error: IpcError };
  open_log_folder: { args: Record<string, never>; result: null; error: IpcError };
  open_logs: { args: { engine: string; id: string; tail: number | null; lines: Channel<Array<LogLine>> }; result: number; error: IpcError };
  close_logs: { args: { view: number }; result: null; error: IpcError };
  older_logs: { args: { view: number; count: number }; result: Array<LogLine>; error: IpcError };
  save_log: { args: { engine: string; id: string; timestamps: boolean }; result: string | null; error: IpcError };
  open_stats: { args: { samples: Channel<Array<StatsSample>> }; result: number; error: IpcError };
  show_stats: { args: { view: number; containers: Array<ContainerRef> }; result: number; error: IpcError };
  close_stats: { args: { view: number }; result: null; error: IpcError };
  open_terminal: { args: { engine: string; id: string; options: TerminalOptions; output: Channel<ArrayBuffer> }; result: TerminalOpened; error: IpcError };
  terminal_input: { args: { session: number; data: string }; result: null; error: IpcError };
  terminal_resize: { args: { session: number; rows: number; cols: number }; result: null; error: IpcError };
  terminal_ack: { args: { session: number; bytes: number }; result: null; error: IpcError };
  close_terminal: { args: { session: number }; result: null; error: IpcError };
  inspect_container: { args: { engine: string; id: string }; result: Record<string, unknown>; error: ActionError };
  pull_image: { args: { engine: string; reference: string; progress: Channel<PullProgress> }; result: string; error: IpcError };
  remove_object: { args: { engine: string; kind: ObjectKind; id: string; force: boolean }; result: Array<string>; error: IpcError };
  prune_objects: { args: { engine: string; target: PruneTarget; all: boolean }; result: PruneReport; error: IpcError };
  pod_action: { args: { engine: string; id: string; action: PodAction }; result: null; error: IpcError };
  disk_use: { args: Record<string, never>; result: Array<DiskUse>; error: IpcError };
  create_volume: { args: { engine: string; name: string }; result: string; error: IpcError };
  tag_image: { args: { engine: string; image: string; target: string }; result: null; error: IpcError };
  open_port: { args: { engine: string; id: string; port: number }; result: null; error: IpcError };
  container_alerts: { args: Record<string, never>; result: Array<ContainerAlert>; error: IpcError };
  clear_container_alerts: { args: Record<string, never>; result: null; error: IpcError };
  tool_engines: { args: Record<string, never>; result: Array<ToolEngine>; error: IpcError };
  project_action: { args: { engine: string; project: string; action: Action }; result: number; error: IpcError };
}

/** Every event the shell emits, with its payload. */
export interface Events {
  "engine://status": EngineStatus;
  "containers://delta": Array<Delta>;
  "containers://lagged": number;
  "objects://delta": Array<ObjectDelta>;
  "alerts://container": ContainerAlert;
}

export const EVENTS = {
  ENGINE_STATUS: "engine://status",
  CONTAINERS_DELTA: "containers://delta",
  CONTAINERS_LAGGED: "containers://lagged",
  OBJECTS_DELTA: "objects://delta",
  ALERTS_CONTAINER: "alerts://container",
} as const;

/** The property of `window` the shell assigns snapshots to (`skiff::ipc::wire::RECEIVER`). */
export const SNAPSHOT_RECEIVER = "__skiffSnapshot";
