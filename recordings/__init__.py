"""Call recordings: finalize, verify, retention (issue: recording and callbacks)."""
