"""The coordinators' workspace (coordination): accounts, editing with history, freshness,
coverage gaps, the review queue of register imports. Plain Python; its pages are in
``web.views``."""
