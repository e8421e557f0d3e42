# The common tasks, each one documented command (CONTRIBUTING.md, "Tasks"). `make help` lists them.
# Variables: PYTHON (default python), OUT (the folder of site/student), OVERWRITE=1 (replace what is there).
PYTHON ?= python
OVERWRITE ?=
overwrite = $(if $(OVERWRITE),--overwrite)

.PHONY: help install test-fast test lint site student edition-check demos

help:
	@echo "make install        install the tested versions (requirements.txt) and the course, editable"
	@echo "make test-fast      the quick loop: package tests in fast mode, no notebooks, no browser (< 2 min)"
	@echo "make test           everything CI runs (the README command): package, notebooks, browser, style"
	@echo "make lint           the pre-commit hooks on every file: nbstripout, ruff, the Korean edition check"
	@echo "make site           the course website, both editions, into OUT (default website/)"
	@echo "make student        student copies with the exercises blanked, into OUT (default student/)"
	@echo "make edition-check  the Korean edition is complete and up to date"
	@echo "make demos          the projector demos, served by Voila"

install:
	$(PYTHON) -m pip install -r requirements.txt

test-fast:
	COURSE_FAST=1 $(PYTHON) -m pytest tests --ignore=tests/browser --ignore=tests/notebooks -q

test:
	COURSE_FAST=1 $(PYTHON) -m pytest

lint:
	$(PYTHON) -m pre_commit run --all-files

site:
	$(PYTHON) -m course_utils.classroom site --out $(or $(OUT),website) $(overwrite)

student:
	$(PYTHON) -m course_utils.classroom student --out $(or $(OUT),student) $(overwrite)

edition-check:
	$(PYTHON) -m course_utils.classroom edition ko --check

demos:
	voila demos/
