"""A project: the file ``twinchat.yaml`` that gives every command the same world, catalog, units,
flows, tools, persona, calendar, flow mix and export defaults."""

from twinchat.composer.project.load import PROJECT_FILE, LoadedProject, ProjectError, find_project, load_project
from twinchat.composer.project.model import Project

__all__ = ["PROJECT_FILE", "LoadedProject", "Project", "ProjectError", "find_project", "load_project"]
