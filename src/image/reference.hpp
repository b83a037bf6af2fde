// Image references as Docker normalises them: "busybox" -> docker.io/library/busybox:latest,
// "127.0.0.1:5000/x/y@sha256:..." keeps its registry and digest.
#pragma once
#include <optional>
#include <string>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

struct Reference {
  std::string domain;      // "docker.io", "127.0.0.1:5000"
  std::string path;        // "library/busybox"
  std::string tag;         // empty when only a digest was given
  std::optional<Digest> digest;

  static Result<Reference> parse(std::string_view s);
  // "busybox", "127.0.0.1:5000/x/y": the short form Docker prints.
  std::string familiar_name() const;
  std::string familiar_tagged() const { return familiar_name() + ":" + (tag.empty() ? "latest" : tag); }
  std::string str() const;  // familiar name with :tag and/or @digest
  // What to ask the registry for: the digest when given, else the tag.
  std::string reference() const { return digest ? digest->str() : (tag.empty() ? "latest" : tag); }
};

}  // namespace berth::image
