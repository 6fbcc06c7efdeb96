#!/usr/bin/env python3
"""The Python module against the seed's loop, at equal codec settings (q90, 4:2:0, accurate DCT,
standard Huffman tables, baseline), with the outputs checked byte-identical:

  loop      cv2.imread once, then cv2.imencode(".jpg", image[y:y+h, x:x+w]) for each ROI
  tessera   for crop in tessera.crop(path, rois, threads=T) (or tessera.tile): every crop's bytes
  cli       tessera crop|tile ... -j T --json (null output): the same job from the command line

  case 1    a 3840x2160 JPEG, 50 square ROIs with sides of 128..1024 px (seeded)
  case 2    a 16384x16384 JPEG cut into 4096 tiles of 256 px

Each variant runs in a process of its own (peak RSS is GNU time's %M of that process; the wall
time is measured inside it, around the work only: imports and process start are left out, the
image file is in the page cache; each timed run only counts the bytes it gets). The variants run
in rounds, one run each per round, so that a change in the machine's load falls on all of them.
A first, untimed run of the loop and of tessera hashes every crop and checks that both give the
same bytes. Reports min/median/max over --runs rounds, the speed-up of the medians and the RSS
ratio.

  /usr/bin/python3 bench/python/bench_python.py [--runs 5] [--threads 2] [--case 1|2|all]
      [--build build/release] [--work DIR]
"""

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    1: {"width": 3840, "height": 2160, "rois": 50, "sides": (128, 1024)},
    2: {"width": 16384, "height": 16384, "tile": 256},
}
QUALITY = 90


# ---- the children ------------------------------------------------------------------------


class Consumer:
    """What each variant does with a crop: count its bytes (timed runs), or also hash them
    (the untimed run that checks both variants give the same crops)."""

    def __init__(self, check):
        self.check = check
        self.total = 0
        self.hashes = []

    def take(self, index, data):
        self.total += len(data)
        if self.check:
            self.hashes.append((index, hashlib.sha256(data).hexdigest()))

    def digest(self):
        return hashlib.sha256("".join(h for _, h in sorted(self.hashes)).encode()).hexdigest()


