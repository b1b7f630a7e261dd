"""The `wangge` command: the management commands a user needs, with the
demo settings by default (SQLite under var/)."""

import os
import sys

COMMANDS = {
    "serve": "serve",
    "demo": "demo",
    "load-divisions": "load_divisions",
    "generate": "generate",
    "import": "import_data",
    "export": "export_data",
    "createuser": "createuser",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings.demo")
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("用法: wangge <命令> [参数]\n\n命令:")
        for name in COMMANDS:
            print(f"  {name}")
        print("  manage ...        任意 Django 管理命令")
        return
    from django.core.management import execute_from_command_line

    name, rest = argv[0], argv[1:]
    if name == "manage":
        execute_from_command_line(["wangge", *rest])
        return
    command = COMMANDS.get(name, name.replace("-", "_"))
    execute_from_command_line(["wangge", command, *rest])


if __name__ == "__main__":
    main()
