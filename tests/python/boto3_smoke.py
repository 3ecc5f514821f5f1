"""boto3 against the emulator binary: another SDK than Rust's, through the wire protocol only.

Run by scripts/boto3-smoke.sh (which starts the emulator on a free port), or by hand:
    python tests/python/boto3_smoke.py http://127.0.0.1:8000
"""
import json
import sys
import time

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
db = boto3.resource(
    "dynamodb",
    endpoint_url=endpoint,
    region_name="eu-west-1",
    aws_access_key_id="any",
    aws_secret_access_key="any",
)
# A plain low-level client (the resource's own client would re-serialise typed values).
client = boto3.client(
    "dynamodb",
    endpoint_url=endpoint,
    region_name="eu-west-1",
    aws_access_key_id="any",
    aws_secret_access_key="any",
)
passed = failed = 0


def check(name, cond):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name}")


table = db.create_table(
    TableName="posts",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "rev", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "rev", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
)
table.wait_until_exists()
check("region from the signature is in the ARN", ":eu-west-1:" in table.table_arn)

for rev in range(1, 6):
    table.put_item(Item={"id": "post", "rev": rev, "title": f"v{rev}", "tags": {"a", "b"}})
latest = table.query(KeyConditionExpression=Key("id").eq("post"), ScanIndexForward=False, Limit=1, ConsistentRead=True)
check("latest revision via reverse + limit", latest["Items"][0]["title"] == "v5")
check("sets round-trip", table.get_item(Key={"id": "post", "rev": 1}, ConsistentRead=True)["Item"]["tags"] == {"a", "b"})

table.update_item(
    Key={"id": "post", "rev": 5},
    UpdateExpression="SET hits = if_not_exists(hits, :z) + :one",
    ExpressionAttributeValues={":z": 0, ":one": 1},
)
item = table.get_item(Key={"id": "post", "rev": 5}, ConsistentRead=True)["Item"]
check("update expression", item["hits"] == 1)

try:
    table.put_item(Item={"id": "post", "rev": 5}, ConditionExpression=Attr("id").not_exists())
    check("conditional put fails", False)
except ClientError as e:
    check("ConditionalCheckFailedException", e.response["Error"]["Code"] == "ConditionalCheckFailedException")

try:
    table.get_item(Key={"id": "post"})
    check("bad key rejected", False)
except ClientError as e:
    err = e.response["Error"]
    check("ValidationException for a bad key", err["Code"] == "ValidationException"
          and err["Message"] == "The provided key element does not match the schema")

scan = table.scan(FilterExpression=Attr("rev").gt(2), ConsistentRead=True)
check("scan with filter", scan["Count"] == 3 and scan["ScannedCount"] == 5)

with table.batch_writer() as batch:
    for i in range(40):
        batch.put_item(Item={"id": "bulk", "rev": i})
paginator = client.get_paginator("query")
pages = paginator.paginate(
    TableName="posts",
    KeyConditionExpression="id = :b",
    ExpressionAttributeValues={":b": {"S": "bulk"}},
    Limit=7,
    ConsistentRead=True,
)
check("paginator collects every item", sum(p["Count"] for p in pages) == 40)

