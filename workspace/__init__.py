"""The coordinators' workspace: accounts, editing with history, freshness, coverage gaps,
import and export. Plain Python except ``workspace.web``."""
