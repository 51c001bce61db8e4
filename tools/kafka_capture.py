#!/usr/bin/env python3
"""Captures the first requests a real Kafka client sends, for golden codec tests.

Listens on 127.0.0.1:PORT, answers ApiVersions and Metadata by hand
(advertising ApiVersions 0-3, Metadata 0-4 and Produce 0-7; Metadata always
names this listener as broker 0 leading partition 0 of each topic asked for)
and prints every request frame it receives
as "api_key api_version hex". Run a client against it, for example:

  python3 tools/kafka_capture.py --port 19092 --count 2 &
  kcat -b 127.0.0.1:19092 -L -m 3
  echo hello | kcat -b 127.0.0.1:19092 -P -t t -p 0   (with --count 3: captures Produce)

Standard library only; serves one connection at a time and exits after
--count requests or --timeout seconds.
"""

import argparse
import socket
import struct
import sys


def api_versions_response(correlation_id, version):
    # Response header v0 (ApiVersions always uses v0), then the body.
    apis = [(18, 0, 3), (3, 0, 4), (0, 0, 7)]
    body = struct.pack(">h", 0)  # error_code
    if version >= 3:  # flexible: compact array, per-entry tagged fields
        body += bytes([len(apis) + 1])
        for key, lo, hi in apis:
            body += struct.pack(">hhh", key, lo, hi) + b"\x00"
        body += struct.pack(">i", 0) + b"\x00"  # throttle_time_ms, tagged fields
    else:
        body += struct.pack(">i", len(apis))
        for key, lo, hi in apis:
            body += struct.pack(">hhh", key, lo, hi)
        if version >= 1:
            body += struct.pack(">i", 0)
    payload = struct.pack(">i", correlation_id) + body
    return struct.pack(">i", len(payload)) + payload


def kstr(s):
    return struct.pack(">h", len(s)) + s.encode()


def metadata_response(correlation_id, version, frame, port):
    """Metadata v1-v4 (non-flexible) naming this listener as the only broker."""
    topics = []
    pos = 8 + 2 + struct.unpack(">h", frame[8:10])[0]  # past header v1 (client id)
    count = struct.unpack(">i", frame[pos:pos + 4])[0]
    pos += 4
    for _ in range(max(count, 0)):
        n = struct.unpack(">h", frame[pos:pos + 2])[0]
        topics.append(frame[pos + 2:pos + 2 + n].decode())
        pos += 2 + n
    body = b""
    if version >= 3:
        body += struct.pack(">i", 0)  # throttle_time_ms
    body += struct.pack(">ii", 1, 0) + kstr("127.0.0.1") + struct.pack(">i", port)
    body += struct.pack(">h", -1)  # rack: null
    if version >= 2:
        body += struct.pack(">h", -1)  # cluster_id: null
    body += struct.pack(">i", 0)  # controller_id
    body += struct.pack(">i", len(topics))
    for t in topics:
        body += struct.pack(">h", 0) + kstr(t) + b"\x00"  # error, name, is_internal
        body += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 0)  # one partition, leader 0
        body += struct.pack(">ii", 1, 0) + struct.pack(">ii", 1, 0)  # replicas [0], isr [0]
    payload = struct.pack(">i", correlation_id) + body
    return struct.pack(">i", len(payload)) + payload


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=19092)
    p.add_argument("--count", type=int, default=2)
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(1)
    srv.settimeout(args.timeout)
    seen = 0
    try:
        while seen < args.count:
            conn, _ = srv.accept()
            conn.settimeout(args.timeout)
            with conn:
                while seen < args.count:
                    size = read_exact(conn, 4)
                    if size is None:
                        break
                    frame = read_exact(conn, struct.unpack(">i", size)[0])
                    if frame is None:
                        break
                    key, version, correlation_id = struct.unpack(">hhi", frame[:8])
                    print(key, version, frame.hex(), flush=True)
                    seen += 1
                    if key == 18:
                        conn.sendall(api_versions_response(correlation_id, version))
                    elif key == 3 and 1 <= version <= 4:
                        conn.sendall(metadata_response(correlation_id, version, frame, args.port))
    except socket.timeout:
        print("timeout after %d requests" % seen, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
