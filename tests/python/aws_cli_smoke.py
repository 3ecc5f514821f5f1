"""The AWS CLI (v1, from PyPI) against the emulator: table lifecycle with the CLI's waiters,
writes, reads, the CLI's automatic pagination, conditional failures and errors.

Usage: aws_cli_smoke.py <aws executable> <endpoint url>
"""
import json
import os
import subprocess
import sys

AWS, URL = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="cli", AWS_SECRET_ACCESS_KEY="cli",
           AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
ENV.pop("AWS_PROFILE", None)
failed = 0


def aws(*args, ok=True):
    p = subprocess.run([AWS, "dynamodb", *args, "--endpoint-url", URL, "--output", "json"],
                       env=ENV, capture_output=True, text=True, timeout=120)
    if ok and p.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    return p if not ok else (json.loads(p.stdout) if p.stdout.strip() else {})


def check(name, cond, detail=""):
    global failed
    if cond:
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


aws("create-table", "--table-name", "Music",
    "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
    "AttributeName=SongTitle,AttributeType=S",
    "--key-schema", "AttributeName=Artist,KeyType=HASH", "AttributeName=SongTitle,KeyType=RANGE",
    "--billing-mode", "PAY_PER_REQUEST")
aws("wait", "table-exists", "--table-name", "Music")
check("list-tables", aws("list-tables")["TableNames"] == ["Music"])

for i in range(30):
    aws("put-item", "--table-name", "Music", "--item",
        json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": f"Song {i:02}"},
                    "Plays": {"N": str(i)}}))
got = aws("get-item", "--table-name", "Music", "--consistent-read", "--key",
          json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Song 07"}}))
check("get-item", got.get("Item", {}).get("Plays") == {"N": "7"}, got)

# The CLI follows LastEvaluatedKey itself: pages of 7 come back as one result of 30.
q = aws("query", "--table-name", "Music", "--consistent-read",
        "--key-condition-expression", "Artist = :a",
        "--expression-attribute-values", json.dumps({":a": {"S": "Acme Band"}}),
        "--page-size", "7")
titles = [i["SongTitle"]["S"] for i in q.get("Items", [])]
check("query paginated by the CLI", titles == [f"Song {i:02}" for i in range(30)], titles[:3])

s = aws("scan", "--table-name", "Music", "--select", "COUNT", "--consistent-read",
        "--filter-expression", "Plays >= :n",
        "--expression-attribute-values", json.dumps({":n": {"N": "20"}}))
check("scan count with filter", s.get("Count") == 10 and s.get("ScannedCount") == 30, s)

u = aws("update-item", "--table-name", "Music",
        "--key", json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Song 00"}}),
        "--update-expression", "ADD Plays :one SET Genre = :g",
        "--expression-attribute-values", json.dumps({":one": {"N": "1"}, ":g": {"S": "Rock"}}),
        "--return-values", "ALL_NEW")
check("update-item", u["Attributes"]["Plays"] == {"N": "1"} and u["Attributes"]["Genre"] == {"S": "Rock"}, u)

p = aws("put-item", "--table-name", "Music", "--condition-expression",
        "attribute_not_exists(SongTitle)", "--item",
        json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Song 01"}}), ok=False)
check("conditional failure", p.returncode != 0 and "ConditionalCheckFailedException" in p.stderr,
      p.stderr)

p = aws("describe-table", "--table-name", "Nope", ok=False)
check("missing table", p.returncode != 0 and "ResourceNotFoundException" in p.stderr, p.stderr)

t = aws("transact-write-items", "--transact-items", json.dumps([
    {"Put": {"TableName": "Music", "Item": {"Artist": {"S": "B"}, "SongTitle": {"S": "x"}}}},
    {"Delete": {"TableName": "Music",
                "Key": {"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Song 29"}}}},
]))
after = aws("scan", "--table-name", "Music", "--select", "COUNT", "--consistent-read")
check("transact-write-items", after.get("Count") == 30, after)

d = aws("describe-table", "--table-name", "Music")["Table"]
check("describe-table", d["TableStatus"] == "ACTIVE" and d["ItemCount"] >= 0, d)
aws("delete-table", "--table-name", "Music")
aws("wait", "table-not-exists", "--table-name", "Music")
check("delete-table and wait", aws("list-tables")["TableNames"] == [])

print(f"aws cli: {failed} failed")
sys.exit(1 if failed else 0)
