#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tessera/engine/plan.hpp"

namespace {

using tessera::ErrorCode;
using tessera::Roi;
using tessera::RoiListSpec;

RoiListSpec csv_ok(const std::string& text) {
  auto spec = tessera::parse_roi_csv(text, "rois.csv");
  INFO((spec ? std::string() : spec.error().message));
  REQUIRE(spec.ok());
  return std::move(spec).value();
}

std::string csv_error(const std::string& text) {
  auto spec = tessera::parse_roi_csv(text, "rois.csv");
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.error().code == ErrorCode::kCorruptData);
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
  CHECK(spec.error().code == ErrorCode::kCorruptData);
  return spec.error().message;
}

std::vector<Roi> rois_of(const RoiListSpec& spec) {
  std::vector<Roi> out;
  for (const auto& entry : spec.rois) out.push_back(entry.roi);
  return out;
}

// A scratch file that removes itself.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              ("tessera_plan_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("CSV with four and five fields", "[plan]") {
  const RoiListSpec spec = csv_ok("1,2,3,4\n10,20,30,40,tile_a\n-5,-6,7,8,\n");
  CHECK(rois_of(spec) == std::vector<Roi>{{1, 2, 3, 4}, {10, 20, 30, 40}, {-5, -6, 7, 8}});
  CHECK(spec.rois[0].key.empty());
  CHECK(spec.rois[1].key == "tile_a");
  CHECK(spec.rois[2].key.empty());
  CHECK(spec.edge == tessera::EdgePolicy::kError);
}

TEST_CASE("CSV tolerates a header, comments, blank lines, CRLF, spaces and a BOM", "[plan]") {
  const std::string text =
      "\xEF\xBB\xBF"
      "# exported by hand\r\n"
      "\r\n"
      "x, y, w, h, key\r\n"
      "  1 , 2,3 ,4 , left eye \r\n"
      "\t# indented comment\n"
      "   \n"
      "5,6,7,8,\"quoted\"";
  const RoiListSpec spec = csv_ok(text);
  CHECK(rois_of(spec) == std::vector<Roi>{{1, 2, 3, 4}, {5, 6, 7, 8}});
  CHECK(spec.rois[0].key == "left eye");
  CHECK(spec.rois[1].key == "quoted");
}

TEST_CASE("CSV errors name the file and line", "[plan]") {
  CHECK(csv_error("1,2,3,4\n\n1,2,3\n") ==
        "rois.csv:3: expected 4 or 5 fields x,y,w,h[,key], found 3");
  CHECK(csv_error("1,2,3,4,k,extra\n") ==
        "rois.csv:1: expected 4 or 5 fields x,y,w,h[,key], found 6; to give each region a label "
        "or other fields, start the file with a header line naming every column, such as "
        "x,y,w,h,key,label");
  CHECK(csv_error("1,2,3,4\n1,2,three,4\n") == "rois.csv:2: w must be an integer, found 'three'");
  CHECK(csv_error("1,2,3,4\n1.5,2,3,4\n") == "rois.csv:2: x must be an integer, found '1.5'");
  CHECK(csv_error("1,2,3,4\n1,,3,4\n") == "rois.csv:2: y must be an integer, found ''");
  CHECK(csv_error("1,2,3,4\n1,2,3,99999999999\n") ==
        "rois.csv:2: h value '99999999999' is out of range; it must fit in a 32-bit integer");
  CHECK(csv_error("1,2,3,4\n# c\n1,2,-3,4\n") == "rois.csv:3: w must be at least 1, found -3");
  CHECK(csv_error("1,2,3,0\n") == "rois.csv:1: h must be at least 1, found 0");
  CHECK(csv_error("1,2,3,4\n1,2,3,4 5\n") == "rois.csv:2: h must be an integer, found '4 5'");
}

TEST_CASE("CSV header is only recognised on the first data line", "[plan]") {
  CHECK(csv_ok("# comment\nx,y,w,h\n1,2,3,4\n").rois.size() == 1);
  CHECK(csv_error("1,2,3,4\nx,y,w,h\n") == "rois.csv:2: x must be an integer, found 'x'");
  CHECK(csv_error("left,top\n1,2,3,4\n") ==
        "rois.csv:1: expected 4 or 5 fields x,y,w,h[,key], found 2");
}

