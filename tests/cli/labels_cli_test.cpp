// Datasets that train: labels and extra fields from CSV, JSON and manifest lines reach KEY.cls
// and KEY.json, read back with Python's tarfile and grouped by WebDataset's key rule; one output
// format per run; and --json lists the shards as they are on disk.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tessera;
using namespace tessera::test;

namespace {

// Groups the members of the shards given as arguments by WebDataset's rule (the key is the path
// up to the first dot of the base name) and prints, as JSON, each sample's members ("cls" and
// "json" as text, anything else as its size) and each shard's sample count.
constexpr const char* kReadSamples = R"(import json, os, sys, tarfile
samples, shards = {}, {}
for path in sys.argv[1:]:
    keys = set()
    with tarfile.open(path) as tar:
        for member in tar:
            directory, base = os.path.split(member.name)
            key = os.path.join(directory, base.split(".", 1)[0])
            extension = base.split(".", 1)[1]
            data = tar.extractfile(member).read()
            sample = samples.setdefault(key, {})
            assert extension not in sample, member.name
            sample[extension] = data.decode() if extension in ("cls", "json") else len(data)
            keys.add(key)
    shards[os.path.basename(path)] = len(keys)
print(json.dumps({"samples": samples, "shards": shards}))
)";

// What kReadSamples prints for the shards matching `pattern` (a shell glob) in `dir`.
json read_samples(const TempDir& dir, const std::string& pattern) {
  write_text(dir.path() / "read_samples.py", kReadSamples);
  const CliOutcome read = run_shell(dir, "/usr/bin/python3 read_samples.py " + pattern);
  INFO(read.err);
  REQUIRE(read.code == 0);
  return json::parse(read.out);
}

void write_jpeg(const TempDir& dir, const std::string& name, int width, int height) {
  write_image(dir / name, width, height, EncodeOptions{});
}

void write_png(const TempDir& dir, const std::string& name, int width, int height) {
  EncodeOptions png;
  png.format = OutputFormat::kPng;
  write_image(dir / name, width, height, png);
}

CliOutcome run_ok(const TempDir& dir, const std::string& arguments) {
  CliOutcome outcome = run_tessera(dir, arguments);
  INFO(outcome.err);
  REQUIRE(outcome.code == 0);
  return outcome;
}

TEST_CASE("CSV labels and fields become KEY.cls and KEY.json", "[cli]") {
  TempDir dir;
  write_jpeg(dir, "scan.jpg", 64, 48);
  write_text(dir.path() / "rois.csv",
             "x,y,w,h,key,label,split,score\n"
             "0,0,16,16,cat1,3,train,0.5\n"
             "16,0,16,16,dog1,7,val,\n");
  run_ok(dir, "crop scan.jpg --rois rois.csv -o out.tar --quiet");
  const json samples = read_samples(dir, "out-*.tar")["samples"];
  REQUIRE(samples.size() == 2);
  CHECK(samples["cat1"]["cls"] == "3");
  CHECK(samples["dog1"]["cls"] == "7");
  CHECK(samples["cat1"].contains("jpg"));
  const json cat = json::parse(samples["cat1"]["json"].get<std::string>());
  CHECK(cat["split"] == "train");
  CHECK(cat["score"] == 0.5);
  CHECK_FALSE(cat.contains("label"));
  CHECK(cat["image_width"] == 64);
  CHECK(cat["image_height"] == 48);
  CHECK(cat["x"] == 0);
  const json dog = json::parse(samples["dog1"]["json"].get<std::string>());
  CHECK(dog["score"].is_null());
  CHECK(dog["x"] == 16);

  // --resume reads the shard back, KEY.cls included, and keeps it whole.
  const CliOutcome resumed =
      run_ok(dir, "crop scan.jpg --rois rois.csv -o out.tar --resume --json");
  CHECK(last_json_line(resumed.out)["resumed"] == 2);
  CHECK(last_json_line(resumed.out)["crops"] == 0);
  CHECK(read_samples(dir, "out-*.tar")["samples"] == samples);
}

