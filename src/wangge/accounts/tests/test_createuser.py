import pytest
from django.core.management import CommandError, call_command

from wangge.accounts.models import User
from wangge.teams.models import Department, RoleAssignment


def run(*args):
    call_command("createuser", *args)


def test_createuser_makes_a_staff_user_with_the_role(tree, capsys):
    run(
        "zhang3",
        "--name",
        "张三",
        "--phone",
        "13800001111",
        "--role",
        "grid_worker",
        "--area",
        "330402001001001",
        "--password",
        "pass-Wangge-2026",
    )
    user = User.objects.get(username="zhang3")
    assert user.is_staff and user.kind == "staff" and user.check_password("pass-Wangge-2026")
    a = RoleAssignment.objects.get(user=user)
    assert (a.role, a.area, a.area_path) == ("grid_worker", tree.grid_a1a_1, tree.grid_a1a_1.path)
    assert "已创建 zhang3" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "grid_worker", "--area", "330402001001"], "只能分配在网格层级"),
        (["--role", "city_admin", "--area", "330402000000"], "只能分配在市层级"),
        (["--role", "boss", "--area", "330402001001001"], "未知角色"),
        (["--role", "grid_worker", "--area", "999"], "找不到编码为“999”的区域"),
        (["--role", "grid_worker", "--area", "330402001001001", "--phone", "123"], "电话"),
        (["--role", "department_staff", "--area", "330402000000"], "必须指定所属部门"),
    ],
)
def test_createuser_explains_what_is_wrong(tree, args, message):
    base = ["li4", "--name", "李四", "--phone", "13800002222", "--password", "pass-Wangge-2026"]
    with pytest.raises(CommandError, match=message):
        run(*base, *args)
    assert not User.objects.filter(username="li4").exists()


def test_createuser_department_staff(tree):
    Department.objects.create(
        name="住建局", level="district", area=tree.district_a, area_path=tree.district_a.path
    )
    run(
        "wang5",
        "--name",
        "王五",
        "--phone",
        "13800003333",
        "--role",
        "department_staff",
        "--area",
        "330402000000",
        "--department",
        "住建局",
        "--password",
        "pass-Wangge-2026",
    )
    assert RoleAssignment.objects.get(user__username="wang5").department.name == "住建局"
