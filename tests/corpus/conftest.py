# Nothing under tests/corpus is a test: model files, the package trees of torch/pkgs/ (timm's verbatim
# torch/pkgs/timm/layers/test_time_pool.py), the harness and the stand-ins are only read by tests/test_corpus.py.
collect_ignore_glob = ["*"]
