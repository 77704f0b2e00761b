# tapegrad — the two set-up commands are `make run` and `make test`.
BUILD      ?= build
SANITIZE   ?= build-sanitize
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)

.PHONY: all setup configure build run test test-sanitize bench clean

all: build

setup:
	@bash scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) > $(BUILD).configure.log || (cat $(BUILD).configure.log; exit 1)
	@grep "tapegrad:" $(BUILD).configure.log || true

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Builds only what the main job needs (the library and figure1), not the tests and benchmarks.
run: configure
	@cmake --build $(BUILD) -j $(JOBS) --target figure1
	./$(BUILD)/bin/figure1 --out runs/figure1

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: setup
	cmake -S . -B $(SANITIZE) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTG_SANITIZE=ON -DTG_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build $(SANITIZE) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(SANITIZE) --output-on-failure -j $(JOBS)

# Performance against the yardsticks — OpenBLAS, memcpy, PyTorch — ending in one table of ratios
# (docs/benchmarks.md explains every row). A few minutes once the library is built. bench_gemm
# compares with OpenBLAS's AVX2 (Haswell) kernels unless OPENBLAS_CORETYPE says otherwise.
BENCH_OUT ?= $(BUILD)/bench
# Three repetitions, each pair back to back; the summary uses the medians (one slow moment of a
# shared machine then cannot decide a ratio).
BENCH_FLAGS ?= --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
bench:
	@bash scripts/setup.sh --with-bench
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_BENCH=ON $(CMAKE_ARGS) > $(BUILD).configure.log || (cat $(BUILD).configure.log; exit 1)
	@cmake --build $(BUILD) -j $(JOBS) --target bench_gemm bench_kernels train_step tape_overhead
	@mkdir -p $(BENCH_OUT)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-Haswell} $(BUILD)/bin/bench_gemm \
	  $(BENCH_FLAGS) --benchmark_out=$(BENCH_OUT)/gemm_t1.json --benchmark_out_format=json
	OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-Haswell} $(BUILD)/bin/bench_gemm \
	  $(BENCH_FLAGS) --benchmark_out=$(BENCH_OUT)/gemm_t2.json --benchmark_out_format=json
	$(BUILD)/bin/bench_kernels $(BENCH_FLAGS) --benchmark_out=$(BENCH_OUT)/kernels.json --benchmark_out_format=json
	$(BUILD)/bin/train_step --threads 2
	$(BUILD)/bin/tape_overhead
	/usr/bin/python3 bench/compare_pytorch.py --bin $(BUILD)/bin --json $(BENCH_OUT)/pytorch.json
	@echo
	@/usr/bin/python3 bench/summary.py $(BENCH_OUT)

clean:
	rm -rf $(BUILD) $(SANITIZE) $(BUILD).configure.log
