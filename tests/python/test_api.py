"""The module's calls in-process: results, argument errors, image errors, run() and its
Stats, info(), help text and the .pyi stub."""

import ast
import inspect
import json
import os
import pathlib
import pydoc
import tarfile
import warnings

import pytest

import tessera
from conftest import TEST_DATA, photo_pixels, encode_whole


# ---- results -------------------------------------------------------------------------------


def test_tile_yields_every_tile_row_by_row(photo_jpeg):
    crops = list(tessera.tile(photo_jpeg, 128))
    assert [(c.x, c.y) for c in crops] == [(x, y) for y in range(0, 384, 128)
                                         for x in range(0, 640, 128)]
    assert [c.index for c in crops] == list(range(15))
    first = crops[0]
    assert (first.w, first.h, first.format, first.key) == (128, 128, "jpeg", None)
    assert first.source == str(photo_jpeg)
    assert first.data[:2] == b"\xff\xd8" and first.data[-2:] == b"\xff\xd9"
    assert tessera.info(first.data)["width"] == 128


def test_lossless_crops_are_exact_and_off_grid_ones_fail_or_use_pixels(photo_jpeg):
    crops = list(tessera.tile(photo_jpeg, 96, edge="clip", lossless=True))
    assert len(crops) == 7 * 5
    for c in crops[::6]:  # 4:4:4: each crop decodes to the source's own pixels
        mine = next(iter(tessera.crop(c.data, [(0, 0, c.w, c.h)], format="raw"))).data
        source = next(iter(tessera.crop(photo_jpeg, [(c.x, c.y, c.w, c.h)], format="raw"))).data
        assert (mine == source).all()
    assert crops[0].data != next(iter(tessera.tile(photo_jpeg, 96))).data
    with pytest.raises(ValueError, match="8x8 MCU grid"):
        list(tessera.crop(photo_jpeg, [(4, 0, 16, 16)], lossless=True))
    assert len(list(tessera.crop(photo_jpeg, [(0, 0, 16, 16), (4, 0, 16, 16)],
                                 lossless="auto"))) == 2
    with pytest.raises(ValueError, match="lossless"):
        tessera.tile(photo_jpeg, 16, lossless="yes")
    with pytest.raises(ValueError, match="cannot go with lossless"):
        tessera.tile(photo_jpeg, 16, lossless=True, quality=80)


def test_crop_keeps_keys_and_plan_indices(photo_jpeg):
    rois = [(0, 300, 64, 64, "low"), (10, 10, 32, 48, "high"), (5, 5, 8, 8)]
    crops = list(tessera.crop(photo_jpeg, rois, format="png"))
    # Delivered by bottom row; index is the position in the list.
    assert [(c.index, c.key) for c in crops] == [(2, None), (1, "high"), (0, "low")]
    assert all(c.format == "png" and c.data.startswith(b"\x89PNG") for c in crops)
    by_index = {c.index: c for c in crops}
    assert (by_index[1].x, by_index[1].y, by_index[1].w, by_index[1].h) == (10, 10, 32, 48)


def test_crop_reads_an_n_by_4_array_and_a_roi_file(photo_jpeg, tmp_path):
    import numpy as np
    rois = np.array([[0, 0, 16, 16], [20, 30, 40, 50]], dtype=np.int64)
    from_array = [c.data for c in tessera.crop(photo_jpeg, rois)]
    csv = tmp_path / "rois.csv"
    csv.write_text("x,y,w,h\n0,0,16,16\n20,30,40,50\n")
    assert [c.data for c in tessera.crop(photo_jpeg, csv)] == from_array
    assert len(from_array) == 2


def test_random_is_reproducible_from_its_seed(photo_jpeg):
    first = [(c.x, c.y, c.w, c.data) for c in tessera.random(photo_jpeg, 20, (16, 64), seed=7)]
    again = [(c.x, c.y, c.w, c.data) for c in tessera.random(photo_jpeg, 20, (16, 64), seed=7)]
    other = [(c.x, c.y, c.w) for c in tessera.random(photo_jpeg, 20, (16, 64), seed=8)]
    assert first == again and len(first) == 20
    assert [f[:3] for f in first] != other
    assert all(16 <= w <= 64 for _, _, w, _ in first)


