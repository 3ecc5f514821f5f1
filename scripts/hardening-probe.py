#!/usr/bin/env python3
"""Measures the hardening of a dynamodb-emulator binary as a hostile client sees it.

    cargo build --release -p dynamodb-emulator
    python3 scripts/hardening-probe.py target/release/dynamodb-emulator

Each step starts a fresh server, attacks it, and reports how fast the attack was answered or
dropped, while a second client keeps calling ListTables and reports its latency (median and
worst) during the attack. Standard library only. Wall-clock figures: compare them with the
baseline latency printed first, measured by the same client in the same run.
"""

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time


def start(binary, *flags, nofile=None):
    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen(
        [binary, "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=limit,
    )
    line = proc.stdout.readline()
    host, port = line.strip().rsplit("http://", 1)[1].split(":")
    return proc, (host, int(port))


def request(addr, target, body, timeout=10):
    data = json.dumps(body).encode()
    s = socket.create_connection(addr, timeout=timeout)
    s.sendall(
        (
            f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {target}\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(data)}\r\n"
            # Every part of a signature, as the service requires (checked only with --auth).
            "Authorization: AWS4-HMAC-SHA256 Credential=probe/20240101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20240101T000000Z\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + data
    )
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    head, _, payload = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, payload.decode(errors="replace")


class Bystander(threading.Thread):
    """Another client, calling ListTables in a loop and timing each call."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.addr, self.latencies, self.failures, self.stop = addr, [], 0, False

    def run(self):
        while not self.stop:
            t = time.perf_counter()
            try:
                status, _ = request(self.addr, "DynamoDB_20120810.ListTables", {})
                if status != 200:
                    self.failures += 1
                self.latencies.append(time.perf_counter() - t)
            except OSError:
                self.failures += 1
            time.sleep(0.01)

    def finish(self):
        self.stop = True
        self.join()
        lat = sorted(self.latencies) or [float("nan")]
        return f"bystander: {len(lat)} calls, median {statistics.median(lat)*1e3:.2f} ms, worst {lat[-1]*1e3:.1f} ms, {self.failures} failed"


def timed(addr, target, body):
    t = time.perf_counter()
    status, payload = request(addr, target, body)
    kind = json.loads(payload).get("__type", "ok").split("#")[-1] if payload else status
    return f"{target.split('.')[-1]}: HTTP {status} {kind} in {(time.perf_counter()-t)*1e3:.1f} ms"


def closed_after(socks, limit):
    """Seconds until every socket was closed by the server (or None past `limit`)."""
    start, open_ = time.perf_counter(), list(socks)
    while open_ and time.perf_counter() - start < limit:
        still = []
        for s in open_:
            s.settimeout(0.01)
            try:
                if s.recv(4096) == b"":
                    s.close()
                    continue
            except socket.timeout:
                pass
            except OSError:
                s.close()
                continue
            still.append(s)
        open_ = still
    return None if open_ else time.perf_counter() - start


def main(binary):
    table = {
        "TableName": "probe",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    }

    print("== the three requests that used to take the server down (virtual clock)")
    proc, addr = start(binary, "--clock", "virtual")
    b = Bystander(addr)
    b.start()
    time.sleep(0.5)
    huge = dict(table, TableName="huge", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 9223372036854775807})
    print(" ", timed(addr, "DynamoDB_20120810.CreateTable", huge))
    request(addr, "DynamoDB_20120810.CreateTable", table)
    for rcu, wcu in [(2**31, 5), (5, 10**8)]:
        print(" ", timed(addr, "DynamoDB_20120810.UpdateTable", {"TableName": "probe", "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}}))
    print(" ", timed(addr, "Emulator.AdvanceClock", {"Milliseconds": 31556952000000000}))
    print("  then", timed(addr, "DynamoDB_20120810.ListTables", {}))
    print(" ", b.finish())
    proc.terminate()
    proc.wait()

    proc, addr = start(binary)
    b = Bystander(addr)
    b.start()
    time.sleep(1)
    print("== baseline", b.finish())

    def attack(title, count, opening, limit):
        """`count` connections that each send `opening` and stall, while a bystander calls."""
        print(f"== {count:,} {title}")
        b = Bystander(addr)
        b.start()
        socks = []
        for _ in range(count):
            s = socket.create_connection(addr)
            s.sendall(opening)
            socks.append(s)
        print(f"  all dropped after {closed_after(socks, limit):.1f} s;", b.finish())

    attack(
        "stalled 16 MB uploads (default --body-timeout 30s)",
        200,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\nContent-Length: 16777216\r\n\r\n" + b"{" * 1024,
        90,
    )
    attack("slowloris connections (default --header-timeout 10s)", 1000, b"POST / HTTP/1.1\r\nHost: loc", 60)

    print("== 3,000 idle connections")
    idle = [socket.create_connection(addr) for _ in range(3000)]
    b = Bystander(addr)
    b.start()
    time.sleep(3)
    print(" ", b.finish())
    for s in idle:
        s.close()

    print("== SIGTERM")
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    print(f"  exit {proc.returncode}; summary printed: {'capacity used' in out}")

    print("== out of file descriptors (ulimit -n 64, 200 connections): server CPU while refused")
    proc, addr = start(binary, nofile=64)
    conns = []
    for _ in range(200):
        try:
            conns.append(socket.create_connection(addr, timeout=1))
        except OSError:
            pass
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu():
        fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    c0, t0 = cpu(), time.perf_counter()
    time.sleep(5)
    print(f"  server CPU {100 * (cpu() - c0) / (time.perf_counter() - t0):.1f}% of one core over 5 s")
    for s in conns:
        s.close()
    proc.terminate()
    proc.wait()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/release/dynamodb-emulator")
