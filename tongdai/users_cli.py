"""`tongdai users add|passwd|list`: console accounts (passwords read from the terminal or stdin)."""
from __future__ import annotations

import getpass
import sys

from tongdai.acd_cli import CliError, open_db
from config import Site
from web import accounts


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the two passwords differ")
    return first


def cmd_users(site: Site, args) -> int:
    db = open_db(site)
    try:
        if args.action == "list":
            for u in accounts.users(db):
                print(f"{u.username:<16} {u.role:<10} {u.extension or u.agency or '-':<6} {u.name}")
        elif args.action == "add":
            u = accounts.add_user(db, args.username, args.role, _password(args), args.extension, args.name,
                                  args.agency)
            seat = u.extension or u.agency
            print(f"user {u.username} ({u.role}{' ' + seat if seat else ''}) added")
        elif args.action == "passwd":
            accounts.set_password(db, args.username, _password(args))
            print(f"password of {args.username} changed; their open sessions ended")
    except accounts.AccountError as e:
        raise CliError(str(e)) from None
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("users", help="console accounts: add, passwd, list")
    a = p.add_subparsers(dest="action", required=True)
    a.add_parser("list", help="console accounts with their roles")
    add = a.add_parser("add", help="a console account (asks the password twice)")
    add.add_argument("username", help="login name")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--extension", help="agent number (agent, callback) or supervisor seat (supervisor)")
    add.add_argument("--agency", help="the agency's key (role agency: the one agency this user acts for)")
    add.add_argument("--name", help="full name shown in the console")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = a.add_parser("passwd", help="a new password (ends the user's open sessions)")
    pw.add_argument("username", help="login name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_users)
