"""Playbooks as data: the document (YAML on disk, JSON through the API) and its
validation, Jinja2 templates per step, locale and part, the content library, and the
preview. The sequence itself is planned by rebook.core.playbook_plan.

Public entry points: load_playbook / validate_playbook (document.py), PlaybookRenderer
(rendering.py), choose_content (content.py), preview_playbook (preview.py).
"""
