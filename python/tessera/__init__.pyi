import os
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence, Union

import numpy
import numpy.typing

__version__: str

Path = Union[str, os.PathLike[str]]
# A path, encoded image bytes, or a uint8 pixel array (HxW, HxWx1, HxWx3 RGB, HxWx4 RGBA).
Source = Union[Path, bytes, bytearray, memoryview, numpy.typing.NDArray[numpy.uint8]]
Pair = Union[int, tuple[int, int]]
Roi = Union[tuple[int, int, int, int], tuple[int, int, int, int, str | None]]
Format = Literal["jpeg", "jpg", "png", "raw"]
Subsampling = Literal["444", "422", "420", "gray"]
PngFilter = Literal["none", "sub", "up", "avg", "paeth", "all"]
PngStrategy = Literal["default", "filtered", "huffman", "rle", "fixed"]
PngEncoder = Literal["libdeflate", "libspng"]

class Error(Exception):
    """An image, input or output tessera could not use; the message says which and why."""

class Crop:
    """One crop: where it came from and its encoded bytes (or pixels)."""
    @property
    def index(self) -> int: ...
    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def w(self) -> int: ...
    @property
    def h(self) -> int: ...
    @property
    def key(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def data(self) -> Union[bytes, numpy.typing.NDArray[numpy.uint8]]: ...

class CropIterator(Iterator[Crop]):
    def __iter__(self) -> CropIterator: ...
    def __next__(self) -> Crop: ...
    def close(self) -> None: ...
    def __enter__(self) -> CropIterator: ...
    def __exit__(self, *args: object) -> None: ...

class Stats:
    command: str
    images: int
    failed_images: int
    warned_images: int
    crops: int
    failed: int
    skipped: int
    resumed: int
    lossless: int
    unaligned: int
    bytes_in: int
    bytes_out: int
    pixels_decoded: int
    wall_s: float
    decode_s: float
    encode_cpu_s: float
    peak_rss_mb: float
    peak_window_mb: float
    peak_window_rows: int
    pool_buffers: int
    output: str
    outputs: dict[str, Any] | None
    cancelled: bool
    error: str | None
    status: Literal["ok", "failed", "interrupted"]
    failures: list[dict[str, Any]]
    warnings: list[str]
    bad_lines: list[str]
    def __init__(self, fields: Mapping[str, Any]) -> None: ...
    def as_dict(self) -> dict[str, Any]: ...

def crop(
    src: Source,
    rois: Union[Sequence[Roi], numpy.typing.NDArray[numpy.integer[Any]], Path],
    *,
    edge: Literal["error", "drop", "pad", "clip"] = "error",
    fill: Sequence[int] = (0, 0, 0),
    format: Format | None = None,
    quality: int = 90,
    subsampling: Subsampling = "420",
    fast_dct: bool = False,
    progressive: bool = False,
    optimize: bool = False,
    png_level: int = 6,
    png_filter: PngFilter = "all",
    png_strategy: PngStrategy = "default",
    png_encoder: PngEncoder = "libdeflate",
    threads: int = 0,
    crops_in_flight: int = 0,
    skip_blank: float | None = None,
    auto_orient: bool = False,
    max_pixels: int = 1073741824,
    allow_truncated: bool = False,
    lossless: bool | Literal["auto"] = False,
) -> CropIterator: ...
def tile(
    src: Source,
    tile: Pair,
    overlap: Pair = 0,
    stride: Pair | None = None,
    edge: Literal["drop", "pad", "clip"] = "drop",
    fill: Sequence[int] = (0, 0, 0),
    *,
    format: Format | None = None,
    quality: int = 90,
    subsampling: Subsampling = "420",
    fast_dct: bool = False,
    progressive: bool = False,
    optimize: bool = False,
    png_level: int = 6,
    png_filter: PngFilter = "all",
    png_strategy: PngStrategy = "default",
    png_encoder: PngEncoder = "libdeflate",
    threads: int = 0,
    crops_in_flight: int = 0,
    skip_blank: float | None = None,
    auto_orient: bool = False,
    max_pixels: int = 1073741824,
    allow_truncated: bool = False,
    lossless: bool | Literal["auto"] = False,
) -> CropIterator: ...
def random(
    src: Source,
    count: int,
    size: Pair,
    seed: int = 0,
    *,
    format: Format | None = None,
    quality: int = 90,
    subsampling: Subsampling = "420",
    fast_dct: bool = False,
    progressive: bool = False,
    optimize: bool = False,
    png_level: int = 6,
    png_filter: PngFilter = "all",
    png_strategy: PngStrategy = "default",
    png_encoder: PngEncoder = "libdeflate",
    threads: int = 0,
    crops_in_flight: int = 0,
    skip_blank: float | None = None,
    auto_orient: bool = False,
    max_pixels: int = 1073741824,
    allow_truncated: bool = False,
    lossless: bool | Literal["auto"] = False,
) -> CropIterator: ...
def run(
    jobs: Union[Path, Iterable[Mapping[str, Any]]],
    output: Union[Path, Callable[[Crop], object], None] = None,
    *,
    plan: Mapping[str, Any] | None = None,
    name: str | None = None,
    shard_size: Union[str, int, None] = None,
    resume: bool = False,
    overwrite: bool = False,
    format: Format | None = None,
    quality: int = 90,
    subsampling: Subsampling = "420",
    fast_dct: bool = False,
    progressive: bool = False,
    optimize: bool = False,
    png_level: int = 6,
    png_filter: PngFilter = "all",
    png_strategy: PngStrategy = "default",
    png_encoder: PngEncoder = "libdeflate",
    threads: int = 0,
    crops_in_flight: int = 0,
    skip_blank: float | None = None,
    auto_orient: bool = False,
    max_pixels: int = 1073741824,
    allow_truncated: bool = False,
) -> Stats: ...
def info(src: Source, *, max_pixels: int = 1073741824) -> dict[str, Any]: ...
