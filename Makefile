# The README's two commands: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

ASAN_DIR ?= build-asan
# The unit tests of the libraries that parse hostile input (tar layers, manifests, OCI configs,
# Dockerfiles, DNS packets, CNI results, paths) run again under ASan+UBSan. The engine's, the
# API's and the CLI's unit tests run in the normal build only: their libraries (Boost.Beast, 120
# files) would double the sanitizer build's time on CI's two cores.
ASAN_UNITS ?= unit_common unit_runtime unit_image unit_network unit_build

.PHONY: all deps test-deps build demo test unit unit-asan integration bench clean

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_UNITY=ON

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build test-deps
	@bash scripts/demo.sh $(BUILD_DIR)

unit: build
	cd $(BUILD_DIR) && ctest -L unit -j $(JOBS) --output-on-failure

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (only their targets).
unit-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Asan -DBERTH_UNITY=ON >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS) --target $(ASAN_UNITS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 ctest -L unit -j $(JOBS) --output-on-failure

integration: build test-deps
	cd $(BUILD_DIR) && ctest -L integration --output-on-failure

# The sanitizer build runs at the lowest priority beside the suite, which mostly waits on
# containers starting and stopping; its unit tests run once both are done.
test: build test-deps
	@bash scripts/run-tests.sh $(BUILD_DIR) $(ASAN_DIR) $(JOBS) $(ASAN_UNITS)

bench: build test-deps
	@bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
