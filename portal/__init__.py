"""The citizens' side (issue 17): a public site with no login, Vietnamese first, served by the
engine on its own address and port (`[ports] public`): results per agency and field, recent
resolved cases, case lookup, a report form, and Open311 GeoReport v2 for other systems.

Nothing here shows a citizen's personal data: what a public page says comes from query
functions that return only public fields, and free text passes `privacy.redaction` first."""
