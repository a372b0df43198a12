"""Database layer: schema, sessions, import and queries."""
