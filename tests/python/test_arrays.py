"""NumPy arrays as sources (used in place) and raw crops as arrays."""

import numpy as np
import pytest

import tessera
from conftest import encode_whole, photo_pixels

try:
    import cv2
except ImportError:  # python3-opencv
    cv2 = None

ROIS = [(0, 0, 64, 48), (100, 30, 80, 80), (17, 33, 101, 7), (250, 150, 50, 50)]


def crops_by_index(*args, **kwargs):
    return {c.index: c for c in tessera.crop(*args, **kwargs)}


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_an_array_gives_the_crops_of_the_same_pixels_read_from_a_png(channels, fmt):
    pixels = photo_pixels(300, 200, channels or 1, seed=3)
    if channels is None:
        pixels = pixels[:, :, 0].copy()  # HxW
    png = encode_whole(pixels, "png")
    from_file = crops_by_index(png, ROIS, format=fmt)
    from_array = crops_by_index(pixels, ROIS, format=fmt)
    assert len(from_array) == len(ROIS)
    assert {i: c.data for i, c in from_array.items()} == {i: c.data for i, c in from_file.items()}
    assert next(iter(from_array.values())).source == "<pixels>"


def test_a_row_strided_view_is_read_in_place_with_the_same_result():
    big = photo_pixels(400, 300, seed=4)
    view = big[20:220, 30:330]  # rows of 300 pixels, 400 apart
    assert not view.flags["C_CONTIGUOUS"]
    copy = np.ascontiguousarray(view)
    assert {i: c.data for i, c in crops_by_index(view, ROIS).items()} == \
           {i: c.data for i, c in crops_by_index(copy, ROIS).items()}


@pytest.mark.parametrize("shape", [(200, 300), (200, 300, 1), (200, 300, 3), (200, 300, 4)])
def test_a_raw_crop_equals_the_slice_of_the_array(shape):
    pixels = photo_pixels(shape[1], shape[0], 1 if len(shape) == 2 else shape[2], seed=5)
    pixels = pixels.reshape(shape)
    for crop in tessera.crop(pixels, ROIS, format="raw"):
        x, y, w, h = ROIS[crop.index]
        assert crop.data.dtype == np.uint8
        assert crop.data.shape == (h, w) + shape[2:]
        assert np.array_equal(crop.data, pixels[y:y + h, x:x + w])


def test_a_raw_crop_of_a_png_equals_the_slice_of_its_pixels(photo_png):
    path, pixels = photo_png
    for crop in tessera.crop(path, ROIS, format="raw"):
        x, y, w, h = ROIS[crop.index]
        assert np.array_equal(crop.data, pixels[y:y + h, x:x + w])


@pytest.mark.skipif(cv2 is None, reason="python3-opencv is not installed")
def test_a_raw_crop_of_a_jpeg_equals_the_slice_of_what_opencv_decodes(photo_jpeg):
    decoded = cv2.cvtColor(cv2.imread(str(photo_jpeg), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2RGB)
    for crop in tessera.crop(photo_jpeg, ROIS, format="raw"):
        x, y, w, h = ROIS[crop.index]
        assert np.array_equal(crop.data, decoded[y:y + h, x:x + w])


def test_gray_images_come_back_two_dimensional():
    gray = np.ascontiguousarray(photo_pixels(64, 64, 1)[:, :, 0])
    png = encode_whole(gray, "png")
    (crop,) = tessera.crop(png, [(0, 0, 10, 20)], format="raw")
    assert crop.data.shape == (20, 10)


@pytest.mark.parametrize("array, message", [
    (np.zeros((10, 10, 3), np.float32), "dtype is float32; tessera reads uint8 pixels"),
    (np.zeros((10, 10, 3), np.uint16), "dtype is uint16"),
    (np.zeros((10, 10, 2), np.uint8), r"shape \(10, 10, 2\) has 2 channels"),
    (np.zeros((2, 10, 10, 3), np.uint8), r"shape \(2, 10, 10, 3\) is not an image"),
    (np.zeros((0, 10, 3), np.uint8), "holds no pixels"),
    (np.zeros((10, 20, 3), np.uint8)[:, ::2], r"not stored row by row .* numpy.ascontiguousarray"),
    (np.zeros((10, 20, 3), np.uint8)[..., ::-1], "numpy.ascontiguousarray"),
    (np.zeros((10, 20, 3), np.uint8).transpose(1, 0, 2), "numpy.ascontiguousarray"),
    (np.zeros((10, 20, 4), np.uint8)[:, :, :3], "numpy.ascontiguousarray"),
])
def test_arrays_tessera_cannot_read_in_place_say_how_to_fix_them(array, message):
    with pytest.raises(ValueError, match=message):
        tessera.tile(array, 8)


def test_a_one_dimensional_array_is_encoded_bytes(photo_jpeg):
    data = np.frombuffer(photo_jpeg.read_bytes(), np.uint8)
    assert [c.data for c in tessera.tile(data, 200)] == \
           [c.data for c in tessera.tile(photo_jpeg, 200)]


def test_the_array_stays_alive_while_the_iterator_reads_it():
    crops = tessera.tile(photo_pixels(256, 256), 16, format="raw", crops_in_flight=2)
    first = next(crops)  # the array now exists only inside the iterator
    rest = list(crops)
    assert len(rest) == 255 and first.data.shape == (16, 16, 3)
