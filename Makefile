# azmove.site_recovery: the two commands of the README, and the steps they are made of.
#   make demo   a Government-to-public move of sample VMs against the local Azure simulator
#   make test   everything CI runs
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The repository is the collection; Ansible finds it through this path.
COLLECTIONS := $(CURDIR)/.build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/azmove/site_recovery
SANITY_ROOT := $(CURDIR)/.build/sanity/ansible_collections/azmove/site_recovery
DEMO_STATE ?= $(CURDIR)/.state/demo
DEMO_TIME_FACTOR ?= 0.02
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(CURDIR)/tests/simulator
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0

.PHONY: help venv collection demo test unit simulator-test integration molecule sanity lint build changelog clean bench-overhead bench-scale bench-waiting crash-resume faults-heavy docs docs-lint

help:
	@echo "make demo   - run a Government-to-public move of sample VMs against the local Azure simulator"
	@echo "make test   - unit, simulator, integration and molecule tests, ansible-test sanity, ansible-lint, build"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# ansible.windows for the Windows roles' lint and syntax checks. Galaxy is not reachable from CI;
# the "ansible" package on PyPI carries the collection, so take it out of that wheel (pinned).
ANSIBLE_BUNDLE := ansible==12.3.0
WINDOWS_COLLECTION := $(COLLECTIONS)/ansible_collections/ansible/windows

collection: venv $(WINDOWS_COLLECTION)/MANIFEST.json
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)

$(WINDOWS_COLLECTION)/MANIFEST.json: | venv
	rm -rf .build/wheel && mkdir -p .build/wheel $(COLLECTIONS)
	$(BIN)/python -m pip download --quiet --no-deps --dest .build/wheel "$(ANSIBLE_BUNDLE)"
	$(BIN)/python -c 'import glob, sys, zipfile; z = zipfile.ZipFile(glob.glob(".build/wheel/*.whl")[0]); \
	  z.extractall(sys.argv[1], [n for n in z.namelist() if n.startswith("ansible_collections/ansible/windows/")])' $(COLLECTIONS)
	rm -rf .build/wheel
	test -f $@

demo: collection
	@bash tests/demo/run-demo.sh "$(DEMO_STATE)" "$(DEMO_TIME_FACTOR)"

test: unit simulator-test integration molecule sanity lint docs-lint docs build
	@echo "make test: all passed"

unit: collection
	$(BIN)/python -m pytest -q tests/unit

# Four workers: these tests mostly wait (for the simulator's clock), they use little CPU.
simulator-test: collection
	$(BIN)/python -m pytest -q -n 4 --dist loadfile tests/simulator/tests

# The wave report is checked in headless Chromium (Debian's package). Two workers, each with its own simulator
# (three made the host preparation test time out on two CPUs); a test file stays on one worker (its fixtures
# build on each other). A machine with more CPUs runs one worker per CPU. The slowest tests are listed at the end, to
# keep CI under 30 minutes.
INTEGRATION_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); if [ $$n -gt 2 ]; then echo $$n; else echo 2; fi)
integration: collection
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/python -m pytest -q -n $(INTEGRATION_WORKERS) --dist loadfile --durations=15 tests/integration

# Two scenarios. default: create starts the simulator, destroy stops it. linux_host: a Debian host with sshd in a
# network namespace (needs root); its tree is built once with debootstrap and cached in .build/molecule.
molecule: collection
	command -v debootstrap >/dev/null || (apt-get update -qq && apt-get install -y -qq debootstrap)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/molecule test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/molecule test -s linux_host

# ansible-test wants the collection at a real ansible_collections/<ns>/<name> path: test a copy.
sanity: collection
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(SANITY_ROOT)
	$(BIN)/python tests/sanity/install_bootstrap.py
	cd $(SANITY_ROOT) && git init -q && git add -A && \
	  PATH="$(CURDIR)/$(BIN):$$PATH" $(CURDIR)/$(BIN)/ansible-test sanity --requirements --python $$($(CURDIR)/$(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no

# A home of its own, so a copy of the collection installed earlier in ~/.ansible cannot shadow this tree.
lint: collection
	PATH="$(CURDIR)/$(BIN):$$PATH" ANSIBLE_HOME=$(CURDIR)/.build/lint-home $(BIN)/ansible-lint --profile production --offline

build: collection
	rm -rf .build/dist .build/installed && mkdir -p .build/dist .build/installed
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/installed $(BIN)/ansible-galaxy collection install --force --offline --no-deps \
	  -p .build/installed .build/dist/azmove-site_recovery-*.tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/installed $(BIN)/python tests/build/check_installed.py
	$(BIN)/python -m pytest -q tests/build

# The collection's docs site (antsibull-docs + Sphinx, warnings are errors), in .build/docs/html.
docs: collection
	$(BIN)/python docs/site/build.py $(CURDIR)/.build/docs

docs-lint: collection
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/antsibull-docs lint-collection-docs --plugin-docs \
	  --validate-collection-refs all --disallow-unknown-collection-refs --check-extra-docs-refs .

changelog: venv
	$(BIN)/antsibull-changelog lint

clean:
	rm -rf .build .state tests/output

# Benchmark 1 of issue 7: per-task cost of our vault modules against azure.azcollection (benchmarks/README.md).
# The first run builds .build/bench/azcollection-venv (a few minutes, once); a run then takes 12-13 minutes.
bench-overhead: collection
	$(BIN)/python benchmarks/azcollection_overhead.py --profile

# Benchmarks 2 and 3 of issue 7 (benchmarks/README.md). On a shared 2-core machine: about 50 min, and about 25 min.
bench-scale: collection
	$(BIN)/python benchmarks/scale.py

bench-waiting: collection
	$(BIN)/python benchmarks/waiting.py

# Crash-resume of issue 7, heavier than make test's 20 points: ansible-playbook killed at 100 seeded points of a wave's
# lifecycle and run again each time (AZMOVE_CRASH_SEED=<n> reproduces a chain; AZMOVE_CRASH_POINTS=<n> changes the count).
crash-resume: collection
	AZMOVE_CRASH_POINTS=$${AZMOVE_CRASH_POINTS:-100} $(BIN)/python -m pytest -q -s tests/integration/test_crash_resume.py

# The heavier fault variants: the fault matrix, then a wave of AZMOVE_HEAVY_MACHINES (default 20) machines through
# replicate, test and cutover under seeded random bursts with the simulator restarted in every phase.
faults-heavy: collection
	$(BIN)/python -m pytest -q -s tests/integration/test_faults.py tests/heavy
