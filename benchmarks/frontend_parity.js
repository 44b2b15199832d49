// Capture the ComfyUI frontend's own "Export (API)" output for every workflow template.
//
// Needs Node.js, the npm package playwright-core (install it OUTSIDE the repo, e.g.
// `cd /tmp/pw && npm install playwright-core`, then NODE_PATH=/tmp/pw/node_modules), a Chromium
// (Debian package `chromium`; CHROMIUM=/path overrides /usr/bin/chromium) and a real ComfyUI server
// whose page serves the frontend. benchmarks/frontend_parity.py runs it; by hand:
//
//   NODE_PATH=/tmp/pw/node_modules node benchmarks/frontend_parity.js URL TEMPLATES_DIR OUT_DIR
//
// One headless page loads the templates one after another with the app's own API
// (app.loadGraphData) and writes app.graphToPrompt().output to OUT_DIR/NAME.json as
// {"output": {...}} or {"error": "..."}.

"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

async function main() {
  const [url, templates, out] = process.argv.slice(2);
  if (!url || !templates || !out) {
    console.error("usage: frontend_parity.js URL TEMPLATES_DIR OUT_DIR");
    process.exit(2);
  }
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => window.app && window.app.rootGraph && window.app.canvas, null,
                               { timeout: 120000 });
    const names = fs.readdirSync(templates).filter((n) => n.endsWith(".json")).sort();
    let done = 0;
    for (const name of names) {
      const workflow = JSON.parse(fs.readFileSync(path.join(templates, name), "utf8"));
      if (!Array.isArray(workflow.nodes)) continue;
      const result = await page.evaluate(async (wf) => {
        try {
          await window.app.loadGraphData(wf, true, false, null, { skipAssetScans: true, silentAssetErrors: true });
          const prompt = await window.app.graphToPrompt();
          return { output: prompt.output };
        } catch (error) {
          return { error: String((error && error.stack) || error) };
        }
      }, workflow);
      fs.writeFileSync(path.join(out, name), JSON.stringify(result));
      done += 1;
    }
    console.log(`${done} templates captured in ${out}`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
