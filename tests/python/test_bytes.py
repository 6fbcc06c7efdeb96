"""The same crops through the command line, the C++ API and Python are byte-identical, and at
the seed's settings (accurate DCT, 4:2:0, q90) they equal a cv2.imencode loop."""

import json
import subprocess
import tarfile

import pytest

import tessera
from conftest import CPP_CROPS, run_cli

try:
    import cv2
except ImportError:  # python3-opencv
    cv2 = None

ROIS = [(0, 0, 256, 256), (100, 37, 128, 200), (511, 400, 129, 80), (3, 5, 637, 1),
        (600, 0, 40, 480)]

SETTINGS = [
    {},
    {"format": "png"},
    {"quality": 75, "subsampling": "444", "progressive": True, "optimize": True},
    {"fast_dct": True, "subsampling": "gray"},
    {"format": "png", "png_level": 1, "png_filter": "paeth", "png_strategy": "rle",
     "png_encoder": "libspng"},
    {"format": "png", "png_level": 11, "png_filter": "up"},
]


def cli_flags(settings):
    flags = []
    for name, value in settings.items():
        flag = {"format": "-f", "png_level": "--png-level", "png_filter": "--png-filter",
                "png_strategy": "--png-strategy", "png_encoder": "--png-encoder",
                "fast_dct": "--fast-dct"}.get(
                    name, "--" + name)
        flags += [flag] if value is True else [flag, str(value)]
    return flags


def files_under(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file() and not p.name.startswith(".")}


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_tile_and_crop_match_the_command_line(photo_jpeg, tmp_path, settings):
    ext = "png" if settings.get("format") == "png" else "jpg"
    run_cli("tile", photo_jpeg, "--tile", "128", "-o", tmp_path / "tiles", "--quiet",
            *cli_flags(settings))
    written = files_under(tmp_path / "tiles")
    ours = {f"photo/{c.x}_{c.y}.{ext}": c.data for c in tessera.tile(photo_jpeg, 128, **settings)}
    assert ours == written and len(ours) == 15

    csv = tmp_path / "rois.csv"
    csv.write_text("".join(f"{x},{y},{w},{h},r{i}\n" for i, (x, y, w, h) in enumerate(ROIS)))
    run_cli("crop", photo_jpeg, "--rois", csv, "-o", tmp_path / "crops", "--quiet",
            *cli_flags(settings))
    written = files_under(tmp_path / "crops")
    rois = [(*roi, f"r{i}") for i, roi in enumerate(ROIS)]
    ours = {f"photo/{c.key}.{ext}": c.data for c in tessera.crop(photo_jpeg, rois, **settings)}
    assert ours == written and len(ours) == len(ROIS)


def test_random_crops_match_the_command_line(photo_jpeg, tmp_path):
    run_cli("random", photo_jpeg, "--count", "40", "--size", "16:96", "--seed", "11", "-o",
            tmp_path / "r.tar", "--quiet")
    samples = {}
    with tarfile.open(tmp_path / "r-000000.tar") as tar:
        members = tar.getmembers()
        for image, meta in zip(members[0::2], members[1::2]):
            where = json.loads(tar.extractfile(meta).read())
            samples.setdefault((where["x"], where["y"], where["w"], where["h"]), []).append(
                tar.extractfile(image).read())
    ours = {}
    for c in tessera.random(photo_jpeg, 40, (16, 96), seed=11):
        ours.setdefault((c.x, c.y, c.w, c.h), []).append(c.data)
    assert ours == samples and sum(map(len, ours.values())) == 40


def test_the_cpp_api_gives_the_same_bytes(photo_jpeg, tmp_path):
    if not CPP_CROPS:
        pytest.skip("TESSERA_CPP_CROPS is not set (ctest sets it)")
    csv = tmp_path / "rois.csv"
    csv.write_text("".join(f"{x},{y},{w},{h}\n" for x, y, w, h in ROIS))
    for kind, arg, ours in [("tile", "128", tessera.tile(photo_jpeg, 128)),
                            ("rois", csv, tessera.crop(photo_jpeg, ROIS))]:
        out = tmp_path / kind
        out.mkdir()
        subprocess.run([CPP_CROPS, photo_jpeg, kind, arg, out], check=True)
        theirs = {int(p.stem): p.read_bytes() for p in out.iterdir()}
        assert {c.index: c.data for c in ours} == theirs


def test_run_writes_what_the_manifest_command_writes(photo_jpeg, tmp_path):
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(
        f'{{"input": "{photo_jpeg.name}", "tile": 200, "key_prefix": "a"}}\n'
        f'{{"input": "{photo_jpeg.name}", "rois": "rois.csv"}}\n')
    (tmp_path / "rois.csv").write_text("".join(f"{x},{y},{w},{h}\n" for x, y, w, h in ROIS))
    cli = run_cli("manifest", manifest, "-o", tmp_path / "cli.tar", "--shard-size", "5samples",
                  "--json", "--quiet")
    stats = tessera.run(manifest, tmp_path / "py.tar", shard_size="5samples")
    cli_shards = sorted(tmp_path.glob("cli-*.tar"))
    py_shards = sorted(tmp_path.glob("py-*.tar"))
    assert len(cli_shards) == len(py_shards) == 3
    assert [s.read_bytes() for s in cli_shards] == [s.read_bytes() for s in py_shards]

    summary = json.loads(cli.stdout)
    fields = stats.as_dict()
    assert set(summary) <= set(fields)
    for same in ("command", "images", "failed_images", "crops", "failed", "skipped",
                 "bytes_in", "bytes_out", "pixels_decoded", "status", "error"):
        assert fields[same] == summary[same], same

    run_cli("manifest", manifest, "-o", tmp_path / "cli_dir", "--quiet", "-f", "png")
    tessera.run(manifest, tmp_path / "py_dir", format="png")
    assert files_under(tmp_path / "py_dir") == files_under(tmp_path / "cli_dir")


@pytest.mark.skipif(cv2 is None, reason="python3-opencv is not installed")
def test_the_seeds_cv2_loop_gives_the_same_bytes(photo_jpeg):
    image = cv2.imread(str(photo_jpeg))
    loop = [cv2.imencode(".jpg", image[y:y + h, x:x + w], [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
            .tobytes() for x, y, w, h in ROIS]
    ours = {c.index: c.data for c in tessera.crop(photo_jpeg, ROIS, quality=90,
                                                   subsampling="420", fast_dct=False)}
    assert [ours[i] for i in range(len(ROIS))] == loop
