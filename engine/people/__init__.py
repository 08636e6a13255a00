"""Users, roles, departments and counties, and the personal data rules."""
