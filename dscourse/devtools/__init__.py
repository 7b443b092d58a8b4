"""Tools for the people who write and maintain the course (not used by notebooks)."""
