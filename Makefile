# structkit: `make demo` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.structkit-installed
EXTRAS ?= test

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml requirements/xas-lean.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install --quiet -r requirements/xas-lean.txt
	$(BIN)/python -m pip install --quiet --no-deps "xraylarch>=2025.1,<2028"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/structkit demo --output demo_out

# one BLAS thread per process: the suite runs many small fits, where threads only contend
test: $(STAMP)
	MPLBACKEND=Agg OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench_conductivity.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench_xrd.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench_xas.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench_pdf.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/bench_raman.py
	MPLBACKEND=Agg OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_qens.py
	MPLBACKEND=Agg OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_campaign.py
	MPLBACKEND=Agg OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_tem.py

clean:
	rm -rf $(VENV) demo_out .pytest_cache build *.egg-info
