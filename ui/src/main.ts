import { mount } from "svelte";
import App from "./App.svelte";
import { inTauri } from "./lib/ipc";
import { LiveRegistry } from "./lib/stores/live.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app missing from index.html");
// The live copy of the registry starts before the page is built: its subscription and first
// snapshot are on their way (the shell answers them) while Svelte builds the DOM, instead of
// after it. A cold start waits for both.
const live = new LiveRegistry();
const started = inTauri() ? live.start() : null;
export default mount(App, { target, props: { live, started } });
