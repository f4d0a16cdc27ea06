"""The IVR's next-step logic on the demo tree, without a PBX."""
import pytest

from ivr.menu import load_menu
from ivr.navigator import State, press
from config import DEMO_SITE, load_site

TREE = load_menu(load_site(DEMO_SITE))


def walk(keys, state=None):
    state = state or State("main")
    steps = []
    for key in keys:
        step = press(TREE, state, key)
        steps.append(step)
        state = step.state
        if step.action:
            break
    return steps


def test_two_then_four_reports_trees():
    steps = walk(["2", "4"])
    assert steps[0].state.menu == "report" and steps[0].action is None
    assert steps[1].action.kind == "report" and steps[1].action.field == "trees"
    assert [s.event for s in steps] == ["menu", "menu"]


def test_three_invalid_digits_then_operator():
    steps = walk(["5", "7", "#"])
    assert [s.event for s in steps] == ["invalid"] * 3
    assert all(s.play == ("invalid",) for s in steps)
    assert [s.action for s in steps[:2]] == [None, None]
    assert steps[2].action.kind == "operator" and steps[2].detail["then"] == "operator"


def test_no_input_repeats_then_operator():
    steps = walk(["", "", ""])
    assert [s.event for s in steps] == ["timeout"] * 3 and steps[-1].action.kind == "operator"
    assert [s.state.failures for s in steps] == [1, 2, 3]


def test_star_repeats_without_counting_a_failure():
    step = press(TREE, State("main", failures=2), "*")
    assert step.state == State("main", failures=2) and step.action is None


def test_nine_switches_language_and_stays_in_the_menu():
    step = press(TREE, State("main"), "9")
    assert step.event == "language" and step.state == State("main", "en") and step.action is None


def test_emergency_menu_numbers():
    assert [walk(["3", d])[-1].action.service for d in "123"] == ["police", "fire", "ambulance"]


def test_entering_a_submenu_resets_failures():
    steps = walk(["5", "2"])
    assert steps[-1].state == State("report", "vi", 0)


def test_after_hours_menu_takes_a_message_and_offers_emergencies():
    steps = walk(["", "", ""], State("closed"))
    assert steps[-1].action.kind == "voicemail"
    assert press(TREE, State("closed"), "0").action.kind == "voicemail"


@pytest.mark.parametrize("root, keys", [("main", ""), ("closed", ""), ("fallback", ""), ("main", "2"),
                                        ("closed", "9")])
def test_the_emergency_key_path_is_the_same_from_every_menu(root, keys):
    """3 then 1/2/3: at every hour, with the engine down, and from the report sub-menu."""
    for digit, service in zip("123", ("police", "fire", "ambulance"), strict=True):
        state, steps = State(root), []
        for key in [*keys, "3", digit]:
            steps.append(press(TREE, state, key))
            state = steps[-1].state
        assert steps[-1].action.kind == "emergency" and steps[-1].action.service == service, (root, keys)


@pytest.mark.parametrize("root", ["main", "closed", "fallback"])
def test_one_alone_never_dials_an_emergency_service(root):
    action = press(TREE, State(root), "1").action
    assert action is None or action.kind != "emergency"


def test_hash_in_report_menu_is_the_operator():
    assert walk(["2", "#"])[-1].action.kind == "operator"
