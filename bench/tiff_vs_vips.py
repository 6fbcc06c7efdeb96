#!/usr/bin/env python3
"""A tiled TIFF cut into 256 px JPEG tiles: tessera against `vips dzsave --depth one`.

Makes the benchmarks' photo-like picture (tessera_make_photo), saves it with vips as a tiled
TIFF (256x256 tiles, JPEG q90 unless --compression says otherwise), then runs, interleaved,
N times each, on the same number of threads:
  tessera  tessera tile IN.tif --tile 256 -q 90 --subsampling 420 -j T -o DIR
  vips     vips dzsave IN.tif DIR --depth one --tile-size 256 --overlap 0
                --suffix '.jpg[Q=90,subsample_mode=on]'   (VIPS_CONCURRENCY=T)
Both write 4096 JPEG files (q90, 4:2:0, libjpeg's accurate DCT) to disk. Reports the median
wall time, CPU time (user + sys) and peak RSS of each whole process (GNU time), their ratios,
and the machine's load, since wall times on a busy machine measure the other processes too.

  bench/tiff_vs_vips.py [--size 16384] [-n 3] [-j 2] [--compression jpeg|deflate|lzw|none]
                        [--tessera build/release/tools/tessera]
                        [--make-photo build/release/bench/tessera_make_photo] [--json FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TILE = 256


def timed(argv, env, scratch):
    """Runs argv; returns wall seconds, CPU seconds and peak RSS in MiB (GNU time's %M)."""
    report = os.path.join(scratch, "time.txt")
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", report] + argv, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"tiff_vs_vips: {' '.join(argv)} failed ({result.returncode}): {result.stderr}")
    with open(report) as f:
        user, system, rss_kb = f.read().split()[-3:]
    return wall, float(user) + float(system), int(rss_kb) / 1024.0


def clean(out):
    """Removes what either tool wrote: tessera's directory, dzsave's OUT_files and OUT.dzi."""
    for directory in (out, out + "_files"):
        shutil.rmtree(directory, ignore_errors=True)
    if os.path.exists(out + ".dzi"):
        os.remove(out + ".dzi")


def count_tiles(directory):
    """JPEG files only: each tool also writes a few files of its own (run record, properties)."""
    return sum(f.endswith(".jpg") for _, _, names in os.walk(directory) for f in names)


def make_input(args, scratch):
    photo = os.path.join(scratch, "photo.jpg")
    tiff = os.path.join(scratch, "input.tif")
    subprocess.run([args.make_photo, str(args.size), str(args.size), photo], check=True)
    options = ["--tile", "--tile-width", str(TILE), "--tile-height", str(TILE),
               "--compression", args.compression]
    if args.compression == "jpeg":
        options += ["--Q", "90"]
    subprocess.run(["vips", "tiffsave", photo, tiff] + options, check=True)
    os.remove(photo)
    return tiff


def variants(args, tiff, out):
    tessera = [os.path.abspath(args.tessera), "tile", tiff, "--tile", str(TILE), "-q", "90",
               "--subsampling", "420", "-j", str(args.threads), "-o", out, "--quiet"]
    vips = ["vips", "dzsave", tiff, out, "--depth", "one", "--tile-size", str(TILE),
            "--overlap", "0", "--suffix", ".jpg[Q=90,subsample_mode=on]"]
    env = dict(os.environ, VIPS_CONCURRENCY=str(args.threads))
    return [("tessera", tessera, env), ("vips dzsave", vips, env)]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("-n", "--runs", type=int, default=3)
    parser.add_argument("-j", "--threads", type=int, default=2)
    parser.add_argument("--compression", default="jpeg", choices=["jpeg", "deflate", "lzw", "none"])
    parser.add_argument("--tessera", default="build/release/tools/tessera")
    parser.add_argument("--make-photo", default="build/release/bench/tessera_make_photo")
    parser.add_argument("--json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tessera_tiff_bench_") as scratch:
        print(f"making a {args.size}x{args.size} tiled TIFF ({TILE}x{TILE} tiles, "
              f"{args.compression}) ...", file=sys.stderr)
        tiff = make_input(args, scratch)
        out = os.path.join(scratch, "out")
        samples = {}
        files = {}
        load_before = os.getloadavg()[0]
        for run in range(args.runs + 1):  # the first round warms the page cache; not counted
            for name, argv, env in variants(args, tiff, out):
                clean(out)
                measured = timed(argv, env, scratch)
                files[name] = count_tiles(out if name == "tessera" else out + "_files")
                if run > 0:
                    samples.setdefault(name, []).append(measured)
                print(f"  {name} round {run}: {measured[0]:.2f} s wall, {measured[1]:.2f} s CPU, "
                      f"{measured[2]:.1f} MiB", file=sys.stderr)
        clean(out)
        load_after = os.getloadavg()[0]

        median = {name: [statistics.median(s[i] for s in runs) for i in range(3)]
                  for name, runs in samples.items()}
        t, v = median["tessera"], median["vips dzsave"]
        size_mib = os.path.getsize(tiff) / 2**20
        print(f"\n{args.size}x{args.size} tiled TIFF ({TILE}x{TILE}, {args.compression}, "
              f"{size_mib:.0f} MiB) -> {TILE} px JPEG tiles q90 4:2:0, {args.threads} threads, "
              f"median of {args.runs}; load average {load_before:.1f} before, "
              f"{load_after:.1f} after, on {os.cpu_count()} cores")
        print(f"{'':<12} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13} {'tiles':>6}")
        for name, (wall, cpu, rss) in median.items():
            print(f"{name:<12} {wall:>8.2f} {cpu:>8.2f} {rss:>13.1f} {files[name]:>6}")
        speed = v[0] / t[0]
        memory = t[2] / v[2]
        print(f"speed: vips wall / tessera wall = {speed:.2f}x (goal >= 1: "
              f"{'ok' if speed >= 1 else 'BELOW GOAL'}); CPU ratio {v[1] / t[1]:.2f}x")
        print(f"memory: tessera peak RSS / vips = {memory:.2f} (goal <= 1: "
              f"{'ok' if memory <= 1 else 'ABOVE GOAL'})")
        if files["tessera"] != files["vips dzsave"]:
            print(f"TILE COUNTS DIFFER: tessera {files['tessera']}, vips {files['vips dzsave']}")
        if max(load_before, load_after) > os.cpu_count():
            print("WARNING: the machine was busier than its core count; wall times include "
                  "waiting for other processes (compare CPU s)")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"size": args.size, "compression": args.compression,
                           "threads": args.threads, "runs": args.runs,
                           "load": [load_before, load_after],
                           "median": {k: dict(zip(["wall_s", "cpu_s", "peak_rss_mib"], m))
                                      for k, m in median.items()},
                           "samples": samples, "files": files}, f, indent=2)


if __name__ == "__main__":
    main()
