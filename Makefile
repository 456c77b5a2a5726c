# The two commands: `make run` (a control plane on http://127.0.0.1:8000) and `make test`.
# Both install what is missing (Debian packages only) and build first.
BUILD ?= build
SAN_BUILD ?= build-sanitize
TSAN_BUILD ?= build-tsan
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps test-deps build run demo test unit sanitize tsan bench fuzz install clean

all: build

deps:
	@bash scripts/deps.sh

test-deps:
	@bash scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	@echo "Dashboard: http://$${XCELSIOR_HOST:-127.0.0.1}:$${XCELSIOR_PORT:-8000}/dashboard"
	@exec ./$(BUILD)/xcelsiord

# One job end to end on this machine: control plane, podman's Docker API, two simulated GPU hosts,
# a job, its logs and its bill (admission minimums lowered, and it says so). Ctrl-C stops it all.
demo: test-deps build
	@bash scripts/demo.sh $(BUILD)

# The whole suite: unit tests (Criterion), black-box API/CLI/agent tests against the real
# binaries (pytest), and the browser test of the dashboard.
test: test-deps build
	@bash scripts/test.sh $(BUILD)

unit: build
	@cd $(BUILD) && ctest -L unit --output-on-failure

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: test-deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DXC_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$(JOBS)
	@XC_SANITIZE=1 bash scripts/test.sh $(SAN_BUILD)

# The black-box API suite (which includes the concurrency tests) under ThreadSanitizer: any
# data race reported by xcelsiord fails the test that started it.
tsan: test-deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXC_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS) --target xcelsiord
	@XC_TSAN=1 XC_BUILD_DIR=$(CURDIR)/$(TSAN_BUILD) XC_SOURCE_DIR=$(CURDIR) \
		TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api

bench: test-deps
	@cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DXC_WERROR=OFF >/dev/null
	@cmake --build build-bench -j$(JOBS)
	@bash bench/run.sh build-bench

# libFuzzer targets (clang, ASan+UBSan): exact decimals, JSON bodies, routing. FUZZ_SECONDS each.
fuzz: build
	@bash tests/fuzz/run.sh

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) build-bench
