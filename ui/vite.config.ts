import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

// The desktop shell embeds `dist/` (tauri.conf.json `frontendDist`); `tauri dev` loads the dev
// server instead (tauri.dev.conf.json). Tauri expects a fixed port and no auto-opened browser.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: "127.0.0.1" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
  },
});