client.transact_write_items(TransactItems=[
    {"Put": {"TableName": "posts", "Item": {"id": {"S": "t"}, "rev": {"N": "1"}}}},
    {"Update": {"TableName": "posts", "Key": {"id": {"S": "post"}, "rev": {"N": "1"}},
                "UpdateExpression": "SET moved = :t", "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
])
check("transaction", table.get_item(Key={"id": "t", "rev": 1}, ConsistentRead=True).get("Item") is not None)

# DynamoDB Streams through boto3's own client, on the same endpoint.
streams = boto3.client(
    "dynamodbstreams",
    endpoint_url=endpoint,
    region_name="eu-west-1",
    aws_access_key_id="any",
    aws_secret_access_key="any",
)
created = client.create_table(
    TableName="events",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
)
stream_arn = created["TableDescription"]["LatestStreamArn"]
client.put_item(TableName="events", Item={"id": {"S": "e"}, "n": {"N": "1"}})
client.put_item(TableName="events", Item={"id": {"S": "e"}, "n": {"N": "2"}})
client.delete_item(TableName="events", Key={"id": {"S": "e"}})
check("list_streams names the stream",
      [s["StreamArn"] for s in streams.list_streams(TableName="events")["Streams"]] == [stream_arn])


def read_stream():
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    records = []
    for shard in shards:
        it = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while it:
            page = streams.get_records(ShardIterator=it)
            records += page["Records"]
            it = page.get("NextShardIterator") if page["Records"] else None
    return records


# Records become readable after the (realistic preset's) feed lag: poll, as consumers do.
records = []
for _ in range(40):
    records = read_stream()
    if len(records) == 3:
        break
    time.sleep(0.1)
check("stream records in order", [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"])
check("the MODIFY carries both images",
      records[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"} and records[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"})
try:
    streams.get_records(ShardIterator="garbage")
    check("a garbled iterator is refused", False)
except ClientError as e:
    check("a garbled iterator is refused", e.response["Error"]["Code"] == "ValidationException")

# PartiQL: statements with parameters, a duplicate INSERT, a batch and a transaction.
client.create_table(
    TableName="py-partiql",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
)
for i in range(5):
    client.execute_statement(Statement="INSERT INTO \"py-partiql\" VALUE {'pk': ?, 'sk': ?, 'v': 'x'}",
                             Parameters=[{"S": "a"}, {"N": str(i)}])
page = client.execute_statement(Statement="SELECT sk FROM \"py-partiql\" WHERE pk = ? ORDER BY sk DESC",
                                Parameters=[{"S": "a"}], Limit=2)
check("a PartiQL page in descending sort-key order", page["Items"] == [{"sk": {"N": "4"}}, {"sk": {"N": "3"}}])
rest = client.execute_statement(Statement="SELECT sk FROM \"py-partiql\" WHERE pk = ? ORDER BY sk DESC",
                                Parameters=[{"S": "a"}], NextToken=page["NextToken"])
check("NextToken resumes the statement", len(rest["Items"]) == 3 and "NextToken" not in rest)
try:
    client.execute_statement(Statement="INSERT INTO \"py-partiql\" VALUE {'pk': 'a', 'sk': 0}")
    check("a duplicate INSERT is refused", False)
except ClientError as e:
    check("a duplicate INSERT is refused", e.response["Error"]["Code"] == "DuplicateItemException")
batch = client.batch_execute_statement(Statements=[
    {"Statement": "UPDATE \"py-partiql\" SET v = 'y' WHERE pk = 'a' AND sk = 0"},
    {"Statement": "UPDATE \"py-partiql\" SET v = 'y' WHERE pk = 'zz' AND sk = 0"},
])["Responses"]
check("a batch answers statement by statement",
      "Error" not in batch[0] and batch[1]["Error"]["Code"] == "ConditionalCheckFailed")
try:
    client.execute_transaction(TransactStatements=[
        {"Statement": "DELETE FROM \"py-partiql\" WHERE pk = 'a' AND sk = 1"},
        {"Statement": "UPDATE \"py-partiql\" SET v = 'z' WHERE pk = 'a' AND sk = 2 AND v = 'nope'"},
    ])
    check("a failed transaction is cancelled", False)
except ClientError as e:
    reasons = [r["Code"] for r in e.response.get("CancellationReasons", [])]
    check("a failed transaction is cancelled",
          e.response["Error"]["Code"] == "TransactionCanceledException" and reasons == ["None", "ConditionalCheckFailed"])
check("nothing of it applied", len(client.execute_statement(
    Statement="SELECT * FROM \"py-partiql\" WHERE pk = 'a' AND sk = 1", ConsistentRead=True)["Items"]) == 1)
client.delete_table(TableName="py-partiql")

# Backups, point-in-time recovery, resource policies and a composite GSI key.
client.create_table(
    TableName="py-backup",
    BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "a", "AttributeType": "S"},
        {"AttributeName": "b", "AttributeType": "N"},
    ],
    GlobalSecondaryIndexes=[{
        "IndexName": "by_ab",
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }],
)
for i in range(6):
    client.put_item(TableName="py-backup", Item={"pk": {"S": f"k{i}"}, "a": {"S": "x"}, "b": {"N": str(i % 2)}})
arn = client.describe_table(TableName="py-backup")["Table"]["TableArn"]
backup = client.create_backup(TableName="py-backup", BackupName="py-nightly")["BackupDetails"]
check("a backup is available", backup["BackupStatus"] == "AVAILABLE")
check("list_backups names it", [b["BackupName"] for b in
      client.list_backups(TableName="py-backup")["BackupSummaries"]] == ["py-nightly"])
client.delete_item(TableName="py-backup", Key={"pk": {"S": "k0"}})
client.restore_table_from_backup(TargetTableName="py-restored", BackupArn=backup["BackupArn"])
check("the restore has the backup's items",
      client.scan(TableName="py-restored", Select="COUNT", ConsistentRead=True)["Count"] == 6)
composite = client.query(TableName="py-restored", IndexName="by_ab",
                         KeyConditionExpression="a = :a AND b = :b",
                         ExpressionAttributeValues={":a": {"S": "x"}, ":b": {"N": "1"}})
check("the composite GSI key came with it", composite["Count"] == 3)
pitr = client.update_continuous_backups(
    TableName="py-backup", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
check("PITR on", pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
      ["PointInTimeRecoveryStatus"] == "ENABLED")
try:
    client.restore_table_to_point_in_time(SourceTableName="py-restored", TargetTableName="py-nope",
                                          UseLatestRestorableTime=True)
    check("PITR off refuses a restore", False)
except ClientError as e:
    check("PITR off refuses a restore", e.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException")
policy = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": ["dynamodb:GetItem"], "Resource": "*"}]})
rev = client.put_resource_policy(ResourceArn=arn, Policy=policy)["RevisionId"]
check("the policy reads back", client.get_resource_policy(ResourceArn=arn)["RevisionId"] == rev)
try:
    client.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId="1")
    check("a stale revision is refused", False)
except ClientError as e:
    check("a stale revision is refused", e.response["Error"]["Code"] == "PolicyNotFoundException")
client.delete_backup(BackupArn=backup["BackupArn"])
for t in ("py-backup", "py-restored"):
    client.delete_table(TableName=t)

table.delete()
print(f"boto3: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
