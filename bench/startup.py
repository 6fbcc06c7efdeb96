#!/usr/bin/env python3
"""Start-up cost of whole tessera processes, for one or more tessera binaries on the same inputs.

For each binary, runs every case N times and reports the median wall time and the median peak
RSS (GNU time's %M, the kernel's ru_maxrss of that one process):
  version   tessera --version                     (loading the binary and its libraries)
  info      tessera info photo.jpg                (a 3840x2160 JPEG's header)
  crop50    tessera crop photo.jpg --rois 50.csv  (50 ROIs of 256x256, null sink)

  bench/startup.py [-n 21] [--make-photo build/release/bench/tessera_make_photo] TESSERA [TESSERA...]
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

WIDTH, HEIGHT, ROIS, ROI_SIDE = 3840, 2160, 50, 256


def run_once(argv, rss_file):
    # Peak RSS comes from GNU time, not from wait4 here: Linux carries the pre-exec memory of
    # the child into ru_maxrss, and a child forked from Python starts with Python's. GNU time
    # forks from a process of about 1 MB, which then counts the same for every binary.
    timed = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv
    start = time.perf_counter()
    result = subprocess.run(timed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"startup: {' '.join(argv)} failed with exit code {result.returncode}")
    with open(rss_file) as f:
        return wall, int(f.read().split()[-1]) / 1024.0  # kilobytes


def measure(argv, runs, rss_file):
    run_once(argv, rss_file)  # warm the page cache; not counted
    samples = [run_once(argv, rss_file) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def make_inputs(directory, make_photo):
    photo = os.path.join(directory, "photo.jpg")
    subprocess.run([make_photo, str(WIDTH), str(HEIGHT), photo], check=True)
    rois = os.path.join(directory, "rois.csv")
    rng = random.Random(7)
    with open(rois, "w") as f:
        for i in range(ROIS):
            f.write(f"{rng.randrange(WIDTH - ROI_SIDE)},{rng.randrange(HEIGHT - ROI_SIDE)},{ROI_SIDE},{ROI_SIDE},r{i}\n")
    return photo, rois


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=21)
    parser.add_argument("--make-photo", default="build/release/bench/tessera_make_photo")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tessera_startup_") as directory:
        photo, rois = make_inputs(directory, args.make_photo)
        cases = [("version", ["--version"]), ("info", ["info", photo]),
                 ("crop50", ["crop", photo, "--rois", rois, "--quiet"])]
        print(f"{'binary':<40} {'case':<8} {'median wall ms':>15} {'median peak RSS MB':>19}")
        for binary in args.binaries:
            for name, case in cases:
                wall, rss = measure([os.path.abspath(binary)] + case, args.runs, os.path.join(directory, "rss"))
                print(f"{binary:<40} {name:<8} {wall * 1000:>15.1f} {rss:>19.1f}")


if __name__ == "__main__":
    main()
