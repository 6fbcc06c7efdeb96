// The OpenCV decoder module: a shared object that only libtessera_codecs opens (dlopen), on
// the first input that is neither JPEG nor PNG. It decodes whole images with cv::imdecode and
// hands back OpenCV's own pixels; every check, conversion and message about the image lives
// on the caller's side (opencv_decoder.cpp). No exception leaves this file.
#include <cstdio>
#include <memory>
#include <new>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "opencv_module_abi.h"

namespace {

int decode(const std::uint8_t* bytes, std::size_t size, tessera_module_image* image, char* message,
           std::size_t message_size) {
  try {
    // The caller keeps size below 2 GiB. imdecode only reads the buffer; the Mat header merely
    // borrows it.
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<std::uint8_t*>(bytes));
    auto mat = std::make_unique<cv::Mat>(cv::imdecode(encoded, cv::IMREAD_UNCHANGED));
    if (mat->empty()) return TESSERA_MODULE_UNREADABLE;
    image->width = mat->cols;
    image->height = mat->rows;
    image->channels = mat->channels();
    image->bits = mat->depth() == CV_8U ? 8 : mat->depth() == CV_16U ? 16 : 0;
    image->type_name = cv::depthToString(mat->depth());
    image->stride = mat->step[0];
    image->pixels = mat->data;
    image->handle = mat.release();
    return TESSERA_MODULE_OK;
  } catch (const std::bad_alloc&) {
    return TESSERA_MODULE_NO_MEMORY;
  } catch (const std::exception& e) {
    std::snprintf(message, message_size, "%s", e.what());
    return TESSERA_MODULE_CORRUPT;
  } catch (...) {
    std::snprintf(message, message_size, "an unknown exception");
    return TESSERA_MODULE_CORRUPT;
  }
}

void release(tessera_module_image* image) {
  delete static_cast<cv::Mat*>(image->handle);
  image->handle = nullptr;
  image->pixels = nullptr;
}

constexpr tessera_opencv_module kModule{TESSERA_OPENCV_MODULE_ABI_VERSION, decode, release};

}  // namespace

extern "C" __attribute__((visibility("default"))) const tessera_opencv_module*
tessera_opencv_decoder_module() {
  return &kModule;
}
