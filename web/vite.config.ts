/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API serves dist/ at "/" with an SPA fallback; everything is bundled (no CDN).
export default defineConfig({
  base: "/",
  plugins: [react()],
  // One bundle: React, React Flow and dagre make ~520 kB minified (~165 kB gzipped).
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
