#!/usr/bin/env python3
"""Lossless JPEG tiles: tessera tile --lossless against its peers, each once, in one run.

The input is the benchmarks' photo-like 16384x16384 JPEG (q90, 4:2:0, tessera_make_photo),
cut into whole 256 px tiles (4096 of them), on 2 threads where a side can use them:

  tessera --lossless   coefficients streamed MCU row by MCU row, crops encoded in parallel
  tessera q90          the pixel path: decode in bands, re-encode each tile at q90 4:2:0
  opencv naive         cv::imread, then cv::imencode per tile in one loop, q90 4:2:0
  tjTransform          one call with 4096 crop transforms (lossless, whole image in memory)
  jpegtran -crop       one process per tile over a sample of tiles, summed and scaled up

Each side is a process of its own under GNU time: wall time, CPU time (user + system) and
peak RSS. Output goes nowhere (tessera's null sink; the peers only count bytes), so the
figures are the cutting and encoding, not the disk. The lossless sides' total bytes must be
equal (the same crops, byte for byte); the script checks it. Figures from a shared, noisy
machine vary by 10-20% from run to run.

  bench/lossless.py [--size 16384] [--tile 256] [--threads 2] [--jpegtran-sample 32]
                    [--input IMG] [--build build/release] [--json FILE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run_once(argv, work):
    """Wall seconds, peak RSS MiB, CPU seconds and stdout of one process under GNU time."""
    rss_file = os.path.join(work, "time.txt")
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + argv
    start = time.perf_counter()
    result = subprocess.run(timed, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"lossless bench: {' '.join(argv)} failed ({result.returncode}):\n"
                 f"{result.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        rss_kb, user, system = f.read().split()[-3:]
    return wall, int(rss_kb) / 1024.0, float(user) + float(system), result.stdout.decode()


def last_json(text):
    lines = [line for line in text.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--jpegtran-sample", type=int, default=32)
    parser.add_argument("--input")
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--json")
    args = parser.parse_args()
    tessera = os.path.join(args.build, "tools", "tessera")
    peers = os.path.join(args.build, "bench", "tessera_lossless_peers")
    make_photo = os.path.join(args.build, "bench", "tessera_make_photo")
    jpegtran = shutil.which("jpegtran")
    if jpegtran is None:
        sys.exit("lossless bench: jpegtran is missing; scripts/setup.sh installs it "
                 "(libjpeg-turbo-progs)")

    work = tempfile.mkdtemp(prefix="tessera-lossless-bench-")
    try:
        source = args.input
        if not source:
            source = os.path.join(work, f"photo{args.size}.jpg")
            subprocess.run([make_photo, str(args.size), str(args.size), source], check=True)
        info = json.loads(subprocess.run([tessera, "info", source, "--json"], check=True,
                                         stdout=subprocess.PIPE).stdout)
        info = info[0] if isinstance(info, list) else info
        width, height = info["width"], info["height"]
        columns, rows = width // args.tile, height // args.tile
        tiles = columns * rows
        tile = str(args.tile)
        threads = str(args.threads)
        grid = [tessera, "tile", source, "--tile", tile, "--threads", threads, "--json"]
        results = {}

        def record(name, argv, parse):
            wall, rss, cpu, out = run_once(argv, work)
            crops, total = parse(out)
            results[name] = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss,
                             "crops": crops, "bytes": total}
            if "--json" in argv:
                # DESIGN's bound for tessera: max(H, (H + W) / c), H the (entropy) decode on
                # one thread, W the encodes summed over threads, c the threads.
                summary = last_json(out)
                h, w = summary["decode_s"], summary["encode_cpu_s"]
                bound = max(h, (h + w) / args.threads)
                results[name].update({"decode_s": h, "encode_cpu_s": w, "bound_s": bound,
                                      "efficiency": bound / wall})

        tessera_counts = lambda out: (last_json(out)["crops"], last_json(out)["bytes_out"])
        peer_counts = lambda out: (last_json(out)["crops"], last_json(out)["bytes"])
        record("tessera --lossless", grid + ["--lossless"], tessera_counts)
        record("tessera q90 (pixels)", grid + ["-q", "90", "--subsampling", "420"],
               tessera_counts)
        record("opencv naive loop", [peers, "opencv", source, tile, "90"], peer_counts)
        record("tjTransform, one call", [peers, "tjtransform", source, tile], peer_counts)

        # jpegtran: tiles spread evenly over the grid, one process each, run one after another.
        sample = min(args.jpegtran_sample, tiles)
        wall = cpu = 0.0
        rss = 0.0
        sample_bytes = 0
        out_file = os.path.join(work, "crop.jpg")
        for i in range(sample):
            index = i * tiles // sample
            x, y = (index % columns) * args.tile, (index // columns) * args.tile
            argv = ["sh", "-c", f'"$0" -copy none -crop {tile}x{tile}+{x}+{y} "$1" > "$2"',
                    jpegtran, source, out_file]
            w, r, c, _ = run_once(argv, work)
            wall, cpu, rss = wall + w, cpu + c, max(rss, r)
            sample_bytes += os.path.getsize(out_file)
        scale = tiles / sample
        results["jpegtran -crop, per tile"] = {
            "wall_s": wall * scale, "cpu_s": cpu * scale, "peak_rss_mb": rss, "crops": tiles,
            "bytes": int(sample_bytes * scale), "sampled_tiles": sample,
            "note": "one process after another, scaled up from the sample"}

        lossless = results["tessera --lossless"]
        if lossless["crops"] != tiles or results["tjTransform, one call"]["bytes"] != lossless["bytes"]:
            sys.exit(f"lossless bench: tessera --lossless wrote {lossless['crops']} crops, "
                     f"{lossless['bytes']} bytes; tjTransform {results['tjTransform, one call']}")

        print(f"{width}x{height} JPEG {os.path.getsize(source) / 1e6:.1f} MB, {tiles} tiles of "
              f"{args.tile}, {args.threads} threads; one run each on a shared machine")
        print(f"{'':26} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'MB out':>8} "
              f"{'speed-up':>9}")
        for name, r in results.items():
            print(f"{name:26} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mb']:12.0f} "
                  f"{r['bytes'] / 1e6:8.1f} {r['wall_s'] / lossless['wall_s']:8.1f}x")
        print("speed-up: that side's wall time over tessera --lossless's")
        for name, r in results.items():
            if "bound_s" in r:
                print(f"{name}: decode {r['decode_s']:.2f} s, encodes {r['encode_cpu_s']:.2f} s "
                      f"CPU, bound max(H, (H+W)/c) {r['bound_s']:.2f} s, efficiency "
                      f"{r['efficiency']:.2f} (bound / wall, start-up included)")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"width": width, "height": height, "tile": args.tile,
                           "threads": args.threads, "results": results}, f, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
