// The tar sink's shuffle buffer: bounded memory, a seeded order, every sample written once,
// and neighbours that come from different images in the share the buffer size predicts.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "shuffle_buffer.hpp"

using tessera::ShuffleOptions;
using tessera::Status;
using tessera::detail::BufferedSample;
using tessera::detail::ShuffleBuffer;

namespace {

// Sample `id` of image `image`, with `size` image bytes; the names carry both ids.
BufferedSample sample(int image, int id, std::size_t size) {
  return BufferedSample{std::to_string(image) + "_" + std::to_string(id) + ".jpg",
                        std::vector<std::uint8_t>(size, static_cast<std::uint8_t>(id)),
                        std::to_string(image) + "_" + std::to_string(id) + ".json", "{}"};
}

int image_of(const std::string& name) {
  return std::stoi(name.substr(0, name.find('_')));
}

// Images 0..images-1 with `per_image` samples each, in that order, through a buffer; the
// image of each sample in the order written.
std::vector<int> shuffled_images(int images, int per_image, std::uint64_t buffer,
                                 std::uint64_t seed) {
  ShuffleBuffer shuffle(ShuffleOptions{seed, buffer, ShuffleOptions::kDefaultBytes});
  std::vector<int> order;
  const auto write = [&](BufferedSample&& s) {
    order.push_back(image_of(s.image_name));
    return Status{};
  };
  for (int i = 0; i < images; ++i) {
    for (int c = 0; c < per_image; ++c) REQUIRE(shuffle.push(sample(i, c, 10), write).ok());
  }
  REQUIRE(shuffle.drain(write).ok());
  return order;
}

double same_image_share(const std::vector<int>& order) {
  std::size_t same = 0;
  for (std::size_t i = 1; i < order.size(); ++i) same += order[i] == order[i - 1] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(order.size() - 1);
}

// The expected share of neighbours from the same image (README, "Shuffled shards"): a buffer
// that holds every sample writes a uniform random permutation, (m-1)/(n-1) for n samples of
// images of m; a smaller buffer B keeps a sample a geometric number of steps of mean B, which
// gives (1-q)/(1+q) with q = exp(-m/B), and never less than the permutation's share.
double expected_same_share(int images, int per_image, std::uint64_t buffer) {
  const double n = static_cast<double>(images) * per_image;
  const double permutation = (per_image - 1) / (n - 1);
  if (static_cast<double>(buffer) >= n) return permutation;
  const double q = std::exp(-per_image / static_cast<double>(buffer));
  return std::max(permutation, (1 - q) / (1 + q));
}

}  // namespace

TEST_CASE("shuffle buffer never holds more than its sample and byte limits", "[shuffle]") {
  struct Limits {
    std::uint64_t samples;
    std::uint64_t bytes;
  };
  // First the sample count binds (the bytes never would), then the bytes do.
  for (const Limits limits : {Limits{32, 1 << 20}, Limits{1000, 4000}}) {
    INFO("limits: " << limits.samples << " samples, " << limits.bytes << " bytes");
    ShuffleBuffer shuffle(ShuffleOptions{7, limits.samples, limits.bytes});
    std::vector<std::string> written;
    const auto write = [&](BufferedSample&& s) {
      written.push_back(s.image_name);
      return Status{};
    };
    std::vector<std::string> pushed;
    std::uint64_t largest = 0;
    for (int i = 0; i < 2000; ++i) {
      // Mostly small, now and then one larger than the whole byte limit.
      const std::size_t size = i % 97 == 0 ? 5000 : static_cast<std::size_t>((i * 37) % 300);
      BufferedSample s = sample(i / 50, i, size);
      largest = std::max(largest, s.bytes());
      pushed.push_back(s.image_name);
      REQUIRE(shuffle.push(std::move(s), write).ok());
      REQUIRE(shuffle.samples() <= limits.samples);
      // A sample larger than the limit passes through alone.
      REQUIRE((shuffle.bytes() <= limits.bytes || shuffle.samples() == 1));
    }
    REQUIRE(shuffle.drain(write).ok());
    CHECK(shuffle.samples() == 0);
    CHECK(shuffle.bytes() == 0);
    CHECK(shuffle.stats().samples == 2000);
    CHECK(shuffle.stats().peak_samples <= limits.samples);
    CHECK(shuffle.stats().peak_bytes <= std::max(limits.bytes, largest));
    CHECK(shuffle.stats().peak_samples > 16);  // the buffer was used, not bypassed
    // Every sample exactly once, and not in the order pushed.
    CHECK(written != pushed);
    std::sort(written.begin(), written.end());
    std::sort(pushed.begin(), pushed.end());
    CHECK(written == pushed);
  }
}

TEST_CASE("shuffle order depends only on the seed", "[shuffle]") {
  const auto a = shuffled_images(10, 20, 64, 1);
  CHECK(a == shuffled_images(10, 20, 64, 1));
  CHECK(a != shuffled_images(10, 20, 64, 2));
  CHECK(a != shuffled_images(10, 20, 32, 1));
}

TEST_CASE("shuffled neighbours come from different images in the share the buffer predicts",
          "[shuffle]") {
  struct Case {
    int images;
    int per_image;
    std::uint64_t buffer;
  };
  for (const Case c : {Case{8, 16, 128}, Case{8, 16, 32}, Case{12, 16, 48}, Case{32, 16, 64},
                       Case{20, 100, 100}}) {
    const double expected = expected_same_share(c.images, c.per_image, c.buffer);
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
      const double same = same_image_share(shuffled_images(c.images, c.per_image, c.buffer, seed));
      INFO(c.images << " images of " << c.per_image << ", buffer " << c.buffer << ", seed " << seed
                    << ": same-image neighbours " << same << ", expected " << expected);
      // Unshuffled, (m-1)/m of the neighbours share their image; shuffled, at most twice the
      // expected share may.
      CHECK(same <= 2 * expected);
    }
  }
}

TEST_CASE("a failed write stops the shuffle buffer with its error", "[shuffle]") {
  ShuffleBuffer shuffle(ShuffleOptions{3, 2, ShuffleOptions::kDefaultBytes});
  int writes = 0;
  const auto write = [&](BufferedSample&&) -> Status {
    ++writes;
    return tessera::Error{tessera::ErrorCode::kIo, "disk full"};
  };
  REQUIRE(shuffle.push(sample(0, 0, 1), write).ok());
  REQUIRE(shuffle.push(sample(0, 1, 1), write).ok());
  const Status third = shuffle.push(sample(0, 2, 1), write);
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().message == "disk full");
  CHECK(writes == 1);
}