TEST_CASE("CSV without regions is an error", "[plan]") {
  CHECK(csv_error("") == "rois.csv: no regions found; expected lines x,y,w,h[,key]");
  CHECK(csv_error("# nothing\n\n") == "rois.csv: no regions found; expected lines x,y,w,h[,key]");
  CHECK(csv_error("x,y,w,h\n") == "rois.csv: no regions found; expected lines x,y,w,h[,key]");
}

TEST_CASE("CSV of a million lines parses in one pass", "[plan]") {
  constexpr int kLines = 1'000'000;
  std::string text = "x,y,w,h,key\n";
  text.reserve(static_cast<std::size_t>(kLines) * 24);
  for (int i = 0; i < kLines; ++i) {
    text += std::to_string(i % 1000) + "," + std::to_string(i / 1000) + ",16,16,r" +
            std::to_string(i) + "\n";
  }
  const RoiListSpec spec = csv_ok(text);
  REQUIRE(spec.rois.size() == kLines);
  CHECK(spec.rois.back().roi == Roi{999, 999, 16, 16});
  CHECK(spec.rois.back().key == "r999999");
  text += "1,2,3\n";
  CHECK(csv_error(text) == "rois.csv:1000002: expected 5 fields, as the header names, found 3");
}

TEST_CASE("JSON list of objects with optional keys", "[plan]") {
  const RoiListSpec spec = json_ok(R"( [ {"x": 1, "y": 2, "w": 3, "h": 4},
      {"key": "b", "h": 40, "w": 30, "y": -20, "x": 10, "note": {"a": [1, 2, {"x": "ignored"}]}} ] )");
  CHECK(rois_of(spec) == std::vector<Roi>{{1, 2, 3, 4}, {10, -20, 30, 40}});
  CHECK(spec.rois[0].key.empty());
  CHECK(spec.rois[1].key == "b");
  CHECK(spec.rois[0].fields == nullptr);
  REQUIRE(spec.rois[1].fields != nullptr);
  CHECK(spec.rois[1].fields->members == R"(,"note":{"a":[1,2,{"x":"ignored"}]})");
}

TEST_CASE("JSON errors name the file and element", "[plan]") {
  CHECK(json_error(R"({"x": 1})") == "rois.json: expected a list of objects, found an object");
  CHECK(json_error("42") == "rois.json: expected a list of objects, found a number");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4}, 7])") ==
        R"(rois.json: element 1 is a number; expected an object {"x":..,"y":..,"w":..,"h":..})");
  CHECK(json_error(R"([[1,2,3,4]])") == "rois.json: element 0 is a list; expected an object");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3}])") ==
        R"(rois.json: element 0: "h" is missing; each element needs integer x, y, w and h)");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4},{"x":1.5,"y":2,"w":3,"h":4}])") ==
        R"(rois.json: element 1: "x" must be an integer, found a fraction)");
  CHECK(json_error(R"([{"x":"1","y":2,"w":3,"h":4}])") ==
        R"(rois.json: element 0: "x" must be an integer, found a string)");
  CHECK(json_error(R"([{"x":1,"y":[2],"w":3,"h":4}])") ==
        R"(rois.json: element 0: "y" must be an integer, found a list)");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4,"key":5}])") ==
        R"(rois.json: element 0: "key" must be a string, found a number)");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4,"key":null}])") ==
        R"(rois.json: element 0: "key" must be a string, found null)");
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4,"x":5}])") ==
        R"(rois.json: element 0: "x" appears twice)");
  CHECK(json_error(R"([{"x":1,"y":2,"w":-3,"h":4}])") ==
        R"(rois.json: element 0: "w" must be at least 1, found -3)");
  CHECK(
      json_error(R"([{"x":2147483648,"y":2,"w":3,"h":4}])") ==
      R"(rois.json: element 0: "x" value 2147483648 is out of range; it must fit in a 32-bit integer)");
  CHECK(json_error(R"([{"x":-2147483649,"y":2,"w":3,"h":4}])").find("out of range") !=
        std::string::npos);
  CHECK(json_error(R"([{"x":18446744073709551615,"y":2,"w":3,"h":4}])").find("out of range") !=
        std::string::npos);
  CHECK(json_error("[]") == "rois.json: no regions found; expected lines x,y,w,h[,key]");
}

