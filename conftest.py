pytest_plugins = ["wangge.testing.fixtures"]
