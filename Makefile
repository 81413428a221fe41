# Shortcuts for people who have make; each one calls tasks.py, which needs only Python 3.11+.
.PHONY: help lab test notebooks bench setup
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
lab:  ## set everything up and open the workbook in JupyterLab
	python3 tasks.py lab
test:  ## set everything up and run the whole test suite
	python3 tasks.py test
notebooks:  ## re-execute every notebook in place (stops at the first error)
	python3 tasks.py notebooks
bench:  ## print the benchmark table
	python3 tasks.py bench
setup:  ## only set up .venv, the package and Graphviz
	python3 tasks.py setup
