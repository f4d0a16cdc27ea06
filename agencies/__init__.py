"""Agencies: who must act on a citizen's report (routing), by when (deadlines), and how the
site's agency data reaches the database (`db.queries.agencies`). Pure decision logic here."""
