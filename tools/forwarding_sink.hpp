// A Sink that passes every call to another sink: the base of the CLI's decorators (progress,
// failure log, key prefixes). It is concurrent, and holds crops, exactly when the sink it wraps
// does.
#pragma once

#include "tessera/engine/sink.hpp"

namespace tessera::cli {

class ForwardingSink : public Sink {
 public:
  explicit ForwardingSink(Sink& inner) : inner_(inner) {}
  bool concurrent() const noexcept override { return inner_.concurrent(); }
  bool holds_crops() const noexcept override { return inner_.holds_crops(); }
  Status consume(const CropResult& crop) override { return inner_.consume(crop); }
  bool exists(const CropResult& crop) const override { return inner_.exists(crop); }
  Status check_plan(const JobInfo& job, std::span<const PlannedCrop> crops) const override {
    return inner_.check_plan(job, crops);
  }
  void on_failure(const CropFailure& failure) override { inner_.on_failure(failure); }
  void on_warning(const JobInfo& job, std::string_view warning) override {
    inner_.on_warning(job, warning);
  }
  Status finish() override { return inner_.finish(); }
  void abort() noexcept override { inner_.abort(); }

 protected:
  Sink& inner() noexcept { return inner_; }

 private:
  Sink& inner_;
};

}  // namespace tessera::cli
