# The README's two commands: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps build demo test unit integration bench clean

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build test-deps
	@bash scripts/demo.sh $(BUILD_DIR)

unit: build
	cd $(BUILD_DIR) && ctest -L unit -j $(JOBS) --output-on-failure

integration: build test-deps
	cd $(BUILD_DIR) && ctest -L integration --output-on-failure

test: build test-deps
	cd $(BUILD_DIR) && ctest -j $(JOBS) --output-on-failure --timeout 300

bench: build test-deps
	@bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
