from wangge.console.tests.live import serial_live_server  # noqa: F401 - fixture
