// Builds the console into ../dist, which the Go package embeds and serves at /console. The
// output must be the same bytes on every machine (make check-generate compares it with the
// committed copy): no timestamps, no absolute paths, names hashed from content only.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  // Preact's automatic JSX runtime, compiled by Vite's own transformer: no Babel.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    // Every script and style is a file of its own: the Content-Security-Policy allows no
    // inline ones, and no data: URLs either.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
});
