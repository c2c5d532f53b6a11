// The only module that talks to Tauri. Everything else imports typed functions from here, so the
// UI can be tested (and rendered in a plain browser) without the desktop shell.
import { invoke } from "@tauri-apps/api/core";
import type { ContainerList } from "./bindings/ContainerList";
import type { IpcError } from "./bindings/IpcError";

export type { Container } from "./bindings/Container";
export type { ContainerList } from "./bindings/ContainerList";
export type { EngineFailure } from "./bindings/EngineFailure";
export type { ErrorInfo } from "./bindings/ErrorInfo";
export type { IpcError } from "./bindings/IpcError";

/** True when running inside the Skiff window (not a plain browser, not a test). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** Commands reject with a typed `{kind, message}`; anything else is wrapped as one. */
function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "kind" in e && "message" in e) return e as IpcError;
  return { kind: "engine", message: String(e) };
}

export async function listContainers(all: boolean): Promise<ContainerList> {
  try {
    return await invoke<ContainerList>("list_containers", { all });
  } catch (e) {
    throw asIpcError(e);
  }
}
