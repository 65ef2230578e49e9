"""Action handlers: one small function per manifest key."""
