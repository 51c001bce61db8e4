# StreamHouse: the two commands.
#   make run   install what is missing, build, start StreamHouse on its embedded default
#   make test  install what is missing, build, run every test (also under ASan+UBSan)

JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo
# The project's own builds (and CI, .ci/run) treat warnings as errors; a plain
# `cmake` build, as a user runs it, does not (SH_WERROR, CMakeLists.txt).
CMAKE_FLAGS = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DSH_WERROR=ON

.PHONY: all deps test-deps build build-asan test test-unit test-asan run bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

# The Kafka clients the compatibility tests drive (kcat, librdkafka,
# confluent-kafka, kafka-python, KafkaJS).
test-deps:
	@bash scripts/install-test-deps.sh

build: deps
	@cmake -S . -B build $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null
	@cmake --build build -j $(JOBS)

# Unit-test binaries only, with AddressSanitizer and UndefinedBehaviorSanitizer.
build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DSH_SANITIZE=ON > /dev/null
	@cmake --build build-asan -j $(JOBS) --target unit_tests

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS) -L unit

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L unit

test: test-deps build build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -L unit
	cd build && ctest --output-on-failure -j $(JOBS)

run: build
	@bash scripts/run.sh $(ARGS)

bench: build
	@for b in build/bin/*_bench; do echo "== $$b"; $$b --benchmark_min_time=0.2; done

format:
	@clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' | grep -v /generated/)

clean:
	rm -rf build build-asan
