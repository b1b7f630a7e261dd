from .base import *  # noqa: F403

DEBUG = False
WANGGE_DEMO = True
