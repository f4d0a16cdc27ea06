"""Personal data kept out of what the public sees: pure text functions used by the portal, the
console's publication review and Open311 alike (one rule, so staff see what citizens will see)."""
