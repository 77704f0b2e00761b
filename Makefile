# tapegrad — the two set-up commands are `make run` and `make test`.
BUILD      ?= build
SANITIZE   ?= build-sanitize
FUZZ       ?= build-fuzz
CLANG      ?= build-clang
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc)

PREFIX     ?= /usr/local

.PHONY: all setup configure build run test test-sanitize build-clang test-clang fuzz bench install clean

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

# The library, its headers, the CMake package and tapegrad.pc under PREFIX (docs/using-tapegrad.md).
install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target tapegrad
	cmake --install $(BUILD) --prefix $(PREFIX)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, but one test: the same bits
# under AVX2 and AVX-512 is a property of the release build (g++ -O3), which `make test` checks;
# the instrumented build's products differ in the 7th digit (docs/isa.md).
SANITIZE_EXCLUDE ?= ^test_isa:GEMM and elementwise math give the same bits
# -O1 -g1 (ASan's own advice; line tables are all a report needs) compiles in half the time of
# RelWithDebInfo's -O2 -g, which made .ci/run take 61 minutes on a slow two-core machine. The
# AVX-512 kernel pass is left out where this CPU cannot run it: a sanitizer checks only code that runs.
SANITIZE_FLAGS ?= -O1 -g1 -DNDEBUG
SANITIZE_ISA   ?= $(if $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo y),,-DTG_ISA_AVX512=OFF)
test-sanitize: setup
	cmake -S . -B $(SANITIZE) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(SANITIZE_FLAGS)" \
	  -DTG_SANITIZE=ON -DTG_BUILD_BENCH=OFF $(SANITIZE_ISA) $(CMAKE_ARGS)
	cmake --build $(SANITIZE) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir $(SANITIZE) --output-on-failure -j $(JOBS) \
	  -E '$(SANITIZE_EXCLUDE)'

# libFuzzer on every reader of outside bytes (fuzz/, docs/reliability.md): clang, ASan + UBSan.
# Each harness runs FUZZ_SECONDS from fuzz/corpus/ plus what earlier runs found ($(FUZZ)/corpus/);
# a crash, a sanitizer report or an exception other than tg::Error stops it, and its input is left
# in $(FUZZ)/findings/<harness>/. FUZZ_HARNESSES picks some: make fuzz FUZZ_HARNESSES="idx csv".
FUZZ_SECONDS   ?= 60
FUZZ_HARNESSES ?= idx cifar10 csv arff npz checkpoint
fuzz:
	@bash scripts/setup.sh --with-fuzz
	@cmake -S . -B $(FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DTG_FUZZ=ON \
	  -DTG_BUILD_TESTS=OFF -DTG_BUILD_EXAMPLES=OFF -DTG_BUILD_TOOLS=OFF -DTG_BUILD_BENCH=OFF -DTG_INSTALL=OFF \
	  -DTG_MPI=OFF -DTG_ISA_AVX2=OFF -DTG_ISA_AVX512=OFF $(CMAKE_ARGS) > $(FUZZ).configure.log || (cat $(FUZZ).configure.log; exit 1)
	@cmake --build $(FUZZ) -j $(JOBS) --target fuzz_programs
	bash fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

# The whole tree built with clang 14 (Debian's clang and libomp-14-dev), then its test suite: the
# code is C++20 for both compilers, not for g++ alone.
build-clang:
	@bash scripts/setup.sh --with-clang
	cmake -S . -B $(CLANG) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ $(CMAKE_ARGS)
	cmake --build $(CLANG) -j $(JOBS)

test-clang: build-clang
	ctest --test-dir $(CLANG) --output-on-failure -j $(JOBS)

# Performance against the yardsticks — OpenBLAS with the same instruction set, memcpy, PyTorch and
# libtorch — ending in one table of ratios (docs/benchmarks.md explains every row). About 10
# minutes on two cores once the library is built. Each run writes its raw JSON into its own folder,
# $(BENCH_OUT)/<UTC date-time>/ ($(BENCH_OUT)/latest links to the newest); compare two runs with
#   /usr/bin/python3 bench/summary.py $(BENCH_OUT)/<run A> $(BENCH_OUT)/<run B>
BENCH_OUT ?= $(BUILD)/bench
# Three repetitions, each pair back to back; the summary uses the medians (one slow moment of a
# shared machine then cannot decide a ratio).
BENCH_FLAGS ?= --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
bench:
	@bash scripts/setup.sh --with-bench
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_BENCH=ON $(CMAKE_ARGS) > $(BUILD).configure.log || (cat $(BUILD).configure.log; exit 1)
	@grep "tapegrad:" $(BUILD).configure.log || true
	@cmake --build $(BUILD) -j $(JOBS) --target bench_programs
	/usr/bin/python3 bench/run_bench.py --bin $(BUILD)/bin --out $(BENCH_OUT) --benchmark-flags="$(BENCH_FLAGS)"

clean:
	rm -rf $(BUILD) $(SANITIZE) $(FUZZ) $(CLANG) $(BUILD).configure.log $(FUZZ).configure.log
