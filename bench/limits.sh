#!/bin/sh
# Peak memory at scale, measured with GNU time -v. Not a test: it takes a while and prints
# figures for a person to read. Usage: bench/limits.sh [path/to/tessera] [work dir]
#   1. a manifest of 10,000 small images (one 64x64 PNG listed 10,000 times), tiled 16x16
#   2. one ROI list of 1,000,000 64x64 ROIs over one 4096x4096 PNG
# Both write to the null sink, so the figures are tessera's own memory, not the page cache.
set -eu
TESSERA=$(realpath "${1:-build/tools/tessera}")
WORK=${2:-$(mktemp -d)}
mkdir -p "$WORK"
cd "$WORK"

peak_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

python3 - <<'PY'
import json, struct, zlib

def png(path, width, height):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xffffffff)
    row_of = lambda y: b"\0" + bytes(((x * 7 + y * 3) & 255) for x in range(width * 3))
    raw = b"".join(row_of(y) for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))

png("small.png", 64, 64)
png("big.png", 4096, 4096)
with open("manifest.jsonl", "w") as f:
    for _ in range(10000):
        f.write(json.dumps({"input": "small.png"}) + "\n")
with open("million.csv", "w") as f:
    f.write("x,y,w,h\n")
    for i in range(1000000):
        f.write(f"{(i * 37) % 4032},{(i * 91) % 4032},64,64\n")
PY

echo "== a manifest of 10,000 images"
echo "   $TESSERA manifest manifest.jsonl --tile 16 --quiet --json"
/usr/bin/time -v -o time1.txt "$TESSERA" manifest manifest.jsonl --tile 16 --quiet --json > summary1.json
echo "   peak RSS $(peak_kb time1.txt) kB"
echo "   summary: $(cat summary1.json)"

echo "== 1,000,000 ROIs in one list"
echo "   $TESSERA crop big.png --rois million.csv -f png --png-level 1 --quiet --json"
/usr/bin/time -v -o time2.txt "$TESSERA" crop big.png --rois million.csv -f png --png-level 1 --quiet --json > summary2.json
echo "   peak RSS $(peak_kb time2.txt) kB"
echo "   summary: $(cat summary2.json)"
