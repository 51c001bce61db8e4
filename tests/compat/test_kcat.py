#!/usr/bin/python3
"""kcat (Debian's kcat, librdkafka inside) against the agent.

For each codec none/gzip/snappy/lz4/zstd (-z): a topic with 3 partitions
(created by the harness with a raw CreateTopics); to each partition (-p) kcat
produces null/empty keys (-K), an empty value, a tombstone (-Z), records with
duplicate headers (-H) and a ~900 KB value; kcat then consumes each partition
(-o beginning -e) with -f '%p|%o|%K|%k|%S|%h|%s' and every field is compared
byte-exact, in order, at offsets 0..6. kcat -L must list the topic.
"""

import shutil
import subprocess

import compat_data as data
import harness

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TIMEOUT = 60
LARGE = 900 * 1024


def large_text(p):
    return bytes(ord("a") + (j * 7 + p) % 26 for j in range(LARGE))


def batches(p):
    """Two kcat -P runs per partition: (extra args, stdin lines, expected records).
    Expected records: (key or None, value or None, headers string as %h prints it)."""
    first = [
        (b"p%d-r0 null key" % p, (None, b"p%d-r0 null key" % p)),
        (b"\tp%d-r1 empty key" % p, (b"", b"p%d-r1 empty key" % p)),
        (b"k%d-2\t" % p, (b"k%d-2" % p, b"")),
    ]
    second = [
        (b"k%d-3\t" % p, (b"k%d-3" % p, None)),  # -Z: empty value becomes a tombstone
        (b"k%d-4\tp%d-r4 headers" % (p, p), (b"k%d-4" % p, b"p%d-r4 headers" % p)),
        (b"k%d-5\t" % p + large_text(p), (b"k%d-5" % p, large_text(p))),
        (b"k%d-6\tafter large" % p, (b"k%d-6" % p, b"after large")),
    ]
    headers = ["-H", "h1=a", "-H", "h1=b", "-H", "h2=p%d" % p]
    return [([], first, b""), (["-Z"] + headers, second, b"h1=a,h1=b,h2=p%d" % p)]


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0 or "Delivery failed" in err or "ERROR" in err:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(cmd[:12]), r.returncode, err[-3000:]))
    return r.stdout


def test(agent):
    kcat = shutil.which("kcat")
    if kcat is None:
        raise AssertionError("kcat is not installed (scripts/install-test-deps.sh)")
    print(subprocess.run([kcat, "-V"], stdout=subprocess.PIPE).stdout.decode().splitlines()[0])
    check = data.Checker()
    b = agent.bootstrap
    for codec in CODECS:
        topic = "kcat-" + codec
        agent.create_topic(topic, data.PARTITIONS)
        listing = run([kcat, "-b", b, "-L", "-t", topic]).decode(errors="replace")
        check.true("kcat -L lists %s with %d partitions:\n%s" % (topic, data.PARTITIONS, listing),
                   ('topic "%s" with %d partitions' % (topic, data.PARTITIONS)) in listing)
        for p in range(data.PARTITIONS):
            expected = []
            for extra, lines, hdr in batches(p):
                stdin = b"\n".join(line for line, _ in lines) + b"\n"
                run([kcat, "-b", b, "-P", "-t", topic, "-p", str(p), "-z", codec, "-K", "\t",
                     "-X", "acks=all"] + extra, stdin)
                expected += [(k, v, hdr) for _, (k, v) in lines]
            out = run([kcat, "-b", b, "-C", "-t", topic, "-p", str(p), "-o", "beginning",
                       "-e", "-c", str(len(expected)), "-f", "%p|%o|%K|%k|%S|%h|%s\n",
                       "-X", "fetch.message.max.bytes=2097152"])
            rows = out.split(b"\n")
            if rows and rows[-1] == b"":
                rows.pop()
            tag = "kcat %s p%d" % (codec, p)
            check.eq(tag + " record count", len(rows), len(expected))
            for i, (row, (k, v, hdr)) in enumerate(zip(rows, expected)):
                f = row.split(b"|", 6)
                if len(f) != 7:
                    check.true("%s r%d: unparsable line %r" % (tag, i, row[:200]), False)
                    continue
                part, off, klen, key, vlen, headers, value = f
                check.eq(tag + " r%d partition" % i, part, b"%d" % p)
                check.eq(tag + " r%d offset" % i, off, b"%d" % i)
                check.eq(tag + " r%d key length" % i, klen, b"-1" if k is None else b"%d" % len(k))
                check.eq(tag + " r%d key" % i, key, k or b"")
                check.eq(tag + " r%d value length" % i, vlen,
                         b"-1" if v is None else b"%d" % len(v))
                check.eq(tag + " r%d value" % i, value, v or b"")
                check.eq(tag + " r%d headers" % i, headers, hdr)
        print("kcat %s: produced and consumed %d partitions" % (codec, data.PARTITIONS),
              flush=True)
    check.finish("kcat")


if __name__ == "__main__":
    harness.main(test, timeout_s=420)
