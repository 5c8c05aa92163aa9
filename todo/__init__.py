"""To-do lists (待办): what waits for a user across every project (issue 13)."""
