/*
 * detectfn's JPEG decoder: libjpeg-turbo's TurboJPEG API behind Node-API, one call.
 *
 *   decodeRgb(bytes: Uint8Array, maxPixels: number, into?: Uint8Array, orientation?: 1..8)
 *     -> Promise<{ width, height, data: Uint8Array }>
 *
 * `orientation` (EXIF, read by the caller) is applied after the decode, pixel for pixel, as
 * cv2.imread and libvips' autorotate do: decode, then flip/transpose. (TurboJPEG's lossless
 * transforms would rotate before decoding, which changes the chroma upsampling's direction and
 * so the bytes.) `width`/`height` are then the oriented size.
 *
 * `into`, where given and large enough, receives the pixels (`data` is then a view of its
 * buffer): a caller that decodes image after image reuses one buffer instead of allocating and
 * zero-filling megabytes per image for the garbage collector to chase. The caller must not touch
 * it until the promise settles.
 *
 * Flags 0 on purpose: the accurate integer IDCT and fancy upsampling are libjpeg's defaults,
 * the ones cv2.imread and libvips decode with, so the pixels are the same bytes the model was
 * trained on (a fast-DCT binding, e.g. @julusian/jpeg-turbo, changes 74% of bus.jpg's bytes).
 * A warning (truncated data, extraneous bytes) fails the decode, as sharp's default failOn does.
 *
 * The header is read on the calling thread (cheap, and the pixel limit is enforced before any
 * allocation); the output is a V8 ArrayBuffer allocated there (transferable to another thread,
 * unlike external memory). `decodeRgb` decodes on the libuv thread pool (the input is copied, so
 * nothing the caller does to its buffer meanwhile can reach the decoder): for an event loop that
 * must not block. `decodeRgbSync`, the same on the calling thread: for a decode worker, whose
 * thread exists to decode, so that N decode workers decode N images at once instead of queueing
 * on the process-wide libuv pool (4 threads by default, shared with fs, dns, zlib and sharp).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jconfig.h> /* LIBJPEG_TURBO_VERSION */
#include <turbojpeg.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref output;
  size_t output_offset;
  unsigned char *input;
  unsigned long input_len;
  unsigned char *pixels;
  int width, height; /* as stored in the file */
  int orientation;
  char error[256];
} Job;

/*
 * A fresh decompressor per call, never reused: libjpeg-turbo 2.1's handle is not reliably
 * reset after a failed decode (a reused one then refused intact files with "Unsupported marker
 * type"; infra/image/turbojpeg.test.ts decodes corrupted files and then an intact one).
 * Creating one costs microseconds against milliseconds of decoding.
 */

/* An Error with a `code`: rejected (async) or thrown (sync). NULL in the sync case, as Node-API wants. */
static napi_value fail(napi_env env, bool sync, const char *code, const char *message) {
  napi_value err, msg, code_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_error(env, code_value, msg, &err);
  if (sync) {
    napi_throw(env, err);
    return NULL;
  }
  napi_deferred deferred;
  napi_value promise;
  napi_create_promise(env, &deferred, &promise);
  napi_reject_deferred(env, deferred, err);
  return promise;
}

/* EXIF orientation 2-8 of a w x h RGB image into dst (h x w for 5-8): oriented (x, y) <- stored (sx, sy). */
static void orient_rgb(const unsigned char *src, int w, int h, unsigned char *dst, int orientation) {
  int ow = orientation >= 5 ? h : w, oh = orientation >= 5 ? w : h;
  for (int y = 0; y < oh; y++) {
    unsigned char *row = dst + (size_t)y * (size_t)ow * 3;
    for (int x = 0; x < ow; x++) {
      int sx, sy;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;         /* mirrored left-right */
        case 3: sx = w - 1 - x; sy = h - 1 - y; break; /* rotated 180 */
        case 4: sx = x; sy = h - 1 - y; break;         /* mirrored top-bottom */
        case 5: sx = y; sy = x; break;                 /* transposed */
        case 6: sx = y; sy = h - 1 - x; break;         /* rotated 90 clockwise to view */
        case 7: sx = w - 1 - y; sy = h - 1 - x; break; /* transversed */
        case 8: sx = w - 1 - y; sy = x; break;         /* rotated 90 anticlockwise to view */
        default: sx = x; sy = y; break;
      }
      const unsigned char *p = src + ((size_t)sy * (size_t)w + (size_t)sx) * 3;
      row[x * 3] = p[0];
      row[x * 3 + 1] = p[1];
      row[x * 3 + 2] = p[2];
    }
  }
}

