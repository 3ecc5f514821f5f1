// The AWS SDK for JavaScript (v3) against the emulator binary: a table with a stream, written
// through @aws-sdk/client-dynamodb, read through @aws-sdk/client-dynamodb-streams; then PartiQL
// statements, a batch and a transaction.
//
//     node tests/js/streams_smoke.mjs http://127.0.0.1:8000
import {
  BatchExecuteStatementCommand, CreateTableCommand, DeleteItemCommand, DynamoDBClient,
  ExecuteStatementCommand, ExecuteTransactionCommand, PutItemCommand, UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";

const endpoint = process.argv[2];
const config = {
  endpoint,
  region: "us-west-2",
  credentials: { accessKeyId: "any", secretAccessKey: "any" },
};
const db = new DynamoDBClient(config);
const streams = new DynamoDBStreamsClient(config);
let passed = 0;
let failed = 0;
const check = (name, cond) => {
  if (cond) passed += 1;
  else { failed += 1; console.log(`FAILED: ${name}`); }
};

const created = await db.send(new CreateTableCommand({
  TableName: "js-events",
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
  BillingMode: "PAY_PER_REQUEST",
  StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
}));
const arn = created.TableDescription.LatestStreamArn;
await db.send(new PutItemCommand({ TableName: "js-events", Item: { id: { S: "e" }, n: { N: "1" } } }));
await db.send(new UpdateItemCommand({
  TableName: "js-events", Key: { id: { S: "e" } },
  UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": { N: "2" } },
}));
await db.send(new DeleteItemCommand({ TableName: "js-events", Key: { id: { S: "e" } } }));

const listed = await streams.send(new ListStreamsCommand({ TableName: "js-events" }));
check("ListStreams names the stream", listed.Streams.length === 1 && listed.Streams[0].StreamArn === arn);

async function readAll() {
  const d = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  check("the stream is ENABLED", d.StreamDescription.StreamStatus === "ENABLED");
  const records = [];
  for (const shard of d.StreamDescription.Shards) {
    let it = (await streams.send(new GetShardIteratorCommand({
      StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON",
    }))).ShardIterator;
    while (it) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
      records.push(...page.Records);
      it = page.Records.length ? page.NextShardIterator : undefined;
    }
  }
  return records;
}

// Records become readable after the (realistic preset's) feed lag: poll, as consumers do.
let records = [];
for (let i = 0; i < 40 && records.length < 3; i += 1) {
  records = await readAll();
  if (records.length < 3) await new Promise((r) => setTimeout(r, 100));
}
check("three records, in order", records.map((r) => r.eventName).join() === "INSERT,MODIFY,REMOVE");
const modify = records[1]?.dynamodb;
check("the MODIFY carries both images", modify?.OldImage?.n?.N === "1" && modify?.NewImage?.n?.N === "2");
check("creation time is a Date", modify?.ApproximateCreationDateTime instanceof Date);
check("the records name the region", records.every((r) => r.awsRegion === "us-west-2"));
try {
  await streams.send(new GetRecordsCommand({ ShardIterator: "garbage" }));
  check("a garbled iterator is refused", false);
} catch (e) {
  check("a garbled iterator is refused", e.name === "ValidationException");
}
// PartiQL.
await db.send(new CreateTableCommand({
  TableName: "js-partiql",
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
  BillingMode: "PAY_PER_REQUEST",
}));
await db.send(new ExecuteStatementCommand({
  Statement: `INSERT INTO "js-partiql" VALUE {'id': ?, 'n': 1, 'tags': <<'a'>>}`,
  Parameters: [{ S: "k" }],
}));
const updated = await db.send(new ExecuteStatementCommand({
  Statement: `UPDATE "js-partiql" SET n = n + 1 SET tags = set_add(tags, <<'b'>>) WHERE id = 'k' RETURNING ALL NEW *`,
}));
check("an UPDATE returns the new item",
  updated.Items.length === 1 && updated.Items[0].n.N === "2" && updated.Items[0].tags.SS.length === 2);
const selected = await db.send(new ExecuteStatementCommand({
  Statement: `SELECT n FROM "js-partiql" WHERE id = ?`, Parameters: [{ S: "k" }], ConsistentRead: true,
}));
check("a SELECT by key", selected.Items.length === 1 && selected.Items[0].n.N === "2");
try {
  await db.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "js-partiql" VALUE {'id': 'k'}` }));
  check("a duplicate INSERT is refused", false);
} catch (e) {
  check("a duplicate INSERT is refused", e.name === "DuplicateItemException");
}
const batch = await db.send(new BatchExecuteStatementCommand({
  Statements: [
    { Statement: `SELECT * FROM "js-partiql" WHERE id = 'k'` },
    { Statement: `SELECT * FROM "js-partiql" WHERE n = 2` },
  ],
}));
check("a batch answers statement by statement",
  batch.Responses[0].Item?.id?.S === "k" && batch.Responses[1].Error?.Code === "ValidationError");
try {
  await db.send(new ExecuteTransactionCommand({
    TransactStatements: [
      { Statement: `DELETE FROM "js-partiql" WHERE id = 'k'` },
      { Statement: `INSERT INTO "js-partiql" VALUE {'id': 'k'}` },
    ],
  }));
  check("a transaction of one item twice is refused", false);
} catch (e) {
  check("a transaction of one item twice is refused", e.name === "ValidationException");
}
const tx = await db.send(new ExecuteTransactionCommand({
  TransactStatements: [{ Statement: `SELECT n FROM "js-partiql" WHERE id = 'k'` }],
}));
check("a read transaction", tx.Responses.length === 1 && tx.Responses[0].Item.n.N === "2");
console.log(`js: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
