/// <reference types="vitest/config" />
// Vite builds into dist/ with hashed file names under assets/ (served by handlers/web.py with
// a one-year immutable cache). The dev server proxies the API and Socket.IO to the Python server.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const backend = process.env.FADJMA_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, manifest: true, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      "/api": backend,
      "/fhir": backend,
      "/socket.io": { target: backend, ws: true },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
