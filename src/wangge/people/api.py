from ninja import Router

router = Router(tags=["基础数据"])
