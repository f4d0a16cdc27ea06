"""Menu files are validated at load; each bad value is named by file and key."""
import pytest

from ivr.menu import load_menu
from tongdai.config import DEMO_SITE, ConfigError, load_site

SITE = load_site(DEMO_SITE)
DEMO_MENU = DEMO_SITE.with_name("demo-ivr.toml").read_text()


def menu_with(tmp_path, old, new):
    assert old in DEMO_MENU
    path = tmp_path / "menu.toml"
    path.write_text(DEMO_MENU.replace(old, new, 1))
    return path


def test_demo_menu_loads():
    tree = load_menu(SITE)
    assert tree.start == "main" and tree.retries == SITE.menu_retries
    assert set(tree.menus["main"].options) == set("1230" + "9*")
    assert len(tree.menus["report"].options) == 12


@pytest.mark.parametrize("old, new, key", [
    ('"2" = { action = "menu", menu = "report" }', '"2" = { action = "menu", menu = "nowhere" }',
     "menus.main.options.2.menu"),
    ('"4" = { action = "report", field = "trees" }', '"4" = { action = "report", field = "bananas" }',
     "menus.report.options.4.field"),
    ('"1" = { action = "info", prompt = "admin-info", queue = "admin", field = "admin" }',
     '"1" = { action = "info", prompt = "admin-info", queue = "nosuch", field = "admin" }',
     "menus.main.options.1.queue"),
    ('"0" = { action = "operator" }', '"0" = { action = "dance" }', "menus.main.options.0.action"),
    ('"0" = { action = "operator" }', '"00" = { action = "operator" }', "menus.main.options.00"),
    ('timeout_ms = 5000', 'timeout_ms = -1', "ivr.timeout_ms"),
    ('en = "That is not an option."', 'english = "That is not an option."', "prompts.invalid.en"),
    ('prompt = "report-menu"', 'prompt = "no-such-prompt"', "menus.report.prompt"),
    ('start = "main"', 'start = "mian"', "ivr.start"),
])
def test_bad_menu_is_named_by_file_and_key(tmp_path, old, new, key):
    path = menu_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert e.value.key == key and str(e.value).startswith(f"{path}: {key}: ")


def test_duplicate_digit_is_refused(tmp_path):
    path = menu_with(tmp_path, '"0" = { action = "operator" }\n"9"',
                     '"0" = { action = "operator" }\n"0" = { action = "repeat" }\n"9"')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_menu(SITE, path)
