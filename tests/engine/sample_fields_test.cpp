// Labels and extra fields: read from CSV headers and JSON members, typed, checked, and
// serialised once for the sample's KEY.cls and KEY.json.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tessera/engine/plan.hpp"
#include "tessera/engine/sample_fields.hpp"

namespace {

using tessera::RoiListSpec;
using tessera::SampleFields;
using tessera::SampleFieldsBuilder;

RoiListSpec csv_ok(const std::string& text) {
  auto spec = tessera::parse_roi_csv(text, "rois.csv");
  INFO((spec ? std::string() : spec.error().message));
  REQUIRE(spec.ok());
  return std::move(spec).value();
}

std::string csv_error(const std::string& text) {
  auto spec = tessera::parse_roi_csv(text, "rois.csv");
  REQUIRE_FALSE(spec.ok());
  return spec.error().message;
}

RoiListSpec json_ok(const std::string& text) {
  auto spec = tessera::parse_roi_json(text, "rois.json");
  INFO((spec ? std::string() : spec.error().message));
  REQUIRE(spec.ok());
  return std::move(spec).value();
}

std::string json_error(const std::string& text) {
  auto spec = tessera::parse_roi_json(text, "rois.json");
  REQUIRE_FALSE(spec.ok());
  return spec.error().message;
}

const SampleFields& fields_of(const RoiListSpec& spec, std::size_t i) {
  REQUIRE(spec.rois.at(i).fields != nullptr);
  return *spec.rois[i].fields;
}

TEST_CASE("a CSV header names extra columns, typed per cell", "[fields]") {
  const RoiListSpec spec = csv_ok(
      "x,y,w,h,key,label,split,score,ok,note,empty\n"
      "0,0,8,8,a,3,train,0.5,true,\"quoted\",\n"
      "8,0,8,8,b,-1,\"42\",7,false,hello world,x\n");
  REQUIRE(spec.rois.size() == 2);
  CHECK(spec.rois[0].key == "a");
  CHECK(fields_of(spec, 0).label == 3);
  CHECK(fields_of(spec, 0).members ==
        R"(,"split":"train","score":0.5,"ok":true,"note":"quoted","empty":null)");
  CHECK(fields_of(spec, 1).label == -1);
  CHECK(fields_of(spec, 1).members ==
        R"(,"split":"42","score":7,"ok":false,"note":"hello world","empty":"x")");
  CHECK(fields_of(spec, 1).names ==
        std::vector<std::string>{"label", "split", "score", "ok", "note", "empty"});
}

TEST_CASE("CSV cells: numbers, booleans, null and strings", "[fields]") {
  const RoiListSpec spec = csv_ok(
      "X,Y,W,H,a,b,c,d,e,f\n"
      "0,0,8,8,1.25,-2e3,,nan,inf,TRUE\n");
  CHECK_FALSE(fields_of(spec, 0).label);
  CHECK(spec.rois[0].key.empty());
  CHECK(fields_of(spec, 0).members ==
        R"(,"a":1.25,"b":-2000.0,"c":null,"d":"nan","e":"inf","f":"TRUE")");
}

TEST_CASE("a CSV with the old header or none has no fields", "[fields]") {
  for (const char* text : {"x,y,w,h,key\n0,0,8,8,k\n", "0,0,8,8,k\n", "x,y,w,h\n0,0,8,8\n"}) {
    CAPTURE(text);
    CHECK(csv_ok(text).rois[0].fields == nullptr);
  }
  // The key may be any column after the first four.
  const RoiListSpec spec = csv_ok("x,y,w,h,cls,KEY\n0,0,8,8,4,k\n");
  CHECK(spec.rois[0].key == "k");
  CHECK(fields_of(spec, 0).label == 4);
  CHECK(fields_of(spec, 0).members.empty());
}

TEST_CASE("CSV field errors name the line and the field", "[fields]") {
  CHECK(csv_error("x,y,w,h,label\n0,0,8,8,3\n0,0,8,8\n") ==
        "rois.csv:3: expected 5 fields, as the header names, found 4");
  CHECK(csv_error("x,y,w,h,label\n0,0,8,8,cat\n") ==
        "rois.csv:2: \"label\" must be an integer (the class number written as KEY.cls), found "
        "\"cat\"; put a class name in a field of another name, such as \"class_name\"");
  CHECK(csv_error("x,y,w,h,label\n0,0,8,8,2.5\n")
            .starts_with("rois.csv:2: \"label\" must be an integer"));
  CHECK(csv_error("x,y,w,h,label,cls\n0,0,8,8,1,2\n") ==
        "rois.csv:2: \"label\" and \"cls\" name the same class number but differ (1 and 2); "
        "give only one of them");
  CHECK(csv_ok("x,y,w,h,label,cls\n0,0,8,8,2,2\n").rois[0].fields->label == 2);
  CHECK(csv_error("x,y,w,h,source\n0,0,8,8,s\n") ==
        "rois.csv:2: field \"source\" is one the sample's JSON writes itself (source, x, y, w, h, "
        "plan, index, job, image_width, image_height); rename it");
  CHECK(csv_error("x,y,w,h,a,a\n0,0,8,8,1,2\n") == "rois.csv:2: field \"a\" appears twice");
  CHECK(csv_error("x,y,w,h,,b\n0,0,8,8,1,2\n") == "rois.csv:2: a field has an empty name");
  CHECK(csv_error("x,y,w,h,a\n0,0,8,8,caf\xe9\n") ==
        "rois.csv:2: field \"a\" holds text that is not UTF-8 (or JSON that does not parse); "
        "JSON needs UTF-8");
  CHECK(csv_error("x,y,w,h,a\xff\n0,0,8,8,1\n") ==
        "rois.csv:2: a field name is not UTF-8 text; JSON needs UTF-8");
  const std::string big(tessera::kMaxFieldBytes, 'z');
  CHECK(csv_error("x,y,w,h,a\n0,0,8,8," + big + "\n") ==
        "rois.csv:2: the fields take more than 16 KiB of JSON; keep per-sample metadata small "
        "and put large data in a file of its own");
}

TEST_CASE("JSON ROI members other than x, y, w, h and key are fields", "[fields]") {
  const RoiListSpec spec = json_ok(R"([
      {"x": 0, "y": 0, "w": 8, "h": 8, "label": 7, "split": "val", "box": {"a": [1, {"b": null}]},
       "tags": ["c", 2.5, true], "n": 18446744073709551615},
      {"x": 8, "y": 0, "w": 8, "h": 8, "key": "k", "cls": 2},
      {"x": 8, "y": 8, "w": 8, "h": 8}])");
  CHECK(fields_of(spec, 0).label == 7);
  CHECK(
      fields_of(spec, 0).members ==
      R"(,"split":"val","box":{"a":[1,{"b":null}]},"tags":["c",2.5,true],"n":18446744073709551615)");
  CHECK(fields_of(spec, 1).label == 2);
  CHECK(spec.rois[2].fields == nullptr);
}

