"""The roles and the role groups every permission rule is written with: the one list.

Rules themselves live in projects.permissions (and core.decision for user administration);
labels (系统管理员, 项目经理, ...) live with the page texts.
"""
from __future__ import annotations

ADMIN, PM, ENGINEER, CLIENT = "admin", "pm", "engineer", "client"

ROLES = (ADMIN, PM, ENGINEER, CLIENT)
VENDOR_ROLES = (ADMIN, PM, ENGINEER)   # upload, generate drafts, create records, respond to / restore faults
MANAGER_ROLES = (ADMIN, PM)            # create and change projects, manage their members
SIGNING_ROLES = (PM, ENGINEER, CLIENT)  # may sign at a workflow step of their role (default: pm 审核, client 确认)
CLOSE_ROLES = (ADMIN, PM, CLIENT)      # close a restored fault
HOLD_PARTIES = (PM, CLIENT)            # both must agree to hold a fault's level
