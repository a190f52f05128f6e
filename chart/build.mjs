// Builds the link chart into polegraph/api/static/chart, the assets the API serves at /chart.
//
// Every built file records the SHA-256 of the chart's sources (this script, package.json,
// package-lock.json and src/), and manifest.json the SHA-256 of each built file, so that
// tests/api/test_chart.py can tell when the committed bundle no longer matches its sources (or was
// edited by hand) without needing node. The hash is: for each source in order of its path relative
// to chart/ (with "/"), the path, a NUL byte, the content, a NUL byte.

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "polegraph", "api", "static", "chart");

function walk(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

function sourcesHash() {
  const files = [
    ...["build.mjs", "package.json", "package-lock.json"].map((name) => join(here, name)),
    ...walk(join(here, "src")),
  ];
  const named = files.map((file) => [relative(here, file).split(sep).join("/"), file]);
  // Compare as code points, as Python's sorted() does.
  named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash("sha256");
  for (const [name, file] of named) {
    hash.update(name);
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const sources = sourcesHash();
const stamp = `polegraph link chart, built from sources sha256:${sources} (make chart)`;
const cytoscapeVersion = JSON.parse(readFileSync(join(here, "node_modules", "cytoscape", "package.json"))).version;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [
    { in: join(here, "src", "main.js"), out: "chart" },
    { in: join(here, "src", "chart.css"), out: "chart" },
  ],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out,
  legalComments: "eof",
  banner: {
    js: `/* ${stamp}. Includes cytoscape.js ${cytoscapeVersion}, (c) The Cytoscape Consortium, MIT licence: see /chart/assets/LICENSE.cytoscape.txt */`,
    css: `/* ${stamp} */`,
  },
  logLevel: "warning",
});
const page = readFileSync(join(here, "src", "index.html"), "utf8").replace(
  "<!doctype html>\n",
  `<!doctype html>\n<!-- ${stamp} -->\n`,
);
writeFileSync(join(out, "index.html"), page);
copyFileSync(join(here, "node_modules", "cytoscape", "LICENSE"), join(out, "LICENSE.cytoscape.txt"));

const files = {};
for (const name of readdirSync(out).sort()) {
  files[name] = createHash("sha256").update(readFileSync(join(out, name))).digest("hex");
}
writeFileSync(join(out, "manifest.json"), `${JSON.stringify({ sources, files }, null, 2)}\n`);
console.log(`built ${Object.keys(files).join(", ")} into ${relative(process.cwd(), out) || "."}`);
