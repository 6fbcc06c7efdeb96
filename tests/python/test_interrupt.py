"""Ctrl-C (SIGINT) ends a long call within a second with KeyboardInterrupt, and leaves no
partial output."""

import json
import signal
import subprocess
import time

import pytest

from conftest import encode_whole, large_photo, python_child

# Prints "started", then runs a call of minutes (8 px PNG tiles at level 9 on one thread, about
# a second per pass over the image: the iterator makes passes until interrupted, the run has 300
# jobs); on KeyboardInterrupt prints when the exception reached Python (CLOCK_MONOTONIC, as the
# parent's clock) and what is on disk.
CHILD = """
import json, os, sys, time
import tessera
src, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
print("started", flush=True)
try:
    if mode == "iterate":
        while True:
            for crop in tessera.tile(src, 8, format="png", png_level=9, threads=1):
                pass
    else:
        tessera.run([{"input": src, "tile": 8}] * 300, out, format="png", png_level=9,
                    threads=1)
except KeyboardInterrupt:
    caught = time.monotonic()
    left = sorted(os.listdir(os.path.dirname(out)))
    print(json.dumps({"caught": caught, "left": left}), flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "src.jpg"
    path.write_bytes(encode_whole(large_photo(2048), "jpeg", quality=95))
    return path


# Files tessera keeps beside an output whatever happens: the output's lock and run record.
BOOKKEEPING = {"out.run.json", ".out.tar.lock", ".tessera.lock", ".tessera-run.json"}


@pytest.mark.parametrize("mode, out", [("iterate", "unused"), ("run", "out.tar"), ("run", "dir")])
def test_sigint_ends_a_long_call_within_a_second_leaving_no_partial_output(
        source, tmp_path, mode, out):
    target = tmp_path / "outputs" / out
    target.parent.mkdir()
    child = python_child(CHILD, source, mode, target, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "started\n"
        time.sleep(1.0)  # well into the call
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        report = json.loads(child.stdout.readline())
        assert child.wait(timeout=60) == 3
    finally:
        child.kill()
    assert report["caught"] - sent < 1.0, f"KeyboardInterrupt after {report['caught'] - sent:.2f} s"
    if mode == "run" and out == "dir":
        # A directory keeps every crop completed before Ctrl-C, and nothing partial: each file
        # decodes whole.
        assert set(report["left"]) == {"dir"}
        written = [p for p in target.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert written and all(p.suffix == ".png" for p in written)
        assert all(p.read_bytes().endswith(b"IEND\xaeB`\x82") for p in written)
    elif mode == "run":
        # The only shard was still being written: it is removed, temporary file included.
        assert set(report["left"]) <= BOOKKEEPING
