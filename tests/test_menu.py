"""Menu files are validated at load; each bad value is named by file and key."""
import pytest

from ivr.menu import load_menu
from config import DEMO_SITE, ConfigError, load_site

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
    assert set(tree.menus["main"].options) == set("12340" + "9*")  # 4: the status of a request
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


def test_every_menu_has_the_emergency_key():
    tree = load_menu(SITE)
    assert tree.emergency.key == "3" and tree.fallback == "fallback"
    for name, menu in tree.menus.items():  # added where the file does not write it
        if name != "emergency":
            assert (menu.options["3"].kind, menu.options["3"].menu) == ("menu", "emergency"), name


def test_closed_tree_mapping_one_to_police_is_refused(tmp_path):
    """The issue's own case: after hours 1 = police while in opening hours 1 = information."""
    path = menu_with(tmp_path, '"0" = { action = "voicemail" }\n"9"',
                     '"0" = { action = "voicemail" }\n"1" = { action = "emergency", service = "police" }\n"9"')
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"{path}: menus.closed.options.1: ")
    assert "police" in message and "menus.main.options.1" in message


def test_emergency_key_to_another_menu_is_refused(tmp_path):
    """The fallback's 3 would lead to a menu whose 1 is fire, while '3 1' is the police everywhere else."""
    path = menu_with(tmp_path, '[menus.fallback.options]\n',
                     '[menus.fallback.options]\n"3" = { action = "menu", menu = "swapped" }\n')
    path.write_text(path.read_text() + '\n[menus.swapped]\nprompt = "emergency-menu"\n[menus.swapped.options]\n'
                                       '"1" = { action = "emergency", service = "fire" }\n')
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert e.value.key == "menus.fallback.options.3" and "emergency key" in str(e.value)


def test_emergency_key_taken_by_another_option_is_refused(tmp_path):
    path = menu_with(tmp_path, '"4" = { action = "report", field = "trees" }',
                     '"3" = { action = "report", field = "drainage" }\n"4" = { action = "report", field = "trees" }')
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert e.value.key == "menus.report.options.3" and "emergency key" in str(e.value)


def test_a_direct_service_key_in_one_tree_is_refused(tmp_path):
    """After hours 2 = fire straight away, while 2 opens the report menu in opening hours."""
    path = menu_with(tmp_path, '"0" = { action = "voicemail" }\n"9"',
                     '"0" = { action = "voicemail" }\n"2" = { action = "emergency", service = "fire" }\n"9"')
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert e.value.key == "menus.closed.options.2" and "menu report" in str(e.value)


def test_fallback_tree_cannot_take_a_message(tmp_path):
    path = menu_with(tmp_path, '[menus.fallback.options]\n"0" = { action = "operator" }',
                     '[menus.fallback.options]\n"0" = { action = "voicemail" }')
    with pytest.raises(ConfigError) as e:
        load_menu(SITE, path)
    assert e.value.key == "menus.fallback.options.0" and "fallback" in str(e.value)
