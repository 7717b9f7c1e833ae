# imgauto: `make demo` and `make test` are the two entry points (see README).
SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-unit test-asan test-fuzz fuzz-build bench format clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build build/dev -j$(JOBS)

demo: build
	@scripts/demo.sh

# Every test: the dev build (unit + integration against real servers), the ASan+UBSan build of
# the same suites, and a short libFuzzer smoke run of every fuzz target.
test: build
	@scripts/run-tests.sh

test-unit: build
	@cd build/dev && ctest --output-on-failure -j$(JOBS) -E '^integration'

bench: deps
	@cmake --preset release -DIMGAUTO_BUILD_BENCH=ON >/dev/null
	@cmake --build build/release -j$(JOBS) --target policy_bench scan_bench store_memory_bench setters_bench update_run_bench standalone_bench metrics_bench detection_bench imgauto
	@scripts/bench.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
