#!/usr/bin/python3
"""Malformed and hostile input on raw sockets.

Each case sends its bytes on a new connection and expects the Kafka error for
it or a closed connection (never a hang); after each, a fresh connection must
still get an ApiVersions answer and the agent process must still be alive.
Cases: truncated frame, frame length shorter than the header, negative length,
oversized size header, unknown API key, unsupported ApiVersions and Metadata
versions, a Produce whose batch CRC is corrupt (CORRUPT_MESSAGE, 2), a Produce
whose batch exceeds max.message.bytes (MESSAGE_TOO_LARGE, 10). Bytes after a
whole request and unknown tagged fields are accepted, as Kafka accepts them.
"""

import socket
import struct
import time

import harness
import kafka_wire as w

TOPIC = "malformed"
REPLY_WAIT = 10
CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
UNSUPPORTED_VERSION = 35
INVALID_RECORD = 87


def connect(agent):
    return w.Connection("127.0.0.1", agent.port, timeout=REPLY_WAIT)


def header(api_key, version, corr=7, client_id="sh-malformed"):
    return w.i16(api_key) + w.i16(version) + w.i32(corr) + w.string(client_id)


def outcome(conn):
    """Waits for the agent's reaction: ('closed', None), ('frame', bytes) or ('hang', None)."""
    try:
        size_b = conn.recv_exact(4)
        size = struct.unpack(">i", size_b)[0]
        return "frame", conn.recv_exact(size)
    except socket.timeout:
        return "hang", None
    except (ConnectionError, OSError):
        return "closed", None


def still_serving(agent, case):
    if not agent.alive():
        raise AssertionError("%s: agent died (status %s)" % (case, agent.proc.returncode))
    with connect(agent) as c:
        err, apis = c.api_versions()
    if err != 0 or w.API_PRODUCE not in apis:
        raise AssertionError("%s: ApiVersions afterwards: error %d, apis %s" % (case, err, apis))


def expect_closed(agent, case, data, half_close=False):
    with connect(agent) as c:
        c.send_raw(data)
        if half_close:
            c.sock.shutdown(socket.SHUT_WR)
        kind, _ = outcome(c)
    if kind != "closed":
        raise AssertionError("%s: expected the connection to be closed, got %s" % (case, kind))


def expect_closed_or_error(agent, case, data):
    """Kafka closes on these; an error answer with our correlation id is fine too."""
    with connect(agent) as c:
        c.send_raw(data)
        kind, answer = outcome(c)
    if kind == "hang":
        raise AssertionError("%s: no answer and no close within %d s" % (case, REPLY_WAIT))
    if kind == "frame" and answer[:4] != w.i32(7):
        raise AssertionError("%s: answered with correlation %r" % (case, answer[:4]))
    return kind


def case_truncated(agent):
    payload = header(w.API_API_VERSIONS, 0)
    # Size says 100 bytes, only part of the header arrives, then the client stops sending.
    expect_closed(agent, "truncated frame", w.i32(100) + payload[:5], half_close=True)
    # Also: a connection that just vanishes mid-frame.
    with connect(agent) as c:
        c.send_raw(w.i32(50) + payload[:3])


def case_short_length(agent):
    payload = header(w.API_API_VERSIONS, 0)
    # A frame of 5 bytes cannot hold a request header (api key, version, correlation id).
    kind = expect_closed_or_error(agent, "length shorter than header", w.i32(5) + payload[:5])
    print("  length shorter than header: %s" % kind)


def case_long_length(agent):
    # Length claims more than what follows and then garbage follows: must not hang forever
    # once the connection is closed by us; the agent must just drop it.
    payload = header(w.API_METADATA, 1) + w.i32(-1)
    expect_closed(agent, "length longer than data", w.i32(len(payload) + 40) + payload,
                  half_close=True)


def case_negative(agent):
    expect_closed(agent, "negative length", w.i32(-1) + header(w.API_API_VERSIONS, 0))
    expect_closed(agent, "minimum int length", w.i32(-2**31))


def case_oversized(agent):
    # A size header far beyond any request size limit: closed without waiting for the body.
    expect_closed(agent, "oversized size header", w.i32(0x7FFFFFF0) + header(w.API_PRODUCE, 7))


def frame(payload):
    return w.i32(len(payload)) + payload


def case_unknown_api(agent):
    kind = expect_closed_or_error(agent, "unknown API key 999",
                                  frame(header(999, 0) + b"\0" * 2))
    print("  unknown API key: %s" % kind)
    kind = expect_closed_or_error(agent, "negative API key", frame(header(-5, 0)))
    print("  negative API key: %s" % kind)