def test_sources_path_bytes_and_pathlike_give_the_same_crops(photo_jpeg):
    data = photo_jpeg.read_bytes()
    expected = [c.data for c in tessera.tile(photo_jpeg, 200)]
    assert [c.data for c in tessera.tile(str(photo_jpeg), 200)] == expected
    assert [c.data for c in tessera.tile(data, 200)] == expected
    assert [c.data for c in tessera.tile(bytearray(data), 200)] == expected
    assert [c.data for c in tessera.tile(memoryview(data), 200)] == expected
    assert next(tessera.tile(data, 200)).source == "<bytes>"


def test_skip_blank_and_edge_policies(tmp_path):
    import numpy as np
    pixels = photo_pixels(100, 60)
    pixels[:, :50] = 128  # the left half is flat
    kept = list(tessera.tile(pixels, 50, skip_blank=1.0))
    assert [(c.x, c.y) for c in kept] == [(50, 0)]
    padded = list(tessera.tile(pixels, 40, edge="pad", fill=(255, 0, 0), format="raw"))
    assert [(c.w, c.h) for c in padded] == [(40, 40)] * 6
    corner = padded[-1].data  # x=80 y=40: 20x20 of image, the rest fill
    assert (corner[:20, :20] == pixels[40:60, 80:100]).all()
    assert (corner[30, 30] == [255, 0, 0]).all()
    clipped = list(tessera.tile(pixels, 40, edge="clip"))
    assert [(c.w, c.h) for c in clipped][-1] == (20, 20)
    with_stride = list(tessera.tile(pixels, 40, stride=20))
    with_overlap = list(tessera.tile(pixels, 40, overlap=20))
    assert [(c.x, c.y) for c in with_stride] == [(c.x, c.y) for c in with_overlap]
    assert len(with_stride) == 4 * 2


def test_an_iterator_can_be_closed_or_used_as_a_context(photo_jpeg):
    iterator = tessera.tile(photo_jpeg, 16)
    next(iterator)
    iterator.close()
    with pytest.raises(StopIteration):
        next(iterator)
    with tessera.tile(photo_jpeg, 16) as crops:
        assert next(crops).index == 0
    with pytest.raises(StopIteration):
        next(crops)


# ---- errors ------------------------------------------------------------------------------


def test_a_bad_image_raises_tessera_error_with_the_codecs_message():
    assert issubclass(tessera.Error, Exception)
    with pytest.raises(tessera.Error, match="<bytes>: ") as error:
        list(tessera.tile(b"\xff\xd8\xff\xe0 this is no JPEG", 16))
    assert not isinstance(error.value, ValueError)
    with pytest.raises(tessera.Error, match="no-such-file.jpg"):
        list(tessera.tile("no-such-file.jpg", 16))
    with pytest.raises(tessera.Error, match="empty"):
        list(tessera.tile(b"", 16))


def test_a_truncated_jpeg_fails_unless_allowed_then_warns(photo_jpeg):
    cut = photo_jpeg.read_bytes()[:6000]
    with pytest.raises(tessera.Error, match="<bytes>"):
        list(tessera.tile(cut, 64))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        crops = list(tessera.tile(cut, 64, allow_truncated=True))
    assert len(crops) == 70
    assert any(issubclass(w.category, RuntimeWarning) and "<bytes>" in str(w.message)
               for w in caught)


def test_regions_outside_the_image_raise_value_error(photo_jpeg):
    with pytest.raises(ValueError, match="outside the 640x480 image"):
        list(tessera.crop(photo_jpeg, [(600, 0, 100, 10)]))
    assert len(list(tessera.crop(photo_jpeg, [(600, 0, 100, 10)], edge="drop"))) == 0