TEST_CASE("JSON ROI fields and a manifest line's fields reach every sample", "[cli]") {
  TempDir dir;
  write_jpeg(dir, "a.jpg", 40, 40);
  write_jpeg(dir, "b.jpg", 32, 24);
  write_text(dir.path() / "a.json",
             R"([{"x": 0, "y": 0, "w": 8, "h": 8, "key": "k0", "cls": 1, "box": {"c": [1, 2]}},
                 {"x": 8, "y": 0, "w": 8, "h": 8, "key": "k1", "label": 2}])");
  write_text(dir.path() / "jobs.jsonl",
             R"({"input": "a.jpg", "plan": {"rois": "a.json"}, "source_id": "A", "tags": ["x"]})"
             "\n"
             R"({"input": "b.jpg", "plan": {"tile": 16}, "label": 5, "split": "test"})"
             "\n");
  run_ok(dir, "manifest jobs.jsonl -o ds.tar --quiet");
  const json samples = read_samples(dir, "ds-*.tar")["samples"];
  REQUIRE(samples.size() == 4);  // two ROIs, and b's 2x1 grid of whole tiles
  CHECK(samples["k0"]["cls"] == "1");
  CHECK(samples["k1"]["cls"] == "2");
  const json k0 = json::parse(samples["k0"]["json"].get<std::string>());
  CHECK(k0["box"] == json::parse(R"({"c": [1, 2]})"));
  CHECK(k0["source_id"] == "A");
  CHECK(k0["tags"] == json::array({"x"}));
  CHECK(k0["image_width"] == 40);
  int b_samples = 0;
  for (const auto& [key, sample] : samples.items()) {
    if (!key.starts_with("b_")) continue;
    ++b_samples;
    CHECK(sample["cls"] == "5");
    const json meta = json::parse(sample["json"].get<std::string>());
    CHECK(meta["split"] == "test");
    CHECK(meta["image_width"] == 32);
    CHECK(meta["image_height"] == 24);
  }
  CHECK(b_samples == 2);
}

TEST_CASE("fields that cannot be written are refused with their place", "[cli]") {
  TempDir dir;
  write_jpeg(dir, "a.jpg", 32, 32);
  write_text(dir.path() / "bad.csv", "x,y,w,h,label\n0,0,8,8,cat\n");
  const CliOutcome csv = run_tessera(dir, "crop a.jpg --rois bad.csv -o out.tar");
  CHECK(csv.code == 2);
  CHECK_THAT(csv.err, Catch::Contains("bad.csv:2: \"label\" must be an integer"));
  CHECK_FALSE(fs::exists(dir.path() / "out-000000.tar"));

  write_text(dir.path() / "ok.csv", "x,y,w,h,label\n0,0,8,8,1\n");
  write_text(dir.path() / "jobs.jsonl",
             R"({"input": "a.jpg", "tile": 16, "label": "dog", "key_prefix": "bad"})"
             "\n"
             R"({"input": "a.jpg", "rois": "ok.csv", "cls": 2})"
             "\n"
             R"({"input": "a.jpg", "tile": 16, "x": 4})"
             "\n" +
                 fmt::format(R"({{"input": "a.jpg", "tile": 16, "deep": {}{}}})",
                             std::string(40, '['), std::string(40, ']')) +
                 "\n"
                 R"({"input": "a.jpg", "tile": 16, "lossless": true})"
                 "\n"
                 R"({"input": "a.jpg", "tile": 16})"
                 "\n");
  const CliOutcome manifest = run_tessera(dir, "manifest jobs.jsonl -o ds.tar");
  CHECK(manifest.code == 1);
  CHECK_THAT(manifest.err, Catch::Contains("jobs.jsonl:1: \"label\" must be an integer"));
  CHECK_THAT(manifest.err, Catch::Contains("jobs.jsonl:2: ROI 0: field \"label\" is given both "
                                           "for the whole line (as \"cls\") and by the ROI"));
  CHECK_THAT(manifest.err,
             Catch::Contains("jobs.jsonl:3: field \"x\" is one the sample's JSON writes itself"));
  CHECK_THAT(manifest.err, Catch::Contains("jobs.jsonl:4: field \"deep\": a field's value nests "
                                           "objects or lists more than 32 levels deep"));
  // A run's own option is refused rather than kept as metadata.
  CHECK_THAT(manifest.err, Catch::Contains("jobs.jsonl:5: a line cannot set \"lossless\", an "
                                           "option of the whole run"));
  // The good line runs, and a bad line's key_prefix is not left for it.
  const json written = read_samples(dir, "ds-*.tar")["samples"];
  CHECK(written.size() == 4);
  for (const auto& [key, sample] : written.items()) CHECK_FALSE(key.starts_with("bad"));

  // A directory of image files would lose them: refused, nothing written.
  const CliOutcome directory = run_tessera(dir, "crop a.jpg --rois ok.csv -o crops/");
  CHECK(directory.code == 1);
  CHECK_THAT(directory.err, Catch::Contains("carry a label or extra fields (label), which a "
                                            "directory of image files cannot hold"));
  CHECK(output_files(dir.path() / "crops").empty());
  // The listing of such a run says the same, and fails as the run does.
  const CliOutcome plan = run_tessera(dir, "plan crop a.jpg --rois ok.csv -o crops/");
  CHECK(plan.code == 1);
  CHECK_THAT(plan.err, Catch::Contains("carry a label or extra fields (label)"));
}

