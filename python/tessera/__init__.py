"""tessera: cut many crops out of a large image and encode them in parallel.

The image is decoded once, in bands of rows, and each crop is encoded as soon as its rows
are in memory, on every core, while the Python thread keeps running::

    import tessera

    for crop in tessera.tile("scan.jpg", 256):
        store(crop.key or f"{crop.x}_{crop.y}", crop.data)   # JPEG bytes, no disk round trip

    patches = tessera.random("huge.png", 1000, (64, 128), seed=7, format="raw")  # NumPy arrays

crop(), tile() and random() return an iterator of Crop objects; run() processes many images
into a directory, tar shards or a callable. Codec and run options have the names and
defaults of the tessera command line.
"""

import atexit as _atexit

from . import _tessera
from ._tessera import Crop, CropIterator, Error

__all__ = ["crop", "tile", "random", "run", "info", "Crop", "CropIterator", "Stats", "Error"]
__version__ = _tessera.__version__

# The command line's defaults, from the one place they are written (the C++ option structs).
_D = _tessera.defaults()

_OPTIONS_DOC = """
    Source: a path (str or os.PathLike), encoded image bytes (bytes, bytearray, memoryview,
    a 1-D uint8 array), or decoded pixels as a uint8 array HxW or HxWx1 (gray), HxWx3 (RGB)
    or HxWx4 (RGBA). An array is used in place, without a copy, when its rows are packed
    pixels at any row stride (a C-contiguous array or a slice of one); keep it unchanged until
    the iterator ends. Arrays are RGB: an OpenCV BGR image needs image[..., ::-1].copy().

    Codec options (as the command line's -f, -q, --subsampling, ...): format ("jpeg", "png"
    or "raw"; None: JPEG, whatever the input's format), quality, subsampling ("444",
    "422", "420", "gray"), fast_dct, progressive, optimize, png_level, png_filter,
    png_strategy, png_encoder ("libdeflate" or "libspng"). format="raw" yields each crop as a
    uint8 NumPy array (HxW or HxWxC) with no encoding at all. lossless=True (a JPEG in, JPEG crops out) cuts crops from the source's DCT
    coefficients, exact and without re-encoding (quality and subsampling are the source's); a
    crop whose left or top is off the MCU grid (tessera.info's mcu_width, mcu_height) then
    fails, and lossless="auto" cuts such crops from pixels instead.

    Run options: threads (0: every core), crops_in_flight (encode buffers, which bound memory;
    0: 4 per thread), skip_blank (skip crops whose pixel standard deviation is below it),
    auto_orient (apply the JPEG's EXIF orientation), max_pixels (refuse larger images),
    allow_truncated (accept a truncated JPEG with a warning).

    Returns an iterator of Crop objects in the engine's delivery order: row by row for a
    grid, by bottom edge for ROI lists and random crops (Crop.index is the position in the
    plan). The engine starts at once, on threads of its own, with the GIL released; it stays
    at most crops_in_flight crops ahead of the consumer. A bad image raises tessera.Error, a
    region outside the image ValueError, both when iterating. close(), del or the end of a
    with block stops the engine.
"""


def crop(src, rois, *, edge="error", fill=(0, 0, 0), format=None, quality=_D["quality"],
         subsampling=_D["subsampling"], fast_dct=_D["fast_dct"],
         progressive=_D["progressive"], optimize=_D["optimize"], png_level=_D["png_level"],
         png_filter=_D["png_filter"], png_strategy=_D["png_strategy"],
         png_encoder=_D["png_encoder"], threads=_D["threads"],
         crops_in_flight=_D["crops_in_flight"], skip_blank=None,
         auto_orient=_D["auto_orient"], max_pixels=_D["max_pixels"],
         allow_truncated=_D["allow_truncated"], lossless=False):
    """Crop regions of interest out of one image.

    rois: a sequence of (x, y, w, h) or (x, y, w, h, key), an N x 4 integer array, or the
    path of a ROI file (CSV x,y,w,h[,key] or JSON), as `tessera crop --rois`.
    edge: what a region reaching past the image does: "error" (the default), "drop", "pad"
    (keeps its size, filled with `fill`) or "clip".
    """
    return _tessera.crop(locals())


