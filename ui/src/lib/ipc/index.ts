// The only module that talks to Tauri. Everything else imports typed functions from here, so the
// UI can be tested (and rendered in a plain browser) without the desktop shell.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { inOrder, joinText } from "./ordered";
import { delivered } from "./delivery";
import { fromWire } from "./wire";
import type { Action } from "./bindings/Action";
import { EVENTS, type Commands, type Events } from "./bindings/contract";
import type { Delta } from "./bindings/Delta";
import type { EngineStatus } from "./bindings/EngineStatus";
import type { Settings } from "./bindings/Settings";

export type { Action } from "./bindings/Action";
export type { ContainerAlert } from "./bindings/ContainerAlert";
export type { ActionError } from "./bindings/ActionError";
export type { ActionOutcome } from "./bindings/ActionOutcome";
export type { Container } from "./bindings/Container";
export type { Delta } from "./bindings/Delta";
export type { EngineStatus } from "./bindings/EngineStatus";
export type { ErrorInfo } from "./bindings/ErrorInfo";
export type { EventRecord } from "./bindings/EventRecord";
export type { HistoryPage } from "./bindings/HistoryPage";
import type { HistoryPage } from "./bindings/HistoryPage";
export type { IpcError } from "./bindings/IpcError";
export type { PingReport } from "./bindings/PingReport";
export type { Snapshot } from "./bindings/Snapshot";
export type { TelemetryEvent } from "./bindings/TelemetryEvent";
export type { TelemetryReport } from "./bindings/TelemetryReport";
export type { AlertRecord } from "./bindings/AlertRecord";
export type { Settings } from "./bindings/Settings";
export type { EndpointSetting } from "./bindings/EndpointSetting";
export type { ToolEngine } from "./bindings/ToolEngine";
export type { HandlerReport } from "./bindings/HandlerReport";
export type { PodmanSetup } from "./bindings/PodmanSetup";
export type { BuildInfo } from "./bindings/BuildInfo";
export type { Theme } from "./bindings/Theme";
export type { LogLine } from "./bindings/LogLine";
import type { LogLine } from "./bindings/LogLine";
export type { StatsSample } from "./bindings/StatsSample";
import type { StatsSample } from "./bindings/StatsSample";
export type { ContainerRef } from "./bindings/ContainerRef";
import type { ContainerRef } from "./bindings/ContainerRef";
export type { TerminalEnding } from "./bindings/TerminalEnding";
import type { TerminalEnding } from "./bindings/TerminalEnding";
export type { TerminalOptions } from "./bindings/TerminalOptions";
import type { TerminalOptions } from "./bindings/TerminalOptions";
export type { TerminalMode } from "./bindings/TerminalMode";
export type { EngineObject } from "./bindings/EngineObject";
export type { ObjectKind } from "./bindings/ObjectKind";
export type { ObjectDelta } from "./bindings/ObjectDelta";
import type { ObjectDelta } from "./bindings/ObjectDelta";
import type { ObjectKind } from "./bindings/ObjectKind";
export type { Image } from "./bindings/Image";
export type { Volume } from "./bindings/Volume";
export type { Network } from "./bindings/Network";
export type { Pod } from "./bindings/Pod";
export type { PullProgress } from "./bindings/PullProgress";
import type { PullProgress } from "./bindings/PullProgress";
export type { PruneTarget } from "./bindings/PruneTarget";
export type { PruneReport } from "./bindings/PruneReport";
export type { DiskUse } from "./bindings/DiskUse";
export type { PodAction } from "./bindings/PodAction";
import type { PruneTarget } from "./bindings/PruneTarget";
import type { PodAction } from "./bindings/PodAction";

/** True when running inside the Skiff window (not a plain browser, not a test). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** Commands reject with a typed `{kind, message}`; anything else is wrapped as one. */
export interface CommandError {
  kind: string;
  message: string;
}
function asError(e: unknown): CommandError {
  if (e && typeof e === "object" && "kind" in e && "message" in e) return e as CommandError;
  return { kind: "internal", message: String(e) };
}

/** The sentence to show for anything a command (or the code around it) threw. */
export function errorMessage(e: unknown): string {
  return asError(e).message;
}

type Name = keyof Commands;
type Args<K extends Name> = Commands[K]["args"];
type Result<K extends Name> = Commands[K]["result"];

/** Invokes command `cmd` with its arguments, typed by the generated contract. */
async function call<K extends Name>(
  cmd: K,
  ...args: Args<K> extends Record<string, never> ? [] : [Args<K>]
): Promise<Result<K>> {
  try {
    return await invoke<Result<K>>(cmd, args[0]);
  } catch (e) {
    throw asError(e);
  }
}