TEST_CASE("JSON syntax errors say where", "[plan]") {
  const std::string missing_brace = json_error("[{\"x\":1,\"y\":2,\n\"w\":3,\"h\":4]");
  CHECK(missing_brace.find("rois.json: not valid JSON: ") == 0);
  CHECK(missing_brace.find("line 2") != std::string::npos);
  CHECK(json_error(R"([{"x":1,"y":2,"w":3,"h":4}] trailing)").find("not valid JSON") !=
        std::string::npos);
  CHECK(json_error("").find("not valid JSON") != std::string::npos);
}

TEST_CASE("load_roi_file picks the parser from the content", "[plan]") {
  const TempFile csv("a.csv", "x,y,w,h\n1,2,3,4\n");
  const TempFile json("b.txt", "\n  [{\"x\":5,\"y\":6,\"w\":7,\"h\":8,\"key\":\"k\"}]");
  const TempFile bad("c.csv", "1,2,3,4\n1,2\n");
  auto from_csv = tessera::load_roi_file(csv.path());
  REQUIRE(from_csv.ok());
  CHECK(rois_of(*from_csv) == std::vector<Roi>{{1, 2, 3, 4}});
  auto from_json = tessera::load_roi_file(json.path());
  REQUIRE(from_json.ok());
  CHECK(rois_of(*from_json) == std::vector<Roi>{{5, 6, 7, 8}});
  CHECK(from_json->rois[0].key == "k");
  auto broken = tessera::load_roi_file(bad.path());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message == bad.path() + ":2: expected 4 or 5 fields x,y,w,h[,key], found 2");
}

TEST_CASE("load_roi_file reports a file it cannot read", "[plan]") {
  const std::string missing = "/nonexistent/tessera/rois.csv";
  auto result = tessera::load_roi_file(missing);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kIo);
  CHECK(result.error().message.find(missing + ": cannot open the ROI file") != std::string::npos);
  auto directory = tessera::load_roi_file(std::filesystem::temp_directory_path().string());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.error().code == ErrorCode::kIo);
}

TEST_CASE("parsers survive random and mutated bytes", "[plan]") {
  std::mt19937_64 random(12345);  // the exact sequence does not matter here, only its variety
  const std::string csv_seed = "x,y,w,h,key\n1,2,3,4,a\n# c\n5,6,7,8\r\n";
  const std::string json_seed = R"([{"x":1,"y":2,"w":3,"h":4,"key":"a","z":[{}]}])";
  auto mutate = [&](std::string text) {
    const std::size_t edits = 1 + random() % 4;
    for (std::size_t e = 0; e < edits; ++e) {
      const std::size_t at = random() % (text.size() + 1);
      const char byte = static_cast<char>(random() & 0xff);
      switch (random() % 3) {
        case 0: text.insert(at, 1, byte); break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = byte;
          break;
      }
    }
    return text;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string noise(random() % 200, '\0');
    for (char& c : noise) c = static_cast<char>(random() & 0xff);
    for (const std::string& text : {noise, mutate(csv_seed), mutate(json_seed), "[" + noise}) {
      for (auto parse : {&tessera::parse_roi_csv, &tessera::parse_roi_json}) {
        auto spec = parse(text, "fuzz");
        if (spec.ok()) {
          for (const auto& entry : spec->rois) CHECK((entry.roi.w > 0 && entry.roi.h > 0));
        } else {
          CHECK(spec.error().message.rfind("fuzz", 0) == 0);
        }
      }
    }
  }
  // Deep nesting must not recurse the stack away: a field that deep is refused, not copied.
  const std::string nested = std::string(200000, '[') + std::string(200000, ']');
  const std::string deep = R"([{"x":1,"y":2,"w":3,"h":4,"z":)" + nested + "}]";
  const auto refused = tessera::parse_roi_json(deep, "deep");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message ==
        "deep: element 0: field \"z\" nests objects or lists more than 32 levels deep");
  CHECK_FALSE(tessera::parse_roi_json(deep.substr(0, deep.size() - 2), "deep").ok());
  CHECK_FALSE(tessera::parse_roi_json(nested, "deep").ok());
}