def tile(src, tile, overlap=0, stride=None, edge="drop", fill=(0, 0, 0), *, format=None,
         quality=_D["quality"], subsampling=_D["subsampling"], fast_dct=_D["fast_dct"],
         progressive=_D["progressive"], optimize=_D["optimize"], png_level=_D["png_level"],
         png_filter=_D["png_filter"], png_strategy=_D["png_strategy"],
         png_encoder=_D["png_encoder"], threads=_D["threads"],
         crops_in_flight=_D["crops_in_flight"], skip_blank=None,
         auto_orient=_D["auto_orient"], max_pixels=_D["max_pixels"],
         allow_truncated=_D["allow_truncated"], lossless=False):
    """Cut one image into a grid of tiles, row by row.

    tile: the tile size, an int or (width, height). overlap (an int or (x, y), smaller than
    the tile) or stride (an int or (x, y)) spaces the tiles; give at most one of them.
    edge: "drop" keeps whole tiles only, "clip" cuts tiles at the edge, "pad" keeps the tile
    size and fills the outside with `fill`.
    """
    return _tessera.tile(locals())


def random(src, count, size, seed=0, *, format=None, quality=_D["quality"],
           subsampling=_D["subsampling"], fast_dct=_D["fast_dct"],
           progressive=_D["progressive"], optimize=_D["optimize"], png_level=_D["png_level"],
           png_filter=_D["png_filter"], png_strategy=_D["png_strategy"],
           png_encoder=_D["png_encoder"],
           threads=_D["threads"], crops_in_flight=_D["crops_in_flight"], skip_blank=None,
           auto_orient=_D["auto_orient"], max_pixels=_D["max_pixels"],
           allow_truncated=_D["allow_truncated"], lossless=False):
    """Cut `count` square crops at random places wholly inside one image.

    size: the side, an int or (min, max). seed: the same seed gives the same crops on every
    machine, as `tessera random --seed`.
    """
    return _tessera.random(locals())


for _f in (crop, tile, random):
    _f.__doc__ += _OPTIONS_DOC


class Stats:
    """What run() did: the fields of `tessera manifest --json` (images, failed_images,
    warned_images, crops, failed, skipped, resumed, lossless, unaligned, bytes_in, bytes_out,
    pixels_decoded, wall_s, decode_s, encode_cpu_s, peak_rss_mb, peak_window_mb,
    peak_window_rows, pool_buffers, output, outputs, cancelled, error, status, command), plus
    failures (one dict per failed image: source, reason, crops), warnings (one line per image
    decoded with an accepted warning) and bad_lines (manifest lines that were not jobs, with
    the reason)."""

    def __init__(self, fields):
        self.__dict__.update(fields)

    def as_dict(self):
        return dict(self.__dict__)

    def __repr__(self):
        return (f"<tessera.Stats {self.status}: {self.images} images "
                f"({self.failed_images} failed), {self.crops} crops ({self.failed} failed, "
                f"{self.skipped} skipped) in {self.wall_s:.2f} s>")


def run(jobs, output=None, *, plan=None, name=None, shard_size=None, resume=False,
        overwrite=False, format=None, quality=_D["quality"], subsampling=_D["subsampling"],
        fast_dct=_D["fast_dct"], progressive=_D["progressive"], optimize=_D["optimize"],
        png_level=_D["png_level"], png_filter=_D["png_filter"],
        png_strategy=_D["png_strategy"], png_encoder=_D["png_encoder"],
        threads=_D["threads"],
        crops_in_flight=_D["crops_in_flight"], skip_blank=None,
        auto_orient=_D["auto_orient"], max_pixels=_D["max_pixels"],
        allow_truncated=_D["allow_truncated"]):
    """Process many images, as `tessera manifest`, and return a Stats.

    jobs: the path of a JSON-lines manifest, or an iterable of dicts with the fields of a
    manifest line: {"input": "a.jpg", "tile": 256}, {"input": "b.png", "rois": "b.csv"},
    {"input": "c.jpg", "random": {"count": 10, "size": "64:128", "seed": 1}},
    "key_prefix", ... A job without a plan takes `plan` (a dict of the same fields).
    output: a directory (one file per crop, named by the template `name`), NAME.tar
    (WebDataset shards NAME-000000.tar, ..., cut at `shard_size`: "1GB", "10000samples"),
    a callable (called on this thread with each Crop, in order), or None (count only).
    resume and overwrite act as the command line's --resume and --overwrite. Codec and run
    options are those of crop().

    A failed image is counted and listed in Stats.failures, and the run goes on; an output
    that fails (a full disk) raises tessera.Error. Ctrl-C stops the run within a second and
    removes partial outputs, as the command line does.
    """
    return Stats(_tessera.run(locals()))


def info(src, *, max_pixels=_D["max_pixels"]):
    """The image's header as a dict (the fields of `tessera info --json`): input, width,
    height, format, channels, bit_depth, pixel_format, subsampling, progressive,
    restart_markers, streamable. Reads the header only."""
    return _tessera.info(locals())


# An iterator abandoned half-way must not keep its engine running, or the interpreter from
# exiting.
_atexit.register(_tessera._stop_all_runs)
