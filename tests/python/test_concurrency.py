"""The GIL is released while the engine works, a slow consumer keeps memory bounded, and an
abandoned iterator stops its engine without hanging the interpreter or leaking threads."""

import gc
import json
import subprocess
import sys
import threading
import time

import pytest

import tessera
from conftest import encode_whole, large_photo, python_child


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory):
    """A 4096x4096 RGB JPEG: 48 MiB of pixels once decoded."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    path.write_bytes(encode_whole(large_photo(4096), "jpeg", quality=95, subsampling="444"))
    return path


class Counter(threading.Thread):
    """Counts how often it gets to run Python code."""

    def __init__(self):
        super().__init__(daemon=True)
        self.count = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.count += 1
            time.sleep(0.001)


def progress_during(call):
    counter = Counter()
    counter.start()
    time.sleep(0.05)
    before = counter.count
    result = call()
    during = counter.count - before
    counter.stop.set()
    counter.join()
    return during, result


def test_another_thread_runs_python_during_a_long_call(big_jpeg):
    # One long C++ call: run() waits for the whole job. Holding the GIL, it would let the
    # counter run at most once or twice before it; released, the counter keeps going.
    during, stats = progress_during(lambda: tessera.run(
        [{"input": str(big_jpeg), "tile": 64}], None, format="png", threads=1))
    assert stats.crops == 4096
    assert during >= 20, f"the other thread ran only {during} times during run()"
    # One long next(): a single crop of the whole image, PNG at level 9.
    crops = tessera.crop(big_jpeg, [(0, 0, 4096, 2048)], format="png", png_level=9, threads=1)
    during, crop = progress_during(lambda: next(crops))
    assert crop.w == 4096
    assert during >= 20, f"the other thread ran only {during} times during next()"


RSS_SCRIPT = """
import json, resource, sys, time
import tessera
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
crops = 0
for crop in tessera.tile(sys.argv[1], 256, format="raw", threads=2):
    time.sleep(0.005)  # a consumer far slower than the engine
    crops += 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"crops": crops, "grew_mib": (peak - base) / 1024}))
"""


def test_a_slow_consumer_keeps_peak_memory_bounded(big_jpeg):
    # 256 raw tiles of 192 KiB: 48 MiB if the engine ran ahead of the consumer. Bounded, the
    # process holds the band window (2 tiles' height plus a band: 6.8 MiB here), 8 buffers
    # (1.5 MiB) and the decoder; measured at 12.6 MiB on the reference machine.
    child = python_child(RSS_SCRIPT, big_jpeg, stdout=subprocess.PIPE, text=True)
    out, _ = child.communicate(timeout=300)
    assert child.returncode == 0
    result = json.loads(out)
    assert result["crops"] == 256
    assert result["grew_mib"] < 24, f"peak RSS grew by {result['grew_mib']:.1f} MiB"


def thread_count():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_an_abandoned_iterator_stops_its_engine_and_thread(big_jpeg):
    list(tessera.tile(big_jpeg, 512, threads=2))  # TBB's workers exist from here on
    threads = thread_count()

    crops = tessera.tile(big_jpeg, 64, threads=2)
    next(crops)
    assert thread_count() == threads + 1  # the run's own thread
    del crops
    gc.collect()
    assert thread_count() == threads

    for _ in tessera.tile(big_jpeg, 64, threads=2):
        break
    gc.collect()
    assert thread_count() == threads


def test_a_stalled_iterator_does_not_stop_other_runs(big_jpeg):
    stalled = tessera.tile(big_jpeg, 64, threads=2, crops_in_flight=2)
    next(stalled)  # every buffer of this run now waits for a consumer that never comes
    done = []
    other = threading.Thread(target=lambda: done.append(len(list(tessera.tile(big_jpeg, 256)))))
    other.start()
    other.join(timeout=120)
    assert done == [256]
    assert next(stalled).index == 1
    stalled.close()


EXIT_SCRIPT = """
import sys, threading, tessera
kept = tessera.tile(sys.argv[1], 32, threads=2, crops_in_flight=2)
next(kept)  # left running, holding every buffer, at interpreter exit
def consume():
    for crop in tessera.tile(sys.argv[1], 16, threads=2):
        pass
threading.Thread(target=consume, daemon=True).start()
print("exiting", flush=True)
"""


def test_the_interpreter_exits_with_iterators_still_running(big_jpeg):
    child = python_child(EXIT_SCRIPT, big_jpeg, stdout=subprocess.PIPE, text=True)
    try:
        out, _ = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("the interpreter did not exit with a live tessera iterator")
    assert child.returncode == 0 and out == "exiting\n"
