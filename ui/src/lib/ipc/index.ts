// The only module that talks to Tauri. Everything else imports typed functions from here, so the
// UI can be tested (and rendered in a plain browser) without the desktop shell.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Action } from "./bindings/Action";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { Delta } from "./bindings/Delta";
import type { EngineStatus } from "./bindings/EngineStatus";
import type { EventRecord } from "./bindings/EventRecord";
import type { PingReport } from "./bindings/PingReport";
import type { Snapshot } from "./bindings/Snapshot";
import type { TelemetryReport } from "./bindings/TelemetryReport";
import type { AlertRecord } from "./bindings/AlertRecord";
import type { Settings } from "./bindings/Settings";
import type { PodmanSetup } from "./bindings/PodmanSetup";
import type { BuildInfo } from "./bindings/BuildInfo";

export type { Action } from "./bindings/Action";
export type { ActionError } from "./bindings/ActionError";
export type { ActionOutcome } from "./bindings/ActionOutcome";
export type { Container } from "./bindings/Container";
export type { Delta } from "./bindings/Delta";
export type { EngineStatus } from "./bindings/EngineStatus";
export type { ErrorInfo } from "./bindings/ErrorInfo";
export type { EventRecord } from "./bindings/EventRecord";
export type { IpcError } from "./bindings/IpcError";
export type { PingReport } from "./bindings/PingReport";
export type { Snapshot } from "./bindings/Snapshot";
export type { TelemetryEvent } from "./bindings/TelemetryEvent";
export type { TelemetryReport } from "./bindings/TelemetryReport";
export type { AlertRecord } from "./bindings/AlertRecord";
export type { Settings } from "./bindings/Settings";
export type { EndpointSetting } from "./bindings/EndpointSetting";
export type { HandlerReport } from "./bindings/HandlerReport";
export type { PodmanSetup } from "./bindings/PodmanSetup";
export type { BuildInfo } from "./bindings/BuildInfo";

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
async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asError(e);
  }
}

export const snapshot = () => call<Snapshot>("snapshot");
export const eventsHistory = () => call<EventRecord[]>("events_history");
export const retryNow = (engine: string | null) => call<number>("retry_now", { engine });
export const containerAction = (engine: string, id: string, action: Action, force = false) =>
  call<ActionOutcome>("container_action", { engine, id, action, force });

export const ping = () => call<PingReport>("ping");
export const telemetryReport = () => call<TelemetryReport>("telemetry_report");
export const buildInfo = () => call<BuildInfo>("build_info");
export const logFolder = () => call<string | null>("log_folder");
export const openLogFolder = () => call<null>("open_log_folder");
export const podmanSetup = () => call<PodmanSetup>("podman_setup");
export const startPodman = () => call<string>("start_podman");
export const recentAlerts = () => call<AlertRecord[]>("recent_alerts");
export const getSettings = () => call<Settings>("get_settings");
export const saveSettings = (settings: Settings) => call<Settings>("save_settings", { settings });
export const setTelemetryConsent = (enabled: boolean) => call<null>("set_telemetry_consent", { enabled });
export const clearTelemetryQueue = () => call<null>("clear_telemetry_queue");
export const chooseKubeconfig = () => call<string | null>("choose_kubeconfig");
export const resetKubeconfig = () => call<null>("reset_kubeconfig");

export interface Subscriptions {
  onStatus: (s: EngineStatus) => void;
  onDelta: (d: Delta) => void;
  onLagged: () => void;
}

/** Subscribes to the registry's events; resolves once all listeners are registered. */
export async function subscribe(subs: Subscriptions): Promise<UnlistenFn> {
  const offs = await Promise.all([
    listen<EngineStatus>("engine://status", (e) => subs.onStatus(e.payload)),
    listen<Delta>("containers://delta", (e) => subs.onDelta(e.payload)),
    listen<number>("containers://lagged", () => subs.onLagged()),
  ]);
  return () => offs.forEach((off) => off());
}
