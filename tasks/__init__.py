"""OneStop task list: the department's tasks, claiming and completing them, and form validation."""
