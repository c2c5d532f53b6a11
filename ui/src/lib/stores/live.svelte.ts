// The window's live copy of the registry: listen first, then snapshot, then apply deltas in
// order; after a gap or a lag, take a snapshot again. Svelte tracks `version`, bumped after each
// change of the model (it does not see mutations inside the model itself).
import { snapshot, subscribe, errorMessage, type Delta, type EngineStatus, type ObjectDelta } from "../ipc";
import { inOrder } from "../ipc/ordered";
import { namePlaces } from "./collate";
import { RegistryModel, type DeltaResult } from "./registry";

export class LiveRegistry {
  readonly model = new RegistryModel();
  version = $state(0);
  ready = $state(false);
  fatal = $state<string | null>(null);

  private unlisten: (() => void) | null = null;
  /** The cold-start marks already made: the first run seen, and the first run applied. */
  private marked = false;
  private appliedMarked = false;
  /**
   * One snapshot in flight at a time; asked for meanwhile, one more follows it (every request
   * that waited is folded into it). A lag reported while a snapshot is on its way may be of
   * changes that snapshot was taken before (the bridge skipped them): one more snapshot follows
   * it, not none.
   */
  private readonly snapshots = inOrder<true>(
    () => this.takeSnapshot(),
    () => true,
  );
  /** Deltas that arrive while the first snapshot is on its way; `null` once it is applied. */
  private buffered: { containers: Delta[]; objects: ObjectDelta[] } | null = { containers: [], objects: [] };

  /** Subscribes, takes the first snapshot, and applies what raced it. */
  async start(): Promise<void> {
    // Listen first, then snapshot: deltas that race the snapshot are buffered and applied after
    // it (those already in it are dropped as stale by their rev).
    this.unlisten = await subscribe({
      onStatus: (s) => this.onStatus(s),
      onDeltas: (run) => this.onDeltas(run),
      onObjects: (run) => this.onObjects(run),
      onLagged: () => void this.resync(),
    });
    performance.mark("skiff:snapshot-requested");
    await this.resync();
    performance.mark("skiff:snapshot-applied");
    const raced = this.buffered;
    this.buffered = null;
    this.onDeltas(raced?.containers ?? []);
    this.onObjects(raced?.objects ?? []);
    this.ready = true;
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = null;
  }

  private async resync(): Promise<void> {
    try {
      await this.snapshots(true);
    } catch (e) {
      this.fatal = errorMessage(e);
    }
  }

  private async takeSnapshot(): Promise<void> {
    // In the list's default order (by name, in this page's collator's): the list then only
    // checks it (`sortByText`).
    const snap = await snapshot(namePlaces());
    // Splits the snapshot's cost for the benchmark: the IPC (the command, the transfer, the
    // JSON parse) before this mark, the model's maps after it.
    performance.mark("skiff:snapshot-received");
    this.model.applySnapshot(snap);
    this.version++;
  }

  /** Applies a run in order, then bumps `version` once: one render for an engine's list. */
  private onDeltas(run: Delta[]): void {
    // When the first rows reached the page, for the cold-start benchmark (`benches/ui/idle.mjs`).
    const first = !this.marked && run.length > 0;
    if (first) {
      this.marked = true;
      performance.mark("skiff:first-run");
    }
    if (this.buffered) {
      this.buffered.containers.push(...run);
      return;
    }
    this.applyRun(run, (d) => this.model.applyDelta(d));
    // The model holds it; what follows until the rows are painted is the page's rendering. A
    // first run that raced the first snapshot is applied here too, from the buffer.
    if (!this.appliedMarked && run.length > 0) {
      this.appliedMarked = true;
      performance.mark("skiff:first-run-applied");
    }
  }

  private onObjects(run: ObjectDelta[]): void {
    if (this.buffered) {
      this.buffered.objects.push(...run);
      return;
    }
    this.applyRun(run, (d) => this.model.applyObjectDelta(d));
  }

  /** After a gap the rest of the run is not applied: the snapshot it brings holds it. */
  private applyRun<D>(run: D[], apply: (d: D) => DeltaResult): void {
    if (run.length === 0) return;
    for (const d of run) {
      if (apply(d) === "gap") {
        void this.resync();
        break;
      }
    }
    this.version++;
  }

  private onStatus(s: EngineStatus): void {
    this.model.applyStatus(s);
    this.version++;
  }
}
