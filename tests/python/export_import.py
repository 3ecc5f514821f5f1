"""boto3: export a table to S3 and import it back, against the emulator binary started with
`--s3 STORE`, where STORE is `file:///DIR` (the emulator's directory store) or `http://HOST:PORT`
(an S3-compatible endpoint: the test starts moto's server). The exported objects are read back
through the same store (the directory, or boto3's S3 client) to check DynamoDB's layout.

    python tests/python/export_import.py STORE EMULATOR_URL
"""
import gzip
import hashlib
import base64
import json
import os
import sys
import time

import boto3

store, endpoint = sys.argv[1], sys.argv[2]
kw = dict(region_name="us-east-1", aws_access_key_id="any", aws_secret_access_key="any")
client = boto3.client("dynamodb", endpoint_url=endpoint, **kw)
passed = failed = 0


def check(name, cond):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}")


if store.startswith("file://"):
    root = store[len("file://"):]
    os.makedirs(os.path.join(root, "py-bucket"), exist_ok=True)

    def get(key):
        with open(os.path.join(root, "py-bucket", key), "rb") as f:
            return f.read()

    def put(key, body):
        path = os.path.join(root, "py-bucket", key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
else:
    s3 = boto3.client("s3", endpoint_url=store, **kw)
    s3.create_bucket(Bucket="py-bucket")

    def get(key):
        return s3.get_object(Bucket="py-bucket", Key=key)["Body"].read()

    def put(key, body):
        s3.put_object(Bucket="py-bucket", Key=key, Body=body)


def wait(describe, member):
    for _ in range(100):
        d = describe()
        if d[member] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    return d


def scan(table):
    items, kw2 = [], {}
    while True:
        r = client.scan(TableName=table, ConsistentRead=True, **kw2)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            break
        kw2 = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
    return sorted(items, key=lambda i: i["pk"]["S"])


client.create_table(TableName="py-source", BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
for i in range(120):
    client.put_item(TableName="py-source", Item={
        "pk": {"S": f"k{i:03}"}, "n": {"N": str(i)}, "b": {"B": bytes([i])},
        "ss": {"SS": ["a", f"s{i}"]}, "m": {"M": {"deep": {"L": [{"NULL": True}, {"BOOL": False}]}}}})
client.update_continuous_backups(TableName="py-source",
                                 PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
arn = client.describe_table(TableName="py-source")["Table"]["TableArn"]

for fmt, ext in (("DYNAMODB_JSON", ".json.gz"), ("ION", ".ion.gz")):
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="py-bucket", S3Prefix="out",
                                                   ExportFormat=fmt)["ExportDescription"]
    check(f"{fmt}: the export starts IN_PROGRESS", started["ExportStatus"] == "IN_PROGRESS")
    d = wait(lambda: client.describe_export(ExportArn=started["ExportArn"])["ExportDescription"],
             "ExportStatus")
    check(f"{fmt}: the export completes", d["ExportStatus"] == "COMPLETED" and d["ItemCount"] == 120)
    summary_key = d["ExportManifest"]
    summary = get(summary_key)
    check(f"{fmt}: the summary's MD5 file matches",
          get(summary_key.replace(".json", ".md5")).decode() ==
          base64.b64encode(hashlib.md5(summary).digest()).decode())
    summary = json.loads(summary)
    files = get(summary["manifestFilesS3Key"]).decode().splitlines()
    data_keys = [json.loads(line)["dataFileS3Key"] for line in files]
    check(f"{fmt}: data files are {ext}", data_keys and all(k.endswith(ext) for k in data_keys))
    lines = sum(len(gzip.decompress(get(k)).splitlines()) for k in data_keys)
    check(f"{fmt}: the data files hold every item", lines == 120)
    export_id = d["ExportArn"].rsplit("/", 1)[1]
    target = f"py-from-{fmt.lower()}"
    imp = client.import_table(
        S3BucketSource={"S3Bucket": "py-bucket", "S3KeyPrefix": f"out/AWSDynamoDB/{export_id}/data/"},
        InputFormat="ION" if fmt == "ION" else "DYNAMODB_JSON", InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": target, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})["ImportTableDescription"]
    i = wait(lambda: client.describe_import(ImportArn=imp["ImportArn"])["ImportTableDescription"],
             "ImportStatus")
    check(f"{fmt}: the import completes",
          i["ImportStatus"] == "COMPLETED" and i["ImportedItemCount"] == 120 and i["ErrorCount"] == 0)
    check(f"{fmt}: the imported table equals the source", scan(target) == scan("py-source"))

# An import of a CSV object the test writes, and one of a missing prefix.
put("csv/rows.csv", b"pk,city\nann,Oslo\nbob,\n")
imp = client.import_table(
    S3BucketSource={"S3Bucket": "py-bucket", "S3KeyPrefix": "csv/"}, InputFormat="CSV",
    TableCreationParameters={
        "TableName": "py-csv", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})["ImportTableDescription"]
i = wait(lambda: client.describe_import(ImportArn=imp["ImportArn"])["ImportTableDescription"], "ImportStatus")
check("CSV imports", i["ImportStatus"] == "COMPLETED" and
      scan("py-csv") == [{"pk": {"S": "ann"}, "city": {"S": "Oslo"}}, {"pk": {"S": "bob"}}])
listed = client.list_imports(TableArn=i["TableArn"])["ImportSummaryList"]
check("list_imports names it", [s["ImportArn"] for s in listed] == [imp["ImportArn"]])
exports = client.list_exports(TableArn=arn)["ExportSummaries"]
check("list_exports has both", len(exports) == 2)

print(f"export/import: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
