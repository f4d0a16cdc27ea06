"""tongdai: typed site config, PBX provisioning, CLI and wiring."""