/**
 * The registry as one `Snapshot` (sent compactly, see `wire.ts`, as a script, see `delivery.ts`),
 * its containers by name in the order `places` gives (`namePlaces` in `stores/collate.ts`), or
 * by engine and name without it.
 */
export const snapshot = (places: number[] | null = null) =>
  delivered((token) => call("snapshot", { token, places })).then(fromWire);

/**
 * Ends a view the shell follows for the page (a log, stats, the events feed): its channel's
 * messages are dropped from now on, and the shell is told (a view already gone is no error).
 */
function closeView<T>(channel: Channel<T>, command: "close_logs" | "close_stats" | "close_events", view: number): () => void {
  return () => {
    channel.onmessage = () => {};
    void call(command, { view }).catch(() => {});
  };
}

/**
 * Follows the registry's history of engine events: `onPage` gets every record kept first, then
 * what came after, as records are kept (`followHistory` merges them). Nothing is sent while the
 * engines are quiet.
 */
export async function openEvents(onPage: (page: HistoryPage) => void): Promise<{ close: () => void }> {
  const pages = new Channel<HistoryPage>();
  pages.onmessage = onPage;
  const view = await call("open_events", { pages });
  return { close: closeView(pages, "close_events", view) };
}
export const retryNow = (engine: string | null) => call("retry_now", { engine });
export const containerAction = (engine: string, id: string, action: Action, force = false) =>
  call("container_action", { engine, id, action, force });

export const ping = () => call("ping");
export const telemetryReport = () => call("telemetry_report");
export const buildInfo = () => call("build_info");
export const logFolder = () => call("log_folder");
export const openLogFolder = () => call("open_log_folder");
export const podmanSetup = () => call("podman_setup");
export const startPodman = () => call("start_podman");
export const recentAlerts = () => call("recent_alerts");
/** The crash watch's alerts kept (oldest first), and emptying that list. */
export const containerAlerts = () => call("container_alerts");
export const clearContainerAlerts = () => call("clear_container_alerts");
export const getSettings = () => call("get_settings");
/** The user's Docker contexts and Podman connections, and whether each is watched. */
export const toolEngines = () => call("tool_engines");
export const saveSettings = (settings: Settings) => call("save_settings", { settings });
export const setTelemetryConsent = (enabled: boolean) => call("set_telemetry_consent", { enabled });
export const clearTelemetryQueue = () => call("clear_telemetry_queue");
export const chooseKubeconfig = () => call("choose_kubeconfig");
export const resetKubeconfig = () => call("reset_kubeconfig");
/** Asks where in a native dialog and saves the container's whole log there; the path, or null. */
export const saveLog = (engine: string, id: string, timestamps: boolean) => call("save_log", { engine, id, timestamps });
export const inspectContainer = (engine: string, id: string) => call("inspect_container", { engine, id });
export const removeObject = (engine: string, kind: ObjectKind, id: string, force = false) =>
  call("remove_object", { engine, kind, id, force });
export const pruneObjects = (engine: string, target: PruneTarget, all = false) =>
  call("prune_objects", { engine, target, all });
export const podAction = (engine: string, id: string, action: PodAction) => call("pod_action", { engine, id, action });
export const diskUse = () => call("disk_use");
export const createVolume = (engine: string, name: string) => call("create_volume", { engine, name });
export const tagImage = (engine: string, image: string, target: string) => call("tag_image", { engine, image, target });
/** Opens `http://localhost:PORT` for a port the container publishes. */
export const openPort = (engine: string, id: string, port: number) => call("open_port", { engine, id, port });
/** Acts on every container of a compose project; resolves with how many. */
export const projectAction = (engine: string, project: string, action: Action) =>
  call("project_action", { engine, project, action });

/** Pulls `reference` into `engine`; `onProgress` gets each progress message. Resolves with the
 *  image's id. */
export async function pullImage(engine: string, reference: string, onProgress: (p: PullProgress) => void): Promise<string> {
  const progress = new Channel<PullProgress>();
  progress.onmessage = onProgress;
  try {
    return await call("pull_image", { engine, reference, progress });
  } finally {
    progress.onmessage = () => {};
  }
}

/** A followed log: `older` reads the lines before the first one it holds (none: the log's
 *  beginning); `close` ends it. */
export interface LogFollow {
  older: (count: number) => Promise<LogLine[]>;
  close: () => void;
}

/** Follows a container's log: `onLines` gets batches of lines (at most one per animation frame)
 *  until `close`. */
