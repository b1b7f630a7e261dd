def make_place(tree, *, name: str, kind: str, uscc: str, **fields):
    """An organization in the first grid: a service point or a facility on the map."""
    from wangge.people.models import Organization

    return Organization.objects.create(
        district=tree.district_a,
        grid=tree.grid_a1a_1,
        area_path=tree.grid_a1a_1.path,
        name=name,
        kind=kind,
        uscc=uscc,
        **fields,
    )