@pytest.mark.parametrize("kwargs, error, message", [
    ({"format": "gif"}, ValueError, 'format: "gif" is not an output format; use jpeg, png or raw'),
    ({"quality": 0}, ValueError, "JPEG quality 0 is out of range; use 1..100"),
    ({"quality": "90"}, TypeError, "quality must be an int, not str"),
    ({"quality": 2**70}, ValueError, "quality is 1180591620717411303424, out of range"),
    ({"subsampling": "411"}, ValueError, 'subsampling: "411" is not a JPEG subsampling'),
    ({"png_filter": "best"}, ValueError, 'png_filter: "best" is not a PNG filter'),
    ({"png_level": 13}, ValueError,
     "PNG compression level 13 is out of range for libdeflate; use 0..12"),
    ({"png_level": 10, "png_encoder": "libspng"}, ValueError,
     "PNG compression level 10 is out of range for libspng; use 0..9"),
    ({"png_strategy": "rle"}, ValueError, "libdeflate has no strategies"),
    ({"png_encoder": "zlib"}, ValueError, 'png_encoder: "zlib" is not a PNG encoder'),
    ({"threads": -1}, ValueError, "threads is -1; it must be between 0 and 1024"),
    ({"crops_in_flight": 100000}, ValueError, "crops in flight is 100000"),
    ({"skip_blank": -2}, ValueError, "skip_blank is -2"),
    ({"max_pixels": 0}, ValueError, "max_pixels must be at least 1"),
    ({"progressive": "yes"}, TypeError, "progressive must be a bool, not str"),
    ({"tile": 0}, ValueError, "tile 0x0 must be at least 1x1"),
    ({"tile": (1, 2, 3)}, TypeError, "tile must be an int or a pair of ints"),
    ({"overlap": 64}, ValueError, "overlap 64x64 must be at least 0 and smaller than the tile"),
    ({"overlap": 8, "stride": 8}, ValueError, "give only one"),
    ({"edge": "wrap"}, ValueError, 'edge "wrap" is not an edge policy; use drop, pad or clip'),
    ({"fill": (1, 2)}, TypeError, "fill must be"),
    ({"fill": (1, 2, 300)}, ValueError, "fill value 300 is not in 0..255"),
])
def test_bad_arguments_raise_before_anything_runs(photo_jpeg, kwargs, error, message):
    kwargs = {"tile": 64, **kwargs}
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        tessera.tile(photo_jpeg, **kwargs)


def test_bad_sources_and_plans_name_what_is_wrong(photo_jpeg):
    with pytest.raises(TypeError, match="src must be a path .* not int"):
        tessera.tile(42, 16)
    with pytest.raises(TypeError, match=r"rois\[1\] must be \(x, y, w, h\)"):
        tessera.crop(photo_jpeg, [(0, 0, 8, 8), (1, 2, 3)])
    with pytest.raises(TypeError, match=r"rois\[0\] must be an int, not float"):
        tessera.crop(photo_jpeg, [(0.5, 0, 8, 8)])
    with pytest.raises(TypeError, match="rois must be a sequence"):
        tessera.crop(photo_jpeg, 17)
    with pytest.raises(ValueError, match="count is -1"):
        tessera.random(photo_jpeg, -1, 8)
    with pytest.raises(ValueError, match=r"size \(9, 3\)"):
        tessera.random(photo_jpeg, 1, (9, 3))
    with pytest.raises(ValueError, match='ROI 0 and ROI 1 would both be named "a"'):
        list(tessera.crop(photo_jpeg, [(0, 0, 8, 8, "a"), (8, 8, 8, 8, "a")]))
    with pytest.raises(TypeError, match="unexpected keyword argument 'qualty'"):
        tessera.tile(photo_jpeg, 16, qualty=80)


# ---- info --------------------------------------------------------------------------------


