#!/usr/bin/env python3
"""A full DeepZoom pyramid: tessera pyramid against vips dzsave, interleaved, in one run.

Both cut the same JPEG into 256 px tiles, overlap 0, JPEG q90 with 4:2:0 chroma, on the same
number of threads, each in its own process, alternating run by run so that the machine's load
falls on both alike. Reports the median wall time, CPU time (user + system) and peak RSS (GNU
time's %U, %S and %M) of each,
and their ratios; checks that both wrote the same .dzi and the same tiles.

vips 8.14 turns chroma subsampling off at Q >= 90 unless told (subsample-mode=auto), so
`--suffix .jpg[Q=90]` alone would compare 4:2:0 against 4:4:4; the equal-settings run passes
subsample-mode=on, and --also-plain-vips adds the plain command as a third column.

  bench/pyramid.py [--size 16384] [--input IMG] [-n 3] [--threads 2] [--also-plain-vips]
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


def run_once(argv, rss_file, env=None):
    # Peak RSS from GNU time (see bench/startup.py for why not from wait4 here).
    timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + argv
    start = time.perf_counter()
    result = subprocess.run(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"pyramid bench: {' '.join(argv)} failed ({result.returncode}):\n"
                 f"{result.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        rss_kb, user, system = f.read().split()[-3:]
    return wall, int(rss_kb) / 1024.0, float(user) + float(system)


def tile_names(files_dir):
    names = []
    for root, _, files in os.walk(files_dir):
        for name in files:
            if name != "vips-properties.xml":
                names.append(os.path.relpath(os.path.join(root, name), files_dir))
    return sorted(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--input")
    parser.add_argument("-n", "--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--tessera", default="build/release/tools/tessera")
    parser.add_argument("--make-photo", default="build/release/bench/tessera_make_photo")
    parser.add_argument("--also-plain-vips", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="tessera-pyramid-bench-")
    try:
        source = args.input
        if not source:
            source = os.path.join(work, f"photo{args.size}.jpg")
            subprocess.run([args.make_photo, str(args.size), str(args.size), source], check=True)
        out_t, out_v = os.path.join(work, "t", "p"), os.path.join(work, "v", "p")
        os.makedirs(os.path.dirname(out_v))
        tile = str(args.tile)
        sides = {
            "tessera": [args.tessera, "pyramid", source, "-o", out_t, "--overwrite", "--quiet",
                        "--tile-size", tile, "--overlap", "0", "-q", "90", "--subsampling", "420",
                        "-j", str(args.threads)],
            "vips": ["vips", "dzsave", source, out_v, "--tile-size", tile, "--overlap", "0",
                     "--suffix", ".jpg[Q=90,subsample-mode=on]",
                     f"--vips-concurrency={args.threads}"],
        }
        if args.also_plain_vips:
            sides["vips plain [Q=90]"] = ["vips", "dzsave", source, out_v, "--tile-size", tile,
                                          "--overlap", "0", "--suffix", ".jpg[Q=90]",
                                          f"--vips-concurrency={args.threads}"]
        rss_file = os.path.join(work, "rss")
        samples = {name: [] for name in sides}
        for run in range(args.runs + 1):  # the first round warms the page cache, not counted
            for name, argv in sides.items():
                if name != "tessera":  # vips refuses to write over an earlier pyramid
                    shutil.rmtree(out_v + "_files", ignore_errors=True)
                    if os.path.exists(out_v + ".dzi"):
                        os.remove(out_v + ".dzi")
                result = run_once(argv, rss_file)
                if run > 0:
                    samples[name].append(result)
        same_tiles = tile_names(out_t + "_files") == tile_names(out_v + "_files")
        same_dzi = open(out_t + ".dzi").read() == open(out_v + ".dzi").read()

        def median(name, i):
            return statistics.median(s[i] for s in samples[name])

        t_wall, t_rss = median("tessera", 0), median("tessera", 1)
        report = {"input": source, "threads": args.threads, "runs": args.runs,
                  "tiles": len(tile_names(out_t + "_files")), "same_tiles": same_tiles,
                  "same_dzi": same_dzi, "sides": {}}
        print(f"input {source}, {report['tiles']} tiles of {tile} px, overlap 0, JPEG q90 4:2:0, "
              f"{args.threads} threads, median of {args.runs} interleaved runs")
        t_cpu = median("tessera", 2)
        print(f"{'':20} {'wall s':>7} {'CPU s':>7} {'peak RSS MiB':>13} {'wall/tessera':>13} "
              f"{'CPU/tessera':>12} {'RSS/tessera':>12}")
        for name in sides:
            wall, rss, cpu = median(name, 0), median(name, 1), median(name, 2)
            report["sides"][name] = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss,
                                     "command": " ".join(sides[name])}
            print(f"{name:20} {wall:7.2f} {cpu:7.2f} {rss:13.1f} {wall / t_wall:12.2f}x "
                  f"{cpu / t_cpu:11.2f}x {rss / t_rss:11.2f}x")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"same .dzi: {same_dzi}; same tile names: {same_tiles}")
        for name, argv in sides.items():
            print(f"  {name}: {' '.join(argv)}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
        return 0 if same_tiles and same_dzi else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
