# kefu — build, test and run.
#
#   make            build everything (release flavour)
#   make test       install missing packages, then run every test twice:
#                   a release build and an ASan+UBSan build (leak checking on);
#                   and the systemd units, installed into a staging directory
#   make run        install, build, start the demo cluster
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make fault      the long fault-injection suite
#   make multihost  kefu across four network namespaces: cuts, delay, loss, kill -9
#   make bench      the benchmarks
#
# BUILD=release|asan selects the flavour; each has its own tree under build/.

BUILD        ?= release
O            := build/$(BUILD)
GEN          := $(O)/gen
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang-14

PKGS   := libczmq libzmq lmdb libprotobuf-c libmicrohttpd libsystemd libsodium
# Deferred (=) so that pkg-config runs only once deps.sh has installed things.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
# libcurl is kefu-notify's alone (its SMTP and HTTP channels).
CURL_CFLAGS = $(shell pkg-config --cflags libcurl)
CURL_LIBS   = $(shell pkg-config --libs libcurl)

CFLAGS_BASE = -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
              -D_GNU_SOURCE -g -MMD -MP -Icommon -I$(GEN) $(PKG_CFLAGS)
ifeq ($(BUILD),asan)
  SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  CFLAGS   ?= -O1
  CFLAGS   += $(SAN)
  LDFLAGS  += $(SAN)
else ifeq ($(BUILD),fuzz)
  # libkefu instrumented for libFuzzer; the targets link the fuzzer's main.
  CC       := $(FUZZ_CC)
  SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  CFLAGS   ?= -O1
  CFLAGS   += $(SAN) -fsanitize=fuzzer-no-link
  LDFLAGS  += $(SAN) -fsanitize=fuzzer
else ifeq ($(BUILD),release)
  CFLAGS   ?= -O2
else
  $(error BUILD must be release, asan or fuzz, not '$(BUILD)')
endif
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)

# Short lines while building; V=1 shows the whole commands.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2)
endif
LDLIBS     = $(PKG_LIBS) -lm

