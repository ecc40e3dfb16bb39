# connrate — build, test, demo, bench, fuzz. Sources are found by globbing, so a new module is a
# new file, not a Makefile edit. SAN=1 builds with AddressSanitizer + UBSan into build-san/.

CC      ?= cc
PKGS    := libpcap zlib libdeflate liblzma gsl plplot
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
ifeq ($(SAN),1)
BUILD   ?= build-san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
BUILD   ?= build
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(STD) $(OPT) $(WARN) -pthread
CPPFLAGS += -Ilib -Itests/harness $(PKG_CFLAGS) -DCONNRATE_VERSION=\"$(VERSION)\"
LDLIBS  += $(PKG_LIBS) -lbz2 -lpthread -lm
LDFLAGS += $(LDSAN)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC  := $(sort $(shell find lib -name '*.c'))
PROG_SRC := $(sort $(wildcard programs/*.c))
TEST_SRC := $(sort $(shell find tests -name 'test_*.c'))
HARNESS  := tests/harness/test.c
BENCH_SRC:= $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
PROG_OBJ := $(PROG_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
BENCH_BIN:= $(BENCH_SRC:%.c=$(BUILD)/%)
LIBA     := $(BUILD)/libconnrate.a
BIN      := $(BUILD)/connrate

.PHONY: all check check-san demo bench fuzz clean deps
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The rate models' inner loop, vectorized with glibc's vector math (see the file's comment).
$(BUILD)/lib/model/nb2_kernel.o: CFLAGS += -ffast-math -fopenmp-simd

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(PROG_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) $(CFLAGS) $(PROG_OBJ) $(LIBA) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(HARNESS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $< $(HARNESS) $(LIBA) $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBA) $(LDFLAGS) $(LDLIBS) -o $@

# Builds everything and runs every test; the last line is "N passed, N failed, N skipped".
check: deps $(BIN) $(TEST_BIN)
	@CONNRATE_BIN=$(BIN) sh tests/run.sh $(TEST_BIN)

# The same tests under ASan + UBSan; studies that take minutes run in `make check` only.
check-san:
	CONNRATE_SKIP_SLOW=1 $(MAKE) SAN=1 check

# Installs missing Debian packages (as root), builds, and runs connrate on generated demo data.
demo:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory $(BIN)
	@sh scripts/demo.sh $(BIN)

deps:
	@sh scripts/deps.sh --check

bench: $(BIN) $(BENCH_BIN)
	@sh bench/run.sh $(BIN)

fuzz:
	@PKGS="$(PKGS)" sh fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
