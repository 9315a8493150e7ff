# Writers: `make run` starts it, `make test` proves it. Both work on a fresh machine with
# Python 3.11 and pip; everything installs into .venv, and `make test` first installs the programs
# the suite runs with apt (scripts/system-deps.sh).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# honcho gives each Procfile process its own PORT; the web listens on WEB_PORT instead.
export WEB_PORT := $(PORT)

.PHONY: install install-dev install-gpu system-deps run test test-inner test-slow test-sqlite test-gpu lint migrations-check bench bench-gpu bench-batched bench-chunks bench-scaling bench-memory gpu-check bench-stall bench-latency chaos fuzz load profile-load ci clean

$(VENV)/.installed: requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	$(PIP) install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# A GPU worker's CUDA library (cuBLAS 12, 580 MB), apart so that CPU installs stay small.
$(VENV)/.installed-gpu: requirements-gpu.txt $(VENV)/.installed
	$(PIP) install --quiet --disable-pip-version-check -r requirements-gpu.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

install-gpu: $(VENV)/.installed-gpu

# A product, not a debug server: DEBUG off (`make run DEBUG=1` for development) over plain HTTP on
# loopback (HTTPS=0: cookies without Secure, no redirect to https). The port is checked first,
# where gunicorn would retry a taken one for ever.
# collectstatic one at a time: two make runs of one checkout share var/static, and one
# rewriting a file the other is hashing fails it (flock: util-linux, on every Debian).
run: export DEBUG ?= 0
run: export HTTPS ?= 0
run: install
	$(PY) manage.py check_port $(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_superuser
	flock $(VENV)/.collectstatic.lock $(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/honcho --procfile Procfile start

# PostgreSQL, ffmpeg, chromium, nginx, promtool and openssl: installed with apt when missing (as
# root), or the one `sudo apt-get install` line that would, and a stop.
system-deps:
	scripts/system-deps.sh

# The suite against a throwaway PostgreSQL and Redis that scripts/services.py starts, less the
# tests marked `slow` (make test-slow; .ci/run runs both), so it stays near 15 minutes on 2 cores.
test: system-deps install-dev lint
	$(PY) scripts/services.py -- $(MAKE) --no-print-directory migrations-check test-inner
	$(MAKE) --no-print-directory test-sqlite

# The suite runs in two pytest-xdist processes (scripts/pytest_workers.py gives each its own
# Redis databases; 13.5 min instead of 21 on 2 cores). TEST_PROCESSES=0 runs it in one process,
# without xdist.
TEST_PROCESSES ?= 2
test-inner:
	$(PY) -m pytest -m "not gpu and not slow" -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

# The slowest tests (worker kills, cancels, resume): real models and
# processes that take tens of seconds each.
test-slow: system-deps install-dev
	$(PY) scripts/services.py -- $(PY) -m pytest -m "slow and not gpu" $(PYTEST_ARGS)

# The API and a real worker once more on SQLite, the database of `make run`: only Redis is
# started, DATABASE_URL is unset and the test database is a file in a temporary STORAGE_ROOT.
SQLITE_TESTS := tasks_app/tests/test_api_tasks_create.py tasks_app/tests/test_api_tasks_list.py \
	tasks_app/tests/test_api_task_detail.py tasks_app/tests/test_api_task_cancel.py \
	tasks_app/tests/test_api_task_retry.py transcription/tests/test_api_to_worker.py
test-sqlite: install-dev
	$(PY) scripts/services.py --sqlite -- $(PY) -m pytest -q -p no:cacheprovider $(SQLITE_TESTS)

GPU_SYSTEM_DEPS := initdb postgres createdb pg_ctl ffmpeg
# Tests that need CUDA, on a host with an NVIDIA GPU and its driver and nothing else installed
# (scripts/gpu-check.sh runs this and bench-gpu in one go). cuda_check stops at once, saying why,
# where no CUDA device is visible, before the 580 MB of cuBLAS are installed and rather than pass
# with every test deselected.
test-gpu: install-dev
	scripts/system-deps.sh $(GPU_SYSTEM_DEPS)
	$(PY) manage.py cuda_check --devices-only
	$(MAKE) --no-print-directory install-gpu
	$(PY) manage.py cuda_check
	$(PY) scripts/services.py -- $(PY) -m pytest -m gpu $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: install-dev
	$(PY) manage.py makemigrations --check --dry-run

bench: install-dev
	$(PY) scripts/services.py -- $(PY) bench/run.py $(BENCH_ARGS)

# The bench on GPU 0: its own section of bench/RESULTS.md, beside the CPU figures.
bench-gpu: install-dev
	scripts/system-deps.sh $(GPU_SYSTEM_DEPS)
	$(PY) manage.py cuda_check --devices-only
	$(MAKE) --no-print-directory install-gpu
	$(PY) scripts/services.py -- $(PY) bench/run.py --device cuda $(BENCH_ARGS)

# Sequential vs batched decoding on minutes of mixed espeak-ng speech and jfk: speed, WER and the
# verdict per device in bench/RESULTS.md. BATCHED_ARGS="--device cuda" on a GPU host.
bench-batched: install-dev
	$(PY) bench/batched.py $(BATCHED_ARGS)

# One 3-minute upload on one worker, then on two idle ones that share it in pieces (issue 18
# item 2): both times, the ratio (target <= 0.6) and WERs in bench/RESULTS.md.
bench-chunks: install-dev
	$(PY) scripts/services.py -- $(PY) bench/chunks.py $(CHUNKS_ARGS)

# Four 3-minute uploads at once on two warm workers against the engine alone on one (issue 18
# item 1): the last completion <= 1.15 x ceil(4/2) x the engine time, bench/RESULTS.md.
bench-scaling: install-dev
	$(PY) scripts/services.py -- $(PY) bench/scaling.py $(SCALING_ARGS)

# make run's processes on a temporary STORAGE_ROOT, one task on `base`: PSS per process, the worker
# against a bare engine, the rest against 250 MiB (bench/RESULTS.md's Memory section).
bench-memory: install-dev
	$(PY) bench/memory.py

# Everything the GPU path owes in one go (install, test-gpu, bench-gpu), logs under $$OUT.
gpu-check:
	scripts/gpu-check.sh

# gunicorn under wrk with 10 000 tasks, then 50 concurrent 10 MB uploads (needs wrk).
load: install-dev
	$(PY) scripts/services.py -- $(PY) bench/load.py $(LOAD_ARGS)

# Where make load's endpoints spend their time, in-process on the same seed: queries, cProfile.
profile-load: install-dev
	$(PY) scripts/services.py -- $(PY) bench/profile_load.py $(PROFILE_ARGS)

# The web with 16 requests waiting in the OpenAI endpoint and 8 clients uploading docx bombs:
# /health and the status poll timed (bench/LOAD.md). STALL_ARGS=--compare adds the old sync workers.
bench-stall: install-dev
	$(PY) scripts/services.py -- $(PY) bench/stall.py $(STALL_ARGS)

# Fixed cost per task: the 11 s clip upload -> ?wait= -> result, minus the bare engine
# (bench/RESULTS.md's "Fixed cost per task"). LATENCY_ARGS="--runs 9" for more runs.
bench-latency: install-dev
	$(PY) scripts/services.py -- $(PY) bench/latency.py $(LATENCY_ARGS)

# Chaos scenarios at full size on a PostgreSQL and Redis of their own (they crash, stop and wipe
# them); `make test` runs a short form.
chaos: install-dev
	$(PY) -m chaos.run $(CHAOS_ARGS)

# The fuzzers of `make test` with many more, new examples every run (FUZZ_EXAMPLES per property,
# SCHEMATHESIS_EXAMPLES per API operation).
fuzz: system-deps install-dev
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-200} \
		$(PY) scripts/services.py -- $(PY) -m pytest -q -p no:cacheprovider \
		tasks_app/tests/test_fuzz_uploads.py writers/tests/test_schemathesis.py $(PYTEST_ARGS)

ci: test test-slow

clean:
	rm -rf $(VENV) var/static
