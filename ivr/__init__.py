"""Call flows, the Call object, menus and prompts."""
