"""kill -9 and --data-dir through boto3 against the binary (driven by
emulator/tests/integration/boto3_sdk.rs).

    persistence_kill9.py write ACKED_FILE URL   four threads write until the server dies;
                                               the acknowledged writes go to ACKED_FILE
    persistence_kill9.py verify ACKED_FILE URL  after a restart on the same directory: every
                                               acknowledged write is there
"""
import json
import sys
import threading
import time

import boto3
from botocore.config import Config

mode, acked_file, url = sys.argv[1], sys.argv[2], sys.argv[3]
client = boto3.client(
    "dynamodb",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id="a",
    aws_secret_access_key="b",
    # A dead server must fail the write at once, not be retried into the next run.
    config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
)

if mode == "write":
    client.create_table(
        TableName="orders",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    print("table created", flush=True)
    acked = {}
    lock = threading.Lock()

    def writer(w):
        n = 0
        while True:
            pk = f"w{w}-{n}"
            try:
                client.put_item(
                    TableName="orders",
                    Item={"pk": {"S": pk}, "g": {"S": f"g{n % 10}"}, "n": {"N": str(n)}},
                )
            except Exception:
                return
            with lock:
                acked[pk] = n
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(acked_file, "w") as f:
        json.dump(acked, f)
    print(f"acknowledged {len(acked)} puts", flush=True)
    sys.exit(0)

acked = json.load(open(acked_file))
failed = 0


def check(what, ok):
    global failed
    if not ok:
        failed += 1
        print("FAIL:", what, flush=True)


for pk, n in acked.items():
    got = client.get_item(TableName="orders", Key={"pk": {"S": pk}}, ConsistentRead=True)
    check(f"{pk} lost", got.get("Item", {}).get("n") == {"N": str(n)})
scanned = set()
for page in client.get_paginator("scan").paginate(TableName="orders", ConsistentRead=True):
    scanned.update(i["pk"]["S"] for i in page["Items"])
check("scan misses acknowledged items", scanned >= set(acked))
check(f"scan has {len(scanned) - len(acked)} unacknowledged items", len(scanned) <= len(acked) + 4)
indexed = set()
for g in range(10):
    for page in client.get_paginator("query").paginate(
        TableName="orders",
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": f"g{g}"}},
    ):
        indexed.update(i["pk"]["S"] for i in page["Items"])
check("the GSI differs from the table", indexed == scanned)
table = client.describe_table(TableName="orders")["Table"]
check("DescribeTable", table["TableStatus"] == "ACTIVE" and table["ItemCount"] == len(scanned))
check("the GSI is described", table["GlobalSecondaryIndexes"][0]["IndexName"] == "by_g")
print(f"persistence: {len(acked)} acknowledged, {len(scanned)} recovered, {failed} failed")
sys.exit(1 if failed else 0)
