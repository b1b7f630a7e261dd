from ninja import Router

router = Router(tags=["队伍"])
