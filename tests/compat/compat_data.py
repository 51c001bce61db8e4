"""The known record set every client test sends and reads back.

Per partition p of PARTITIONS, records 0..7 in this order, each with an
explicit CreateTime timestamp BASE_TS + p * 1_000_000 + i * 1000:
  0 null key              4 duplicate header keys, an empty header value
  1 empty key             5 binary key and value (all 256 byte values)
  2 empty value           6 a ~900 KB value (under max.message.bytes 1048588)
  3 null value (tombstone) 7 a small record after the large one
The same rules are written in rdkafka_roundtrip.c and node/kafkajs_roundtrip.js.
"""

PARTITIONS = 3
BASE_TS = 1_700_000_000_000
LARGE_SIZE = 900 * 1024


def large_value(p):
    return bytes((j * 7 + p) % 251 for j in range(LARGE_SIZE))


def timestamp(p, i):
    return BASE_TS + p * 1_000_000 + i * 1000


def records(p):
    """Returns a list of dicts: key, value, headers [(str, bytes)], timestamp."""
    rows = [
        (None, b"p%d-r0 null key" % p, []),
        (b"", b"p%d-r1 empty key" % p, []),
        (b"k%d-2" % p, b"", []),
        (b"k%d-3" % p, None, []),
        (b"k%d-4" % p, b"p%d-r4 headers" % p, [("h1", b"a"), ("h1", b"b"), ("h2", b"")]),
        (bytes([0, 1, 2, 255, p]), bytes(range(256)), [("bin", bytes([0, 255]))]),
        (b"k%d-6" % p, large_value(p), []),
        (b"k%d-7" % p, b"p%d-r7 after large" % p, [("h", b"last")]),
    ]
    return [dict(key=k, value=v, headers=h, timestamp=timestamp(p, i))
            for i, (k, v, h) in enumerate(rows)]


def describe(b):
    if b is None:
        return "None"
    if len(b) > 64:
        return "<%d bytes, starts %r>" % (len(b), bytes(b[:16]))
    return repr(bytes(b))


class Checker:
    """Collects mismatches so a test reports all of them, not just the first."""

    def __init__(self):
        self.errors = []

    def eq(self, what, got, want):
        if got != want:
            if isinstance(want, (bytes, type(None))) and isinstance(got, (bytes, type(None))):
                self.errors.append("%s: got %s, want %s" % (what, describe(got), describe(want)))
            else:
                self.errors.append("%s: got %r, want %r" % (what, got, want))

    def true(self, what, cond):
        if not cond:
            self.errors.append(what)

    def finish(self, name):
        if self.errors:
            print("%s: %d mismatches:" % (name, len(self.errors)))
            for e in self.errors[:50]:
                print("  - " + e)
            raise AssertionError("%s: %d mismatches" % (name, len(self.errors)))
        print("%s: all checks passed" % name, flush=True)

    def records(self, what, p, got, delivered):
        """got: list of dicts (offset, key, value, headers, timestamp) read back from partition p;
        delivered: the offsets the producer's delivery reports gave, in produce order."""
        want = records(p)
        self.eq("%s p%d record count" % (what, p), len(got), len(want))
        self.eq("%s p%d delivery offsets" % (what, p), list(delivered), list(range(len(want))))
        for i, (g, w) in enumerate(zip(got, want)):
            tag = "%s p%d r%d" % (what, p, i)
            if i < len(delivered):
                self.eq(tag + " offset", g["offset"], delivered[i])
            self.eq(tag + " key", g["key"], w["key"])
            self.eq(tag + " value", g["value"], w["value"])
            self.eq(tag + " headers", g["headers"], w["headers"])
            if "timestamp" in g:
                self.eq(tag + " timestamp", g["timestamp"], w["timestamp"])