static void execute(napi_env env, void *data) {
  (void)env;
  Job *job = data;
  tjhandle h = tjInitDecompress();
  if (h == NULL) {
    snprintf(job->error, sizeof job->error, "tjInitDecompress failed: %s", tjGetErrorStr2(NULL));
    return;
  }
  unsigned char *target = job->pixels;
  if (job->orientation != 1) {
    target = malloc((size_t)job->width * (size_t)job->height * 3);
    if (target == NULL) {
      snprintf(job->error, sizeof job->error, "out of memory");
      tjDestroy(h);
      return;
    }
  }
  if (tjDecompress2(h, job->input, job->input_len, target, job->width, 0, job->height, TJPF_RGB, 0) != 0) {
    snprintf(job->error, sizeof job->error, "%s", tjGetErrorStr2(h));
    if (job->error[0] == '\0') snprintf(job->error, sizeof job->error, "decode failed");
  } else if (target != job->pixels) {
    orient_rgb(target, job->width, job->height, job->pixels, job->orientation);
  }
  if (target != job->pixels) free(target);
  tjDestroy(h);
}

/* { width, height, data } for a finished job (oriented size). */
static napi_value result_of(napi_env env, Job *job, napi_value output) {
  napi_value result, width, height, array;
  size_t length = (size_t)job->width * (size_t)job->height * 3;
  int swap = job->orientation >= 5;
  napi_create_typedarray(env, napi_uint8_array, length, output, job->output_offset, &array);
  napi_create_object(env, &result);
  napi_create_int32(env, swap ? job->height : job->width, &width);
  napi_create_int32(env, swap ? job->width : job->height, &height);
  napi_set_named_property(env, result, "width", width);
  napi_set_named_property(env, result, "height", height);
  napi_set_named_property(env, result, "data", array);
  return result;
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value output;
  napi_get_reference_value(env, job->output, &output);
  if (status != napi_ok) snprintf(job->error, sizeof job->error, "decode was cancelled");
  if (job->error[0] != '\0') {
    napi_value err, msg, code;
    napi_create_string_utf8(env, job->error, NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, "JPEG_DECODE_FAILED", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  } else {
    napi_resolve_deferred(env, job->deferred, result_of(env, job, output));
  }
  napi_delete_reference(env, job->output);
  napi_delete_async_work(env, job->work);
  free(job->input);
  free(job);
}

static napi_value decode_common(napi_env env, napi_callback_info info, bool sync) {
  size_t argc = 4;
  napi_value argv[4] = { NULL, NULL, NULL, NULL };
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_typed = false;
  if (argc < 2 || napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, "decodeRgb(bytes: Uint8Array, maxPixels: number, into?: Uint8Array, orientation?: 1..8)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *bytes;
  napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, NULL, NULL);
  double max_pixels;
  if (type != napi_uint8_array || napi_get_value_double(env, argv[1], &max_pixels) != napi_ok) {
    napi_throw_type_error(env, NULL, "decodeRgb(bytes: Uint8Array, maxPixels: number, into?: Uint8Array, orientation?: 1..8)");
    return NULL;
  }
  napi_value into_buffer = NULL;
  size_t into_length = 0, into_offset = 0;
  void *into_data = NULL;
  napi_valuetype into_type = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &into_type);
  if (into_type != napi_undefined) {
    napi_typedarray_type t;
    bool typed = false;
    if (napi_is_typedarray(env, argv[2], &typed) != napi_ok || !typed ||
        napi_get_typedarray_info(env, argv[2], &t, &into_length, &into_data, &into_buffer, &into_offset) != napi_ok || t != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "decodeRgb: `into` must be a Uint8Array");
      return NULL;
    }
  }
  int orientation = 1;
  napi_valuetype orientation_type = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &orientation_type);
  if (orientation_type != napi_undefined &&
      (napi_get_value_int32(env, argv[3], &orientation) != napi_ok || orientation < 1 || orientation > 8)) {
    napi_throw_type_error(env, NULL, "decodeRgb: `orientation` must be an EXIF orientation 1..8");
    return NULL;
  }
  if (length == 0) return fail(env, sync, "JPEG_DECODE_FAILED", "empty input");

  tjhandle h = tjInitDecompress();
  if (h == NULL) return fail(env, sync, "JPEG_DECODE_FAILED", tjGetErrorStr2(NULL));
  int width = 0, height = 0, subsamp = -1, colorspace = -1;
  int header = tjDecompressHeader3(h, bytes, length, &width, &height, &subsamp, &colorspace);
  if (header != 0) {
    char message[256];
    snprintf(message, sizeof message, "%s", tjGetErrorStr2(h));
    tjDestroy(h);
    return fail(env, sync, "JPEG_DECODE_FAILED", message);
  }
  tjDestroy(h);
  /* libjpeg-turbo 2.1 answers a stream that ends before any frame (tables only) with success. */
  if (width <= 0 || height <= 0) return fail(env, sync, "JPEG_DECODE_FAILED", "JPEG ends before its frame header (SOF)");
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    return fail(env, sync, "JPEG_UNSUPPORTED", "CMYK/YCCK JPEG: not decoded to RGB here");
  }
  if ((double)width * (double)height > max_pixels) {
    char message[128];
    snprintf(message, sizeof message, "JPEG is %dx%d, more than the limit of %.0f pixels", width, height, max_pixels);
    return fail(env, sync, "JPEG_TOO_LARGE", message);
  }

  Job *job = calloc(1, sizeof *job);
  if (job == NULL) return fail(env, sync, "JPEG_DECODE_FAILED", "out of memory");
  job->width = width;
  job->height = height;
  job->orientation = orientation;
  napi_value output;
  size_t needed = (size_t)width * (size_t)height * 3;
  if (into_buffer != NULL && into_length >= needed) {
    output = into_buffer;
    job->pixels = into_data;
    job->output_offset = into_offset;
  } else if (napi_create_arraybuffer(env, needed, (void **)&job->pixels, &output) != napi_ok) {
    free(job);
    return NULL; /* the pending RangeError (allocation failed) propagates */
  }

  if (sync) {
    /* The caller's bytes are read in place: nothing else runs on this thread meanwhile. */
    job->input = bytes;
    job->input_len = (unsigned long)length;
    execute(env, job);
    napi_value result = job->error[0] != '\0' ? fail(env, true, "JPEG_DECODE_FAILED", job->error) : result_of(env, job, output);
    free(job);
    return result;
  }

  job->input = malloc(length);
  if (job->input == NULL) {
    free(job);
    return fail(env, false, "JPEG_DECODE_FAILED", "out of memory");
  }
  memcpy(job->input, bytes, length);
  job->input_len = (unsigned long)length;
  napi_value promise, name;
  napi_create_reference(env, output, 1, &job->output);
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "detectfn.turbojpeg.decode", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static napi_value decode_rgb(napi_env env, napi_callback_info info) {
  return decode_common(env, info, false);
}

static napi_value decode_rgb_sync(napi_env env, napi_callback_info info) {
  return decode_common(env, info, true);
}

NAPI_MODULE_INIT() {
  napi_value fn, version;
  napi_create_function(env, "decodeRgb", NAPI_AUTO_LENGTH, decode_rgb, NULL, &fn);
  napi_set_named_property(env, exports, "decodeRgb", fn);
  napi_create_function(env, "decodeRgbSync", NAPI_AUTO_LENGTH, decode_rgb_sync, NULL, &fn);
  napi_set_named_property(env, exports, "decodeRgbSync", fn);
  /* The libjpeg-turbo this was built against (turbojpeg.h has no runtime version call). */
#ifdef LIBJPEG_TURBO_VERSION
#define DETECTFN_STR2(x) #x
#define DETECTFN_STR(x) DETECTFN_STR2(x)
  napi_create_string_utf8(env, DETECTFN_STR(LIBJPEG_TURBO_VERSION), NAPI_AUTO_LENGTH, &version);
#else
  napi_create_string_utf8(env, "unknown", NAPI_AUTO_LENGTH, &version);
#endif
  napi_set_named_property(env, exports, "libjpegTurboVersion", version);
  return exports;
}
