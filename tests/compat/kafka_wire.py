"""A minimal Kafka wire-protocol client, Python 3 standard library only.

The compatibility harness uses it to prepare topics without depending on any
client library, and the malformed-input test uses it to send exactly the bytes
it wants (including broken ones). Only non-flexible request versions are
encoded here, chosen inside the range the agent advertises.
"""

import socket
import struct

API_PRODUCE = 0
API_METADATA = 3
API_API_VERSIONS = 18
API_CREATE_TOPICS = 19

# Versions this module can encode, per API (all non-flexible).
ENCODABLE = {
    API_PRODUCE: range(3, 9),
    API_METADATA: range(1, 9),
    API_API_VERSIONS: range(0, 3),
    API_CREATE_TOPICS: range(0, 5),
}


class ProtocolError(Exception):
    pass


# ---------------------------------------------------------------- primitives


def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def nbytes(b):
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items, enc):
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def varint(v):
    """Zig-zag varint as in record batch v2."""
    z = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ProtocolError("response truncated at byte %d (need %d more)" % (self.pos, n))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def array(self, dec):
        n = self.i32()
        return None if n < 0 else [dec(self) for _ in range(n)]


# ---------------------------------------------------------------- CRC-32C

_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------------- record batch v2


def record_batch(records, base_timestamp=1_600_000_000_000, corrupt_crc=False):
    """records: list of (key, value, headers) with bytes or None; uncompressed batch."""
    body = bytearray()
    for i, (key, value, headers) in enumerate(records):
        r = bytearray()
        r += i8(0)  # attributes
        r += varint(0)  # timestamp delta
        r += varint(i)  # offset delta
        r += varint(-1) if key is None else varint(len(key)) + key
        r += varint(-1) if value is None else varint(len(value)) + value
        r += varint(len(headers))
        for hk, hv in headers:
            r += varint(len(hk)) + hk
            r += varint(-1) if hv is None else varint(len(hv)) + hv
        body += varint(len(r)) + r
    after_crc = (i16(0) + i32(len(records) - 1) + i64(base_timestamp) + i64(base_timestamp) +
                 i64(-1) + i16(-1) + i32(-1) + i32(len(records)) + bytes(body))
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    after_length = i32(-1) + i8(2) + struct.pack(">I", crc) + after_crc
    return i64(0) + i32(len(after_length)) + after_length


# ---------------------------------------------------------------- connection


class Connection:
    def __init__(self, host, port, timeout=10.0, client_id="sh-compat"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.client_id = client_id
        self.correlation = 0
        self.versions = None

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        size = struct.unpack(">i", self.recv_exact(4))[0]
        if size < 4:
            raise ProtocolError("response frame of %d bytes" % size)
        return self.recv_exact(size)

    def request(self, api_key, version, body):
        """Sends one request (header v1) and returns the response body after the correlation id."""
        self.correlation += 1
        header = i16(api_key) + i16(version) + i32(self.correlation) + string(self.client_id)
        payload = header + body
        self.send_raw(i32(len(payload)) + payload)
        frame = self.recv_frame()
        corr = struct.unpack(">i", frame[:4])[0]
        if corr != self.correlation:
            raise ProtocolError("correlation id %d, expected %d" % (corr, self.correlation))
        return frame[4:]

    # -- ApiVersions

    def api_versions(self, version=0):
        r = Reader(self.request(API_API_VERSIONS, version, b""))
        error = r.i16()
        apis = r.array(lambda rr: (rr.i16(), rr.i16(), rr.i16()))
        self.versions = {k: (lo, hi) for k, lo, hi in (apis or [])}
        return error, self.versions

    def pick_version(self, api_key):
        if self.versions is None:
            self.api_versions()
        if api_key not in self.versions:
            raise ProtocolError("agent does not advertise API key %d" % api_key)
        lo, hi = self.versions[api_key]
        usable = [v for v in ENCODABLE[api_key] if lo <= v <= hi]
        if not usable:
            raise ProtocolError("API %d: agent range %d..%d, encodable %s" %
                                (api_key, lo, hi, list(ENCODABLE[api_key])))
        return max(usable)

    # -- CreateTopics

    def create_topics(self, topics, timeout_ms=30000):
        """topics: list of (name, partitions, {config: value}). Returns {name: (error, message)}."""
        v = self.pick_version(API_CREATE_TOPICS)

        def topic(t):
            name, parts, configs = t
            return (string(name) + i32(parts) + i16(1) + array([], lambda x: b"") +
                    array(sorted(configs.items()), lambda kv: string(kv[0]) + string(kv[1])))

        body = array(topics, topic) + i32(timeout_ms)
        if v >= 1:
            body += i8(0)  # validate_only
        r = Reader(self.request(API_CREATE_TOPICS, v, body))
        if v >= 2:
            r.i32()  # throttle

        def result(rr):
            name = rr.string()
            err = rr.i16()
            msg = rr.string() if v >= 1 else None
            return name, (err, msg)

        return dict(r.array(result))

    # -- Produce

    def produce(self, topic, partition, batch, acks=-1, timeout_ms=30000):
        """Sends one batch; returns (error_code, base_offset) of the partition."""
        v = self.pick_version(API_PRODUCE)
        body = (string(None) + i16(acks) + i32(timeout_ms) + array(
            [topic], lambda t: string(t) + array([partition], lambda p: i32(p) + nbytes(batch))))
        r = Reader(self.request(API_PRODUCE, v, body))
        r.i32()  # topic count
        r.string()
        r.i32()  # partition count
        r.i32()  # index
        err = r.i16()
        base = r.i64()
        return err, base

    # -- Metadata

    def metadata(self, topics):
        """Returns {topic: (error, partition_count)} for the topics asked for."""
        v = self.pick_version(API_METADATA)
        body = array(topics, string)
        if v >= 4:
            body += i8(0)  # allow_auto_topic_creation
        if v >= 8:
            body += i8(0) + i8(0)
        r = Reader(self.request(API_METADATA, v, body))
        if v >= 3:
            r.i32()  # throttle
        r.array(lambda rr: (rr.i32(), rr.string(), rr.i32(), rr.string() if v >= 1 else None))
        if v >= 2:
            r.string()  # cluster id
        r.i32()  # controller

        def partition(rr):
            err = rr.i16()
            rr.i32()
            rr.i32()
            if v >= 7:
                rr.i32()
            rr.array(lambda x: x.i32())
            rr.array(lambda x: x.i32())
            if v >= 5:
                rr.array(lambda x: x.i32())
            return err

        def topic(rr):
            err = rr.i16()
            name = rr.string()
            if v >= 1:
                rr.i8()
            parts = rr.array(partition)
            if v >= 8:
                rr.i32()
            return name, (err, len(parts or []))

        return dict(r.array(topic))
