# Ingate OTLP receiver. `make run` serves it; `make test` proves it.
SHELL := /bin/bash
VENV := .venv
PROTOS := $(shell cd proto && find . -name '*.proto' | sed 's|^\./||' | sort)

.PHONY: run test unit e2e deps release debug venvs deb proto bench bench-instructions bench-viewer fuzz sanitize prices framework-fixtures

# The agent frameworks of the end-to-end suite, each the real library in a venv of its own
# (their pins conflict): Tests/e2e/frameworks/requirements/NAME.txt -> .venv-frameworks/NAME.
FRAMEWORKS := $(basename $(notdir $(wildcard Tests/e2e/frameworks/requirements/*.txt)))
FRAMEWORK_VENVS := $(FRAMEWORKS:%=.venv-frameworks/%/.ready)

## make run: install, build release, and serve https://127.0.0.1:$INGATE_PORT/v1/traces in the foreground
run: release
	scripts/serve-stack

## make test: install, build, run the Swift tests and the end-to-end tests through real nginx
## (and the Debian package, installed with dpkg: as root, as CI runs)
test: deps venvs debug deb
	swift test
	INGATE_BIN=$(CURDIR)/.build/debug/ingate-otel INGATE_DEB=$$(ls $(CURDIR)/$(DEB_OUT)/*.deb) \
		$(VENV)/bin/python -m pytest -q Tests/e2e

unit: debug
	swift test

e2e: deps venvs debug deb
	INGATE_BIN=$(CURDIR)/.build/debug/ingate-otel INGATE_DEB=$$(ls $(CURDIR)/$(DEB_OUT)/*.deb) \
		$(VENV)/bin/python -m pytest -q Tests/e2e

## make bench: the shipped stack under load, with its ceilings; table + bench-out/results.json
bench: release $(VENV)/.ready
	scripts/install-deps libssl-dev valgrind
	$(VENV)/bin/python bench/run.py

## make bench-instructions: instructions per GenAI span of decode + map (callgrind; stable on a busy machine)
bench-instructions: release $(VENV)/.ready
	scripts/install-deps valgrind
	$(VENV)/bin/python bench/workload.py bench-out/bodies
	$(VENV)/bin/python bench/instructions.py

## make bench-viewer: the viewer's pages on a database of 1 000 000 rows; table + bench-out/viewer.json
bench-viewer: release $(VENV)/.ready
	$(VENV)/bin/python bench/viewer.py

deps:
	scripts/install-deps

release: deps
	swift build -c release --product ingate-otel

debug: deps
	swift build --build-tests

## make deb: deb-out/ingate-otel_VERSION_amd64.deb, the Swift runtime linked in (runs without the
## toolchain), checked by lintian (no errors)
DEB_OUT := deb-out
deb: deps
	scripts/install-deps lintian binutils dpkg-dev
	swift build -c release --static-swift-stdlib --product ingate-otel --scratch-path .build-deb
	rm -f $(DEB_OUT)/*.deb
	scripts/make-deb .build-deb/release/ingate-otel $(DEB_OUT)
	lintian --fail-on error --tag-display-limit 0 $(DEB_OUT)/*.deb

## make venvs: the test venv and every framework's, installed in parallel (network-bound)
venvs:
	$(MAKE) -j6 $(VENV)/.ready $(FRAMEWORK_VENVS)

.venv-frameworks/%/.ready: Tests/e2e/frameworks/requirements/%.txt
	rm -rf .venv-frameworks/$*
	python3 -m venv .venv-frameworks/$*
	.venv-frameworks/$*/bin/pip install -q --disable-pip-version-check -r $<
	touch $@

## make framework-fixtures: recapture Tests/GenAIMappingTests/Fixtures from the real frameworks
framework-fixtures: venvs
	$(VENV)/bin/python Tests/e2e/frameworks/capture.py

$(VENV)/.ready: Tests/e2e/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
	touch $@

## make proto: regenerate Sources/OTLPMessages/Generated from proto/ with the swift-protobuf we depend on
proto:
	scripts/install-deps protobuf-compiler
	swift build -c release --product protoc-gen-swift
	rm -f Sources/OTLPMessages/Generated/*.pb.swift
	protoc --plugin=protoc-gen-swift=.build/release/protoc-gen-swift \
		--swift_out=Sources/OTLPMessages/Generated \
		--swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
		-I proto -I /usr/include $(PROTOS)

## make prices: regenerate Sources/Pricing/PriceData.swift from pydantic's genai-prices (MIT), the
## version pinned here; the table names its source and version
GENAI_PRICES_VERSION ?= 0.2.3
prices: $(VENV)/.ready
	$(VENV)/bin/pip install -q --disable-pip-version-check genai-prices==$(GENAI_PRICES_VERSION)
	$(VENV)/bin/python scripts/make_prices.py Sources/Pricing/PriceData.swift

## make fuzz: the decoders and mappers under libFuzzer + AddressSanitizer, FUZZ_SECONDS (default 60)
## for each kind of body (protobuf, OTLP/JSON, gzip), each with its own corpus
FUZZ_SECONDS ?= 60
# Large enough for the seeds of long keys, many attributes and control-byte strings.
FUZZ_MAX_LEN ?= 262144
FUZZ_INPUTS ?= protobuf json gzip deflate zstd
fuzz: $(VENV)/.ready
	swift build --scratch-path .build-fuzz -c release --sanitize=address \
		-Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFUZZING --product FuzzExport
	$(VENV)/bin/python Fuzz/make_seeds.py .build-fuzz/seeds
	set -o pipefail; for input in $(FUZZ_INPUTS); do \
		mkdir -p .build-fuzz/corpus/$$input; \
		FUZZ_INPUT=$$input .build-fuzz/release/FuzzExport .build-fuzz/corpus/$$input .build-fuzz/seeds/$$input \
			Fuzz/regressions -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=$(FUZZ_MAX_LEN) \
			-artifact_prefix=Fuzz/crashes/ 2>&1 | grep -E "^(Done|#[0-9]+ +DONE)|ERROR|SUMMARY|crash-" || exit 1; \
	done

## make sanitize: the Swift tests under ThreadSanitizer, then AddressSanitizer
## (LeakSanitizer off: it reports XCTest's own allocations and test globals at exit)
sanitize: deps
	swift test --scratch-path .build-tsan --sanitize=thread
	ASAN_OPTIONS=detect_leaks=0 swift test --scratch-path .build-asan --sanitize=address
