"""What a citizen sends from outside (the portal's report form; Open311 may use the same rules):
checked here, with no server and no database, and turned into what the database layer stores.
Every refusal is a code the caller says in the reader's words."""
