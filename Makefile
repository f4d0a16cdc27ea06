# tongdai: `make run` (the hotline on the demo site) and `make test` (the whole suite).
# Both create .venv/ and install what they need; as root on Debian they also install the
# host tools (SIPp, sox, espeak-ng, debootstrap; Chromium for the browser tests) and Asterisk 22 (a Debian sid chroot).
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
export TONGDAI_SITE ?= sites/demo.toml
HOST_TOOLS := sipp:sip-tester sox:sox espeak-ng:espeak-ng debootstrap:debootstrap unshare:util-linux
TEST_TOOLS := chromium:chromium nft:nftables pg_ctlcluster:postgresql setpriv:util-linux bearerbox:kannel pdftotext:poppler-utils

.PHONY: run test lint venv host-deps test-deps need pbx bench bench-public clean

run: host-deps venv
	$(VENV)/bin/tongdai run

test: host-deps test-deps venv pbx lint
	$(PY) -m tests.run_parallel $(PYTEST_ARGS)

# ruff (pyflakes, pycodestyle, bugbear, pyupgrade) on everything; mypy --strict on the layers below the top
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

host-deps:
	@$(MAKE) --no-print-directory need TOOLS="$(HOST_TOOLS)"

test-deps:
	@$(MAKE) --no-print-directory need TOOLS="$(TEST_TOOLS)"

need:
	@missing=""; for pair in $(TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing host packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "missing host packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi; fi

pbx: venv
	$(VENV)/bin/tongdai pbx install

# the engine against its plain-dialplan twin (bench/README.md): BENCH_ARGS="--quick" for a small check;
# the capacity search is separate (hours): $(PY) bench/capacity.py --from 200 --to 800 --step 100 --runs 3
bench: host-deps venv pbx
	@$(MAKE) --no-print-directory need TOOLS="tcpdump:tcpdump"
	$(PY) bench/engine_cost.py $(BENCH_ARGS)
	$(PY) bench/public.py $(BENCH_PUBLIC_ARGS)

# the public portal alone, no Asterisk (bench/README.md): BENCH_PUBLIC_ARGS="--seconds 5 --clients 20" for a quick run
bench-public: venv
	$(PY) bench/public.py $(BENCH_PUBLIC_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