def test_info_reads_the_header_of_every_kind_of_source(photo_jpeg, photo_png):
    import numpy as np
    header = tessera.info(photo_jpeg)
    assert header == {"input": str(photo_jpeg), "width": 640, "height": 480, "format": "jpeg",
                      "channels": 3, "bit_depth": 8, "pixel_format": "rgb8",
                      "subsampling": "4:4:4", "progressive": False, "restart_markers": False,
                      "streamable": True, "mcu_width": 8, "mcu_height": 8}
    assert tessera.info(photo_png[0].read_bytes())["format"] == "png"
    gray = tessera.info(np.ascontiguousarray(photo_pixels(30, 20)[:, :, 0]))
    assert (gray["width"], gray["height"], gray["pixel_format"]) == (30, 20, "gray8")
    with pytest.raises(tessera.Error, match="over the limit of 1000"):
        tessera.info(photo_jpeg, max_pixels=1000)
    with pytest.raises(tessera.Error, match="no-such.png"):
        tessera.info("no-such.png")


def test_other_formats_decode_through_the_opencv_module():
    bmp = pathlib.Path(TEST_DATA) / "other" / "shira_bird8.bmp"
    header = tessera.info(bmp)
    assert header["format"] == "other"
    assert len(list(tessera.tile(bmp, 32))) == (header["width"] // 32) * (header["height"] // 32)


# ---- run() -------------------------------------------------------------------------------


def test_run_writes_a_directory_and_lists_failures(photo_jpeg, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff not a jpeg")
    out = tmp_path / "out"
    stats = tessera.run([{"input": photo_jpeg, "tile": 160}, {"input": str(bad), "tile": 160},
                         {"input": str(photo_jpeg)}],
                        out, plan={"tile": 320})
    assert isinstance(stats, tessera.Stats)
    assert (stats.images, stats.failed_images, stats.crops) == (3, 1, 12 + 2)
    assert stats.status == "failed"
    assert stats.failures == [{"source": f"{bad} (manifest line 2)",
                               "reason": stats.failures[0]["reason"], "crops": 0}]
    assert "bad.jpg" not in stats.failures[0]["reason"] and stats.failures[0]["reason"]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg"))
    assert files[:3] == ["photo/0_0.jpg", "photo/0_160.jpg", "photo/0_320.jpg"]
    assert "photo_j2/0_0.jpg" in files and len(files) == 14


def test_run_reports_bad_job_lines_and_keeps_going(photo_jpeg):
    stats = tessera.run([{"input": str(photo_jpeg), "tile": 320}, {"tile": 5}])
    assert stats.images == 1 and stats.crops == 2
    assert len(stats.bad_lines) == 1 and stats.bad_lines[0].startswith("<jobs>:2: missing \"input\"")
    with pytest.raises(TypeError, match=r"jobs\[1\] must be a dict"):
        tessera.run([{"input": str(photo_jpeg), "tile": 320}, "photo.jpg"])


def test_run_hands_crops_to_a_callable_in_order(photo_jpeg):
    seen = []
    stats = tessera.run([{"input": str(photo_jpeg), "tile": 128, "key_prefix": "p"}], seen.append,
                        format="raw")
    assert stats.crops == len(seen) == 15
    assert [(c.x, c.y) for c in seen][:2] == [(0, 0), (128, 0)]
    assert seen[0].key == "p_0_0_128_128" and seen[0].data.shape == (128, 128, 3)


def test_an_exception_in_the_callable_stops_the_run_and_propagates(photo_jpeg):
    calls = []

    def fail_on_third(crop):
        calls.append(crop.index)
        if len(calls) == 3:
            raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        tessera.run([{"input": str(photo_jpeg), "tile": 16}], fail_on_third)
    assert calls == [0, 1, 2]


def test_run_writes_tar_shards_from_a_manifest(photo_jpeg, tmp_path):
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(f'{{"input": "{photo_jpeg.name}", "plan": {{"tile": 320}}}}\n')
    stats = tessera.run(manifest, tmp_path / "out.tar", shard_size="1samples")
    assert stats.crops == 2 and stats.status == "ok"
    shards = sorted(tmp_path.glob("out-*.tar"))
    assert [s.name for s in shards] == ["out-000000.tar", "out-000001.tar"]
    with tarfile.open(shards[0]) as tar:
        assert tar.getnames() == ["photo_0_0_320_320.jpg", "photo_0_0_320_320.json"]
    with pytest.raises(ValueError, match="holds a different run"):
        tessera.run(manifest, tmp_path / "out.tar", quality=50)


def test_run_arguments_are_checked(photo_jpeg, tmp_path):
    with pytest.raises(TypeError, match="output must be"):
        tessera.run([], 42)
    with pytest.raises(ValueError, match="resume and overwrite need an output on disk"):
        tessera.run([], print, resume=True)
    with pytest.raises(ValueError, match="plan: "):
        tessera.run([], None, plan={"tile": "big"})
    with pytest.raises(tessera.Error, match="missing.jsonl"):
        tessera.run(tmp_path / "missing.jsonl")


# ---- help and typing ---------------------------------------------------------------------


def test_help_shows_signatures_and_docs():
    text = pydoc.render_doc(tessera.tile, renderer=pydoc.plaintext)
    assert "tile(src, tile, overlap=0, stride=None, edge='drop', fill=(0, 0, 0), *, " \
           "format=None, quality=90, subsampling='420'" in text
    assert "Cut one image into a grid of tiles" in text and 'format="raw"' in text
    assert "What run() did" in pydoc.render_doc(tessera.Stats, renderer=pydoc.plaintext)
    assert "Process many images" in pydoc.render_doc(tessera.run, renderer=pydoc.plaintext)


def stub_functions():
    stub = pathlib.Path(tessera.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_stub_matches_every_signature():
    stubs = stub_functions()
    for name in ("crop", "tile", "random", "run", "info"):
        real = inspect.signature(getattr(tessera, name))
        stub = stubs[name].args
        stub_names = [a.arg for a in stub.args] + [a.arg for a in stub.kwonlyargs]
        assert stub_names == list(real.parameters), name
        stub_defaults = [ast.literal_eval(d) for d in stub.defaults] + [
            ast.literal_eval(d) for d in stub.kw_defaults if d is not None]
        real_defaults = [p.default for p in real.parameters.values()
                         if p.default is not inspect.Parameter.empty]
        assert stub_defaults == real_defaults, name
    assert pathlib.Path(tessera.__file__).with_name("py.typed").exists()


def test_run_job_fields_become_cls_and_json_and_outputs_list_the_shards(tmp_path, photo_png):
    """A job dict's extra members are fields of its samples, as on a manifest line; PNG input
    is written as JPEG when format is None; Stats.outputs lists the shards on disk."""
    path, _ = photo_png
    stats = tessera.run([{"input": str(path), "tile": 100, "label": 4, "split": "val"}],
                        tmp_path / "ds.tar", shard_size="3samples")
    assert stats.status == "ok" and stats.crops == 6
    assert stats.outputs["pattern"] == str(tmp_path / "ds-{000000..000001}.tar")
    samples = {}
    for shard in stats.outputs["shards"]:
        assert shard["bytes"] == os.path.getsize(shard["path"])
        with tarfile.open(shard["path"]) as tar:
            names = tar.getnames()
            assert len({name.split(".", 1)[0] for name in names}) == shard["samples"]
            for member in tar:
                key, extension = member.name.split(".", 1)
                samples.setdefault(key, {})[extension] = tar.extractfile(member).read()
    assert len(samples) == 6
    for sample in samples.values():
        assert sorted(sample) == ["cls", "jpg", "json"]
        assert sample["cls"] == b"4"
        meta = json.loads(sample["json"])
        assert meta["split"] == "val" and "label" not in meta
        assert (meta["image_width"], meta["image_height"]) == (300, 200)
    bad = tessera.run([{"input": str(path), "tile": 100, "label": "cat"}], tmp_path / "bad.tar")
    assert bad.images == 0 and bad.outputs["shards"] == []
    assert bad.bad_lines[0].startswith('<jobs>:1: "label" must be an integer')
