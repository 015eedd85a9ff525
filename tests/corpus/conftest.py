# Nothing under tests/corpus is a test: corpus files, the harness and the stand-ins (one of timm's verbatim
# files is called test_time_pool.py) are only read by tests/test_corpus.py.
collect_ignore_glob = ["*"]
