// The web console in headless Chromium, after traffic from the AWS SDK for JavaScript: the
// rendered DOM shows the tables, their partitions and replicas, capacity and throttle plots
// with data, the request log's filters; the item browser pages through 10,000 items; items,
// tables, the clock, the consistency preset and faults are changed from the page and the SDK
// sees the changes. No request may leave the emulator's origin.
//
//     node tests/js/console.mjs http://127.0.0.1:8000 [screenshot-dir]
import {
  BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand,
  PutItemCommand, ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { chromium } from "playwright-core";

const endpoint = process.argv[2];
const shots = process.argv[3];
const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "any", secretAccessKey: "any" } };
const db = new DynamoDBClient(config);
const once = new DynamoDBClient({ ...config, maxAttempts: 1 });
let passed = 0;
let failed = 0;
const check = (name, cond, detail = "") => {
  if (cond) passed += 1;
  else { failed += 1; console.log(`FAILED: ${name} ${detail}`); }
};
const control = async (action, body = {}) => {
  const r = await fetch(endpoint, {
    method: "POST",
    headers: { "X-Amz-Target": `Emulator.${action}`, "Content-Type": "application/x-amz-json-1.0" },
    body: JSON.stringify(body),
  });
  return r.json();
};

// ---- traffic ----
await db.send(new CreateTableCommand({
  TableName: "Catalog", BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [{ AttributeName: "sku", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "sku", KeyType: "HASH" }],
}));
await db.send(new CreateTableCommand({
  TableName: "Hot", ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
}));
for (let b = 0; b < 400; b += 1) {
  const items = [];
  for (let i = 0; i < 25; i += 1) {
    const n = b * 25 + i;
    items.push({ PutRequest: { Item: { sku: { S: `sku-${String(n).padStart(5, "0")}` }, price: { N: String(n % 97) } } } });
  }
  await db.send(new BatchWriteItemCommand({ RequestItems: { Catalog: items } }));
}
// 1 WCU provisioned: 300 units of burst, then throttles (no retries, so each one shows).
let throttled = 0;
const big = "x".repeat(2000);
for (let i = 0; i < 200; i += 1) {
  try {
    await once.send(new PutItemCommand({ TableName: "Hot", Item: { id: { S: `k${i % 5}` }, v: { S: big } } }));
  } catch (e) {
    if (e.name === "ProvisionedThroughputExceededException") throttled += 1; else throw e;
  }
}
check("the hot table was throttled", throttled > 0, `${throttled}`);
// Eventual reads right after writes: some are served stale under worst-case consistency.
for (let i = 0; i < 20; i += 1) {
  await once.send(new PutItemCommand({ TableName: "Catalog", Item: { sku: { S: "sku-00000" }, price: { N: String(1000 + i) } } }));
  await once.send(new GetItemCommand({ TableName: "Catalog", Key: { sku: { S: "sku-00000" } } }));
}

// ---- the page ----
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
const origin = new URL(endpoint).origin;
const elsewhere = [];
await page.route("**/*", (route) => {
  const url = route.request().url();
  if (url.startsWith(origin)) return route.continue();
  elsewhere.push(url);
  return route.abort();
});
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("dialog", (d) => d.accept());
const response = await page.goto(`${endpoint}/console`);
const weight = (await response.body()).length;
check("the page is served", response.status() === 200, String(response.status()));
check("the page forbids other origins", (response.headers()["content-security-policy"] || "").includes("connect-src 'self'"));
await page.waitForSelector("body[data-ready=true]");
await page.waitForSelector('#table-list li[data-table="Catalog"]');
const tables = await page.$$eval("#table-list li", (l) => l.map((e) => e.dataset.table));
check("the tables are listed", tables.includes("Catalog") && tables.includes("Hot"), tables.join());

// Items: page through all 10,000, 250 at a time (strongly consistent: an eventual scan under
// worst-case consistency would miss the writes of the last lag window, as DynamoDB's can).
await page.click('#table-list li[data-table="Catalog"]');
await page.waitForFunction(() => document.getElementById("t-name").textContent === "Catalog");
await page.waitForSelector("#pg-info[data-generation]");
check("describe shows the key", (await page.textContent("#t-desc")).includes("sku S (partition)"));
// Each click's answer is the one awaited: its generation is newer than any before it.
const generation = async () => Number(await page.getAttribute("#pg-info", "data-generation"));
const clickAndWait = async (selector, pageNumber) => {
  const before = await generation();
  await page.click(selector);
  await page.waitForFunction(([g, n]) => {
    const info = document.getElementById("pg-info").dataset;
    return Number(info.generation) > g && info.page === String(n);
  }, [before, pageNumber]);
};
await page.fill("#q-limit", "250");
await page.check("#q-consistent");
await clickAndWait("#q-run", 1);
const seen = new Set();
const infos = [];
let pages = 0;
for (;;) {
  infos.push(await page.textContent("#pg-info"));
  const skus = await page.$$eval("#items tbody tr td:first-child", (c) => c.map((e) => e.textContent));
  for (const s of skus) seen.add(s);
  pages += 1;
  if ((await page.getAttribute("#pg-info", "data-last")) === "true" || pages > 100) break;
  await clickAndWait("#pg-next", pages + 1);
}
check("the item browser pages through every item", seen.size === 10000, `${seen.size} items in ${pages} pages: ${infos.join(" | ")}`);
check("pages hold the page size", pages === 40 || pages === 41, String(pages));

