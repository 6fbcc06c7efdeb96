#!/usr/bin/env python3
"""Writes a small dataset for the cluster test: N generated PNG images (some corrupt, some
sharing a file name in different folders) and a JSON-lines manifest naming them, with a blank
line and a line that is not a job, so the shard rule is exercised on both. The images of the
lines with index 1 mod 4 (task 1 of 4) are large noise, so that task runs long enough to be
cancelled mid-run.

usage: make_dataset.py DIR [N]"""
import random
import struct
import sys
import zlib
from pathlib import Path


def png(width, height, seed):
    rng = random.Random(seed)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes(((x * 3 + seed) % 256, (y * 5) % 256, rng.randrange(256)))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def noise_png(side, seed):
    rng = random.Random(seed)
    rows = b"".join(b"\0" + rng.randbytes(side * 3) for _ in range(side))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def main():
    root = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    lines = []
    corrupt = []
    index = 0  # of the next line that is not blank
    for i in range(count):
        folder = root / ("a" if i % 2 == 0 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        # Pairs of images share a name in a/ and b/: their stems must come out unique.
        path = folder / f"img_{i // 2:03d}.png"
        if index % 4 == 1:
            data = noise_png(1536, i)
        else:
            data = png(64 + 16 * (i % 5), 48 + 16 * (i % 3), i)
        if i % 9 == 4:
            data = data[: len(data) // 2]  # cut short: the job fails
            corrupt.append(str(path.relative_to(root)))
        path.write_bytes(data)
        lines.append('{"input": "%s"}' % path.relative_to(root))
        index += 1
        if i == 10:
            lines.append("")  # blank lines take no job index
        if i == 20:
            lines.append('{"input": "a/img_001.png", "plan": {"tile": "x"}}')  # not a job
            index += 1
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    (root / "corrupt.txt").write_text("".join(p + "\n" for p in corrupt))


if __name__ == "__main__":
    main()