export async function openLogs(
  engine: string,
  id: string,
  tail: number,
  onLines: (lines: LogLine[]) => void,
): Promise<LogFollow> {
  const lines = new Channel<LogLine[]>();
  lines.onmessage = onLines;
  const view = await call("open_logs", { engine, id, tail, lines });
  return {
    older: (count) => call("older_logs", { view, count }),
    close: closeView(lines, "close_logs", view),
  };
}

/** A live stats view: `show` says which containers it shows (only those are followed, at most
 *  100); `onSamples` gets their samples, at most one a second per container; `close` ends it. */
export interface StatsView {
  show: (containers: ContainerRef[]) => Promise<number>;
  close: () => void;
}
export async function openStats(onSamples: (samples: StatsSample[]) => void): Promise<StatsView> {
  const samples = new Channel<StatsSample[]>();
  samples.onmessage = onSamples;
  const view = await call("open_stats", { samples });
  return {
    show: (containers) => call("show_stats", { view, containers }),
    close: closeView(samples, "close_stats", view),
  };
}

/** An open terminal: what runs in it, and what the window sends it. */
export interface TerminalSession {
  command: string[];
  tty: boolean;
  /** Keys typed or text pasted. */
  input: (data: string) => Promise<void>;
  resize: (rows: number, cols: number) => Promise<void>;
  /** `bytes` of output are rendered (xterm.js's write callback): the backend may read more. */
  ack: (bytes: number) => void;
  close: () => void;
}

/** Tags of the terminal channel's messages (`skiff::terminal::TAG_OUTPUT`, `TAG_ENDED`). */
const TAG_OUTPUT = 0;
const TAG_ENDED = 1;

/** Opens a terminal in a container. `onOutput` gets its bytes as they come, `onEnd` how it
 *  ended (once, after the last output). */
export async function openTerminal(
  engine: string,
  id: string,
  options: TerminalOptions,
  onOutput: (bytes: Uint8Array) => void,
  onEnd: (ending: TerminalEnding) => void,
): Promise<TerminalSession> {
  const output = new Channel<ArrayBuffer>();
  output.onmessage = (message) => {
    const bytes = message instanceof ArrayBuffer ? new Uint8Array(message) : Uint8Array.from(message as ArrayLike<number>);
    if (bytes[0] === TAG_OUTPUT) onOutput(bytes.subarray(1));
    else if (bytes[0] === TAG_ENDED) onEnd(JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as TerminalEnding);
  };
  const opened = await call("open_terminal", { engine, id, options, output });
  const session = opened.session;
  // Keys must reach the shell in the order typed, and the last size must be the one applied:
  // one call of each in flight at a time (see `ordered.ts`). Joined keys stay under the
  // backend's 1 MiB limit on one input.
  const input = inOrder(async (data: string) => void (await call("terminal_input", { session, data })), joinText(64 * 1024));
  const resize = inOrder(
    async ([rows, cols]: [number, number]) => void (await call("terminal_resize", { session, rows, cols })),
    (_older, newer) => newer,
  );
  return {
    command: opened.command,
    tty: opened.tty,
    input,
    resize: (rows, cols) => resize([rows, cols]),
    ack: (bytes) => void call("terminal_ack", { session, bytes }).catch(() => {}),
    close: () => {
      output.onmessage = () => {};
      void call("close_terminal", { session }).catch(() => {});
    },
  };
}

/** Listens to event `name`, its payload typed by the generated contract. */
function on<K extends keyof Events>(name: K, handler: (payload: Events[K]) => void): Promise<UnlistenFn> {
  return listen<Events[K]>(name, (e) => handler(e.payload));
}

export interface Subscriptions {
  onStatus: (s: EngineStatus) => void;
  /** A run of container deltas, oldest first (an engine's list is one run). */
  onDeltas: (run: Delta[]) => void;
  /** A run of object deltas, oldest first. */
  onObjects: (run: ObjectDelta[]) => void;
  onLagged: () => void;
}

/** Subscribes to the registry's events; resolves once all listeners are registered. */
export async function subscribe(subs: Subscriptions): Promise<UnlistenFn> {
  const offs = await Promise.all([
    on(EVENTS.ENGINE_STATUS, subs.onStatus),
    on(EVENTS.CONTAINERS_DELTA, subs.onDeltas),
    on(EVENTS.OBJECTS_DELTA, subs.onObjects),
    on(EVENTS.CONTAINERS_LAGGED, () => subs.onLagged()),
  ]);
  return () => offs.forEach((off) => off());
}
