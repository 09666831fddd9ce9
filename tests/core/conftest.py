def pytest_configure(config):
    config.addinivalue_line("markers", "default_model: converts the default Qwen 0.5B chat model from its GGUF "
                                       "(~50 s and 2.4 GB on first run); deselect with -m 'not default_model'")
