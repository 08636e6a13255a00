"""Working days on the official Chinese calendar, stored per year and editable by administrators."""