def child_loop(path, rois, consumer):
    import cv2
    start = time.perf_counter()
    image = cv2.imread(path)
    for i, (x, y, w, h) in enumerate(rois):
        ok, encoded = cv2.imencode(".jpg", image[y:y + h, x:x + w],
                                   [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        assert ok
        consumer.take(i, encoded.tobytes())
    return time.perf_counter() - start


def child_tessera(path, rois, tile, threads, consumer):
    import tessera
    start = time.perf_counter()
    crops = tessera.tile(path, tile, threads=threads, quality=QUALITY) if tile else \
        tessera.crop(path, rois, threads=threads, quality=QUALITY)
    for crop in crops:
        consumer.take(crop.index, crop.data)
    return time.perf_counter() - start


def child_main(argv):
    mode, check, path, plan_file, threads = argv[0], argv[1] == "check", argv[2], argv[3], int(argv[4])
    with open(plan_file) as f:
        plan = json.load(f)
    rois = [tuple(r) for r in plan["rois"]]
    consumer = Consumer(check)
    if mode == "loop":
        wall = child_loop(path, rois, consumer)
    else:
        wall = child_tessera(path, rois, plan.get("tile"), threads, consumer)
    print(json.dumps({"wall": wall, "bytes": consumer.total,
                      "digest": consumer.digest() if check else None}))


# ---- the parent --------------------------------------------------------------------------


def make_case(number, work, make_photo):
    spec = CASES[number]
    path = os.path.join(work, f"case{number}.jpg")
    if not os.path.exists(path):
        subprocess.run([make_photo, str(spec["width"]), str(spec["height"]), path], check=True)
    if "tile" in spec:
        t = spec["tile"]
        rois = [(x, y, t, t) for y in range(0, spec["height"] - t + 1, t)
                for x in range(0, spec["width"] - t + 1, t)]
    else:
        rng = random.Random(7)
        rois = []
        for _ in range(spec["rois"]):
            side = rng.randint(*spec["sides"])
            rois.append((rng.randrange(spec["width"] - side), rng.randrange(spec["height"] - side),
                         side, side))
    plan_file = os.path.join(work, f"case{number}.json")
    with open(plan_file, "w") as f:
        json.dump({"rois": rois, "tile": spec.get("tile")}, f)
    csv = os.path.join(work, f"case{number}.csv")
    with open(csv, "w") as f:
        f.writelines(f"{x},{y},{w},{h}\n" for x, y, w, h in rois)
    return path, plan_file, csv, len(rois)


def timed(argv, env, work):
    """Runs argv under GNU time; returns its stdout and peak RSS in MiB."""
    rss_file = os.path.join(work, "rss")
    result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench_python: {' '.join(argv)} failed: {result.stderr}")
    with open(rss_file) as f:
        return result.stdout, int(f.read().split()[-1]) / 1024.0


def run_variant(variant, case, args, env, work, check=False):
    path, plan_file, csv, _ = case
    if variant == "cli":
        spec = json.load(open(plan_file))
        plan = ["tile", path, "--tile", str(spec["tile"])] if spec["tile"] else \
               ["crop", path, "--rois", csv]
        out, rss = timed([args.cli, *plan, "-j", str(args.threads), "-q", str(QUALITY), "--json"],
                         env, work)
        return {"wall": json.loads(out)["wall_s"], "digest": None, "rss": rss}
    out, rss = timed([sys.executable, __file__, "--child", variant,
                      "check" if check else "time", path, plan_file, str(args.threads)], env, work)
    result = json.loads(out)
    result["rss"] = rss
    return result


def spread(values):
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child_main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--case", default="all", choices=["1", "2", "all"])
    parser.add_argument("--build", default="build/release", help="a build with the Python module")
    parser.add_argument("--work", help="where the inputs go (kept between runs); default: a temp dir")
    args = parser.parse_args()
    args.cli = os.path.join(args.build, "tools", "tessera")
    make_photo = os.path.join(args.build, "bench", "tessera_make_photo")
    env = dict(os.environ, PYTHONPATH=os.path.join(args.build, "python"))
    work = args.work or tempfile.mkdtemp(prefix="tessera-bench-python-")
    os.makedirs(work, exist_ok=True)

    print(f"{os.cpu_count()} cores, tessera threads {args.threads}, {args.runs} runs per variant; "
          f"wall seconds min / median / max; peak RSS median")
    for number in ([1, 2] if args.case == "all" else [int(args.case)]):
        case = make_case(number, work, make_photo)
        print(f"\ncase {number}: {os.path.basename(case[0])} "
              f"{CASES[number]['width']}x{CASES[number]['height']}, {case[3]} crops")
        # Untimed: both give the same crops (and it warms the page cache).
        digests = {run_variant(v, case, args, env, work, check=True)["digest"]
                   for v in ("loop", "tessera")}
        if len(digests) != 1:
            sys.exit(f"bench_python: the loop's and tessera's crops differ in case {number}")
        # Rounds of one run per variant, so that a change in the machine's load falls on all.
        results = {"loop": [], "tessera": [], "cli": []}
        for _ in range(args.runs):
            for variant, runs in results.items():
                runs.append(run_variant(variant, case, args, env, work))
        median = {v: statistics.median(r["wall"] for r in rs) for v, rs in results.items()}
        rss = {v: statistics.median(r["rss"] for r in rs) for v, rs in results.items()}
        for variant, rs in results.items():
            print(f"  {variant:8} {spread([r['wall'] for r in rs])} s   {rss[variant]:7.1f} MiB")
        print(f"  outputs identical (loop and tessera); tessera {median['loop'] / median['tessera']:.2f}x "
              f"faster than the loop; Python/CLI wall {median['tessera'] / median['cli']:.3f}; "
              f"peak RSS {100 * rss['tessera'] / rss['loop']:.1f}% of the loop's")


if __name__ == "__main__":
    main()
