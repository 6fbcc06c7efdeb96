/* Private: the C interface between libtessera_codecs and the OpenCV decoder module, which
 * libtessera_codecs opens with dlopen on the first input that is neither JPEG nor PNG, so
 * that a JPEG/PNG run never maps OpenCV. Plain C types only: no C++ object, allocation or
 * exception ever crosses it. Bump the version on any change to these declarations. */
#ifndef TESSERA_OPENCV_MODULE_ABI_H
#define TESSERA_OPENCV_MODULE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define TESSERA_OPENCV_MODULE_ABI_VERSION 1
#define TESSERA_OPENCV_MODULE_ENTRY "tessera_opencv_decoder_module"

#ifdef __cplusplus
extern "C" {
#endif

enum tessera_module_status {
  TESSERA_MODULE_OK = 0,
  TESSERA_MODULE_UNREADABLE = 1, /* OpenCV recognised no image in the bytes */
  TESSERA_MODULE_CORRUPT = 2,    /* OpenCV threw while decoding; message says why */
  TESSERA_MODULE_NO_MEMORY = 3,  /* the caller raises std::bad_alloc, as for any allocation */
};

/* A decoded image, owned by the module until release() is called on it. */
struct tessera_module_image {
  int width;
  int height;
  int channels;
  int bits;              /* 8 or 16, or 0 for any other sample type */
  const char* type_name; /* OpenCV's name of the sample type, for messages (static string) */
  size_t stride;         /* bytes from one row to the next */
  const uint8_t* pixels; /* B, G, R(, A) as OpenCV stores them */
  void* handle;          /* the module's own */
};

struct tessera_opencv_module {
  int abi_version; /* TESSERA_OPENCV_MODULE_ABI_VERSION of the module's build */
  /* Decodes the whole image. On failure writes a NUL-terminated message into message. */
  int (*decode)(const uint8_t* bytes, size_t size, struct tessera_module_image* image,
                char* message, size_t message_size);
  void (*release)(struct tessera_module_image* image);
};

/* The module's only exported symbol. */
typedef const struct tessera_opencv_module* (*tessera_opencv_module_entry)(void);

#ifdef __cplusplus
}
#endif

#endif
