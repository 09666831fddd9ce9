"""Copy the final-project starter under a new name: page, core module, strings and tests, registered in the menu.

    python scripts/new_project.py my_classifier --title-ko "내 분류기" --title-en "My classifier" --icon 🐶

The copies are plain files you then edit; nothing is generated at run time. Refuses to overwrite anything.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTER = "final_project"
# (source, destination) relative to the repo root; {name} is the new project's name
FILES = [
    ("app_pages/10_final_project.py", "app_pages/10_{name}.py"),
    ("core/final_project.py", "core/{name}.py"),
    ("ui/strings/final_project.py", "ui/strings/{name}.py"),
    ("tests/core/test_final_project.py", "tests/core/test_{name}.py"),
    ("tests/app/test_final_project_page.py", "tests/app/test_{name}_page.py"),
]
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def rename(text: str, name: str, title_ko: str, title_en: str) -> str:
    """Point the copy at its own module, page file and string keys; the code itself stays as it was."""
    for old, new in ((f"core import {STARTER} ", f"core import {name} "), (f"core.{STARTER}", f"core.{name}"),
                     (f"page.{STARTER}", f"page.{name}"), (f"10_{STARTER}.py", f"10_{name}.py"),
                     (f"test_{STARTER}", f"test_{name}")):
        text = text.replace(old, new)
    text = re.sub(r"""(f?["'])project\.""", lambda m: f"{m.group(1)}{name}.", text)  # string keys only
    text = re.sub(r"('page\.%s': )'[^']*'," % name, lambda m: m.group(1) + repr(title_ko) + ",", text, count=1)
    return re.sub(r"(EN = \{\n    'page\.%s': )'[^']*'," % name, lambda m: m.group(1) + repr(title_en) + ",", text)


def scaffold(name: str, title_ko: str, title_en: str, icon: str = "🎯", root: Path = ROOT) -> list[Path]:
    if not NAME.match(name) or name == STARTER:
        raise SystemExit(f"name must be lower_snake_case (2-31 characters), not {name!r}")
    targets = [(root / src, root / dst.format(name=name)) for src, dst in FILES]
    clash = [str(dst) for _, dst in targets if dst.exists()]
    if clash:
        raise SystemExit(f"refusing to overwrite {clash}")
    for src, dst in targets:
        dst.write_text(rename(src.read_text(encoding="utf-8"), name, title_ko, title_en), encoding="utf-8")
    course = root / "ui" / "course.py"
    text = course.read_text(encoding="utf-8")
    line = f'    PageSpec("app_pages/10_{name}.py", "page.{name}", {icon!r}, 10),\n'
    anchor = f'    PageSpec("app_pages/10_{STARTER}.py"'
    start = text.index(anchor)
    end = text.index("\n", start) + 1
    course.write_text(text[:end] + line + text[end:], encoding="utf-8")
    return [dst for _, dst in targets]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--title-ko", default="나의 프로젝트")
    parser.add_argument("--title-en", default="My project")
    parser.add_argument("--icon", default="🎯")
    args = parser.parse_args(argv)
    for path in scaffold(args.name, args.title_ko, args.title_en, args.icon):
        print("created", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    print("registered in ui/course.py — run `make run` and open it from the menu (day 10)")


if __name__ == "__main__":
    sys.exit(main())
