"""`tongdai users add|passwd|list`: accounts with argon2 hashes; a new password ends open sessions."""
from __future__ import annotations

from db import store
from tests.harness.cli import cli
from tests.harness.site import make_site
from web import accounts


def test_add_list_passwd(tmp_path):
    site = make_site(tmp_path)
    out = cli(site, "users", "add", "lan", "--role", "agent", "--extension", "101", "--name", "Nguyễn Thị Lan",
              "--password-stdin", stdin="dong-tam-1022\n").stdout
    assert "user lan (agent 101) added" in out
    dup = cli(site, "users", "add", "lan", "--role", "agent", "--extension", "101", "--password-stdin",
              stdin="another-password\n", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    short = cli(site, "users", "add", "hoa", "--role", "supervisor", "--extension", "201", "--password-stdin",
                stdin="short\n", check=False)
    assert short.returncode == 1 and "at least 10" in short.stderr
    no_ext = cli(site, "users", "add", "minh", "--role", "agent", "--password-stdin", stdin="long-enough-pw\n",
                 check=False)
    assert no_ext.returncode == 1 and "extension" in no_ext.stderr
    assert "Nguyễn Thị Lan" in cli(site, "users", "list").stdout

    db = store.connect(site.paths.database_url)
    user = accounts.authenticate(db, "lan", "dong-tam-1022")
    assert user and user.role == "agent"
    token, _ = accounts.open_session(db, user)
    assert accounts.session_user(db, token)[0].username == "lan"
    with db.connect() as conn:
        stored = conn.exec_driver_sql("select password_hash from users where username='lan'").scalar()
    assert stored.startswith("$argon2id$") and "dong-tam" not in stored
    cli(site, "users", "passwd", "lan", "--password-stdin", stdin="new-password-1022\n")
    assert accounts.session_user(db, token) is None
    assert accounts.authenticate(db, "lan", "dong-tam-1022") is None
    assert accounts.authenticate(db, "lan", "new-password-1022").username == "lan"
