import { mount } from "svelte";
import App from "./App.svelte";
import { inTauri } from "./lib/ipc";
import { readyToBuild } from "./lib/startup";
import { LiveRegistry } from "./lib/stores/live.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app missing from index.html");
// The live copy of the registry starts before the page is built, and the page is built once its
// first snapshot is in (bounded: `startup.ts` says why), so that the first layout and the first
// frame already hold the rows.
const live = new LiveRegistry();
const started = inTauri() ? live.start() : null;
const build = () => mount(App, { target, props: { live, started } });
if (started) void readyToBuild(started).then(build);
else build();
