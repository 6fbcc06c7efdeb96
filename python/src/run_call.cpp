#include "run_call.hpp"

#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "errors.hpp"
#include "job_sources.hpp"
#include "options.hpp"
#include "output.hpp"
#include "py_json.hpp"
#include "report.hpp"
#include "sources.hpp"
#include "stream.hpp"

namespace tessera::python {
namespace py = pybind11;

namespace {

constexpr const char* kCommand = "manifest";
constexpr const char* kGridTemplate = "{stem}/{x}_{y}.{ext}";

bool is_path(const py::handle& object) {
  return py::isinstance<py::str>(object) || py::hasattr(object, "__fspath__");
}

std::string path_of(const py::handle& object) {
  const py::object os = py::module_::import("os");
  return os.attr("fsdecode")(object).cast<std::string>();
}

// The manifest's lines, the messages of its bad lines, and what the report needs per job.
struct Jobs {
  cli::JobNotes notes;
  std::unique_ptr<cli::ManifestSource> source;
  std::string manifest;  // the path, or empty for job dicts
  std::mutex mutex;
  std::vector<std::string> bad_lines;
};

void open_jobs(Jobs& jobs, const py::handle& given, cli::JobDefaults defaults) {
  if (is_path(given)) {
    jobs.manifest = path_of(given);
    auto source = cli::ManifestSource::open(jobs.manifest, std::move(defaults), jobs.notes);
    if (!source) raise(source.error());
    jobs.source = std::move(source).value();
  } else {
    if (!py::isinstance<py::iterable>(given) || py::isinstance<py::dict>(given)) {
      raise_type_error("jobs must be a manifest path or an iterable of job dicts");
    }
    std::string text;
    std::size_t i = 0;
    for (const py::handle job : given) {
      text += to_json_line(job, fmt::format("jobs[{}]", i++));
      text += '\n';
    }
    jobs.source =
        cli::ManifestSource::from_text("<jobs>", std::move(text), std::move(defaults), jobs.notes);
  }
  jobs.source->report_bad_lines_to([&jobs](const std::string& message) {
    std::lock_guard lock(jobs.mutex);
    jobs.bad_lines.push_back(message);
  });
}

std::optional<PlanSpec> default_plan(const py::handle& plan) {
  if (plan.is_none()) return std::nullopt;
  if (!py::isinstance<py::dict>(plan)) {
    raise_type_error("plan must be a dict such as {\"tile\": 256} or {\"rois\": \"rois.csv\"}");
  }
  const std::string text = to_json_line(plan, "plan");
  auto spec = cli::plan_from_json(nlohmann::json::parse(text));
  if (!spec) raise_value_error(fmt::format("plan: {}", spec.error().message));
  return std::move(spec).value();
}

// Hands each crop to the Python callable, with the GIL, on the calling thread.
void feed_callable(RunCore& core, const py::handle& callback) {
  while (std::optional<QueuedItem> item = core.next_item()) {
    if (item->kind != QueuedItem::Kind::kCrop) continue;  // the failure log has them
    py::object crop = py::cast(take_crop(*item, false));
    try {
      callback(crop);
    } catch (...) {
      without_gil([&] { return core.stop(), true; });  // abort() the run, then rethrow
      throw;
    }
  }
}

}  // namespace

py::dict run_jobs(const py::dict& args) {
  cli::CommonArgs common;
  common.encode = encode_args(args);
  common.run = run_args(args);
  common.output = output_args(args);
  const py::handle output = args["output"];
  const bool to_callable = !output.is_none() && !is_path(output);
  if (to_callable && !PyCallable_Check(output.ptr())) {
    raise_type_error("output must be a directory, NAME.tar, a callable or None");
  }
  if (!output.is_none() && !to_callable) common.output.out = path_of(output);
  if (to_callable && (common.output.resume || common.output.overwrite)) {
    raise_value_error("resume and overwrite need an output on disk, not a callable");
  }

  std::optional<PlanSpec> plan = default_plan(args["plan"]);
  std::shared_ptr<RunCore> core = make_run();
  auto& jobs = core->keep(std::make_unique<Jobs>());
  open_jobs(jobs, args["jobs"],
            cli::JobDefaults{plan, common.encode, common.run.skip_blank, common.run.auto_orient,
                             false, nullptr});

  const std::string plan_text = plan ? describe(*plan) : std::string("per manifest line");
  cli::Output out;
  if (to_callable) {
    out.description = "a Python callable";
  } else {
    // The record the command line keeps for `tessera manifest`, so either can resume the other.
    nlohmann::json record =
        cli::describe_run(kCommand, plan_text, common,
                          jobs.manifest.empty() ? std::vector<std::string>{}
                                                : std::vector<std::string>{jobs.manifest});
    record["manifest_inputs"] = jobs.source->describe_inputs();
    auto made = cli::make_output(common.output, kGridTemplate, record, true);
    if (!made) raise(made.error());
    out = std::move(made).value();
  }
  Sink& destination = to_callable ? static_cast<Sink&>(core->queue()) : *out.sink;
  auto& prefixes = core->keep(std::make_unique<cli::KeyPrefixSink>(destination, jobs.notes));
  auto& failures = core->keep(std::make_unique<cli::FailureLog>(prefixes, jobs.notes));
  auto& kept_output = core->keep(std::make_unique<cli::Output>(std::move(out)));

  core->start(engine_options(common.run), *jobs.source, failures, to_callable);
  if (to_callable) feed_callable(*core, output);
  const RunStats& stats = core->wait();
  if (stats.fatal) raise(*stats.fatal);

  nlohmann::json summary = cli::json_summary(
      stats, cli::SummaryContext{kCommand, kept_output.description, kept_output.discards,
                                 cli::outputs_json(kept_output, stats)});
  summary["failures"] = failures.failures_json();
  summary["warnings"] = failures.warnings_json();
  {
    std::lock_guard lock(jobs.mutex);
    summary["bad_lines"] = jobs.bad_lines;
  }
  return to_python(summary).cast<py::dict>();
}

py::object image_info(const py::dict& args) {
  const Source source = Source::from(args["src"]);
  DecodeOptions options;
  options.max_pixels = max_pixels_arg(args);
  auto decoder = source.open_header(options);
  if (!decoder) raise(decoder.error());
  return to_python(cli::header_json(source.name(), (*decoder)->header()));
}

}  // namespace tessera::python
