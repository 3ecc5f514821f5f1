// The AWS SDK for JavaScript (v3) against injected faults: each fault's error with one attempt,
// the SDK's standard retry (3 attempts) recovering from two failures in a row of each kind, and
// a conflict that is not retried. Rules are added through the emulator's control API.
//
//     node tests/js/faults.mjs http://127.0.0.1:8000
import {
  CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand,
} from "@aws-sdk/client-dynamodb";

const endpoint = process.argv[2];
const config = {
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "any", secretAccessKey: "any" },
};
const once = new DynamoDBClient({ ...config, maxAttempts: 1 });
const standard = new DynamoDBClient(config);
let passed = 0;
let failed = 0;
const check = (name, cond, detail = "") => {
  if (cond) passed += 1;
  else { failed += 1; console.log(`FAILED: ${name} ${detail}`); }
};

const control = async (action, body) => {
  const r = await fetch(endpoint, {
    method: "POST",
    headers: { "X-Amz-Target": `Emulator.${action}`, "Content-Type": "application/x-amz-json-1.0" },
    body: JSON.stringify(body),
  });
  return r.json();
};
const inject = (Kind, Times) => control("InjectFaults", {
  Faults: [{ Kind, Times, Operation: "PutItem" }],
});
const put = (client, id) => client.send(new PutItemCommand({
  TableName: "Faulty", Item: { id: { S: id } },
}));
const exists = async (id) => (await once.send(new GetItemCommand({
  TableName: "Faulty", Key: { id: { S: id } }, ConsistentRead: true,
}))).Item !== undefined;

await once.send(new CreateTableCommand({
  TableName: "Faulty",
  BillingMode: "PAY_PER_REQUEST",
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
}));

for (const [kind, name, status] of [
  ["InternalServerError", "InternalServerError", 500],
  ["ServiceUnavailable", "ServiceUnavailableException", 503],
  ["Throttling", "ThrottlingException", 400],
  ["TransactionConflict", "TransactionConflictException", 400],
]) {
  await inject(kind, 1);
  try {
    await put(once, kind);
    check(`${kind} fails`, false);
  } catch (e) {
    check(`${kind} shape`, e.name === name && e.$metadata.httpStatusCode === status,
      `${e.name} ${e.$metadata?.httpStatusCode}`);
  }
  check(`${kind} applied nothing`, !(await exists(kind)));
}
for (const [kind, applied] of [["ResetBeforeApply", false], ["ResetAfterApply", true]]) {
  await inject(kind, 1);
  try {
    await put(once, kind);
    check(`${kind} fails`, false);
  } catch (e) {
    check(`${kind} is ECONNRESET`, e.code === "ECONNRESET" || `${e}`.includes("ECONNRESET"), `${e}`);
  }
  check(`${kind} applied`, (await exists(kind)) === applied);
}
for (const kind of ["InternalServerError", "ServiceUnavailable", "Throttling", "ResetBeforeApply",
  "ResetAfterApply"]) {
  await inject(kind, 2);
  try {
    await put(standard, `${kind}-retried`);
    check(`standard retry recovers from ${kind}`, await exists(`${kind}-retried`));
  } catch (e) {
    check(`standard retry recovers from ${kind}`, false, `${e}`);
  }
}
await inject("TransactionConflict", 1);
try {
  await put(standard, "conflicted");
  check("a conflict is not retried", false);
} catch (e) {
  check("a conflict is not retried", e.name === "TransactionConflictException"
    && e.$metadata.attempts === 1, `${e.name} ${e.$metadata?.attempts}`);
}

console.log(`js faults: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
