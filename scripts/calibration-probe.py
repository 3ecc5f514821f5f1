#!/usr/bin/env python3
"""Measures how the emulator's default consistency and capacity models bite, through boto3.

    cargo build --release -p dynamodb-emulator
    target/tmp/py/bin/python scripts/calibration-probe.py target/release/dynamodb-emulator [flags...]

(target/tmp/py is the venv with boto3 that `cargo test` creates.)

Starts the binary with no flags but `--port 0` (plus any given), then, each on a fresh table:

1. 1,000 PutItems each followed at once by an eventually consistent GetItem of the same key:
   how many reads were stale.
2. 200 PutItems each followed at once by a Query of a GSI for the written value: how many missed.
3. 800 items of 10 KB (8,000 WRU) into a new on-demand table with boto3's batch writer: the
   BatchWriteItem calls rejected whole, and the items that came back unprocessed.
4. One 25-item BatchWriteItem of 200 KB items (5,000 WRU), then at once 10 PutItems and a
   TransactWriteItems: throttling errors and unprocessed items.
5. A tight loop of 1 KB PutItems on a 5 WCU provisioned table: writes before the first throttle.
6. A tight loop of 10 KB PutItems to one key of an on-demand table: seconds before the first
   throttle.

Clients do not retry (max_attempts=1), so every throttle is counted. Prints one JSON object.
"""

import json
import subprocess
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def start(binary, flags):
    proc = subprocess.Popen(
        [binary, "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    url = "http://" + line.strip().rsplit("http://", 1)[1]
    return proc, url


def client(url):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def table(c, name, gsi=False, provisioned=None):
    args = dict(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    if gsi:
        args["AttributeDefinitions"].append({"AttributeName": "v", "AttributeType": "S"})
        args["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "byV",
                "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    if provisioned:
        args["BillingMode"] = "PROVISIONED"
        args["ProvisionedThroughput"] = {
            "ReadCapacityUnits": provisioned[0],
            "WriteCapacityUnits": provisioned[1],
        }
    else:
        args["BillingMode"] = "PAY_PER_REQUEST"
    c.create_table(**args)


def throttled(e):
    return e.response["Error"]["Code"] in (
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    )


def stale_reads(c):
    table(c, "Stale")
    stale = 0
    for i in range(1000):
        v = f"v{i}"
        c.put_item(TableName="Stale", Item={"id": {"S": f"k{i % 10}"}, "v": {"S": v}})
        got = c.get_item(TableName="Stale", Key={"id": {"S": f"k{i % 10}"}}).get("Item")
        if not got or got["v"]["S"] != v:
            stale += 1
    return stale


def gsi_misses(c):
    table(c, "Gsi", gsi=True)
    missed = 0
    for i in range(200):
        c.put_item(TableName="Gsi", Item={"id": {"S": f"k{i}"}, "v": {"S": f"v{i}"}})
        out = c.query(
            TableName="Gsi",
            IndexName="byV",
            KeyConditionExpression="v = :v",
            ExpressionAttributeValues={":v": {"S": f"v{i}"}},
        )
        if out["Count"] != 1:
            missed += 1
    return missed


def bulk_load(c):
    table(c, "Bulk")
    blob = "x" * (10 * 1024 - 20)
    rejected, unprocessed = 0, 0
    pending = [
        {"PutRequest": {"Item": {"id": {"S": f"k{i}"}, "b": {"S": blob}}}} for i in range(800)
    ]
    # What boto3's batch writer does: 25 at a time, unprocessed items go back in the queue.
    while pending:
        batch, pending = pending[:25], pending[25:]
        try:
            out = c.batch_write_item(RequestItems={"Bulk": batch})
            left = out.get("UnprocessedItems", {}).get("Bulk", [])
            unprocessed += len(left)
            pending.extend(left)
        except ClientError as e:
            if not throttled(e):
                raise
            rejected += 1
            pending.extend(batch)
            time.sleep(0.05)
    return {"rejected_calls": rejected, "unprocessed_items": unprocessed}


def big_batch(c):
    table(c, "Big")
    blob = "y" * (200 * 1024 - 30)
    errors, unprocessed = 0, 0
    out = c.batch_write_item(
        RequestItems={
            "Big": [
                {"PutRequest": {"Item": {"id": {"S": f"b{i}"}, "b": {"S": blob}}}}
                for i in range(25)
            ]
        }
    )
    unprocessed += len(out.get("UnprocessedItems", {}).get("Big", []))
    for i in range(10):
        try:
            c.put_item(TableName="Big", Item={"id": {"S": f"p{i}"}})
        except ClientError as e:
            if not throttled(e):
                raise
            errors += 1
    try:
        c.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Big", "Item": {"id": {"S": "t1"}}}},
                {"Put": {"TableName": "Big", "Item": {"id": {"S": "t2"}}}},
            ]
        )
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code not in ("TransactionCanceledException",) and not throttled(e):
            raise
        errors += 1
    return {"throttling_errors": errors, "unprocessed_items": unprocessed}


def provisioned_loop(c):
    table(c, "Prov", provisioned=(5, 5))
    blob = "z" * (1024 - 20)
    for n in range(20000):
        try:
            c.put_item(TableName="Prov", Item={"id": {"S": f"k{n}"}, "b": {"S": blob}})
        except ClientError as e:
            if throttled(e):
                return n
            raise
    return None


def hot_key(c):
    table(c, "HotKey")
    blob = "h" * (10 * 1024 - 20)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 120:
        try:
            c.put_item(TableName="HotKey", Item={"id": {"S": "hot"}, "b": {"S": blob}})
            n += 1
        except ClientError as e:
            if throttled(e):
                return {"seconds": round(time.monotonic() - t0, 2), "writes": n}
            raise
    return None


def main():
    binary, flags = sys.argv[1], sys.argv[2:]
    proc, url = start(binary, flags)
    try:
        c = client(url)
        out = {"flags": flags}
        for name, probe in [
            ("stale_of_1000_eventual_reads", stale_reads),
            ("gsi_misses_of_200_queries", gsi_misses),
            ("bulk_load_8000_wru", bulk_load),
            ("batch_5mb_then_puts_and_transaction", big_batch),
            ("provisioned_5_wcu_writes_before_throttle", provisioned_loop),
            ("hot_key_10kb_first_throttle", hot_key),
        ]:
            t0 = time.monotonic()
            out[name] = probe(c)
            out[name + "_seconds"] = round(time.monotonic() - t0, 2)
        print(json.dumps(out, indent=1))
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
