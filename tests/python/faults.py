"""boto3 against injected faults: each fault's error shape with one attempt, boto3's standard
and legacy retries recovering from each, a conflict cancelling a transaction, and a reset after
apply doubling an increment that is retried. The binary is started with
`--fault InternalServerError,operation=DescribeLimits,nth=1`; the script adds its other rules
through the control API (`X-Amz-Target: Emulator.InjectFaults`).

    python tests/python/faults.py EMULATOR_URL
"""
import json
import sys
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = sys.argv[1]
kw = dict(region_name="us-east-1", aws_access_key_id="any", aws_secret_access_key="any")
once = boto3.client("dynamodb", endpoint_url=endpoint,
                    config=Config(retries={"mode": "standard", "total_max_attempts": 1}), **kw)
standard = boto3.client("dynamodb", endpoint_url=endpoint,
                        config=Config(retries={"mode": "standard", "total_max_attempts": 3}), **kw)
legacy = boto3.client("dynamodb", endpoint_url=endpoint,
                      config=Config(retries={"mode": "legacy"}), **kw)
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def control(action, body):
    req = urllib.request.Request(endpoint, data=json.dumps(body).encode(), method="POST",
                                 headers={"X-Amz-Target": f"Emulator.{action}",
                                          "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def inject(kind, times=1, **rule):
    rule.update({"Kind": kind, "Times": times})
    control("InjectFaults", {"Faults": [rule]})


def error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response
    return None


def exists(i):
    return "Item" in once.get_item(TableName="Faulty", Key={"id": {"S": i}}, ConsistentRead=True)


def put(client, i):
    return lambda: client.put_item(TableName="Faulty", Item={"id": {"S": i}})


# The --fault flag: the first DescribeLimits answers 500.
r = error(lambda: once.describe_limits())
check("--fault", r and r["Error"]["Code"] == "InternalServerError"
      and r["ResponseMetadata"]["HTTPStatusCode"] == 500, r)
check("--fault nth=1 only", error(lambda: once.describe_limits()) is None)

once.create_table(TableName="Faulty", BillingMode="PAY_PER_REQUEST",
                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

for kind, code, status, message in [
    ("InternalServerError", "InternalServerError", 500, "Internal server error"),
    ("ServiceUnavailable", "ServiceUnavailableException", 503,
     "DynamoDB is currently unavailable. (This should be a temporary state.)"),
    ("Throttling", "ThrottlingException", 400, "Rate of requests exceeds the allowed throughput."),
    ("TransactionConflict", "TransactionConflictException", 400,
     "Transaction is ongoing for the item"),
]:
    inject(kind, Operation="PutItem")
    r = error(put(once, kind))
    got = r and (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"])
    check(f"{kind} shape", got == (code, status, message), got)
    check(f"{kind} applied nothing", not exists(kind))

for kind, applied in [("ResetBeforeApply", False), ("ResetAfterApply", True)]:
    inject(kind, Operation="PutItem")
    try:
        put(once, kind)()
        check(f"{kind} raises", False)
    except botocore.exceptions.HTTPClientError as e:
        # ConnectionClosedError: "Connection was closed before we received a valid response".
        check(f"{kind} is a dropped connection", "Connection" in type(e).__name__, repr(e))
    check(f"{kind} applied", exists(kind) == applied)

# Two failures in a row: standard mode's third attempt succeeds, legacy mode (10 attempts for
# DynamoDB) too.
for kind in ["InternalServerError", "ServiceUnavailable", "Throttling", "ResetBeforeApply",
             "ResetAfterApply"]:
    for name, client in [("standard", standard), ("legacy", legacy)]:
        inject(kind, times=2, Operation="PutItem")
        r = error(put(client, f"{kind}-{name}"))
        check(f"{name} retry recovers from {kind}", r is None and exists(f"{kind}-{name}"), r)
inject("Latency", Milliseconds=50, Operation="GetItem")
check("latency", exists("InternalServerError-standard"))

# A conflict at the matching item cancels the transaction; boto3 does not retry it.
inject("TransactionConflict", Operation="TransactWriteItems", KeyPrefix="acct#7")
r = error(lambda: standard.transact_write_items(TransactItems=[
    {"Put": {"TableName": "Faulty", "Item": {"id": {"S": "acct#1"}}}},
    {"Put": {"TableName": "Faulty", "Item": {"id": {"S": "acct#70"}}}},
]))
codes = [c["Code"] for c in (r or {}).get("CancellationReasons", [])]
check("conflict cancels", r and r["Error"]["Code"] == "TransactionCanceledException"
      and codes == ["None", "TransactionConflict"], r)

# The lost answer of an increment: the retry increments again.
standard.update_item(TableName="Faulty", Key={"id": {"S": "counter"}},
                     UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}})
inject("ResetAfterApply", Operation="UpdateItem", Nth=1)
out = standard.update_item(TableName="Faulty", Key={"id": {"S": "counter"}},
                           UpdateExpression="ADD n :one",
                           ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
check("non-idempotent retry doubles the increment", out["Attributes"]["n"] == {"N": "3"}, out)

log = control("RequestLog", {"Reads": 1000})["Requests"]
check("request log", sum(1 for e in log if "Fault" in e) >= 30, len(log))
ops = control("CapacityReport", {})["Tables"]["Faulty"]["Operations"]
check("capacity report", ops["PutItem"]["Faults"]["ResetAfterApply"] == 5
      and ops["TransactWriteItems"]["Conflicts"] == 1, ops)

print(f"faults: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
