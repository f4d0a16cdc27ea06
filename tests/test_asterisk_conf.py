import re
import subprocess
import sys

from asterisk_conf import FILES, MODULES, render
from tests.harness.site import make_site


def test_render_writes_a_complete_self_contained_config(tmp_path):
    site = make_site(tmp_path)
    layout = render(site)
    for name in FILES:
        assert (layout.conf / name).exists()
    conf = (layout.conf / "asterisk.conf").read_text()
    assert f"astetcdir => {layout.conf}" in conf and "[directories]\n" in conf
    modules = (layout.conf / "modules.conf").read_text()
    assert "autoload = no" in modules
    for needed in ("chan_pjsip", "res_agi", "res_speech", "app_queue", "app_mixmonitor", "app_chanspy",
                   "app_record", "app_playback", "app_dial", "res_timing_timerfd", "bridge_simple",
                   "res_pjsip_endpoint_identifier_user", "res_pjsip_pubsub"):
        assert needed in MODULES and f"load = {needed}.so" in modules


def test_pjsip_identifies_seats_by_user_and_trunk_by_ip_with_no_guest(tmp_path):
    site = make_site(tmp_path)
    pjsip = (render(site).conf / "pjsip.conf").read_text()
    assert "endpoint_identifier_order = username,ip" in pjsip
    assert f"bind = 127.0.0.1:{site.ports.sip}" in pjsip
    assert "match = 127.0.0.1" in pjsip
    assert "anonymous" not in pjsip.split("endpoint_identifier_order")[1].split("\n")[0]
    assert "allow_unauthenticated_options = no" in pjsip and "dtmf_mode = rfc4733" in pjsip
    for ext in site.agents.extensions:
        assert f"[agent{ext}](endpoint-common)" in pjsip
    secrets = site.paths.secrets.read_text()
    password = re.search(r'agent101 = "([^"]+)"', secrets).group(1)
    assert f"password = {password}" in pjsip
    assert oct(site.paths.secrets.stat().st_mode & 0o777) == "0o600"


def test_dialplan_never_dials_caller_digits_and_has_the_fallback(tmp_path):
    site = make_site(tmp_path)
    dialplan = (render(site).conf / "extensions.conf").read_text()
    assert "${EXTEN}" not in dialplan
    contexts = re.split(r"^\[", dialplan, flags=re.M)
    for body in contexts:
        name = body.split("]", 1)[0]
        dials = re.findall(r"Dial\(([^)]*)\)", body)
        if name == "tongdai-callback":  # reached only by AMI Originate; the number is filtered to digits
            assert dials == ["PJSIP/${NUMBER}@trunk,${FILTER(0123456789,${TONGDAI_CB_RING}"]
            assert "FILTER(0123456789,${TONGDAI_CB_NUMBER})" in body
        elif name == "tongdai-transfer":  # reached only by the engine's Redirect to a logged-in agent's seat
            assert dials[0] == "PJSIP/${FILTER(abcdefghijklmnopqrstuvwxyz0123456789,${EXTEN:5}"
            assert all("$" not in d for d in dials[1:]), dials
        else:
            assert all("$" not in d for d in dials), (name, dials)
    reachable = "".join(b for b in contexts if b.startswith(("from-trunk", "tongdai-fallback", "from-phones")))
    assert "tongdai-callback" not in reachable and "tongdai-transfer" not in reachable
    assert f"AGI(agi://127.0.0.1:{site.ports.agi}/ivr,${{CHANNEL(linkedid)}})" in dialplan
    assert "AGIEXITONHANGUP=yes" in dialplan
    assert '$["${TONGDAI_DONE}" = "1"]' in dialplan and "AGISTATUS: ${AGISTATUS}" in dialplan
    assert "Dial(PJSIP/115@trunk,120)" in dialplan


def test_guide_mode_plays_the_number_instead_of_dialling(tmp_path):
    site = make_site(tmp_path, emergency={"mode": "guide"})
    dialplan = (render(site).conf / "extensions.conf").read_text()
    assert "Dial(PJSIP/115" not in dialplan and "emergency-ambulance-guide" in dialplan


def test_manager_is_loopback_only_with_least_privilege(tmp_path):
    site = make_site(tmp_path)
    manager = (render(site).conf / "manager.conf").read_text()
    assert "bindaddr = 127.0.0.1" in manager and "permit = 127.0.0.1/255.255.255.255" in manager
    write = re.search(r"^write = (.*)$", manager, re.M).group(1).split(",")
    assert "system" not in write and "command" not in write and "config" not in write
    assert "eventfilter(action(exclude),name(Newexten))" in manager


def test_secrets_survive_a_second_render(tmp_path):
    site = make_site(tmp_path)
    render(site)
    first = site.paths.secrets.read_text()
    render(site)
    assert site.paths.secrets.read_text() == first


def test_cli_render_bad_site_exits_nonzero_with_one_line(tmp_path):
    site = make_site(tmp_path)
    bad = re.sub(r"channels = \d+", "channels = \"lots\"", site.file.read_text())
    site.file.write_text(bad)
    done = subprocess.run([sys.executable, "-m", "tongdai.cli", "--site", str(site.file), "pbx", "render",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.strip() == f"tongdai: {site.file}: trunk.channels: must be an integer, got 'lots'"


def test_call_controls_have_their_contexts_and_patterns_match_what_they_mean(tmp_path):
    site = make_site(tmp_path)
    dialplan = (render(site).conf / "extensions.conf").read_text()
    hold = dialplan.split("[tongdai-hold]")[1].split("\n[")[0]
    assert "MusicOnHold()" in hold and "ChannelRedirect(${TONGDAI_HOLD_CALLER},tongdai-queue,operator,1)" in hold
    transfer = dialplan.split("[tongdai-transfer]")[1].split("\n[")[0]
    for q in site.queues:
        assert f"exten => queue-{q.name},1,Goto(tongdai-queue,{q.name},1)" in transfer
    assert "Dial(PJSIP/supervisor201&PJSIP/supervisor202,30)" in transfer
    assert transfer.count("Goto(tongdai-queue,operator,1)") >= 2  # nobody answers: the operator, never a drop
    # in a pattern, n / x / z are digit classes even in lower case ("_seat-agent." never matched agent102)
    for pattern in re.findall(r"^exten => _([^,]+),", dialplan, re.M):
        literal = re.sub(r"\[[^\]]*\]", "", pattern)
        assert not re.search(r"[nxz]", literal), pattern


def test_asterisk_refuses_calls_past_its_limits_rather_than_half_setting_them_up(tmp_path):
    site = make_site(tmp_path, trunk={"channels": 30})
    layout = render(site)
    conf = (layout.conf / "asterisk.conf").read_text()
    assert "maxcalls = 110\n" in conf and "maxload" not in conf  # 2 per trunk channel + 50; no load limit
    assert "taskprocessor_overload_trigger = global\n" in (layout.conf / "pjsip.conf").read_text()
    limited = make_site(tmp_path / "limited", pbx={"max_calls": 400, "max_load": 6})
    conf = (render(limited).conf / "asterisk.conf").read_text()
    assert "maxcalls = 400\n" in conf and "maxload = 6.0\n" in conf