TEST_CASE("without -f every input is written as JPEG and PNG inputs get a notice", "[cli]") {
  TempDir dir;
  write_png(dir, "a.png", 32, 32);
  write_jpeg(dir, "b.jpg", 32, 32);
  const CliOutcome mixed = run_ok(dir, "tile a.png b.jpg --tile 16 -o tiles/");
  CHECK(output_names(dir.path() / "tiles") ==
        std::vector<std::string>{"a/0_0.jpg", "a/0_16.jpg", "a/16_0.jpg", "a/16_16.jpg",
                                 "b/0_0.jpg", "b/0_16.jpg", "b/16_0.jpg", "b/16_16.jpg"});
  const std::string notice =
      "tessera: note: PNG inputs are written as JPEG, the output format of every run without "
      "-f; pass -f png to keep them lossless\n";
  CHECK_THAT(mixed.err, Catch::Contains(notice));
  CHECK(mixed.err.find(notice) == mixed.err.rfind(notice));  // once per run

  const CliOutcome png = run_ok(dir, "tile a.png --tile 16 -f png -o png/");
  CHECK(output_names(dir.path() / "png").front() == "a/0_0.png");
  CHECK_THAT(png.err, !Catch::Contains("note:"));
  const CliOutcome jpeg_only = run_ok(dir, "tile b.jpg --tile 16 -o jpg/");
  CHECK_THAT(jpeg_only.err, !Catch::Contains("note:"));
  const CliOutcome quiet = run_ok(dir, "tile a.png --tile 16 --quiet");
  CHECK(quiet.err.empty());
}

TEST_CASE("a manifest line sets its own codec only when the run allows it", "[cli]") {
  TempDir dir;
  write_jpeg(dir, "a.jpg", 32, 16);
  write_text(dir.path() / "jobs.jsonl",
             R"({"input": "a.jpg", "tile": 16, "format": "png", "key_prefix": "p"})"
             "\n"
             R"({"input": "a.jpg", "tile": 16, "key_prefix": "j", "quality": 50})"
             "\n");
  const CliOutcome refused = run_tessera(dir, "manifest jobs.jsonl -o ds.tar");
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err,
             Catch::Contains("jobs.jsonl:1: this line sets its own codec option \"format\", but "
                             "a run writes one format with one set of codec settings; pass "
                             "--allow-per-line-codec to let lines set their own, or remove it"));
  CHECK_THAT(refused.err, Catch::Contains("jobs.jsonl:2: this line sets its own codec option "
                                          "\"quality\""));

  run_ok(dir, "manifest jobs.jsonl -o ds.tar --allow-per-line-codec --overwrite --quiet");
  const json samples = read_samples(dir, "ds-*.tar")["samples"];
  REQUIRE(samples.size() == 4);
  CHECK(samples["p_0_0_16_16"].contains("png"));
  CHECK(samples["j_0_0_16_16"].contains("jpg"));

  write_text(dir.path() / "bad.jsonl", R"({"input": "a.jpg", "tile": 16, "quality": "high"})"
                                       "\n");
  const CliOutcome bad = run_tessera(dir, "manifest bad.jsonl --allow-per-line-codec");
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("bad.jsonl:1: \"quality\" must be an integer, found "
                                      "\"high\""));
}

TEST_CASE("the json summary lists the shards as they are on disk and the human one their pattern",
          "[cli]") {
  TempDir dir;
  write_jpeg(dir, "a.jpg", 64, 64);
  const CliOutcome run = run_ok(dir, "tile a.jpg --tile 16 -o ds.tar --shard-size 5samples --json");
  const json summary = last_json_line(run.out);
  const json outputs = summary["outputs"];
  CHECK(outputs["kind"] == "tar");
  CHECK(outputs["pattern"] == "ds-{000000..000003}.tar");
  const json on_disk = read_samples(dir, "ds-*.tar")["shards"];
  REQUIRE(outputs["shards"].size() == 4);
  std::uint64_t samples = 0;
  for (const json& shard : outputs["shards"]) {
    const std::string path = shard["path"];
    INFO(path);
    CHECK(shard["bytes"] == fs::file_size(dir.path() / path));
    CHECK(shard["samples"] == on_disk[path]);
    samples += shard["samples"].get<std::uint64_t>();
  }
  CHECK(on_disk.size() == 4);
  CHECK(samples == 16);
  CHECK(outputs["shards"][0]["path"] == "ds-000000.tar");
  CHECK(outputs["shards"][3]["samples"] == 1);

  const CliOutcome human = run_ok(dir, "tile a.jpg --tile 16 -o sub/ds.tar --shard-size 5samples");
  CHECK_THAT(human.out, Catch::Contains("  shards for a loader: sub/ds-{000000..000003}.tar\n"));
  const CliOutcome task = run_ok(dir, "tile a.jpg a.jpg --tile 32 -o t.tar --shard 1/2 --json");
  CHECK(last_json_line(task.out)["outputs"]["pattern"] == "t-s0001of0002-000000.tar");

  const CliOutcome directory = run_ok(dir, "tile a.jpg --tile 16 -o tiles/ --json");
  CHECK(last_json_line(directory.out)["outputs"] ==
        json{{"kind", "directory"},
             {"directory", "tiles/"},
             {"files", 16},
             {"bytes", last_json_line(directory.out)["bytes_out"]}});
  CHECK(output_files(dir.path() / "tiles").size() == 16);
  const CliOutcome none = run_ok(dir, "tile a.jpg --tile 16 --json");
  CHECK(last_json_line(none.out).at("outputs").is_null());
}

}  // namespace
