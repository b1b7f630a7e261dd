pytest_plugins = ["wangge.testing.fixtures", "wangge.testing.browser"]