# ---- schema -----------------------------------------------------------------
PROTOS    := $(wildcard proto/*.proto)
PROTO_C   := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
PROTO_H   := $(PROTO_C:.c=.h)
SCHEMA_C  := $(GEN)/kf_schema_table.c
DOCS_C    := $(GEN)/kf_proto_docs.c

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	$(call say,PROTO,$<)
	$(Q)protoc-c --c_out=$(GEN) -Iproto $<

# The table of every message type, generated from protoc-c's headers, so that
# the codec, the tests and the tools can walk the whole schema.
$(SCHEMA_C): $(PROTO_H) proto/gen-schema-table.sh
	$(call say,GEN,$@)
	$(Q)sh proto/gen-schema-table.sh $(PROTO_H) > $@.tmp && mv $@.tmp $@

# The .proto comments as a C table, for the OpenAPI description (kf_openapi).
$(DOCS_C): $(PROTOS) proto/gen-proto-docs.sh
	@mkdir -p $(GEN)
	$(call say,GEN,$@)
	$(Q)sh proto/gen-proto-docs.sh $(PROTOS) > $@.tmp && mv $@.tmp $@

# ---- libkefu ----------------------------------------------------------------
LIB_SRC  := $(wildcard common/*.c)
LIB_OBJ  := $(patsubst common/%.c,$(O)/common/%.o,$(LIB_SRC)) \
            $(patsubst $(GEN)/%.c,$(O)/gen-obj/%.o,$(PROTO_C) $(SCHEMA_C) $(DOCS_C))
LIBKEFU  := $(O)/libkefu.a

$(O)/common/%.o: common/%.c $(PROTO_H) | $(O)/common
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@
# protoc-c output is not ours to warn about, but it must still compile cleanly.
$(O)/gen-obj/%.o: $(GEN)/%.c $(PROTO_H) | $(O)/gen-obj
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@
$(LIBKEFU): $(LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# ---- programs ---------------------------------------------------------------
# Each services/<name>/ builds one program from its .c files.
SERVICES := $(notdir $(wildcard services/*))
PROGRAMS := $(foreach s,$(SERVICES),$(O)/bin/$(if $(filter kefuctl,$(s)),kefuctl,kefu-$(s)))

define service_rule
$(O)/bin/$(if $(filter kefuctl,$(1)),kefuctl,kefu-$(1)): $(patsubst %.c,$(O)/%.o,$(wildcard services/$(1)/*.c)) $(LIBKEFU) | $(O)/bin
	$$(call say,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) $(if $(filter notify,$(1)),$$(CURL_LIBS))
endef
$(foreach s,$(SERVICES),$(eval $(call service_rule,$(s))))

$(O)/services/%.o: services/%.c $(PROTO_H) | $(O)/common
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# ---- unit tests (cmocka) ----------------------------------------------------
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))

$(O)/tests/%: tests/unit/%.c $(LIBKEFU) | $(O)/tests
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(filter %.o,$^) $(LIBKEFU) -o $@ $(LDLIBS) -lcmocka

# A service's domain logic without its main.c: every object of
# services/<service>/ but main.o. test_<service>_domain and
# bench_<service> link it, and so does test_<service>_<concern>_domain (one
# concern's tests in a file of their own, such as dispatch's rounds);
# test_<module> links services/*/<module>.o (a service's module tested
# alone, such as bus_guard or sse_window).
SERVICE_OBJ = $(patsubst %.c,$(O)/%.o,$(filter-out %/main.c,$(wildcard services/$(1)/*.c)))
$(foreach s,$(SERVICES),$(eval $(O)/tests/test_$(s)_domain: $(call SERVICE_OBJ,$(s))))
$(foreach s,$(SERVICES),$(foreach t,$(filter tests/unit/test_$(s)_%_domain.c,$(UNIT_SRC)),\
    $(eval $(O)/tests/$(basename $(notdir $(t))): $(call SERVICE_OBJ,$(s)))))
$(foreach t,$(UNIT_SRC),$(foreach m,$(wildcard services/*/$(patsubst test_%,%,$(notdir $(t)))),\
    $(eval $(O)/tests/$(basename $(notdir $(t))): $(patsubst %.c,$(O)/%.o,$(m)))))
# kefu-notify's objects, and the tests that link them, use libcurl.
$(O)/services/notify/%.o: CFLAGS += $(CURL_CFLAGS)
$(O)/tests/test_notify%: LDLIBS += $(CURL_LIBS)
# The provider adapters' tests link the HTTP helpers the adapters call.
$(O)/tests/test_notify_sms $(O)/tests/test_notify_wechat: $(O)/services/notify/notify_http.o

# ---- integration tests: helper daemons and cmocka drivers -------------------
# tests/integration/test_*.c are drivers (run by make test); the other .c
# files there are small daemons the drivers start.
INTEG_SRC    := $(wildcard tests/integration/*.c)
INTEG_BIN    := $(patsubst tests/integration/%.c,$(O)/tests/%,$(INTEG_SRC))
INTEG_TESTS  := $(filter $(O)/tests/test_%,$(INTEG_BIN))

$(O)/tests/%: tests/integration/%.c $(LIBKEFU) | $(O)/tests
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) $< $(filter %.o,$^) $(LIBKEFU) -o $@ $(LDLIBS) -lcmocka

# ---- the long fault suite (make fault; not part of make test) ---------------
FAULT_SRC := $(wildcard tests/fault/*.c)
FAULT_BIN := $(patsubst tests/fault/%.c,$(O)/tests/%,$(FAULT_SRC))

$(O)/tests/%: tests/fault/%.c $(LIBKEFU) | $(O)/tests
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/integration $(LDFLAGS) $< $(filter %.o,$^) $(LIBKEFU) -o $@ $(LDLIBS) -lcmocka

# kefuctl's command table, without its main.c: the test runs every command it lists.
$(O)/tests/test_kefuctl: $(patsubst %.c,$(O)/%.o,$(filter-out %/main.c,$(wildcard services/kefuctl/*.c)))

# ---- benchmarks -------------------------------------------------------------
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(patsubst tests/bench/%.c,$(O)/tests/%,$(BENCH_SRC))

$(O)/tests/%: tests/bench/%.c $(LIBKEFU) | $(O)/tests
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/integration $(LDFLAGS) $< $(filter %.o,$^) $(LIBKEFU) -o $@ $(LDLIBS)

# A benchmark of a service's domain logic links it, without its main.c.
$(foreach s,escalation billing archive registry,$(eval $(O)/tests/bench_$(s): $(call SERVICE_OBJ,$(s))))
$(O)/tests/bench_daily: $(call SERVICE_OBJ,survey)
$(O)/tests/bench_cases: $(call SERVICE_OBJ,intake)

$(O)/common $(O)/gen-obj $(O)/bin $(O)/tests:
	@mkdir -p $@

# ---- fuzz targets (libFuzzer, clang; BUILD=fuzz) ----------------------------
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

$(O)/fuzz_%: tests/fuzz/fuzz_%.c $(LIBKEFU)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(filter %.o,$^) $(LIBKEFU) -o $@ $(LDLIBS)

# The providers' answers, read by kefu-notify's adapters (which name
# libcurl's errors).
$(O)/fuzz_provider_answers: $(patsubst %,$(O)/services/notify/%.o,notify_sms notify_wechat notify_http)
$(O)/fuzz_provider_answers: LDLIBS += $(CURL_LIBS)

# A fuzz target asked for from another flavour is built as the fuzz flavour.
ifneq ($(BUILD),fuzz)
build/fuzz/%: FORCE
	$(MAKE) --no-print-directory BUILD=fuzz $@
endif

# The seed corpus is generated from hand-written JSON and committed.
fuzz-seeds: $(LIBKEFU)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) tests/fuzz/make_seeds.c $(LIBKEFU) -o $(O)/make_seeds $(LDLIBS)
	$(Q)mkdir -p tests/fuzz/corpus/codec tests/fuzz/corpus/envelope tests/fuzz/corpus/replay
	$(Q)$(O)/make_seeds tests/fuzz/corpus

# ---- entry points -----------------------------------------------------------
.PHONY: all build deps test check check-reverse run e2e fuzz fuzz-regress fuzz-seeds fault multihost bench clean FORCE
.DEFAULT_GOAL := all

all: $(LIBKEFU) $(PROGRAMS) $(UNIT_BIN) $(INTEG_BIN) $(FAULT_BIN) $(BENCH_BIN) $(O)/openapi.json

# The HTTP API's description, made from the schema (kf_openapi); the gateway
# serves the same at /console/openapi.json.
$(O)/openapi.json: $(O)/bin/kefuctl
	$(call say,GEN,$@)
	$(Q)$(O)/bin/kefuctl openapi > $@.tmp && mv $@.tmp $@
build: all

deps:
	@sh deploy/deps.sh

# Sanitizer settings for every test run: leaks and UB fail the run.
export ASAN_OPTIONS  ?= detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# kefu-notify's providers in its integration test (tests/notify/peers.mjs):
# an SMTP server from the npm registry, as package-lock.json pins it.
NOTIFY_PEERS := tests/notify/node_modules/.package-lock.json
$(NOTIFY_PEERS): tests/notify/package-lock.json
	cd tests/notify && npm ci --no-audit --no-fund --loglevel=error

# One flavour: build, then every unit test.
check check-reverse: $(NOTIFY_PEERS)
check: all
	@sh tests/run-unit.sh $(UNIT_BIN) $(INTEG_TESTS)

# The integration files again, each one's tests last first: a test that
# counts what another test made fails here.
check-reverse: all
	@KEFU_TEST_ORDER=reverse sh tests/run-unit.sh $(INTEG_TESTS)

test: deps
	@sh tests/schema-lint.sh
	$(MAKE) --no-print-directory -j2 BUILD=release check
	$(MAKE) --no-print-directory -j2 BUILD=release check-reverse
	@sh tests/systemd-verify.sh build/release/bin
	@sh tests/e2e/run.sh build/release/bin
	@sh tests/openapi/run.sh build/release/bin
	$(MAKE) --no-print-directory -j2 BUILD=asan check
	$(MAKE) --no-print-directory fuzz-regress
	@echo "make test: schema, release, systemd units, console end-to-end, OpenAPI, asan and fuzz-corpus runs all passed"

# The web console in headless Chromium against a running cluster.
e2e: deps
	$(MAKE) --no-print-directory -j2 BUILD=release all
	@sh tests/e2e/run.sh build/release/bin

# Every fuzz target over its seed corpus only: a regression check, seconds long.
fuzz-regress: deps
	$(MAKE) --no-print-directory -j2 BUILD=fuzz $(FUZZ_BIN)
	@sh tests/fuzz/run.sh regress $(FUZZ_BIN)

fuzz: deps
	$(MAKE) --no-print-directory -j2 BUILD=fuzz $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh fuzz $(FUZZ_BIN)

# The demo cluster in the foreground: var/kefu.conf (written from
# deploy/kefu.conf when missing), data in var/data, logs in var/log.
# KEFU_CLOCK=var/clock make run starts the daemons on a file clock.
run: deps
	$(MAKE) --no-print-directory -j2 BUILD=release all
	@sh deploy/run.sh build/release/bin

# The long fault suite: FAULT_EVENTS per stream, 2 producers x 3 estates
# (>= 200,000 events), random kill -9 of consumers, producers and kefu-bus.
FAULT_EVENTS ?= 34000
fault: deps
	$(MAKE) --no-print-directory -j2 BUILD=release all
	KEFU_FAULT_EVENTS=$(FAULT_EVENTS) build/release/tests/test_storm

# kefu on four hosts (network namespaces, root): links cut and degraded,
# daemons killed; every acknowledged ticket once at the cluster.
multihost: deps
	$(MAKE) --no-print-directory -j2 BUILD=release all
	@sh tests/multihost.sh

# Measurements, printed; they never fail the build (a timing is not a test).
bench: deps
	@sh deploy/deps.sh --bench || echo "bench: no PostgreSQL here: its peer is left out"
	$(MAKE) --no-print-directory -j2 BUILD=release all
	@build/release/tests/bench_bus
	@build/release/tests/bench_intake
	@build/release/tests/bench_dispatch
	@build/release/tests/bench_escalation
	@build/release/tests/bench_billing
	@build/release/tests/bench_daily
	@build/release/tests/bench_registry
	@build/release/tests/bench_archive
	@build/release/tests/bench_gateway
	@rm -f build/release/storm.rate
	@KEFU_STORM_RATE_FILE=build/release/storm.rate build/release/tests/bench_storm
	@KEFU_STORM_RATE_FILE=build/release/storm.rate sh tests/bench/pg_peer.sh
	@build/release/tests/bench_cases

clean:
	rm -rf build

-include $(shell find $(O) -name '*.d' 2>/dev/null)