TEST_CASE("JSON field errors name the element", "[fields]") {
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8}, {"x":0,"y":0,"w":8,"h":8,"label":"dog"}])") ==
        "rois.json: element 1: \"label\" must be an integer (the class number written as "
        "KEY.cls), found \"dog\"; put a class name in a field of another name, such as "
        "\"class_name\"");
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"label":[1]}])")
            .starts_with("rois.json: element 0: \"label\" must be an integer"));
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"label":null}])")
            .starts_with("rois.json: element 0: \"label\" must be an integer"));
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"label":1,"cls":2}])") ==
        "rois.json: element 0: \"label\" and \"cls\" name the same class number but differ (1 "
        "and 2); give only one of them");
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"plan":"mine"}])")
            .starts_with(
                "rois.json: element 0: field \"plan\" is one the sample's JSON writes itself"));
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"a":1,"a":2}])") ==
        "rois.json: element 0: field \"a\" appears twice");
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"a":)" + deep + "}]") ==
        "rois.json: element 0: field \"a\" nests objects or lists more than 32 levels deep");
  const std::string deepest = std::string(32, '[') + std::string(32, ']');
  CHECK(json_ok(R"([{"x":0,"y":0,"w":8,"h":8,"a":)" + deepest + "}]").rois[0].fields != nullptr);
  CHECK(json_error(R"([{"x":0,"y":0,"w":8,"h":8,"label":9223372036854775808}])")
            .starts_with("rois.json: element 0: \"label\" must be an integer"));
}

TEST_CASE("a job's fields and its crops' may not name the same field", "[fields]") {
  SampleFieldsBuilder job;
  REQUIRE(job.add("label", std::int64_t{1}));
  REQUIRE(job.add("split", std::string("train")));
  const auto job_fields = job.finish();
  SampleFieldsBuilder crop;
  REQUIRE(crop.add("score", 0.5));
  const auto crop_fields = crop.finish();
  CHECK(tessera::check_disjoint(*job_fields, *crop_fields));
  SampleFieldsBuilder cls;
  REQUIRE(cls.add("cls", std::int64_t{1}));
  const auto cls_fields = cls.finish();
  const auto clash = tessera::check_disjoint(*job_fields, *cls_fields);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message ==
        "field \"cls\" is given both for the whole line (as \"label\") and by the ROI; give it "
        "in one place only");
  CHECK(SampleFieldsBuilder().finish() == nullptr);
}

}  // namespace