// One item as JSON, edited and saved from the page; then deleted.
await clickAndWait("#pg-first", 1);
await page.click("#items tbody tr:first-child");
const shown = JSON.parse(await page.inputValue("#item-json"));
check("an item is shown as DynamoDB JSON", shown.sku && shown.sku.S && shown.price && shown.price.N, JSON.stringify(shown));
await page.click("#item-new");
await page.fill("#item-json", JSON.stringify({ sku: { S: "from-the-console" }, price: { N: "42" } }));
await page.click("#item-save");
await page.waitForFunction(() => document.getElementById("item-note").textContent.includes("saved"));
const got = await db.send(new GetItemCommand({ TableName: "Catalog", Key: { sku: { S: "from-the-console" } }, ConsistentRead: true }));
check("an item saved from the page is in the table", got.Item && got.Item.price.N === "42");
await page.click("#item-delete");
await page.waitForFunction(() => document.getElementById("item-box").style.display === "none");
const gone = await db.send(new GetItemCommand({ TableName: "Catalog", Key: { sku: { S: "from-the-console" } }, ConsistentRead: true }));
check("an item deleted from the page is gone", !gone.Item);

// A query from the box.
await page.selectOption("#q-mode", "Query");
await page.fill("#q-key", "sku = :s");
await page.fill("#q-values", '{":s": {"S": "sku-00042"}}');
await page.click("#q-run");
await page.waitForFunction(() => document.querySelectorAll("#items tbody tr").length === 1);
check("the query box queries", (await page.textContent("#items tbody tr")).includes("sku-00042"));

// Partitions and replicas.
await page.click('#tabs button[data-tab="partitions"]');
await page.waitForSelector("#partitions tbody tr[data-partition]");
const parts = await page.$$eval("#partitions tbody tr", (r) => r.map((e) => [...e.children].map((c) => c.textContent)));
check("partitions are listed", parts.length >= 1, JSON.stringify(parts));
const items = parts.reduce((n, p) => n + Number(p[2].replace(/,/g, "")), 0);
check("partition item counts add up to the table", items === 10000, String(items));
check("each partition shows its replicas", parts.every((p) => p[6].startsWith("at ") && p[8].startsWith("at ")));
// Splits as they happen: the emulator runs with --partition-size 40000, so doubling the
// catalog while the page watches pushes partitions past it.
for (let b = 0; b < 400; b += 1) {
  const more = [];
  for (let i = 0; i < 25; i += 1) more.push({ PutRequest: { Item: { sku: { S: `more-${b}-${i}` }, price: { N: "1" } } } });
  await db.send(new BatchWriteItemCommand({ RequestItems: { Catalog: more } }));
}
await page.waitForSelector("#split-log li");
await page.waitForFunction((n) => document.querySelectorAll("#partitions tbody tr").length > n, parts.length);
const split = await page.textContent("#split-log li");
check("a split is shown as it happens", / \d+ → \d+ partitions/.test(split), split);
if (shots) await page.screenshot({ path: `${shots}/console-partitions.png` });

// Capacity of the throttled table: plots with data.
await page.click('#table-list li[data-table="Hot"]');
await page.waitForFunction(() => document.getElementById("t-name").textContent === "Hot");
await page.click('#tabs button[data-tab="capacity"]');
await page.waitForSelector('#chart-write svg path[data-series="consumed"]');
await page.waitForSelector('#chart-throttle svg path[data-series="throttled"]');
const points = async (chart, series) => Number(await page.getAttribute(`#${chart} svg path[data-series="${series}"]`, "data-points"));
check("the write plot has data", (await points("chart-write", "consumed")) >= 1);
check("the write plot shows the provisioned line", (await points("chart-write", "provisioned")) >= 1);
check("the throttle plot has data", (await points("chart-throttle", "throttled")) >= 1);
await page.waitForSelector('#chart-burst svg path[data-series="write tokens"]');
check("the burst plot has data", (await points("chart-burst", "write tokens")) >= 1);
const bill = await page.textContent("#bill");
check("the estimated bill is shown", /\$\d+\.\d{6} on demand/.test(bill) && bill.includes("per hour"), bill);
const ops = await page.$$eval("#operations tbody tr", (r) => r.map((e) => e.textContent));
check("operations are counted", ops.some((o) => o.startsWith("PutItem")), ops.join("|"));
if (shots) await page.screenshot({ path: `${shots}/console-capacity.png` });

