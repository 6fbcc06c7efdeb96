// The public entry point: run jobs (an image plus its crop plan) through one flow graph
// that decodes each image once, in bands, and encodes its crops in parallel into pooled
// buffers handed to a Sink. A bad image fails only its own job; the run goes on.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/codecs/decoder.hpp"
#include "tessera/codecs/encoder.hpp"
#include "tessera/codecs/input.hpp"
#include "tessera/engine/plan.hpp"
#include "tessera/engine/sink.hpp"

namespace tessera {

// The name a job of pixels in memory (Job::pixels) goes by in errors and results.
inline constexpr std::string_view kPixelsName = "<pixels>";

// A job of the dataset that a run leaves to another shard, or a manifest line that is not a
// job: only its input's name matters here, because it takes a stem (see Job::passed_over).
struct PassedOverJob {
  std::size_t dataset_index = 0;
  std::string source;
};

// Lossless JPEG crops (docs/ARCHITECTURE.md, "Lossless crops"): cut from the source's quantised
// DCT coefficients, with its quantisation tables and sampling factors, so nothing is decoded to
// pixels and nothing is lost. Only a crop whose left and top edges lie on the source's MCU grid
// can be cut so: kOn fails the others (each with a message naming the grid), kAuto cuts them
// from pixels. Needs JPEG input and output, no auto-orient and no skip-blank.
enum class LosslessMode : std::uint8_t { kOff, kOn, kAuto };

struct Job {
  std::string path;  // opened inside the run when `input` is empty
  InputBytes input;  // bytes already in memory (stdin, a caller's buffer)
  PlanSpec plan;
  EncodeOptions encode;
  double skip_blank = -1;  // crops whose pixel standard deviation is below this are skipped
  // Plan and cut in the upright image given by the JPEG's EXIF orientation. Off by default:
  // crops are then cut from the pixels as stored, and EXIF orientation is ignored.
  bool auto_orient = false;
  // For a run that does only part of a dataset (one shard of a manifest, or a manifest with
  // lines that are not jobs): the job's index in the whole dataset, and the inputs of the
  // dataset's jobs between the previous job of this run and this one. Names and sample
  // metadata use the dataset index, and the stems of the passed-over inputs are taken first,
  // so every output is named as a run of the whole dataset names it. Unset: the job's
  // position in the run, and nothing passed over.
  std::optional<std::size_t> dataset_index{};
  std::vector<PassedOverJob> passed_over{};
  // Instead of `path` or `input`: pixels already decoded, in the caller's memory (a NumPy
  // array). Crops are cut straight from it, with no decoding and no copy into a band window;
  // the caller keeps the memory alive and unchanged until the run ends.
  ImageView pixels{};
  LosslessMode lossless = LosslessMode::kOff;
  // A label and extra fields for every crop of the job (a manifest line's), besides each ROI's
  // own; the two may not name the same field (check_disjoint).
  SharedFields fields{};
};

// Jobs are pulled one at a time, only when the graph has room, so a manifest of millions of
// images never sits in memory. next() is called from one thread at a time.
class JobSource {
 public:
  virtual ~JobSource() = default;
  virtual std::optional<Job> next() = 0;
};

// Caps on EngineOptions: each one sizes an allocation (threads' state, buffer tokens, band
// rows), so a value past it is refused before anything is allocated.
inline constexpr int kMaxThreads = 1024;
inline constexpr int kMaxCropsInFlight = 65536;
inline constexpr int kMaxBandRows = 65536;
inline constexpr int kMaxJobsInFlight = 256;

struct EngineOptions {
  int threads = 0;          // 0: every core
  int crops_in_flight = 0;  // encode buffers (tokens); 0: 4 per thread
  int band_rows = 0;        // rows decoded per step; 0: 64
  int jobs_in_flight = 2;   // images open at once: the next decodes while the last encodes
  DecodeOptions decode;
  PlanLimits plan_limits;
  const std::atomic<bool>* cancel = nullptr;  // set to stop the run early (Ctrl-C)
};

// Every size above within its cap (and 0 or more), and plan limits of at least 1; otherwise
// kInvalidArgument naming the option and its cap. Engine::run checks it first and reports a
// failure as RunStats::fatal, so library users get the same checks as the command line.
Status validate(const EngineOptions& options);

// The settings a run actually uses once every "0: default" of EngineOptions is resolved.
// `tessera tune` starts its search here and the help text prints these, so that neither
// recomputes a default of its own.
struct EngineSettings {
  int threads = 1;
  int crops_in_flight = 1;
  int band_rows = 1;
  int jobs_in_flight = 1;
  friend bool operator==(const EngineSettings&, const EngineSettings&) = default;
};

// Threads are counted as TBB counts them (a CPU quota or affinity mask lowers the count),
// not by std::thread::hardware_concurrency().
EngineSettings resolved_settings(const EngineOptions& options = {});

struct RunStats {
  std::size_t jobs = 0;
  std::size_t jobs_failed = 0;
  // With a warning (Sink::on_warning): an accepted decode warning, or a plan that leaves part
  // of the image without a crop.
  std::size_t jobs_warned = 0;
  std::size_t crops = 0;  // encoded and delivered
  std::size_t crops_failed = 0;
  std::size_t crops_skipped = 0;    // below the blank threshold
  std::size_t crops_resumed = 0;    // already in the output (Sink::exists), not encoded again
  std::size_t crops_lossless = 0;   // of `crops`, cut from DCT coefficients (Job::lossless)
  std::size_t crops_unaligned = 0;  // planned off the MCU grid: failed (kOn) or cut from pixels
  std::uint64_t bytes_in = 0;       // encoded input bytes
  std::uint64_t bytes_out = 0;      // encoded crop bytes delivered
  std::uint64_t pixels_decoded = 0;
  double wall_s = 0;
  double decode_s = 0;                  // thread time spent decoding, summed over jobs
  double encode_cpu_s = 0;              // thread time spent encoding, summed over crops
  int peak_window_rows = 0;             // the largest band window (rows) of any job
  std::uint64_t peak_window_bytes = 0;  // resident window bytes at the peak, over all open jobs
  std::uint64_t pool_buffers = 0;       // encode buffers created (not per crop: reused)
  std::uint64_t pool_bytes = 0;         // bytes held by the pool at the end
  bool cancelled = false;
  std::optional<Error> fatal;  // the sink failed (disk full): the run stopped
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  RunStats run(JobSource& jobs, Sink& sink);
  RunStats run(std::span<const Job> jobs, Sink& sink);

 private:
  EngineOptions options_;
};

struct EncodedCrop {
  std::uint32_t index = 0;
  Roi roi;
  std::string key;
  std::vector<std::uint8_t> bytes;
};

// One call: every crop of one image as bytes in memory, in plan order.
Result<std::vector<EncodedCrop>> encode_crops(InputBytes input, const PlanSpec& plan,
                                              const EncodeOptions& encode = {},
                                              const EngineOptions& options = {});

}  // namespace tessera
