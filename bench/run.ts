/**
 * `deno task bench`: every benchmark as a ratio against a floor measured in the same run.
 * `--write` puts the table into README.md between the bench markers.
 */
import type { BenchResult } from "./lib.ts";
import { benchConcurrent, benchIp } from "./foundation.ts";
import { benchPorts } from "./port_reserve.ts";
import { benchRun } from "./run_wrapper.ts";
import { benchRunProject } from "./run_project.ts";
import { benchFront, benchRunHttps } from "./https_front.ts";
import { benchBrowser } from "./https_browser.ts";
import { benchPortless } from "./portless.ts";
import { benchDb } from "./db.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchRestart, benchStatus } from "./control.ts";

const results: BenchResult[] = [];
const only = Deno.args.find((a) => !a.startsWith("--"));
const suites: [string, () => Promise<BenchResult[]>][] = [
  // Quiet ones first: the concurrent burst and run's mDNS announcements leave the machine busy a while.
  ["ip", () => benchIp()],
  ["ports", () => benchPorts()],
  ["concurrent", () => benchConcurrent()],
  ["run", () => benchRun()],
  ["run-project", () => benchRunProject()],
  ["front", async () => [...await benchFront(), await benchRunHttps(), await benchRunHttps(10, true)]],
  ["browser", () => benchBrowser()],
  ["control", async () => [await benchStatus(), await benchRestart()]],
  // Last: copying 100 MB databases keeps the disk and both cores busy (skipped without PostgreSQL).
  ["db", () => benchDb()],
  ["dashboard", () => benchDashboard()],
];

// Only when named (`deno task bench portless`): it installs portless from npm and runs it with Node.
const optIn: [string, () => Promise<BenchResult[]>][] = [["portless", () => benchPortless()]];

for (const [name, suite] of [...suites, ...optIn]) {
  if (only ? only !== name : optIn.some(([n]) => n === name)) continue;
  for (const result of await suite()) {
    results.push(result);
    Deno.stdout.writeSync(
      new TextEncoder().encode(
        `${result.ratio.toFixed(2)}×  (goal ${result.goal})  ${result.name}: ${result.detail}\n`,
      ),
    );
  }
}

const cpu = Deno.build.os === "linux"
  ? (/model name\s*:\s*(.+)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? "")
  : Deno.build.os;
const table = [
  `Measured by \`deno task bench\` on ${
    new Date().toISOString().slice(0, 10)
  }, ${navigator.hardwareConcurrency} cores ` +
  `(${cpu.trim()}), Deno ${Deno.version.deno}. Each ratio compares with a floor measured in the same run.`,
  "",
  "| benchmark | ratio | goal | times |",
  "| --- | --- | --- | --- |",
  ...results.map((r) => `| ${r.name} | ${r.ratio.toFixed(2)}× | ${r.goal} | ${r.detail} |`),
].join("\n");

if (Deno.args.includes("--write") && !only) {
  const path = new URL("../README.md", import.meta.url);
  const readme = await Deno.readTextFile(path);
  const updated = readme.replace(
    /<!-- bench:begin -->[\s\S]*<!-- bench:end -->/,
    `<!-- bench:begin -->\n${table}\n<!-- bench:end -->`,
  );
  await Deno.writeTextFile(path, updated);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path.pathname] }).output();
}