// Stale reads on the catalog.
await page.click('#table-list li[data-table="Catalog"]');
await page.waitForFunction(() => document.getElementById("t-name").textContent === "Catalog");
await page.click('#tabs button[data-tab="capacity"]');
await page.waitForSelector('#chart-stale svg path[data-series="stale"]');
check("the stale-read plot has data", (await points("chart-stale", "stale")) >= 1);

// The request log and its filters.
await page.click('#tabs button[data-tab="requests"]');
await page.waitForSelector("#requests tbody tr");
await page.selectOption("#r-table", "Hot");
await page.check("#r-throttled");
await page.waitForFunction(() => {
  const cells = [...document.querySelectorAll("#requests tbody tr td:nth-child(5)")];
  return cells.length > 0 && cells.every((c) => c.textContent !== "ok");
});
const outcomes = await page.$$eval("#requests tbody tr td:nth-child(5)", (c) => c.map((e) => e.textContent));
check("the throttled filter keeps throttles only", outcomes.length > 0 && outcomes.every((o) => o === "ProvisionedThroughputExceededException"), outcomes.slice(0, 3).join());
await page.uncheck("#r-throttled");
await page.selectOption("#r-table", "Catalog");
await page.check("#r-stale");
await page.waitForFunction(() => [...document.querySelectorAll("#requests tbody tr td:nth-child(7)")].every((c) => c.textContent === "true"));
const stale = await page.$$eval("#requests tbody tr", (r) => r.length);
check("the stale filter finds the stale reads", stale > 0, String(stale));

// Faults from the page.
await page.click('#tabs button[data-tab="faults"]');
await page.selectOption("#f-kind", "ServiceUnavailable");
await page.fill("#f-op", "GetItem");
await page.fill("#f-nth", "2");
await page.click("#f-inject");
await page.waitForSelector("#faults tbody tr");
const faults = await control("ListFaults");
check("a fault injected from the page is a rule", JSON.stringify(faults).includes("ServiceUnavailable"), JSON.stringify(faults));
await page.click("#f-clear");
await page.waitForFunction(() => document.querySelectorAll("#faults tbody tr").length === 0);

// The clock and the consistency preset.
const before = (await control("GetState")).ClockMilliseconds;
await page.fill("#advance-ms", "60000");
await page.click("#advance");
await page.waitForFunction((t) => document.getElementById("status").textContent.startsWith("advance clock"), before);
const after = (await control("GetState")).ClockMilliseconds;
check("the page advances the virtual clock", after - before >= 60000, `${before} -> ${after}`);
await page.selectOption("#preset", "strong");
await page.click("#apply-consistency");
await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("set consistency"));
const state = await control("GetState");
check("the page switches the consistency preset", state.Consistency === "strong",
  `${await page.textContent("#status")} / ${state.Consistency}`);

// A table created and deleted from the page.
await page.click("#create-table summary");
await page.fill("#ct-name", "Made");
await page.fill("#ct-hash", "pk");
await page.fill("#ct-range", "sk");
await page.selectOption("#ct-range-type", "N");
await page.click("#ct-create");
await page.waitForFunction(() => document.getElementById("t-name").textContent === "Made");
check("a table created from the page exists", (await db.send(new ListTablesCommand({}))).TableNames.includes("Made"));
check("its sort key is typed", (await page.textContent("#t-desc")).includes("sk N (sort)"));
await page.click("#t-delete");
await page.waitForFunction(() => !document.querySelector('#table-list li[data-table="Made"]'));
check("a table deleted from the page is gone", !(await db.send(new ListTablesCommand({}))).TableNames.includes("Made"));

check("the page made no request elsewhere", elsewhere.length === 0, elsewhere.join());
check("the page threw no error", errors.length === 0, errors.join("; "));
const scan = await db.send(new ScanCommand({ TableName: "Catalog", Select: "COUNT", ConsistentRead: true }));
check("the catalog still holds its items", scan.Count === 20000, String(scan.Count));
await browser.close();
console.log(`console: page ${(weight / 1024).toFixed(1)} KB, ${pages} pages of items, ${parts.length} partitions, ${throttled} throttles, ${stale} stale reads`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
