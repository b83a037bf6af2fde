// Layers unpacked once into their own directories (keyed by chain ID), and writable snapshots
// over a chain of them: a container's root filesystem is an overlay of the layer stack plus a
// fresh upper and work directory; its upper directory is the diff that a commit turns into a layer.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

// How a writable snapshot is mounted.
struct MountOptions {
  // The snapshot is thrown away after this one mount (a `--rm` container): overlay's
  // "volatile" skips every sync of the upper layer, the one at unmount included, which costs
  // tens of milliseconds per container on a journaled filesystem. After a crash such an upper
  // layer is never mounted again, only removed.
  bool volatile_upper = false;
  // userns-remap: a user namespace whose mapping every lower layer is seen through (each an
  // idmapped mount, detached, handed to overlay by fd: nothing to unmount but the overlay),
  // and the host owner of the upper dir's root (the container's root as the host sees it).
  int idmap_userns_fd = -1;
  unsigned upper_uid = 0, upper_gid = 0;
};

class Snapshotter {
 public:
  using Fill = std::function<Result<>(const std::string& dir)>;
  virtual ~Snapshotter() = default;

  virtual bool has_layer(const Digest& chain) const = 0;
  // Runs fill on an empty staging directory and publishes it as `chain` only if fill succeeds;
  // a failed fill leaves nothing. An existing layer is kept and fill is not called. The parent
  // need not exist yet (layers of one image unpack in parallel); prepare() needs the whole stack.
  virtual Result<> create_layer(const Digest& chain, const std::optional<Digest>& parent, const Fill& fill) = 0;
  virtual Result<> remove_layer(const Digest& chain) = 0;
  virtual Result<std::vector<Digest>> layers() const = 0;
  // The layer's own directory (its diff, with overlay whiteouts).
  virtual Result<std::string> layer_dir(const Digest& chain) const = 0;

  // A writable snapshot named key over `top` (none: an empty root filesystem); every layer
  // of the stack must be there.
  virtual Result<> prepare(const std::string& key, const std::optional<Digest>& top) = 0;
  virtual Result<> mount(const std::string& key, const std::string& target, const MountOptions& o) = 0;
  Result<> mount(const std::string& key, const std::string& target) { return mount(key, target, MountOptions{}); }
  virtual Result<> unmount(const std::string& target) = 0;
  virtual Result<std::string> upper_dir(const std::string& key) const = 0;
  virtual Result<std::optional<Digest>> parent_of(const std::string& key) const = 0;
  virtual Result<> remove(const std::string& key) = 0;
  virtual Result<std::vector<std::string>> snapshots() const = 0;
};

// overlayfs. Layout under root: layers/<chain>/{diff,parent}, l/<short> -> ../layers/<chain>/diff,
// active/<key>/{upper,work,parent}. Stacks longer than one mount option string holds are mounted
// through fsconfig("lowerdir+") one layer at a time.
class OverlaySnapshotter final : public Snapshotter {
 public:
  // How a stack too long for one mount(2) option string is mounted. Auto: fsconfig("lowerdir+"),
  // falling back to relative names from a chdir()ed child on kernels without it. The others force
  // one way (tests run the contract with each).
  enum class DeepStack { Auto, Fsconfig, RelativeChdir };
  struct Options {
    DeepStack deep_stack = DeepStack::Auto;
  };
  static Result<std::unique_ptr<OverlaySnapshotter>> open(const std::string& root, Options opts);
  static Result<std::unique_ptr<OverlaySnapshotter>> open(const std::string& root) { return open(root, Options{}); }
  bool has_layer(const Digest& chain) const override;
  Result<> create_layer(const Digest& chain, const std::optional<Digest>& parent, const Fill& fill) override;
  Result<> remove_layer(const Digest& chain) override;
  Result<std::vector<Digest>> layers() const override;
  Result<std::string> layer_dir(const Digest& chain) const override;
  Result<> prepare(const std::string& key, const std::optional<Digest>& top) override;
  using Snapshotter::mount;
  Result<> mount(const std::string& key, const std::string& target, const MountOptions& o) override;
  Result<> unmount(const std::string& target) override;
  Result<std::string> upper_dir(const std::string& key) const override;
  Result<std::optional<Digest>> parent_of(const std::string& key) const override;
  Result<> remove(const std::string& key) override;
  Result<std::vector<std::string>> snapshots() const override;

  // A read-only overlay of the snapshot's upper dir over its layers: usable while the snapshot
  // itself is mounted elsewhere (overlay allows one mount per work dir).
  Result<> mount_view(const std::string& key, const std::string& target);
  // The lower directories for a chain, top first.
  Result<std::vector<std::string>> lower_stack(const Digest& top) const;

 private:
  OverlaySnapshotter(std::string root, Options opts) : root_(std::move(root)), opts_(opts) {}
  // lowers: absolute, top first; active: "active/<key>" for a writable mount, "" for read-only.
  Result<> mount_stack(const std::vector<std::string>& lowers, const std::string& active, const std::string& target,
                       unsigned long flags, bool volatile_upper = false);
  std::string root_;
  Options opts_;
};

}  // namespace berth::image
