# Makes tests/corpus/conftest.py import as corpus.conftest (not a second top-level 'conftest').