def case_unsupported_version(agent):
    # ApiVersions at a version beyond the agent's: Kafka answers UNSUPPORTED_VERSION in v0
    # layout so the client can fall back. Versions 3+ use request header v2 (tagged fields
    # after the client id) and a flexible body, as a newer client would send them.
    with connect(agent) as c:
        body = (header(w.API_API_VERSIONS, 127) + b"\0" +  # header tagged fields
                b"\x03sh" + b"\x021" + b"\0")  # client software name, version, tagged fields
        c.send_raw(frame(body))
        kind, answer = outcome(c)
    if kind != "frame":
        raise AssertionError("ApiVersions v127: expected an answer, got %s" % kind)
    r = w.Reader(answer)
    corr = r.i32()
    err = r.i16()
    if corr != 7 or err != UNSUPPORTED_VERSION:
        raise AssertionError("ApiVersions v127: correlation %d error %d, want 7 and %d" %
                             (corr, err, UNSUPPORTED_VERSION))
    apis = r.array(lambda rr: (rr.i16(), rr.i16(), rr.i16()))
    if not apis or not any(k == w.API_API_VERSIONS for k, _, _ in apis):
        raise AssertionError("ApiVersions v127: fallback answer lists no versions: %s" % apis)
    kind = expect_closed_or_error(agent, "Metadata v999", frame(header(3, 999) + w.i32(-1)))
    print("  Metadata v999: %s" % kind)


def case_corrupt_crc(agent):
    batch = w.record_batch([(b"k", b"v", [])], corrupt_crc=True)
    with connect(agent) as c:
        err, _ = c.produce(TOPIC, 0, batch)
    if err != CORRUPT_MESSAGE:
        raise AssertionError("Produce with a corrupt CRC: error %d, want %d (CORRUPT_MESSAGE)" %
                             (err, CORRUPT_MESSAGE))
    # The good batch after it is accepted at offset 0: nothing of the bad one was appended.
    with connect(agent) as c:
        err, base = c.produce(TOPIC, 0, w.record_batch([(b"k", b"good", [])]))
    if (err, base) != (0, 0):
        raise AssertionError("good Produce after the corrupt one: error %d base offset %d, "
                             "want 0 and 0" % (err, base))


def case_batch_lengths(agent):
    """Length fields inside a batch that lie: CORRUPT_MESSAGE or INVALID_RECORD, never 0."""
    good = w.record_batch([(b"k", b"v", [])])
    long_len = good[:8] + w.i32(len(good) - 12 + 100) + good[12:]  # claims 100 more bytes
    short_len = good[:8] + w.i32(20) + good[12:]  # shorter than a batch header
    # Record count 5 with one record present (CRC recomputed so only the count is wrong).
    body = bytearray(good[21:])
    body[36:40] = w.i32(5)
    crc = struct.pack(">I", w.crc32c(bytes(body)))
    bad_count = good[:17] + crc + bytes(body)
    wrong = []
    for name, batch in (("batch length past the data", long_len),
                        ("batch length shorter than a header", short_len),
                        ("record count larger than the records", bad_count)):
        with connect(agent) as c:
            try:
                err, _ = c.produce(TOPIC, 1, batch)
            except (ConnectionError, OSError):
                err = "closed"
        print("  %s: %s" % (name, err))
        if err not in (CORRUPT_MESSAGE, INVALID_RECORD, "closed"):
            wrong.append("Produce with %s: error %s, want %d (CORRUPT_MESSAGE) or %d "
                         "(INVALID_RECORD)" % (name, err, CORRUPT_MESSAGE, INVALID_RECORD))
    if wrong:
        raise AssertionError("; ".join(wrong))


def batch_of_size(total):
    """An uncompressed one-record batch of exactly `total` bytes (as Kafka sizes it)."""
    n = total - 80
    while True:
        b = w.record_batch([(None, b"x" * n, [])])
        if len(b) == total:
            return b
        n += total - len(b)


def case_too_large(agent):
    # Kafka compares the whole batch (offset and length fields included) with
    # max.message.bytes (default 1048588): equal is accepted, one byte more is not.
    limit = 1048588
    with connect(agent) as c:
        err, base = c.produce(TOPIC, 1, batch_of_size(limit))
    if err != 0:
        raise AssertionError("Produce of a batch of exactly max.message.bytes (%d): error %d, "
                             "want 0" % (limit, err))
    for size in (limit + 1, limit + 1000):
        with connect(agent) as c:
            err, _ = c.produce(TOPIC, 1, batch_of_size(size))
        if err != MESSAGE_TOO_LARGE:
            raise AssertionError("Produce of a %d-byte batch: error %d, want %d "
                                 "(MESSAGE_TOO_LARGE)" % (size, err, MESSAGE_TOO_LARGE))


