from ninja import Router

from wangge.accounts.auth import BearerAuth, SessionAuth

router = Router(tags=["平战转换"], auth=[BearerAuth(), SessionAuth()])