def case_pipelined_garbage(agent):
    # A valid request followed by garbage on the same connection: the valid one is answered.
    with connect(agent) as c:
        good = header(w.API_API_VERSIONS, 0, corr=7)
        c.send_raw(w.i32(len(good)) + good + w.i32(8) + b"\xff" * 8)
        kind, answer = outcome(c)
    if kind != "frame" or answer[:4] != w.i32(7):
        raise AssertionError("valid request before garbage: got %s" % kind)


def uvarint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def compact_string(s):
    data = s.encode()
    return uvarint(len(data) + 1) + data


def metadata_v11(topic, body_tags=b"\0", trailing=b""):
    """Metadata v11 (flexible, request header v2) for one topic, as newer clients send it."""
    head = header(w.API_METADATA, 11) + b"\0"  # header tagged fields
    topics = uvarint(2) + b"\0" * 16 + compact_string(topic) + b"\0"  # [topic_id, name, tags]
    body = topics + b"\0" + b"\0" + body_tags  # no auto-create, no authorized operations
    return frame(head + body + trailing)


def read_metadata_v11_topic(answer):
    """Returns (error_code, name) of the first topic of a Metadata v11 response."""
    r = w.Reader(answer)
    if r.i32() != 7:
        raise AssertionError("Metadata v11: wrong correlation id")

    def uv():
        shift = value = 0
        while True:
            b = r.i8() & 0xFF
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value

    def cstr():
        n = uv() - 1
        return None if n < 0 else r.take(n).decode()

    def skip_tags():
        for _ in range(uv()):
            uv()
            r.take(uv())

    skip_tags()  # response header v1
    r.i32()  # throttle_time_ms
    for _ in range(uv() - 1):  # brokers
        r.i32(), cstr(), r.i32(), cstr()
        skip_tags()
    cstr()  # cluster_id
    r.i32()  # controller_id
    if uv() - 1 < 1:
        raise AssertionError("Metadata v11: no topic in the answer")
    err = r.i16()
    return err, cstr()


def case_trailing_bytes(agent):
    # Apache Kafka ignores bytes after a well-formed request body and skips unknown tagged
    # fields; librdkafka 2.15 and @platformatic/kafka 1.35 send an extra byte after Metadata
    # v11 and expect an answer.
    unknown_tag = uvarint(1) + uvarint(90) + uvarint(3) + b"abc"  # one tagged field, tag 90
    for label, data in (("one trailing byte", metadata_v11(TOPIC, trailing=b"\0")),
                        ("eight trailing bytes", metadata_v11(TOPIC, trailing=b"\xff" * 8)),
                        ("an unknown tagged field", metadata_v11(TOPIC, body_tags=unknown_tag))):
        with connect(agent) as c:
            c.send_raw(data)
            kind, answer = outcome(c)
        if kind != "frame":
            raise AssertionError("Metadata v11 with %s: expected an answer, got %s" % (label, kind))
        err, name = read_metadata_v11_topic(answer)
        if err != 0 or name != TOPIC:
            raise AssertionError("Metadata v11 with %s: topic %r error %d" % (label, name, err))
        print("  Metadata v11 with %s: answered" % label)


CASES = [
    ("truncated frame", case_truncated),
    ("length shorter than header", case_short_length),
    ("length longer than data", case_long_length),
    ("negative length", case_negative),
    ("oversized size header", case_oversized),
    ("unknown API key", case_unknown_api),
    ("unsupported version", case_unsupported_version),
    ("corrupt batch CRC", case_corrupt_crc),
    ("batch over max.message.bytes", case_too_large),
    ("lying lengths inside a batch", case_batch_lengths),
    ("valid request then garbage", case_pipelined_garbage),
    ("bytes after a whole request", case_trailing_bytes),
]


def test(agent):
    agent.create_topic(TOPIC, 2)
    # A connection held open through all the cases must keep working (no harm to others).
    bystander = connect(agent)
    failures = []
    for name, fn in CASES:
        start = time.monotonic()
        try:
            fn(agent)
            still_serving(agent, name)
            print("PASS %s (%.2f s)" % (name, time.monotonic() - start), flush=True)
        except Exception as e:  # noqa: BLE001 - report each case
            failures.append(name)
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            if not agent.alive():
                break
    try:
        err, _ = bystander.api_versions()
        if err != 0:
            failures.append("bystander connection: ApiVersions error %d" % err)
    except Exception as e:  # noqa: BLE001
        failures.append("bystander connection: %s" % e)
    bystander.close()
    print("%d passed, %d failed" % (len(CASES) - len(failures), len(failures)))
    if failures:
        raise AssertionError("malformed-input cases failed: %s" % ", ".join(failures))


if __name__ == "__main__":
    harness.main(test, timeout_s=300)
